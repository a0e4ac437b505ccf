package algo_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/deadline"
)

// Parse gives the command line's one-line errors: the specification, what is wrong, and
// the form.
func TestParseErrors(t *testing.T) {
	cases := []struct{ spec, want string }{
		{"rtrl2", `"rtrl2": unknown algorithm (want one of ` + algo.Forms() + ")"},
		{"snap3", `"snap3": unknown algorithm: snap-n is defined for n = 1 and 2 (snap1, snap2)`},
		{"snap0", `"snap0": unknown algorithm: snap-n is defined for n = 1 and 2 (snap1, snap2)`},
		{"snap:2", `"snap:2": unknown algorithm (want one of ` + algo.Forms() + ")"},
		{"snap2:1", `snap2:1: takes no parameters, got "1" (the form is snap2)`},
		{"bptt-checkpoint:0", "bptt-checkpoint:0: S=0 must be at least 1 (the form is bptt-checkpoint:S)"},
		{"bptt-checkpoint", `bptt-checkpoint: needs 1 integer parameter(s) S, got "" (the form is bptt-checkpoint:S)`},
		{"bptt-checkpoint:many", `bptt-checkpoint:many: S="many" is not an integer (the form is bptt-checkpoint:S)`},
		{"tbptt:0,4", "tbptt:0,4: K1=0 must be at least 1 (the form is tbptt:K1,K2)"},
		{"tbptt:1,0", "tbptt:1,0: K2=0 must be at least 1 (the form is tbptt:K1,K2)"},
		{"tbptt:5,4", "tbptt:5,4: K2=4 must be at least K1=5 (the form is tbptt:K1,K2)"},
		{"tbptt:5", `tbptt:5: needs 2 integer parameter(s) K1,K2, got "5" (the form is tbptt:K1,K2)`},
		{"tbptt:1.5,2", `tbptt:1.5,2: K1="1.5" is not an integer (the form is tbptt:K1,K2)`},
		{"bptt:3", `bptt:3: takes no parameters, got "3" (the form is bptt)`},
		{"rtrl:0", "rtrl:0: W=0 must be at least 1 (the form is rtrl[:W])"},
		{"rtrl:2,3", `rtrl:2,3: needs 1 integer parameter(s) W, got "2,3" (the form is rtrl[:W])`},
		{"tbptt-adaptive:1", "tbptt-adaptive:1: δ=1 must be in (0, 1) (the form is tbptt-adaptive:δ)"},
		{"tbptt-adaptive:", `tbptt-adaptive:: δ="" is not a number (the form is tbptt-adaptive:δ)`},
		{"tbptt-adaptive:0.1,2", `tbptt-adaptive:0.1,2: δ="0.1,2" is not a number (the form is tbptt-adaptive:δ)`},
	}
	if forms := algo.Forms(); !strings.HasPrefix(forms, "bptt, bptt-checkpoint:S, tbptt:K1,K2, rtrl[:W], snap1, snap2, uoro, rflo, eprop, ") {
		t.Errorf("Forms() = %s", forms)
	}
	for _, c := range cases {
		_, err := algo.Parse(c.spec)
		if err == nil || err.Error() != c.want {
			t.Errorf("Parse(%q) = %v\nwant %s", c.spec, err, c.want)
		}
	}
	for _, ok := range []string{"bptt", "bptt-checkpoint:7", "tbptt:3,3", "rtrl", "rtrl:3", "snap1", "snap2", "uoro", "rflo", "eprop", "tbptt-adaptive:0.25"} {
		s, err := algo.Parse(ok)
		if err != nil {
			t.Errorf("Parse(%q): %v", ok, err)
			continue
		}
		if s.String() != ok || !strings.HasPrefix(ok, s.Name()) {
			t.Errorf("Parse(%q) gives %q named %q", ok, s, s.Name())
		}
	}
}

