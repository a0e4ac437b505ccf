package bench

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
)

// forwardOnly is the smallest honest Algorithm: it runs the cell and the readout and
// accumulates nothing. It lets the profiler's measurement be tested apart from any real
// algorithm's cost.
type forwardOnly struct {
	m       *cell.Model
	c       cell.Cell
	head    *cell.Readout
	cache   *cell.Cache
	s, y, d []float32
	gc, gh  []float32
}

func newForwardOnly(m *cell.Model) (algo.Algorithm, error) {
	c, head := m.Layers[0], m.Head
	return &forwardOnly{m: m, c: c, head: head, cache: c.NewCache(),
		s: make([]float32, c.StateSize()), y: make([]float32, head.OutSize()), d: make([]float32, head.OutSize()),
		gc: make([]float32, c.NumParams()), gh: make([]float32, head.NumParams())}, nil
}

func (f *forwardOnly) Reset(s0 []float32) error { clear(f.s); return nil }
func (f *forwardOnly) Step(x []float32, y cell.Target) (float32, error) {
	f.c.Forward(f.cache, f.s, f.s, x)
	f.head.Forward(f.y, f.s[:f.c.HiddenSize()])
	l, _ := y.Loss(f.d, f.y)
	return l, nil
}
func (f *forwardOnly) Finish() error       { return nil }
func (f *forwardOnly) GradCell() []float32 { return f.gc }
func (f *forwardOnly) GradHead() []float32 { return f.gh }
func (f *forwardOnly) ZeroGrad()           {}
func (f *forwardOnly) State() []float32    { return f.s }
func (f *forwardOnly) Bytes() int64        { return int64(f.cache.Bytes() + 4*len(f.s)) }
func (f *forwardOnly) Model() *cell.Model  { return f.m }
func (f *forwardOnly) Online() bool        { return true }
func (f *forwardOnly) Close() error        { return nil }

func TestMeasure(t *testing.T) {
	opt := Options{Repeats: 3, MinTime: time.Millisecond, Seed: 1, Factory: newForwardOnly}
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		r, err := Measure(Case{Algo: algo.MustParse("bptt"), Cell: kind, Hidden: 16, Input: 3, Output: 2, T: 20}, opt)
		if err != nil {
			t.Fatal(err)
		}
		if r.NsPerStep <= 0 || r.GFLOPS <= 0 || r.Bytes <= 0 || r.AllocsPerStep != 0 {
			t.Fatalf("%v: implausible result %+v", kind, r)
		}
		if r.Cell != kind.String() || r.Hidden != 16 || r.Input != 3 || r.T != 20 || r.Algo != "bptt" {
			t.Fatalf("result does not echo its case: %+v", r)
		}
	}
	// An allocating algorithm is reported as such.
	leaky := opt
	leaky.Factory = func(m *cell.Model) (algo.Algorithm, error) {
		a, _ := newForwardOnly(m)
		return allocating{a}, nil
	}
	r, err := Measure(Case{Algo: algo.MustParse("rtrl"), Cell: cell.RNNTanh, Hidden: 4, Input: 1, Output: 1, T: 10}, leaky)
	if err != nil {
		t.Fatal(err)
	}
	if r.AllocsPerStep < 1 {
		t.Fatalf("an algorithm allocating every step measured %v allocs/step", r.AllocsPerStep)
	}
	if _, err := Measure(Case{Cell: cell.GRU, Hidden: 4, Input: 1, Output: 1, T: 3}, opt); err == nil {
		t.Fatal("a case without an algorithm was measured")
	}
	if _, err := Measure(Case{Algo: algo.MustParse("bptt"), Cell: cell.GRU, Hidden: 0, Input: 1, Output: 1, T: 3}, opt); err == nil {
		t.Fatal("hidden size 0 was measured")
	}
}

var sink []byte

type allocating struct{ algo.Algorithm }

func (a allocating) Step(x []float32, y cell.Target) (float32, error) {
	sink = make([]byte, 64+len(sink)%7)
	return a.Algorithm.Step(x, y)
}

