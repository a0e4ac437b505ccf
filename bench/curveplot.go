package bench

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Curve is one line of PlotCurves: y against x, named in the legend.
type Curve struct {
	// Label names the curve in the legend ("": not in the legend).
	Label string
	// X and Y are the points, of equal length.
	X, Y []float64
	// Style picks the line's colour and dash (curves of one Style look alike); negative
	// means the curve's position.
	Style int
}

// CurveOptions are PlotCurves' title, axis labels and layout.
type CurveOptions struct {
	// Title, XLabel and YLabel are the plot's texts.
	Title, XLabel, YLabel string
	// LogY makes the y axis logarithmic, labelled at powers of ten.
	LogY bool
	// LegendBottom and LegendLeft move the legend from the top right corner.
	LegendBottom, LegendLeft bool
}

// PlotCurves draws the curves (training curves, decay profiles) as lines and writes the
// SVG to w. Points whose y is not finite (or not positive on a log axis) are left out.
func PlotCurves(w io.Writer, o CurveOptions, curves []Curve) error {
	p := plot.New()
	p.Title.Text = o.Title
	p.X.Label.Text = o.XLabel
	p.Y.Label.Text = o.YLabel
	p.Legend.Top, p.Legend.Left = !o.LegendBottom, o.LegendLeft
	if o.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = decadeTicks{}
	}
	drawn := 0
	for i, c := range curves {
		if len(c.X) != len(c.Y) {
			return fmt.Errorf("bench: curve %q has %d x and %d y values", c.Label, len(c.X), len(c.Y))
		}
		var pts plotter.XYs
		for j, y := range c.Y {
			if math.IsNaN(y) || math.IsInf(y, 0) || (o.LogY && y <= 0) {
				continue
			}
			pts = append(pts, plotter.XY{X: c.X[j], Y: y})
		}
		if len(pts) == 0 {
			continue
		}
		style := c.Style
		if style < 0 {
			style = i
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		line.Color = plotutil.Color(style)
		line.Dashes = plotutil.Dashes(style / 7)
		p.Add(line)
		if c.Label != "" {
			p.Legend.Add(c.Label, line)
		}
		drawn++
	}
	if drawn == 0 {
		return fmt.Errorf("bench: no curve has a point to plot")
	}
	return writeSVG(w, p)
}

// decadeTicks marks every power of ten on a log axis and labels about six of them
// ("1e-12"), where plot.LogTicks labels every decade at full precision.
type decadeTicks struct{}

func (decadeTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	a, b := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	step := max(1, (b-a+5)/6)
	var ticks []plot.Tick
	for e := a; e <= b; e++ {
		t := plot.Tick{Value: math.Pow(10, float64(e))}
		if (e-a)%step == 0 {
			t.Label = "1e" + strconv.Itoa(e)
			if e == 0 {
				t.Label = "1"
			}
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// writeSVG draws p on a 7×4.5 inch SVG canvas, with a right margin for the last tick's
// label, and writes it to w.
func writeSVG(w io.Writer, p *plot.Plot) error {
	c := vgsvg.New(7*vg.Inch, 4.5*vg.Inch)
	p.Draw(draw.Crop(draw.New(c), 0, -vg.Points(16), 0, 0))
	_, err := c.WriteTo(w)
	return err
}
