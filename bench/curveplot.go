package bench

import (
	"fmt"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
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

// PlotCurves draws the curves (training curves, decay profiles) as lines on linear axes,
// or a logarithmic y axis when logY is set, and writes the SVG to w. Points whose y is
// not finite (or not positive on a log axis) are left out.
func PlotCurves(w io.Writer, title, xLabel, yLabel string, logY bool, curves []Curve) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	drawn := 0
	for i, c := range curves {
		if len(c.X) != len(c.Y) {
			return fmt.Errorf("bench: curve %q has %d x and %d y values", c.Label, len(c.X), len(c.Y))
		}
		var pts plotter.XYs
		for j, y := range c.Y {
			if math.IsNaN(y) || math.IsInf(y, 0) || (logY && y <= 0) {
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
