package bench

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/diagnose"
)

// The fit's quality: a clean power law has R² = 1 and a tight interval; noise lowers R²
// and widens the interval, which covers the true exponent; two points have no interval.
func TestFitQuality(t *testing.T) {
	x := []float64{16, 32, 64, 128}
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = 5 * math.Pow(v, 2)
	}
	fit, err := FitExponent(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(fit.R2-1) > 1e-12 || fit.CI95 > 1e-6 {
		t.Fatalf("exact power law: R² %v, CI ±%v", fit.R2, fit.CI95)
	}
	noisy := []float64{y[0] * 1.3, y[1] * 0.8, y[2] * 1.25, y[3] * 0.85}
	fit, err = FitExponent(x, noisy)
	if err != nil {
		t.Fatal(err)
	}
	// Hand-checked against numpy.polyfit on the logs and scipy's t.ppf(0.975, 2).
	lx := []float64{math.Log(16), math.Log(32), math.Log(64), math.Log(128)}
	var ly []float64
	for _, v := range noisy {
		ly = append(ly, math.Log(v))
	}
	slope, intercept := lsq(lx, ly)
	var ssRes, ssTot, mean, sxx, mx float64
	for i := range ly {
		mean += ly[i] / 4
		mx += lx[i] / 4
	}
	for i := range ly {
		r := ly[i] - intercept - slope*lx[i]
		ssRes += r * r
		ssTot += (ly[i] - mean) * (ly[i] - mean)
		sxx += (lx[i] - mx) * (lx[i] - mx)
	}
	const t975df2 = 4.302652729911275
	wantCI := t975df2 * math.Sqrt(ssRes/2/sxx)
	if math.Abs(fit.Exponent-slope) > 1e-12 || math.Abs(fit.R2-(1-ssRes/ssTot)) > 1e-12 || math.Abs(fit.CI95-wantCI) > 1e-9 {
		t.Fatalf("fit %+v, want exponent %v R² %v CI ±%v", fit, slope, 1-ssRes/ssTot, wantCI)
	}
	if !(fit.R2 < 0.99) || math.Abs(fit.Exponent-2) > fit.CI95 {
		t.Fatalf("noisy fit %+v: R² should drop below 0.99 and the interval cover 2", fit)
	}
	fit, err = FitExponent([]float64{16, 32}, []float64{1, 3})
	if err != nil || fit.R2 != 1 || !math.IsNaN(fit.CI95) {
		t.Fatalf("two points: %+v %v, want R² 1 and no interval", fit, err)
	}
}

func lsq(x, y []float64) (slope, intercept float64) {
	var mx, my float64
	for i := range x {
		mx += x[i] / float64(len(x))
		my += y[i] / float64(len(y))
	}
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	slope = sxy / sxx
	return slope, my - slope*mx
}

// Every registered algorithm's stated time per step gives an expected exponent: 4 for
// exact RTRL and SnAp-2 (n⁴ dense, d³·n⁴ at a fixed density d), 3 for the
// Kronecker-factored ones, 2 for the others.
func TestExpectedExponent(t *testing.T) {
	for _, info := range algo.List() {
		e, ok := ExpectedExponent(info.Time)
		want := 2.0
		switch info.Name {
		case "rtrl", "snap2":
			want = 4
		case "kfrtrl", "rkfrtrl":
			want = 3
		}
		if !ok || e != want {
			t.Errorf("%s: %q gives %v, %v; want %v", info.Name, info.Time, e, ok, want)
		}
	}
	for cost, want := range map[string]float64{
		"O(S²·P)": 4, "O(S·P)": 3, "O(P + S²)": 2, "O(n³) caches": 3, "O(T·S)": 1, "O(P·K2/K1)": 2,
		"O(S²)": 2, "O(P/S)": 1, "O(1)": 0,
	} {
		if e, ok := ExpectedExponent(cost); !ok || e != want {
			t.Errorf("%q gives %v, %v; want %v", cost, e, ok, want)
		}
	}
	for _, cost := range []string{"fast", "O(P·X)", "O(P", ""} {
		if e, ok := ExpectedExponent(cost); ok {
			t.Errorf("%q gave %v; want no exponent", cost, e)
		}
	}
}

