package bench

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/chronograd/chronograd/algo"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// palette holds one colour per algorithm, in the registry's order (Okabe and Ito's
// colour-blind-safe set, then more that stay apart from it and from each other).
var palette = []color.RGBA{
	{0, 114, 178, 255},   // blue
	{86, 180, 233, 255},  // sky blue
	{0, 158, 115, 255},   // bluish green
	{213, 94, 0, 255},    // vermillion
	{230, 159, 0, 255},   // orange
	{204, 121, 167, 255}, // reddish purple
	{140, 86, 75, 255},   // brown
	{148, 103, 189, 255}, // purple
	{188, 189, 34, 255},  // olive
	{23, 190, 207, 255},  // cyan
	{0, 0, 0, 255},       // black
	{165, 0, 38, 255},    // dark red
	{35, 100, 35, 255},   // dark green
	{30, 30, 120, 255},   // navy
	{220, 0, 220, 255},   // magenta
	{0, 110, 110, 255},   // teal
}

var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{},
	draw.RingGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.CircleGlyph{}, draw.SquareGlyph{},
	draw.TriangleGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{},
	draw.PyramidGlyph{},
}

// referenceColor draws the reference slopes and baselines, which are not algorithms.
var referenceColor = color.RGBA{110, 110, 110, 255}

// algoIndex is the algorithm's place in the registry (so that an algorithm has the same
// colour and glyph in every figure), or len(palette)-1 for a name it does not know.
func algoIndex(spec string) int {
	name, _, _ := strings.Cut(spec, ":")
	for i, info := range algo.List() {
		if info.Name == name {
			return i % len(palette)
		}
	}
	return len(palette) - 1
}

// AlgoColor is the colour of an algorithm (a name or a specification such as
// "tbptt:5,10") in every figure of the report.
func AlgoColor(spec string) color.Color { return palette[algoIndex(spec)] }

// figure is a plot whose legend sits to the right of the axes, where it can neither be
// clipped nor cover a curve.
type figure struct {
	p      *plot.Plot
	legend plot.Legend
	// seen counts the lines drawn per algorithm name: a second setting of one algorithm
	// keeps its colour and gets a dashed line.
	seen map[string]int
}

func newFigure(title, x, y string) *figure {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text, p.Y.Label.Text = x, y
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	l.TextStyle.Font.Size = vg.Points(10)
	l.Padding = vg.Points(4)
	return &figure{p: p, legend: l, seen: map[string]int{}}
}

// algoLine adds one algorithm's line with its colour and glyph.
func (f *figure) algoLine(spec, label string, pts plotter.XYs) error {
	return f.algoLineMarked(spec, label, pts, pts)
}

// algoLineMarked adds one algorithm's line through pts with its glyph at marked only (the
// points measured, when the line extends them).
func (f *figure) algoLineMarked(spec, label string, pts, marked plotter.XYs) error {
	name, _, _ := strings.Cut(spec, ":")
	i := algoIndex(spec)
	dashes := [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}}[f.seen[name]%3]
	f.seen[name]++
	return f.lineMarked(label, pts, marked, palette[i], glyphs[i], dashes)
}

// line adds a line of colour c with points drawn as glyph (nil: no points).
func (f *figure) line(label string, pts plotter.XYs, c color.Color, glyph draw.GlyphDrawer, dashes []vg.Length) error {
	return f.lineMarked(label, pts, pts, c, glyph, dashes)
}

// lineMarked adds a line through pts with glyphs at marked.
func (f *figure) lineMarked(label string, pts, marked plotter.XYs, c color.Color, glyph draw.GlyphDrawer, dashes []vg.Length) error {
	line, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	line.Color, line.Width, line.Dashes = c, vg.Points(1.5), dashes
	if glyph == nil {
		f.p.Add(line)
		f.legend.Add(label, line)
		return nil
	}
	points, err := plotter.NewScatter(marked)
	if err != nil {
		return err
	}
	points.Color, points.Shape, points.Radius = c, glyph, vg.Points(3)
	f.p.Add(line, points)
	f.legend.Add(label, line, points)
	return nil
}