func newModel(t *testing.T, kind cell.Kind, h, in, out int, seed uint64) *cell.Model {
	t.Helper()
	m, err := cell.NewModel(cell.Config{Kind: kind, Hidden: h, Input: in}, out)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 5))
	cell.InitDefault(m.Layers[0], rng)
	m.Head.InitDefault(rng)
	return m
}

// run streams one sequence of T steps (every third without a target) and returns the
// summed loss.
func run(t *testing.T, a algo.Algorithm, in, out, T int, seed uint64) float64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 9))
	if err := a.Reset(nil); err != nil {
		t.Fatal(err)
	}
	x, y := make([]float32, in), make([]float32, out)
	var sum float64
	for step := range T {
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range y {
			y[i] = float32(rng.NormFloat64())
		}
		target := y
		if step%3 == 1 {
			target = nil
		}
		l, err := a.Step(x, cell.Values(target))
		if err != nil {
			t.Fatal(err)
		}
		sum += float64(l)
	}
	if err := a.Finish(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// specsFor lists, for every registry entry, a specification of it.
func specs(t *testing.T) []algo.Spec {
	t.Helper()
	var out []algo.Spec
	for _, info := range algo.List() {
		out = append(out, sampleSpec(t, info.Name))
	}
	return out
}

// sampleSpec is the registered algorithm name with sample parameters: the first of the
// name alone, one integer 3, two (3,3: K2 ≥ K1 holds) or the fraction 0.2 that parses.
func sampleSpec(t *testing.T, name string) algo.Spec {
	t.Helper()
	for _, params := range []string{"", ":3", ":3,3", ":0.2"} {
		if s, err := algo.Parse(name + params); err == nil {
			return s
		}
	}
	t.Fatalf("no sample parameters parse for %s", name)
	return algo.Spec{}
}

// The memory model predicts Bytes: exactly for every algorithm, except checkpointed
// BPTT's streaming tape, which it bounds (at twice the tape's length).
func TestMemoryModel(t *testing.T) {
	for _, spec := range specs(t) {
		for _, kind := range cell.Kinds() {
			if spec.Supports(algo.DimsOf(kind, 4, 3, 2)) != nil {
				continue
			}
			for _, sz := range []struct{ h, in, out, T int }{{5, 3, 2, 9}, {16, 7, 3, 40}, {33, 1, 1, 150}} {
				m := newModel(t, kind, sz.h, sz.in, sz.out, 1)
				o := algo.Options{Steps: sz.T, Seed: 3}
				a, err := spec.New(m, o)
				if err != nil {
					t.Fatal(err)
				}
				steps := sz.T
				if spec.Info().Forward {
					// What a forward-mode algorithm holds does not grow with the steps
					// run, and exact RTRL's n⁴ steps are slow under an emulator.
					steps = min(steps, 9)
				}
				run(t, a, sz.in, sz.out, steps, 2)
				got := a.Bytes()
				want := spec.Bytes(algo.DimsOf(kind, sz.h, sz.in, sz.out), o)
				a.Close()
				ok := got == want
				if spec.Name() == "bptt-checkpoint" {
					tape := int64(sz.T) * (4*int64(sz.in+sz.out+1) + 1 + 24 + 48)
					ok = got <= want && got >= want-tape
				}
				if !ok {
					t.Errorf("%s %v H=%d I=%d O=%d T=%d: Bytes %d, the model says %d", spec, kind, sz.h, sz.in, sz.out, sz.T, got, want)
				}
			}
		}
	}
}

// Every algorithm builds for every kind it supports and refuses the others with an error
// naming the kind; it reports the registry's Online; after Close it refuses to step.
func TestLifeCycle(t *testing.T) {
	for _, spec := range specs(t) {
		for _, kind := range cell.Kinds() {
			m := newModel(t, kind, 6, 3, 2, 4)
			a, err := spec.New(m, algo.Options{Steps: 10})
			if support := spec.Supports(algo.DimsOf(kind, 4, 3, 2)); support != nil {
				if err == nil || a != nil || !strings.Contains(err.Error(), kind.String()) {
					t.Errorf("%s on %v: %v, %v; want an error naming the kind", spec, kind, a, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s on %v: %v", spec, kind, err)
			}
			if a.Model() != m {
				t.Errorf("%s: Model() is not the model it was built for", spec)
			}
			if a.Online() != spec.Info().Online {
				t.Errorf("%s: Online() = %v, the registry says %v", spec, a.Online(), spec.Info().Online)
			}
			if l := run(t, a, 3, 2, 10, 1); math.IsNaN(l) || l <= 0 {
				t.Errorf("%s on %v: loss %v", spec, kind, l)
			}
			if err := a.Close(); err != nil {
				t.Errorf("%s: Close: %v", spec, err)
			}
			if _, err := a.Step(make([]float32, 3), cell.Target{}); !errors.Is(err, cell.ErrClosed) {
				t.Errorf("%s: Step after Close: %v, want cell.ErrClosed", spec, err)
			}
			if err := a.Reset(nil); !errors.Is(err, cell.ErrClosed) {
				t.Errorf("%s: Reset after Close: %v, want cell.ErrClosed", spec, err)
			}
			if err := a.Finish(); !errors.Is(err, cell.ErrClosed) {
				t.Errorf("%s: Finish after Close: %v, want cell.ErrClosed", spec, err)
			}
		}
	}
}

// Exact RTRL with helper goroutines stops them at Close, and a Step after it returns an
// error instead of waiting for them (it used to spin forever).
func TestCloseStopsWorkers(t *testing.T) {
	m := newModel(t, cell.GRU, 24, 3, 2, 6)
	a, err := algo.MustParse("rtrl:3").New(m, algo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, a, 3, 2, 5, 1)
	a.Close()
	deadline.Within(t, "Step after Close", func() { _, err = a.Step(make([]float32, 3), cell.Values(make([]float32, 2))) })
	if !errors.Is(err, cell.ErrClosed) {
		t.Fatalf("Step after Close: %v", err)
	}
}

func TestFLOPModel(t *testing.T) {
	d := algo.DimsOf(cell.LSTM, 32, 5, 3)
	if d.G != 4 || d.S != 64 || d.P != 4*32*(5+32+2) {
		t.Fatalf("dims %+v", d)
	}
	bptt := algo.MustParse("bptt").FLOPsPerStep(d)
	tb := algo.MustParse("tbptt:10,10").FLOPsPerStep(d)
	if math.Abs(tb-bptt) > 1e-9*bptt {
		t.Fatalf("tbptt with K1 = K2 costs %v, full BPTT %v: non-overlapping windows do the same work", tb, bptt)
	}
	rtrl := algo.MustParse("rtrl")
	r16, r32 := rtrl.FLOPsPerStep(algo.DimsOf(cell.RNNTanh, 16, 16, 1)), rtrl.FLOPsPerStep(algo.DimsOf(cell.RNNTanh, 32, 32, 1))
	if ratio := r32 / r16; ratio < 14 || ratio > 17 {
		t.Fatalf("rtrl FLOPs grow %v× when n doubles, want about 16×", ratio)
	}
	for _, s := range specs(t) {
		if f := s.FLOPsPerStep(d); !(f > 0) {
			t.Errorf("%s: %v FLOPs per step", s, f)
		}
	}
}

// The registry is the one list of algorithm names: outside algo/registry.go no Go source
// file (tests aside) holds string literals naming two or more algorithms, the mark of a
// second list.
func TestOneListOfNames(t *testing.T) {
	names := map[string]bool{}
	for _, info := range algo.List() {
		names[info.Name] = true
	}
	root := filepath.Join("..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || path == filepath.Join("..", "algo", "registry.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		found := map[string]bool{}
		pkg := f.Name.Name // "rtrl: …" in a message is the package speaking, not a name
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '"' || r == ':' }) {
				if names[w] && w != pkg {
					found[w] = true
				}
			}
			return true
		})
		if len(found) > 1 {
			t.Errorf("%s names algorithms %v: a list of algorithm names outside the registry", path, keys(found))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