// Exponents carry R², the interval (when three or more sizes) and the expected exponent;
// the table flags fits with two points.
func TestExponentTable(t *testing.T) {
	rs := sampleResults() // bptt n², rtrl n⁴ over three sizes
	rs = append(rs, Result{Cell: "gru", Hidden: 16, T: 20, Algo: "snap1", NsPerStep: 100}, Result{Cell: "gru", Hidden: 32, T: 20, Algo: "snap1", NsPerStep: 390})
	exps := Exponents(rs)
	var buf bytes.Buffer
	if err := WriteExponentTable(&buf, exps); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"fitted  expected", "R²", "95% CI", "warning: fits marked (2!) have two hidden sizes only"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^\s+rtrl\s+gru\s+100\s+4\.00\s+4\s+1\.000\s+±0\.00\s+3\s*$`).MatchString(out) {
		t.Errorf("no rtrl row with fitted 4, expected 4, R² 1, 3 points:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^\s+snap1\s+gru\s+20\s+1\.96\s+2\s+1\.000\s+-\s+2 \(2!\)\s*$`).MatchString(out) {
		t.Errorf("no flagged two-point snap1 row:\n%s", out)
	}
	buf.Reset()
	if err := WriteExponentCSV(&buf, exps); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "algo,cell,T,exponent,points,r2,ci95,expected" || len(rows) != len(exps)+1 {
		t.Fatalf("CSV %v", rows)
	}
	for _, r := range rows[1:] {
		if r[0] == "snap1" && r[6] != "" {
			t.Errorf("two-point fit has a CI in the CSV: %v", r)
		}
	}
}

func TestLossCurve(t *testing.T) {
	samples := []LossPoint{{0.05, 1, 1}, {0.06, 3, 2}, {0.35, 0.5, 3}, {0.99, 0.1, 4}, {1.5, 7, 5}, {0.2, math.NaN(), 6}}
	got := LossCurve(samples, 4, 1)
	want := []LossPoint{{0.25, 2, 2}, {0.5, 0.5, 3}, {1, (0.1 + 7) / 2, 5}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("LossCurve = %v, want %v (the late sample joins the last bucket, NaN is dropped)", got, want)
	}
	if LossCurve(samples, 0, 1) != nil || LossCurve(samples, 3, 0) != nil {
		t.Fatal("a curve from no buckets or no span")
	}
}

func sampleRuns() []TrainingRun {
	var runs []TrainingRun
	for i, a := range []string{"bptt", "tbptt:5,10", "uoro"} {
		r := TrainingRun{Algo: a, Cell: "gru", Hidden: 16, Task: "adding", T: 50, Sequences: 100 * (i + 1), Seconds: 6,
			FinalLoss: []float64{0.0002, 0.004, 0.09}[i], Baseline: 1.0 / 12, Bytes: 1000}
		for k := 1; k <= 5; k++ {
			r.Curve = append(r.Curve, LossPoint{Seconds: float64(k), Loss: 0.1 / float64(k*(i+1)), Sequences: 20 * k})
		}
		runs = append(runs, r)
	}
	return runs
}

func TestTrainingCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTrainingCSV(&buf, sampleRuns()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "algo,cell,hidden,task,T,sequences,seconds,final_loss,baseline,beats_baseline,bytes" || len(rows) != 4 {
		t.Fatalf("CSV %v", rows)
	}
	if rows[1][9] != "true" || rows[3][9] != "false" || rows[3][7] != "0.09" || rows[3][8] != "0.0833333" {
		t.Fatalf("rows %v", rows[1:])
	}
	buf.Reset()
	if err := WriteTrainingCurveCSV(&buf, sampleRuns()); err != nil {
		t.Fatal(err)
	}
	rows, err = csv.NewReader(&buf).ReadAll()
	if err != nil || strings.Join(rows[0], ",") != "algo,seconds,loss,sequences" || len(rows) != 16 {
		t.Fatalf("curve CSV %v %v", rows, err)
	}
}

// svgTexts parses an SVG and returns its root element's name and every text it draws.
func svgTexts(t *testing.T, svg []byte) (root string, texts []string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return root, texts
		}
		if err != nil {
			t.Fatalf("not XML: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = e.Name.Local
			}
			inText = e.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(e))
			}
		case xml.EndElement:
			inText = false
		}
	}
}

