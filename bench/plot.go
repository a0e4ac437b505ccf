package bench

import (
	"fmt"
	"io"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// PlotScaling draws time per step against hidden size on log-log axes, one line per
// algorithm (and sequence length) for the given cell, each labelled with its fitted
// exponent, and writes the SVG to w.
func PlotScaling(w io.Writer, results []Result, cellName string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("time per step, %s", cellName)
	p.X.Label.Text = "hidden size n"
	p.Y.Label.Text = "µs per step"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	series := Series(results)
	var keys [][3]string
	for k := range series {
		if k[1] == cellName {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b [3]string) int { return cmpString(a[0]+" "+a[2], b[0]+" "+b[2]) })
	if len(keys) == 0 {
		return fmt.Errorf("bench: no results for cell %s to plot", cellName)
	}
	perAlgo := map[string]int{}
	for _, k := range keys {
		perAlgo[k[0]]++
	}
	var ns []float64
	for _, k := range keys {
		for _, r := range series[k] {
			ns = append(ns, float64(r.Hidden))
		}
	}
	p.X.Tick.Marker = valueTicks(ns)
	for i, k := range keys {
		rs := series[k]
		pts := make(plotter.XYs, len(rs))
		var x, y []float64
		for j, r := range rs {
			pts[j].X, pts[j].Y = float64(r.Hidden), r.NsPerStep/1e3
			x, y = append(x, pts[j].X), append(y, pts[j].Y)
		}
		label := k[0]
		if perAlgo[k[0]] > 1 {
			label += " T=" + k[2]
		}
		if fit, err := FitExponent(x, y); err == nil {
			label = fmt.Sprintf("%s (slope %.2f)", label, fit.Exponent)
		}
		if err := addLine(p, i, label, pts); err != nil {
			return err
		}
	}
	return writeSVG(w, p)
}

// PlotMemory draws the bytes each algorithm holds against T on log-log axes for the given
// cell and hidden size.
func PlotMemory(w io.Writer, results []Result, cellName string, hidden int) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("memory held, %s, n = %d", cellName, hidden)
	p.X.Label.Text = "sequence length T"
	p.Y.Label.Text = "bytes"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	byAlgo := map[string]plotter.XYs{}
	for _, r := range results {
		if r.Cell == cellName && r.Hidden == hidden && r.Bytes > 0 {
			byAlgo[r.Algo] = append(byAlgo[r.Algo], plotter.XY{X: float64(r.T), Y: float64(r.Bytes)})
		}
	}
	if len(byAlgo) == 0 {
		return fmt.Errorf("bench: no results for cell %s at n = %d to plot", cellName, hidden)
	}
	var ts []float64
	for _, pts := range byAlgo {
		for _, pt := range pts {
			ts = append(ts, pt.X)
		}
	}
	p.X.Tick.Marker = valueTicks(ts)
	algos := make([]string, 0, len(byAlgo))
	for a := range byAlgo {
		algos = append(algos, a)
	}
	slices.Sort(algos)
	for i, a := range algos {
		pts := byAlgo[a]
		slices.SortFunc(pts, func(p, q plotter.XY) int { return int(p.X - q.X) })
		if err := addLine(p, i, a, pts); err != nil {
			return err
		}
	}
	return writeSVG(w, p)
}

// valueTicks labels exactly the measured x values (log ticks label only powers of ten,
// which leaves a sweep over n = 16…128 with a single label).
func valueTicks(xs []float64) plot.ConstantTicks {
	slices.Sort(xs)
	xs = slices.Compact(xs)
	ticks := make(plot.ConstantTicks, len(xs))
	for i, x := range xs {
		ticks[i] = plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', -1, 64)}
	}
	return ticks
}

func addLine(p *plot.Plot, i int, label string, pts plotter.XYs) error {
	line, points, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	line.Color = plotutil.Color(i)
	line.Dashes = plotutil.Dashes(i / 7)
	points.Color = plotutil.Color(i)
	points.Shape = plotutil.Shape(i)
	p.Add(line, points)
	p.Legend.Add(label, line, points)
	return nil
}

func writeSVG(w io.Writer, p *plot.Plot) error {
	c := vgsvg.New(7*vg.Inch, 4.5*vg.Inch)
	p.Draw(draw.Crop(draw.New(c), 0, -vg.Points(16), 0, 0)) // a right margin for the last tick's label
	_, err := c.WriteTo(w)
	return err
}
