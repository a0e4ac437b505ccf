package algo_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
)

// stream feeds n steps from rng (every third without a target) and returns their losses.
func stream(t *testing.T, a algo.Algorithm, rng *rand.Rand, n, in, out int) []float32 {
	t.Helper()
	var losses []float32
	x, y := make([]float32, in), make([]float32, out)
	for step := range n {
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range y {
			y[i] = float32(rng.NormFloat64())
		}
		target := cell.Values(y)
		if step%3 == 1 {
			target = cell.Target{}
		}
		l, err := a.Step(x, target)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, l)
	}
	return losses
}

func sameF32(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

func sameState(a, b cell.AlgorithmState) bool {
	return len(a.F32) == len(b.F32) && len(a.I64) == len(b.I64) &&
		func() bool {
			for k, v := range a.F32 {
				if !sameF32(v, b.F32[k]) {
					return false
				}
			}
			for k, v := range a.I64 {
				if !slices.Equal(v, b.I64[k]) {
					return false
				}
			}
			return true
		}()
}

// Every online algorithm is Resumable: an algorithm built afresh (another seed, another
// number of workers) that loads the state saved after some steps continues bit for bit as
// the original does — the same losses, states, gradients and state — and a state that
// does not fit (another algorithm, another model shape, other options) is refused with
// one line, changing nothing.
func TestOnlineAlgorithmsResume(t *testing.T) {
	type resumable interface {
		algo.Algorithm
		algo.Resumable
	}
	build := func(t *testing.T, spec string, m *cell.Model, seed uint64) resumable {
		t.Helper()
		a, err := algo.MustParse(spec).New(m, algo.Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		r, ok := a.(resumable)
		if !ok {
			t.Fatalf("%s (%T) is online but not algo.Resumable", spec, a)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	type setup struct {
		spec, resumed string // the algorithm saved, the one that loads its state
		kind          cell.Kind
		layers        int
	}
	var setups []setup
	for _, info := range algo.List() {
		if !info.Online {
			continue
		}
		for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
			for _, layers := range []int{1, 2} {
				spec := sampleSpec(t, info.Name)
				if spec.Supports(algo.StackDims(kind, layers, 3, 2, 2)) != nil {
					continue
				}
				resumed := spec.String()
				if info.Name == "rtrl" {
					resumed = "rtrl"
				}
				setups = append(setups, setup{spec.String(), resumed, kind, layers})
			}
		}
	}
	if len(setups) < 12 {
		t.Fatalf("only %d setups: %v", len(setups), setups)
	}
	for _, s := range setups {
		t.Run(fmt.Sprintf("%s/%v/L=%d", s.spec, s.kind, s.layers), func(t *testing.T) {
			m, err := cell.NewStack(cell.Config{Kind: s.kind, Hidden: 3, Input: 2}, s.layers, 2)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(7, 7))
			for _, l := range m.Layers {
				cell.InitDefault(l, rng)
			}
			m.Head.InitDefault(rng)
			a := build(t, s.spec, m, 1)
			// Long enough for adaptive TBPTT to probe and estimate (every 200 steps).
			stream(t, a, rand.New(rand.NewPCG(1, 1)), 230, 2, 2)
			saved := a.SaveState()
			b := build(t, s.resumed, m, 99)
			stream(t, b, rand.New(rand.NewPCG(2, 2)), 4, 2, 2) // a different past, overwritten
			if err := b.LoadState(saved); err != nil {
				t.Fatal(err)
			}
			if !sameState(b.SaveState(), saved) {
				t.Fatal("the loaded state is not the saved one")
			}
			a.ZeroGrad()
			b.ZeroGrad()
			next := func(a algo.Algorithm) []float32 { return stream(t, a, rand.New(rand.NewPCG(3, 3)), 230, 2, 2) }
			la, lb := next(a), next(b)
			switch {
			case !sameF32(la, lb):
				t.Fatalf("losses after resuming differ:\n%v\n%v", la[:8], lb[:8])
			case !sameF32(a.State(), b.State()):
				t.Fatal("states after resuming differ")
			case !sameF32(a.GradCell(), b.GradCell()) || !sameF32(a.GradHead(), b.GradHead()):
				t.Fatal("gradients after resuming differ")
			case !sameState(a.SaveState(), b.SaveState()):
				t.Fatal("algorithm states after resuming differ")
			}

			// Refusals: another shape, another algorithm's state; b is left as it was.
			before := b.SaveState()
			other, _ := cell.NewStack(cell.Config{Kind: s.kind, Hidden: 4, Input: 2}, s.layers, 2)
			for name, st := range map[string]cell.AlgorithmState{
				"another shape": build(t, s.spec, other, 1).SaveState(),
				"another algorithm": func() cell.AlgorithmState {
					alt := "snap1"
					if strings.HasPrefix(s.spec, "snap1") {
						alt = "tbptt:3,5"
					}
					return build(t, alt, m, 1).SaveState()
				}(),
				"a missing part": func() cell.AlgorithmState {
					st := a.SaveState()
					delete(st.F32, "state")
					return st
				}(),
			} {
				err := b.LoadState(st)
				if err == nil {
					t.Fatalf("%s: accepted", name)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("%s: a multi-line error: %q", name, err)
				}
				if !sameState(b.SaveState(), before) {
					t.Fatalf("%s: the refused state changed the algorithm", name)
				}
			}
		})
	}
	// Options the state records: a truncated BPTT with other windows refuses it.
	m, _ := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: 3, Input: 2}, 2)
	a, b := build(t, "tbptt:3,5", m, 1), build(t, "tbptt:2,5", m, 1)
	stream(t, a, rand.New(rand.NewPCG(1, 1)), 7, 2, 2)
	if err := b.LoadState(a.SaveState()); err == nil || !strings.Contains(err.Error(), `"k1" is 3, this algorithm's is 2`) {
		t.Fatalf("tbptt:2,5 loading tbptt:3,5's state: %v", err)
	}
}

