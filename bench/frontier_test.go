package bench

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/task"
)

func smallFrontier(t *testing.T, kind cell.Kind) FrontierReport {
	t.Helper()
	tk, err := task.New("sine", 12)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Frontier(FrontierConfig{Cell: kind, Hidden: 5, Task: tk, Warmup: 2, Sequences: 3, Seed: 4, MinTime: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// The frontier has a point for every online algorithm of the registry that applies to
// the cell, truncated BPTT at several windows, and the reference first; exact
// algorithms sit at cosine 1 and relative error ~0, and every number is finite.
func TestFrontierCoversTheRegistry(t *testing.T) {
	for _, kind := range cell.Kinds() {
		rep := smallFrontier(t, kind)
		byName := map[string]int{}
		for _, p := range rep.Points {
			name, _, _ := strings.Cut(p.Algo, ":")
			byName[name]++
			for _, v := range []float64{p.NsPerStep, p.Cosine, p.RelNorm, p.RelErr} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("%v %s: a non-finite number in %+v", kind, p.Algo, p)
				}
			}
			if p.NsPerStep <= 0 || p.Bytes <= 0 || p.Count != 3 || p.T != 12 || p.Hidden != 5 || p.Cell != kind.String() {
				t.Errorf("%v %s: %+v", kind, p.Algo, p)
			}
		}
		if rep.Points[0].Algo != FrontierReference || rep.Points[0].Cosine != 1 || rep.Points[0].RelErr != 0 {
			t.Errorf("%v: first point %+v, want the reference at cosine 1", kind, rep.Points[0])
		}
		for _, info := range algo.List() {
			if !info.Online {
				continue
			}
			specs := algo.FrontierSettings(info.Name, 12)
			if len(specs) == 0 {
				t.Errorf("%s: no frontier setting", info.Name)
				continue
			}
			if specs[0].Supports(algo.DimsOf(kind, 5, 1, 1)) != nil {
				continue
			}
			if byName[info.Name] == 0 {
				t.Errorf("%v: no frontier point for %s", kind, info.Name)
			}
		}
		for _, p := range rep.Points {
			if p.Algo == "tbptt:12,12" || strings.HasPrefix(p.Algo, "rtrl") {
				if p.Cosine < 1-1e-5 || p.RelErr > 1e-4 || math.Abs(p.RelNorm-1) > 1e-4 {
					t.Errorf("%v %s is exact, but %+v", kind, p.Algo, p)
				}
			}
			if p.Algo == "tbptt:1,1" && p.RelErr < 1e-3 {
				t.Errorf("%v %s: truncation to one step lost nothing (%+v): the stream does not test the frontier", kind, p.Algo, p)
			}
		}
		if byName["tbptt"] < 3 {
			t.Errorf("%v: truncated BPTT at %d windows", kind, byName["tbptt"])
		}
	}
}

// MaxFLOP and MemLimit skip an algorithm with a line saying why; a configuration without
// a task or sequences is an error.
func TestFrontierLimits(t *testing.T) {
	tk, _ := task.New("sine", 6)
	limit := algo.MustParse("rtrl").FLOPsPerStep(algo.DimsOf(cell.GRU, 6, 1, 1)) / 2
	rep, err := Frontier(FrontierConfig{Cell: cell.GRU, Hidden: 6, Task: tk, Warmup: 1, Sequences: 1, MaxFLOP: limit, MinTime: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range rep.Skipped {
		if strings.HasPrefix(s, "rtrl gru n=6: ") && strings.Contains(s, "GFLOP per step") {
			found = true
		}
	}
	if !found {
		t.Errorf("exact RTRL not skipped at half its FLOPs per step: %q", rep.Skipped)
	}
	for _, p := range rep.Points {
		if strings.HasPrefix(p.Algo, "rtrl") {
			t.Errorf("skipped, but measured: %+v", p)
		}
	}
	// At n = 12 exact RTRL's one influence matrix outweighs the reference's six steps of
	// caches (at n = 6 it no longer does).
	d := algo.DimsOf(cell.GRU, 12, 1, 1)
	memLimit := algo.MustParse(FrontierReference).Bytes(d, algo.Options{Steps: 6}) + 1
	rep, err = Frontier(FrontierConfig{Cell: cell.GRU, Hidden: 12, Task: tk, Warmup: 1, Sequences: 1, MemLimit: memLimit, MinTime: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(rep.Skipped, "\n"), "rtrl gru n=12: would hold") {
		t.Errorf("exact RTRL not skipped at the reference's memory: %q", rep.Skipped)
	}
	if _, err := Frontier(FrontierConfig{Cell: cell.GRU, Hidden: 12, Task: tk, Warmup: 1, Sequences: 1, MemLimit: memLimit - 2}); err == nil || !strings.Contains(err.Error(), "the reference") {
		t.Errorf("a reference over the memory limit: %v", err)
	}
	for _, bad := range []FrontierConfig{
		{Cell: cell.GRU, Hidden: 6, Sequences: 1},
		{Cell: cell.GRU, Hidden: 0, Task: tk, Sequences: 1},
		{Cell: cell.GRU, Hidden: 6, Task: tk, Warmup: 3},
		{Cell: cell.GRU, Hidden: 6, Task: tk, Sequences: -1},
	} {
		if _, err := Frontier(bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// compareGradients: the cosine, the norm ratio and the relative error, and no
// comparison with a zero gradient.
func TestCompareGradients(t *testing.T) {
	c, r, e, ok := compareGradients([]float32{2, 0}, []float32{1, 1})
	if !ok || math.Abs(c-1/math.Sqrt2) > 1e-12 || math.Abs(r-math.Sqrt2) > 1e-12 || math.Abs(e-1) > 1e-12 {
		t.Errorf("got %v %v %v %v", c, r, e, ok)
	}
	if _, _, _, ok := compareGradients([]float32{1, 0}, []float32{0, 0}); ok {
		t.Error("compared with a zero gradient")
	}
}

// The table, CSV and JSON lines carry every point with the documented fields, and the
// plot is an SVG naming the algorithms.
func TestFrontierReports(t *testing.T) {
	rep := smallFrontier(t, cell.RNNTanh)
	var buf bytes.Buffer
	if err := WriteFrontierJSONLines(&buf, rep.Points); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(rep.Points) {
		t.Fatalf("%d JSON lines for %d points", len(lines), len(rep.Points))
	}
	for _, l := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(l), &obj); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"cell", "hidden", "algo", "ns_per_step", "bytes", "cosine", "rel_norm", "rel_err"} {
			if _, ok := obj[k]; !ok {
				t.Errorf("JSON line %s lacks %q", l, k)
			}
		}
	}
	buf.Reset()
	if err := WriteFrontierCSV(&buf, rep.Points); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != len(rep.Points)+1 || strings.Join(rows[0], ",") != strings.Join(frontierHeader, ",") {
		t.Fatalf("CSV: %v, %d rows", err, len(rows))
	}
	buf.Reset()
	if err := WriteFrontierTable(&buf, rep.Points); err != nil || !strings.Contains(buf.String(), "kfrtrl") {
		t.Fatalf("table: %v\n%s", err, buf.String())
	}
	buf.Reset()
	if err := PlotFrontier(&buf, rep.Points, "rnn_tanh", 5); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	for _, want := range []string{"<svg", "tbptt K=12", "uoro", "dni", "cost–accuracy frontier, rnn_tanh, n = 5"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
	if err := PlotFrontier(&buf, rep.Points, "gru", 5); err == nil {
		t.Error("a plot of a cell without points")
	}
}