func TestFitExponent(t *testing.T) {
	x := []float64{16, 32, 64, 128}
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = 3e-2 * math.Pow(v, 3.7)
	}
	fit, err := FitExponent(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(fit.Exponent-3.7) > 1e-9 || math.Abs(fit.Scale/3e-2-1) > 1e-9 {
		t.Fatalf("fit %+v, want exponent 3.7 scale 0.03", fit)
	}
	if _, err := FitExponent([]float64{8}, []float64{1}); err == nil {
		t.Fatal("fitted one point")
	}
	if _, err := FitExponent([]float64{8, 8}, []float64{1, 2}); err == nil {
		t.Fatal("fitted equal x")
	}
	if _, err := FitExponent([]float64{8, 16}, []float64{1, 0}); err == nil {
		t.Fatal("fitted a zero time")
	}
}

func sampleResults() []Result {
	var rs []Result
	for _, algo := range []string{"bptt", "rtrl"} {
		for _, n := range []int{16, 32, 64} {
			for _, T := range []int{100, 1000} {
				exp := 2.0
				if algo == "rtrl" {
					exp = 4
				}
				rs = append(rs, Result{Cell: "gru", Hidden: n, Input: 1, T: T, Algo: algo,
					NsPerStep: math.Pow(float64(n), exp), Bytes: int64(n * T), GFLOPS: 1})
			}
		}
	}
	return rs
}

func TestReports(t *testing.T) {
	rs := sampleResults()
	var buf bytes.Buffer
	if err := WriteJSONLines(&buf, rs[:1]); err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(buf.Bytes(), &obj); err != nil {
		t.Fatal(err)
	}
	want := []string{"cell", "hidden", "input", "T", "algo", "ns_per_step", "bytes", "allocs_per_step", "gflops", "batch", "layers"}
	if len(obj) != len(want) {
		t.Fatalf("JSON fields %v, want exactly %v", obj, want)
	}
	for _, k := range want {
		if _, ok := obj[k]; !ok {
			t.Fatalf("JSON lacks field %q: %s", k, buf.String())
		}
	}
	buf.Reset()
	if err := WriteCSV(&buf, rs); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(buf.String()), "\n"); len(lines) != len(rs)+1 || lines[0] != strings.Join(want, ",") {
		t.Fatalf("CSV header %q, %d lines", lines[0], len(lines))
	}
	buf.Reset()
	if err := WriteTable(&buf, rs); err != nil || !strings.Contains(buf.String(), "GFLOP/s") {
		t.Fatalf("table: %v\n%s", err, buf.String())
	}
	exps := Exponents(rs)
	if len(exps) != 4 {
		t.Fatalf("%d exponent fits, want 4 (2 algos × 2 T)", len(exps))
	}
	for _, e := range exps {
		want := map[string]float64{"bptt": 2, "rtrl": 4}[e.Algo]
		if math.Abs(e.Exponent-want) > 1e-9 {
			t.Fatalf("%s exponent %v, want %v", e.Algo, e.Exponent, want)
		}
	}
}

func TestPlotsAreSVG(t *testing.T) {
	rs := sampleResults()
	for name, draw := range map[string]func(w io.Writer) error{
		"scaling": func(w io.Writer) error { return PlotScaling(w, rs, "gru") },
		"memory":  func(w io.Writer) error { return PlotMemory(w, rs, "gru", 32) },
	} {
		var buf bytes.Buffer
		if err := draw(&buf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		dec := xml.NewDecoder(&buf)
		root := ""
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: not XML: %v", name, err)
			}
			if se, ok := tok.(xml.StartElement); ok && root == "" {
				root = se.Name.Local
			}
		}
		if root != "svg" {
			t.Fatalf("%s: root element %q", name, root)
		}
	}
	if err := PlotScaling(io.Discard, rs, "lstm"); err == nil {
		t.Fatal("plotted a cell with no results")
	}
	var buf bytes.Buffer
	_ = PlotScaling(&buf, rs, "gru")
	if !strings.Contains(buf.String(), "slope 4.00") || !strings.Contains(buf.String(), "slope 2.00") {
		t.Fatal("scaling plot legend lacks the fitted slopes")
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	failing := errors.New("disk on fire")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return failing
	})
	if !errors.Is(err, failing) {
		t.Fatalf("err %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("failed write changed the file to %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary file left behind: %v", entries)
	}
	if err := WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("file holds %q", b)
	}
}
