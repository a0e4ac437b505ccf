package main

import (
	"encoding/csv"
	"fmt"
	"image/color"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

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

// summarise prints the Markdown table of -summary.
func summarise(paths []string, w io.Writer) error {
	type run struct {
		seed             int
		final, best      float64
		reach50, reach95 string
		bytes            string
		us               float64
	}
	type group struct {
		key  string
		runs []run
	}
	var groups []*group
	find := func(key string) *group {
		for _, g := range groups {
			if g.key == key {
				return g
			}
		}
		g := &group{key: key}
		groups = append(groups, g)
		return g
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		var cur *run
		var curKey string
		flush := func() {
			if cur != nil {
				find(curKey).runs = append(find(curKey).runs, *cur)
			}
		}
		for _, r := range rows {
			if len(r) != 12 || r[0] == "algo" {
				continue
			}
			key := fmt.Sprintf("| %s | %s | %s |", r[2], r[0], modelLabel(r[1]))
			seqs, _ := strconv.Atoi(r[4])
			if seqs == 0 { // a new run
				flush()
				cur, curKey = &run{reach50: "—", reach95: "—"}, key
				cur.seed, _ = strconv.Atoi(r[3])
			}
			acc, _ := strconv.ParseFloat(r[10], 64)
			cur.final, cur.best = acc, max(cur.best, acc)
			if acc >= 0.5 && cur.reach50 == "—" {
				cur.reach50 = r[4]
			}
			if acc >= 0.95 && cur.reach95 == "—" {
				cur.reach95 = r[4]
			}
			cur.bytes = r[9]
			cur.us, _ = strconv.ParseFloat(r[8], 64)
		}
		flush()
	}
	fmt.Fprintln(w, "| task | algorithm | model | final recall, median (per seed) | best recall, median (per seed) | sequences to 50% | sequences to 95% | bytes held | µs/step in training |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---:|---:|")
	pct := func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }
	for _, g := range groups {
		slices.SortFunc(g.runs, func(a, b run) int { return a.seed - b.seed })
		var finals, bests, us []float64
		var fs, bs, r50, r95 []string
		for _, r := range g.runs {
			finals, bests, us = append(finals, r.final), append(bests, r.best), append(us, r.us)
			fs, bs = append(fs, pct(r.final)), append(bs, pct(r.best))
			r50, r95 = append(r50, r.reach50), append(r95, r.reach95)
		}
		fmt.Fprintf(w, "%s %s (%s) | %s (%s) | %s | %s | %s | %.0f |\n", g.key, pct(median(finals)), strings.Join(fs, ", "),
			pct(median(bests)), strings.Join(bs, ", "), strings.Join(r50, ", "), strings.Join(r95, ", "), g.runs[0].bytes, median(us))
	}
	return nil
}