// A step without a target (the zero cell.Target) advances the algorithm exactly as a
// step with one does — the same state, and for the forward-mode algorithms the same
// influence matrix or traces and random stream — and adds nothing to the gradient. DNI
// is the exception by design: its synthetic gradient predicts the credit the future will
// assign, which a step without a target has too, and its module reads the target; only
// its state is the same.
func TestStepsWithoutTargetOnlyAdvance(t *testing.T) {
	for _, info := range algo.List() {
		if !info.Online {
			continue
		}
		for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
			spec := sampleSpec(t, info.Name)
			if spec.Supports(algo.DimsOf(kind, 3, 2, 2)) != nil {
				continue
			}
			t.Run(fmt.Sprintf("%s/%v", spec, kind), func(t *testing.T) {
				m := newModel(t, kind, 3, 2, 2, 4)
				with, err := spec.New(m, algo.Options{Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				without, err := spec.New(m, algo.Options{Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				defer with.Close()
				defer without.Close()
				rng := rand.New(rand.NewPCG(8, 8))
				x, y := make([]float32, 2), make([]float32, 2)
				for range 40 {
					for i := range x {
						x[i], y[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
					}
					if _, err := with.Step(x, cell.Values(y)); err != nil {
						t.Fatal(err)
					}
					l, err := without.Step(x, cell.Target{})
					if err != nil || l != 0 {
						t.Fatalf("a step without a target: loss %v, %v", l, err)
					}
					if !sameF32(with.State(), without.State()) {
						t.Fatal("the state differs from the one a step with a target reaches")
					}
					if info.Name == "dni" {
						continue
					}
					for i, g := range append(without.GradCell(), without.GradHead()...) {
						if g != 0 {
							t.Fatalf("gradient[%d] = %v after steps without a target", i, g)
						}
					}
				}
				if info.Forward && info.Name != "dni" {
					if !sameState(with.(algo.Resumable).SaveState(), without.(algo.Resumable).SaveState()) {
						t.Fatal("the influence matrix or traces differ from those steps with a target reach")
					}
				}
			})
		}
	}
}