// reference adds a grey dashed line that is not an algorithm (a slope, a baseline).
func (f *figure) reference(label string, pts plotter.XYs, dashes []vg.Length) error {
	return f.line(label, pts, referenceColor, nil, dashes)
}

// write draws the figure as SVG: axes 6.5 by 4.5 inches, the legend to their right.
func (f *figure) write(w io.Writer) error {
	const axesWidth, height = 6.5 * vg.Inch, 4.5 * vg.Inch
	probe := draw.New(vgsvg.New(axesWidth, height))
	r := f.legend.Rectangle(probe)
	// The SVG names its font (Liberation Serif) but does not embed it (that would add
	// half a megabyte to every figure); a viewer without it substitutes a font up to a
	// fifth wider (DejaVu Serif), so the legend gets room for that.
	legendWidth := (r.Max.X-r.Min.X)*1.25 + vg.Points(16)
	c := vgsvg.New(axesWidth+legendWidth, height)
	dc := draw.New(c)
	dc.SetColor(color.White) // the legend's part too: no transparent strip in a dark viewer
	dc.Fill(dc.Rectangle.Path())
	// A right margin keeps the last tick's label inside the axes' part.
	f.p.Draw(draw.Crop(dc, 0, -legendWidth-vg.Points(12), 0, 0))
	legendArea := draw.Crop(dc, axesWidth, 0, 0, -vg.Points(30))
	f.legend.Draw(legendArea)
	_, err := c.WriteTo(w)
	return err
}

