package main

import (
	"fmt"
	"image/color"
	"io"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/chronograd/chronograd/internal/fsx"
)

// plotCurves draws the recall accuracy against training sequences: per label, the median
// over its seeds at every evaluation as a thick line and each seed as a thin one, with
// chance (1/8) as a dashed line.
func plotCurves(paths []string, svgPath, title string) error {
	curves, err := readCurves(paths)
	if err != nil {
		return err
	}
	if len(curves) == 0 {
		return fmt.Errorf("no curves in %v", paths)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "training sequences"
	p.Y.Label.Text = "recall accuracy (%)"
	p.Y.Min, p.Y.Max = 0, 100
	p.Legend.Top, p.Legend.Left = true, true
	var labels []string
	for _, c := range curves {
		if !slices.Contains(labels, c.label) {
			labels = append(labels, c.label)
		}
	}
	xmax := 0.0
	for i, label := range labels {
		col := plotutil.Color(i)
		byX := map[float64][]float64{}
		for _, c := range curves {
			if c.label != label {
				continue
			}
			pts := make(plotter.XYs, len(c.x))
			for j := range c.x {
				pts[j].X, pts[j].Y = c.x[j], c.y[j]
				byX[c.x[j]] = append(byX[c.x[j]], c.y[j])
				xmax = max(xmax, c.x[j])
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return err
			}
			l.Color = fade(col)
			l.Width = vg.Points(0.6)
			p.Add(l)
		}
		var xs []float64
		for x := range byX {
			xs = append(xs, x)
		}
		slices.Sort(xs)
		med := make(plotter.XYs, len(xs))
		for j, x := range xs {
			med[j].X, med[j].Y = x, median(byX[x])
		}
		l, err := plotter.NewLine(med)
		if err != nil {
			return err
		}
		l.Color = col
		l.Width = vg.Points(2)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (median of %d)", label, len(byX[xs[0]])), l)
	}
	chance, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 12.5}, {X: xmax, Y: 12.5}})
	if err != nil {
		return err
	}
	chance.Color = color.Gray{Y: 128}
	chance.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(chance)
	p.Legend.Add("chance (1/8)", chance)
	c := vgsvg.New(8*vg.Inch, 5*vg.Inch)
	p.Draw(draw.New(c))
	return fsx.WriteAtomic(svgPath, 0o644, func(w io.Writer) error {
		_, err := c.WriteTo(w)
		return err
	})
}

// fade is col at a third of its opacity.
func fade(col color.Color) color.Color {
	r, g, b, _ := col.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 80}
}
