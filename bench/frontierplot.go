package bench

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// PlotFrontier draws the cost–accuracy frontier of one cell kind and hidden size as an
// SVG on w, in two panels that share the x axis, each algorithm's time per step (log
// scale): on the left the cosine similarity of its gradient to the exact one, with a
// legend; on the right its relative error ‖g̃ − g‖/‖g‖ (log scale; an exact algorithm's,
// float32 rounding below 10⁻⁶, is drawn on the axis's floor), each point labelled with
// its setting. One point per algorithm and setting; the settings of one algorithm
// (truncated BPTT's windows) are joined by a line.
func PlotFrontier(w io.Writer, points []FrontierPoint, cellName string, hidden int) error {
	groups := map[string][]FrontierPoint{}
	var order []string
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, pt := range points {
		if pt.Cell != cellName || pt.Hidden != hidden || !(pt.NsPerStep > 0) {
			continue
		}
		name, _, _ := strings.Cut(pt.Algo, ":")
		if _, ok := groups[name]; !ok {
			order = append(order, name)
		}
		groups[name] = append(groups[name], pt)
		x := pt.NsPerStep / 1e3
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
	}
	if len(order) == 0 {
		return fmt.Errorf("bench: no frontier points for cell %s at n = %d to plot", cellName, hidden)
	}
	// Errors below 10⁻⁶ are float32 rounding: the exact algorithms. They are drawn on the
	// axis's floor, a decade below the smallest error of an approximation.
	const exactBelow = 1e-6
	smallest := math.Inf(1)
	for _, name := range order {
		for _, pt := range groups[name] {
			if pt.RelErr >= exactBelow {
				smallest = math.Min(smallest, pt.RelErr)
			}
		}
	}
	errFloor := exactBelow
	if !math.IsInf(smallest, 1) {
		errFloor = math.Pow(10, math.Floor(math.Log10(smallest))-1)
	}
	cosine := func(pt FrontierPoint) float64 { return pt.Cosine }
	relErr := func(pt FrontierPoint) float64 { return math.Max(pt.RelErr, errFloor) }
	left, err := frontierPanel(groups, order, cosine, "cosine to the exact gradient", xmin, xmax, false)
	if err != nil {
		return err
	}
	lo := 0.0
	for _, name := range order {
		for _, pt := range groups[name] {
			lo = math.Min(lo, pt.Cosine)
		}
	}
	left.Y.Min, left.Y.Max = math.Floor(lo*10)/10, 1.05
	right, err := frontierPanel(groups, order, relErr, "relative error ‖g̃ − g‖/‖g‖", xmin, xmax, true)
	if err != nil {
		return err
	}
	right.Y.Scale = plot.LogScale{}
	right.Y.Tick.Marker = powerTicks{}
	hi := errFloor
	for _, name := range order {
		for _, pt := range groups[name] {
			hi = math.Max(hi, relErr(pt))
		}
	}
	right.Y.Min, right.Y.Max = errFloor/1.5, hi*2
	c := vgsvg.New(12*vg.Inch, 4.8*vg.Inch)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(24), PadTop: vg.Points(8), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(12)}
	canvases := plot.Align([][]*plot.Plot{{left, right}}, tiles, dc)
	left.Draw(canvases[0][0])
	right.Draw(canvases[0][1])
	// The title last: the panels fill their backgrounds.
	title := left.Title.TextStyle
	title.XAlign, title.YAlign = draw.XCenter, draw.YTop
	dc.FillText(title, vg.Point{X: dc.Center().X, Y: dc.Max.Y - vg.Points(4)},
		fmt.Sprintf("cost–accuracy frontier, %s, n = %d: higher cosine and lower error are better", cellName, hidden))
	_, err = c.WriteTo(w)
	return err
}

// frontierPanel is one panel of the frontier: y(point) against µs per step, each point
// labelled with its setting, or (labelled false) a legend of the algorithms in the
// bottom right corner, where slow and inaccurate algorithms would be.
func frontierPanel(groups map[string][]FrontierPoint, order []string, y func(FrontierPoint) float64, yLabel string, xmin, xmax float64, labelled bool) (*plot.Plot, error) {
	p := plot.New()
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.X.Label.Text = "µs per step (log scale)"
	p.Y.Label.Text = yLabel
	p.X.Scale = plot.LogScale{}
	// Room on the right for the last point's label.
	p.X.Min, p.X.Max = xmin/1.3, xmax*3
	p.X.Tick.Marker = ticks125(p.X.Min, p.X.Max)
	for _, name := range order {
		var pts plotter.XYs
		var labels []string
		for _, pt := range groups[name] {
			pts = append(pts, plotter.XY{X: pt.NsPerStep / 1e3, Y: y(pt)})
			labels = append(labels, pointLabel(pt.Algo))
		}
		col, shape := AlgoColor(name), glyphs[algoIndex(name)%len(glyphs)]
		if len(pts) > 1 {
			// In the order of the settings (truncated BPTT's growing windows).
			line, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			line.Color = col
			line.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
			p.Add(line)
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.Color, sc.Shape, sc.Radius = col, shape, vg.Points(3.5)
		p.Add(sc)
		if !labelled {
			p.Legend.Add(name, sc)
			continue
		}
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: labels})
		if err != nil {
			return nil, err
		}
		for j := range lb.TextStyle {
			lb.TextStyle[j].Font.Size = vg.Points(7.5)
			lb.TextStyle[j].Color = col
			lb.TextStyle[j].XAlign = draw.XLeft
		}
		lb.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(1)}
		p.Add(lb)
	}
	return p, nil
}

// pointLabel is what a point is labelled with: the specification, with truncated BPTT's
// equal windows shortened ("tbptt K=4").
func pointLabel(spec string) string {
	name, arg, ok := strings.Cut(spec, ":")
	if !ok {
		return name
	}
	if k1, k2, two := strings.Cut(arg, ","); two && k1 == k2 {
		return name + " K=" + k1
	}
	return spec
}

// ticks125 labels 1, 2 and 5 times each power of ten between lo and hi (log ticks label
// only the powers of ten, which leaves a frontier spanning one decade with one label).
func ticks125(lo, hi float64) plot.ConstantTicks {
	var ticks plot.ConstantTicks
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	return ticks
}

// powerTicks labels the powers of ten of a log axis: 100, 10, 1, 0.1, 0.01, 1e-3, 1e-4
// (plot.LogTicks prints 9.99…e-05 for some of them).
type powerTicks struct{}

// Ticks returns a tick at every power of ten in [lo, hi].
func (powerTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Ceil(math.Log10(lo)); e <= math.Floor(math.Log10(hi)); e++ {
		v := math.Pow(10, e)
		label := strconv.FormatFloat(v, 'g', -1, 64)
		if e < -2 {
			label = "1e" + strconv.Itoa(int(e))
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}