// PlotScaling draws time per step against hidden size on log-log axes for the given
// cell: one line per algorithm (and sequence length, when an algorithm was timed at
// several), labelled with its fitted exponent and the expected one, and grey reference
// slopes n² and n⁴. It writes the SVG to w.
func PlotScaling(w io.Writer, results []Result, cellName string) error {
	series := Series(results)
	var keys [][3]string
	for k := range series {
		if k[1] == cellName {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return fmt.Errorf("bench: no results for cell %s to plot", cellName)
	}
	slices.SortFunc(keys, func(a, b [3]string) int {
		if d := algoIndex(a[0]) - algoIndex(b[0]); d != 0 {
			return d
		}
		return strings.Compare(a[0]+" "+a[2], b[0]+" "+b[2])
	})
	perAlgo := map[string]int{}
	for _, k := range keys {
		perAlgo[k[0]]++
	}
	f := newFigure(fmt.Sprintf("time per step, %s", cellName), "hidden size n", "time per step")
	var ns, ys []float64
	var first2, first4 []float64 // each series' first point, by its expected exponent
	nMin := math.Inf(1)
	for _, k := range keys {
		for _, r := range series[k] {
			nMin = min(nMin, float64(r.Hidden))
		}
	}
	for _, k := range keys {
		rs := series[k]
		pts := make(plotter.XYs, len(rs))
		var x, y []float64
		for j, r := range rs {
			pts[j].X, pts[j].Y = float64(r.Hidden), r.NsPerStep
			x, y = append(x, pts[j].X), append(y, pts[j].Y)
		}
		ns, ys = append(ns, x...), append(ys, y...)
		label := k[0]
		if perAlgo[k[0]] > 1 {
			label += " T=" + k[2]
		}
		expected, known := expectedFor(k[0])
		if fit, err := FitExponent(x, y); err == nil {
			label = fmt.Sprintf("%s: slope %.2f", label, fit.Exponent)
			if known {
				label += fmt.Sprintf(" (expect %.0f)", expected)
			}
		}
		if x[0] == nMin && known {
			switch expected {
			case 2:
				first2 = append(first2, y[0])
			case 4:
				first4 = append(first4, y[0])
			}
		}
		if err := f.algoLine(k[0], label, pts); err != nil {
			return err
		}
	}
	// Reference slopes through the first points of the algorithms expected to follow
	// them (their geometric mean), or the lowest and highest first points.
	nMax := slices.Max(ns)
	if nMax > nMin {
		lo, hi := slices.Min(ys), slices.Max(ys)
		a2, a4 := lo, hi
		if len(first2) > 0 {
			a2 = geomean(first2)
		}
		if len(first4) > 0 {
			a4 = geomean(first4)
		}
		for _, ref := range []struct {
			label  string
			exp    float64
			at     float64
			dashes []vg.Length
		}{
			{"reference slope 2 (∝ n²)", 2, a2, []vg.Length{vg.Points(5), vg.Points(3)}},
			{"reference slope 4 (∝ n⁴)", 4, a4, []vg.Length{vg.Points(1), vg.Points(3)}},
		} {
			pts := plotter.XYs{{X: nMin, Y: ref.at}, {X: nMax, Y: ref.at * math.Pow(nMax/nMin, ref.exp)}}
			if err := f.reference(ref.label, pts, ref.dashes); err != nil {
				return err
			}
			ys = append(ys, pts[1].Y)
		}
	}
	f.p.X.Scale, f.p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	f.p.X.Tick.Marker = valueTicks(ns)
	f.p.X.Min, f.p.X.Max = slices.Min(ns)/1.08, slices.Max(ns)*1.08
	setLogAxis(&f.p.Y, ys, durationLabel, decades125)
	return f.write(w)
}

// PlotMemory draws the bytes each algorithm holds against T on log-log axes for the given
// cell and hidden size: reverse-mode algorithms, whose memory grows with T, beside the
// online ones, whose memory does not.
func PlotMemory(w io.Writer, results []Result, cellName string, hidden int) error {
	return plotAgainstT(w, results, cellName, hidden, fmt.Sprintf("memory held, %s, n = %d", cellName, hidden), "bytes held",
		func(r Result) float64 { return float64(r.Bytes) }, byteLabel, powersOfTwo)
}

// PlotTimeAgainstT draws time per step against T on log-log axes for the given cell and
// hidden size, one line per algorithm.
func PlotTimeAgainstT(w io.Writer, results []Result, cellName string, hidden int) error {
	return plotAgainstT(w, results, cellName, hidden, fmt.Sprintf("time per step against T, %s, n = %d", cellName, hidden), "time per step",
		func(r Result) float64 { return r.NsPerStep }, durationLabel, decades125)
}

func plotAgainstT(w io.Writer, results []Result, cellName string, hidden int, title, ylabel string,
	value func(Result) float64, label func(float64) string, grid tickGrid) error {
	byAlgo := map[string]plotter.XYs{}
	for _, r := range results {
		if r.Cell == cellName && r.Hidden == hidden && value(r) > 0 {
			byAlgo[r.Algo] = append(byAlgo[r.Algo], plotter.XY{X: float64(r.T), Y: value(r)})
		}
	}
	if len(byAlgo) == 0 {
		return fmt.Errorf("bench: no results for cell %s at n = %d to plot", cellName, hidden)
	}
	algos := make([]string, 0, len(byAlgo))
	for a := range byAlgo {
		algos = append(algos, a)
	}
	slices.SortFunc(algos, func(a, b string) int {
		if d := algoIndex(a) - algoIndex(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	f := newFigure(title, "sequence length T", ylabel)
	var ts, ys []float64
	for _, pts := range byAlgo {
		for _, pt := range pts {
			ts, ys = append(ts, pt.X), append(ys, pt.Y)
		}
	}
	tMin, tMax := slices.Min(ts), slices.Max(ts)
	for _, a := range algos {
		pts := byAlgo[a]
		slices.SortFunc(pts, func(p, q plotter.XY) int { return int(p.X - q.X) })
		label, marked := a, pts
		// A forward-mode algorithm's memory and time per step do not depend on T; one
		// measurement (marked) stands for the whole range, drawn flat.
		if s, err := algo.Parse(a); err == nil && s.Info().Forward && len(pts) == 1 && tMax > tMin {
			label = fmt.Sprintf("%s (flat; measured at T=%g)", a, pts[0].X)
			pts = plotter.XYs{{X: tMin, Y: pts[0].Y}, {X: tMax, Y: pts[0].Y}}
		}
		if err := f.algoLineMarked(a, label, pts, marked); err != nil {
			return err
		}
	}
	f.p.X.Scale, f.p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	f.p.X.Tick.Marker = valueTicks(ts)
	f.p.X.Min, f.p.X.Max = slices.Min(ts)/1.08, slices.Max(ts)*1.08
	setLogAxis(&f.p.Y, ys, label, grid)
	return f.write(w)
}

// PlotTraining draws each run's training loss against wall-clock time (log loss axis),
// one colour per algorithm, with the baseline as a grey dashed line.
func PlotTraining(w io.Writer, runs []TrainingRun) error {
	if len(runs) == 0 {
		return fmt.Errorf("bench: no training runs to plot")
	}
	r0 := runs[0]
	f := newFigure(fmt.Sprintf("training race: %s n = %d on %s (T = %d)", r0.Cell, r0.Hidden, r0.Task, r0.T),
		"wall-clock time (s)", "training loss (mean per sequence)")
	var ys []float64
	xMax := 0.0
	for _, r := range runs {
		var pts plotter.XYs
		for _, p := range r.Curve {
			if p.Loss > 0 {
				pts = append(pts, plotter.XY{X: p.Seconds, Y: p.Loss})
				ys = append(ys, p.Loss)
				xMax = max(xMax, p.Seconds)
			}
		}
		if len(pts) == 0 {
			continue
		}
		label := fmt.Sprintf("%s: final %.3g", r.Algo, r.FinalLoss)
		if !r.BeatsBaseline() {
			label += " (not below baseline)"
		}
		if err := f.algoLine(r.Algo, label, pts); err != nil {
			return err
		}
	}
	if len(ys) == 0 {
		return fmt.Errorf("bench: the training runs have no loss curve to plot")
	}
	if b := r0.Baseline; b > 0 {
		if err := f.reference(fmt.Sprintf("baseline %.3g", b), plotter.XYs{{X: 0, Y: b}, {X: xMax, Y: b}}, []vg.Length{vg.Points(5), vg.Points(3)}); err != nil {
			return err
		}
		ys = append(ys, b)
	}
	f.p.X.Min = 0
	f.p.Y.Scale = plot.LogScale{}
	setLogAxis(&f.p.Y, ys, func(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }, decades125)
	return f.write(w)
}

func geomean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += math.Log(x)
	}
	return math.Exp(s / float64(len(v)))
}

// valueTicks labels exactly the measured x values (log ticks label only powers of ten,
// which leaves a sweep over n = 16…128 with a single label).
func valueTicks(xs []float64) plot.ConstantTicks {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	xs = slices.Compact(xs)
	ticks := make(plot.ConstantTicks, len(xs))
	for i, x := range xs {
		ticks[i] = plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', -1, 64)}
	}
	return ticks
}

// A tickGrid lists candidate tick values covering [lo, hi] of a log axis, each marked
// major (labelled) or minor, from the coarsest spacing that labels at most maxLabels
// values. The first and last majors enclose [lo, hi].
type tickGrid func(lo, hi float64) []plot.Tick

const maxLabels = 7

// decades125 ticks a log axis at 1, 2 and 5 times powers of ten, or, when that labels
// too many, at powers of ten (every one, every other, …) with minor ticks between.
func decades125(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for _, s := range []struct {
		mantissas []float64
		every     int
	}{{[]float64{1, 2, 5}, 1}, {[]float64{1}, 1}, {[]float64{1}, 2}, {[]float64{1}, 3}, {[]float64{1}, 5}, {[]float64{1}, 10}} {
		k := s.every
		start := floorDiv(int(math.Floor(math.Log10(lo))), k) * k
		end := -floorDiv(-int(math.Ceil(math.Log10(hi))), k) * k
		ticks = ticks[:0]
		for d := start; d <= end; d++ {
			for m := 1.0; m < 10; m++ {
				major := d%k == 0 && slices.Contains(s.mantissas, m)
				if k > 1 && m > 1 {
					continue // only decades, between labelled ones
				}
				ticks = append(ticks, plot.Tick{Value: m * math.Pow(10, float64(d)), Label: boolLabel(major)})
				if d == end {
					break
				}
			}
		}
		ticks = encloseTicks(ticks, lo, hi)
		labelled := 0
		for _, t := range ticks {
			if t.Label != "" {
				labelled++
			}
		}
		if labelled <= maxLabels {
			break
		}
	}
	return ticks
}

// floorDiv is ⌊a/b⌋ for b > 0.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// powersOfTwo ticks a log axis of bytes at powers of two, every 2ᵏ with the smallest k
// that labels at most maxLabels values.
func powersOfTwo(lo, hi float64) []plot.Tick {
	for step := 1; ; step++ {
		var ticks []plot.Tick
		start := int(math.Floor(math.Log2(lo)/float64(step))) * step
		end := int(math.Ceil(math.Log2(hi)/float64(step))) * step
		for k := start; k <= end; k++ {
			ticks = append(ticks, plot.Tick{Value: math.Ldexp(1, k), Label: boolLabel(k%step == 0)})
		}
		if (end-start)/step+1 <= maxLabels {
			return encloseTicks(ticks, lo, hi)
		}
	}
}

func boolLabel(major bool) string {
	if major {
		return "x"
	}
	return ""
}

// encloseTicks keeps the ticks from the last major at or below lo to the first major at
// or above hi.
func encloseTicks(ticks []plot.Tick, lo, hi float64) []plot.Tick {
	first, last := 0, len(ticks)-1
	for i, t := range ticks {
		if t.Label != "" && t.Value <= lo*(1+1e-9) {
			first = i
		}
	}
	for i := len(ticks) - 1; i >= 0; i-- {
		if ticks[i].Label != "" && ticks[i].Value >= hi*(1-1e-9) {
			last = i
		}
	}
	return ticks[first : last+1]
}

// setLogAxis makes a a log axis over the values, its range widened to the enclosing
// major ticks of grid, the majors labelled by label.
func setLogAxis(a *plot.Axis, values []float64, label func(float64) string, grid tickGrid) {
	lo, hi := slices.Min(values), slices.Max(values)
	ticks := grid(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = label(ticks[i].Value)
		}
	}
	a.Scale = plot.LogScale{}
	a.Tick.Marker = plot.ConstantTicks(ticks)
	a.Min, a.Max = ticks[0].Value, ticks[len(ticks)-1].Value
}

// durationLabel writes a time in nanoseconds with its unit: 500 ns, 20 µs, 1.5 ms, 2 s.
func durationLabel(ns float64) string {
	f := func(v float64, unit string) string { return strconv.FormatFloat(v, 'g', 3, 64) + " " + unit }
	switch {
	case ns >= 1e9:
		return f(ns/1e9, "s")
	case ns >= 1e6:
		return f(ns/1e6, "ms")
	case ns >= 1e3:
		return f(ns/1e3, "µs")
	}
	return f(ns, "ns")
}

// byteLabel writes a byte count with a binary unit: 512 B, 4 KiB, 1.5 MiB.
func byteLabel(b float64) string {
	f := func(v float64, unit string) string { return strconv.FormatFloat(v, 'g', 3, 64) + " " + unit }
	switch {
	case b >= 1<<30:
		return f(b/(1<<30), "GiB")
	case b >= 1<<20:
		return f(b/(1<<20), "MiB")
	case b >= 1<<10:
		return f(b/(1<<10), "KiB")
	}
	return f(b, "B")
}
