package rtrl

import (
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
	"github.com/chronograd/chronograd/internal/testutil"
)

type stackProblem = testutil.StackProblem

func newStackProblem(t testing.TB, cfg cell.Config, layers, steps int, classes bool, seed uint64) *stackProblem {
	return testutil.NewStackProblem(t, cfg, layers, testOut, steps, classes, seed)
}

func forEachStackProblem(t *testing.T, steps int, f func(t *testing.T, p *stackProblem)) {
	for _, cfg := range testConfigs {
		for _, layers := range []int{2, 3} {
			for _, classes := range []bool{false, true} {
				p := newStackProblem(t, cfg, layers, steps, classes, uint64(layers))
				t.Run(p.Name(), func(t *testing.T) { f(t, p) })
			}
		}
	}
}

// Exact RTRL on stacks is the exact gradient: the float64 reference's full BPTT through
// the dense joint Jacobians, for both losses; with three workers bit for bit the same.
func TestStackedRTRLMatchesReference(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		forEachStackProblem(t, 25, func(t *testing.T, p *stackProblem) {
			want := p.Reference()
			var first []float32
			for _, workers := range []int{1, 3} {
				a, err := NewExact(p.M, ExactOptions{Workers: workers})
				if err != nil {
					t.Fatal(err)
				}
				loss := p.Run(t, a)
				if d := loss - want.Loss; d > 1e-5*want.Loss || -d > 1e-5*want.Loss {
					t.Errorf("workers=%d: loss %v, reference %v", workers, loss, want.Loss)
				}
				if e := relErr(a.GradCell(), want.Cell); e > 1e-4 {
					t.Errorf("workers=%d: ∂L/∂θ relative error vs float64 %.3g", workers, e)
				}
				if e := relErr(a.GradHead(), want.Head); e > 1e-5 {
					t.Errorf("workers=%d: ∂L/∂head relative error %.3g", workers, e)
				}
				if first == nil {
					first = slices.Clone(a.GradCell())
				} else if !slices.Equal(first, a.GradCell()) {
					t.Errorf("workers=%d: the gradient differs from one worker's", workers)
				}
				a.Close()
			}
		})
	})
}

// SnAp-1 on stacks is its definition computed independently in float64 (each layer's own
// units, the learning signal passed down within the step), and is not the exact gradient.
func TestStackedSnAp1MatchesDefinition(t *testing.T) {
	forEachStackProblem(t, 20, func(t *testing.T, p *stackProblem) {
		a, err := NewSnAp1(p.M, SnAp1Options{})
		if err != nil {
			t.Fatal(err)
		}
		p.Run(t, a)
		st, head := p.Ref()
		want := ref.StackSnAp1(st, head, to64(p.S0), p.Xs64(), p.RefYs)
		if e := relErr(a.GradCell(), want.Cell); e > 1e-4 {
			t.Errorf("relative error vs its float64 definition %.3g", e)
		}
		if e := relErr(a.GradCell(), p.Reference().Cell); e < 1e-3 {
			t.Errorf("SnAp-1 gives the exact gradient (relative difference %.3g): the test proves nothing", e)
		}
		// Every layer learns: the lower layers' gradients are not zero.
		for k := range p.M.Layers {
			if g := p.M.LayerVector(a.GradCell(), k); slices.Max(g) == 0 && slices.Min(g) == 0 {
				t.Errorf("layer %d's gradient is zero", k)
			}
		}
	})
}

// UORO on a stack is unbiased: the mean of N estimates approaches exact RTRL's gradient
// like 1/√N.
func TestStackedUOROUnbiased(t *testing.T) {
	const short, long = 100, 1600
	p := newStackProblem(t, cell.Config{Kind: cell.GRU, Hidden: 5, Input: testI}, 2, 6, true, 9)
	exact, _ := NewExact(p.M, ExactOptions{})
	p.Run(t, exact)
	want := to64(exact.GradCell())
	a, _ := NewUORO(p.M, UOROOptions{Seed: 42})
	sum := make([]float64, len(want))
	mean := make([]float32, len(want))
	errAt := func(n int) float64 {
		for i, s := range sum {
			mean[i] = float32(s / float64(n))
		}
		return relErr(mean, want)
	}
	var errShort float64
	for n := 1; n <= long; n++ {
		a.ZeroGrad()
		p.Run(t, a)
		for i, g := range a.GradCell() {
			sum[i] += float64(g)
		}
		if n == short {
			errShort = errAt(n)
		}
	}
	errLong := errAt(long)
	t.Logf("relative error of the mean: N=%d %.4f, N=%d %.4f", short, errShort, long, errLong)
	if !(errLong <= errShort/2) || errLong > 0.3 {
		t.Errorf("relative error %.4f at N=%d, %.4f at N=%d: not converging like 1/√N", errLong, long, errShort, short)
	}
}

// RFLO and e-prop are defined for one layer; on a stack they refuse with a line naming
// why.
func TestLocalRulesRefuseStacks(t *testing.T) {
	vanilla := newStackProblem(t, testConfigs[0], 2, 1, false, 1)
	if _, err := NewRFLO(vanilla.M, FeedbackOptions{}); err == nil || !strings.Contains(err.Error(), "one-layer model, not 2 layers") {
		t.Errorf("rflo on a stack: %v", err)
	}
	lstm := newStackProblem(t, testConfigs[5], 2, 1, false, 1)
	if _, err := NewEProp(lstm.M, FeedbackOptions{}); err == nil || !strings.Contains(err.Error(), "one-layer model, not 2 layers") {
		t.Errorf("eprop on a stack: %v", err)
	}
}

// A stacked step allocates nothing, for every algorithm that takes a stack.
func TestStackedStepAllocatesNothing(t *testing.T) {
	p := newStackProblem(t, testConfigs[5], 3, 2, true, 4)
	for _, name := range []string{"rtrl", "snap1", "uoro", "dni"} {
		a, err := build(name, p.M, Workers(2))
		if name != "rtrl" {
			a, err = build(name, p.M)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Step(p.Xs[0], p.Ys[0]); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(30, func() {
			if _, err := a.Step(p.Xs[1], p.Ys[0]); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per step", name, allocs)
		}
		a.Close()
	}
}