// strokes returns the stroke colours of the SVG's paths, in order.
func strokes(svg []byte) []string {
	var out []string
	for _, m := range regexp.MustCompile(`stroke:(#[0-9A-Fa-f]{6}|rgb\([^)]*\))`).FindAllSubmatch(svg, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

func colorHex(spec string) string {
	r, g, b, _ := AlgoColor(spec).RGBA()
	return fmt.Sprintf("#%02X%02X%02X", r>>8, g>>8, b>>8)
}

// Every figure labels its log axes with units, draws each algorithm in its one colour,
// and keeps its legend apart from the axes.
func TestFigures(t *testing.T) {
	rs := sampleResults()
	for i := range rs {
		rs[i].Bytes = int64(rs[i].Hidden*rs[i].T) * 1000 // KiB to MiB
	}
	// an online algorithm measured at one T only: drawn flat on the T plots
	rs = append(rs, Result{Cell: "gru", Hidden: 32, T: 100, Algo: "snap1", NsPerStep: 5e3, Bytes: 20000})
	report := &diagnose.Report{Phi: []float64{1, 0.5, 0.25, 0.125}, JacobianNorm: []float64{1, 0.6, 0.3, 0.2}, Beta: 0.5, Tau: 1, MaxLag: 3, Delta: 0.1, K: 4}
	for _, c := range []struct {
		name   string
		draw   func(io.Writer) error
		texts  []string // texts the figure must show
		colors []string // algorithms whose colour it must use
	}{
		{"scaling", func(w io.Writer) error { return PlotScaling(w, rs, "gru") },
			[]string{"time per step, gru", "µs", "ms", "bptt T=100: slope 2.00 (expect 2)", "rtrl T=1000: slope 4.00 (expect 4)", "reference slope 2 (∝ n²)", "reference slope 4 (∝ n⁴)", "16", "32", "64"},
			[]string{"bptt", "rtrl"}},
		{"memory", func(w io.Writer) error { return PlotMemory(w, rs, "gru", 32) },
			[]string{"memory held, gru, n = 32", "KiB", "MiB", "snap1 (flat; measured at T=100)", "100", "1000"},
			[]string{"bptt", "rtrl", "snap1"}},
		{"time against T", func(w io.Writer) error { return PlotTimeAgainstT(w, rs, "gru", 32) },
			[]string{"time per step against T, gru, n = 32", "µs", "sequence length T"},
			[]string{"bptt", "rtrl", "snap1"}},
		{"training", func(w io.Writer) error { return PlotTraining(w, sampleRuns()) },
			[]string{"wall-clock time (s)", "uoro: final 0.09 (not below baseline)", "baseline 0.0833", "bptt: final 0.0002"},
			[]string{"bptt", "tbptt:5,10", "uoro"}},
		{"decay", func(w io.Writer) error { return PlotDecay(w, report) },
			[]string{"φ(k) = mean over t of ‖∂L(t)/∂s(t−k)‖", "fit from τ = 1: slope ln β = -0.6931", "lag k"}, nil},
	} {
		var buf bytes.Buffer
		if err := c.draw(&buf); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		root, texts := svgTexts(t, buf.Bytes())
		if root != "svg" {
			t.Fatalf("%s: root element %q", c.name, root)
		}
		all := strings.Join(texts, "\n")
		for _, want := range c.texts {
			if !strings.Contains(all, want) {
				t.Errorf("%s: no text %q in:\n%s", c.name, want, all)
			}
		}
		if strings.Contains(all, "_") {
			t.Errorf("%s: an underscore (unrendered subscript) in:\n%s", c.name, all)
		}
		got := strings.Join(strokes(buf.Bytes()), " ")
		for _, a := range c.colors {
			if !strings.Contains(got, colorHex(a)) {
				t.Errorf("%s: %s's colour %s not drawn (strokes %s)", c.name, a, colorHex(a), got)
			}
		}
	}
}

// One colour per algorithm, whatever its parameters, and distinct algorithms differ.
func TestAlgoColors(t *testing.T) {
	if colorHex("tbptt:5,10") != colorHex("tbptt:10,20") || colorHex("bptt-checkpoint:10") != colorHex("bptt-checkpoint") {
		t.Error("one algorithm's settings have different colours")
	}
	seen := map[string]string{}
	for _, info := range algo.List() {
		h := colorHex(info.Name)
		if other, ok := seen[h]; ok {
			t.Errorf("%s and %s share colour %s", info.Name, other, h)
		}
		seen[h] = info.Name
	}
}

// Tick labels carry units and stay few.
func TestTickLabels(t *testing.T) {
	for _, c := range []struct {
		v    float64
		f    func(float64) string
		want string
	}{
		{500, durationLabel, "500 ns"}, {2e4, durationLabel, "20 µs"}, {1.5e6, durationLabel, "1.5 ms"}, {3e9, durationLabel, "3 s"},
		{512, byteLabel, "512 B"}, {4096, byteLabel, "4 KiB"}, {1.5 * (1 << 20), byteLabel, "1.5 MiB"}, {1 << 31, byteLabel, "2 GiB"},
	} {
		if got := c.f(c.v); got != c.want {
			t.Errorf("%v: %q, want %q", c.v, got, c.want)
		}
	}
	for _, c := range []struct {
		name   string
		grid   tickGrid
		lo, hi float64
	}{
		{"narrow", decades125, 1200, 3900}, {"wide", decades125, 0.7, 3e7}, {"bytes narrow", powersOfTwo, 3000, 9000}, {"bytes wide", powersOfTwo, 900, 3e9},
	} {
		ticks := c.grid(c.lo, c.hi)
		var labels []float64
		for _, tk := range ticks {
			if tk.Label != "" {
				labels = append(labels, tk.Value)
			}
		}
		if len(labels) < 2 || len(labels) > maxLabels {
			t.Errorf("%s: %d labelled ticks %v", c.name, len(labels), labels)
		}
		if labels[0] > c.lo || labels[len(labels)-1] < c.hi {
			t.Errorf("%s: labelled ticks %v do not enclose [%v, %v]", c.name, labels, c.lo, c.hi)
		}
	}
}
