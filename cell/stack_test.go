package cell_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
	"github.com/chronograd/chronograd/kernels"
)

// stackFixture is a model of several layers with seeded random parameters, a non-zero
// joint state and an input, and the matching float64 reference stack.
type stackFixture struct {
	m       *cell.Model
	r       *ref.Stack
	prev, x []float32
	rng     *rand.Rand
}

func newStackFixture(t *testing.T, cfg cell.Config, layers int, seed uint64) *stackFixture {
	t.Helper()
	m, err := cell.NewStack(cfg, layers, 2)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 17))
	f := &stackFixture{m: m, r: &ref.Stack{}, rng: rng}
	for _, l := range m.Layers {
		for i := range l.Params() {
			l.Params()[i] = float32(rng.NormFloat64() * 0.6)
		}
		f.r.Layers = append(f.r.Layers, &ref.Cell{Kind: cfg.Kind.String(), H: l.HiddenSize(), I: l.InputSize(), Alpha: float64(l.Alpha()), Params: to64(l.Params())})
	}
	f.prev, f.x = randVec(rng, m.StateSize()), randVec(rng, m.InputSize())
	return f
}

func forEachStack(t *testing.T, f func(t *testing.T, cfg cell.Config, layers int)) {
	forEachTier(t, func(t *testing.T) {
		for _, cfg := range testConfigs {
			for _, layers := range []int{2, 3} {
				t.Run(fmt.Sprintf("%s/L=%d", configName(cfg), layers), func(t *testing.T) { f(t, cfg, layers) })
			}
		}
	})
}

// The float64 reference's joint derivatives are what central finite differences of its
// joint step give: the state Jacobian (block lower-triangular), the input Jacobian and
// the immediate Jacobian through the layers above.
func TestStackReferenceDerivativesMatchFiniteDifferences(t *testing.T) {
	for _, cfg := range testConfigs {
		for _, layers := range []int{2, 3} {
			f := newStackFixture(t, cfg, layers, 3)
			prev, x := to64(f.prev), to64(f.x)
			d := f.r.StepDerivatives(prev, x)
			name := fmt.Sprintf("%s/L=%d", configName(cfg), layers)
			step := func() []float64 { return f.r.Step(prev, x) }
			matClose(t, name+" ∂s/∂s_prev", d.State, ref.Jacobian(step, prev, fdEps))
			matClose(t, name+" ∂s/∂x", d.Input, ref.Jacobian(step, x, fdEps))
			var params []float64
			for _, c := range f.r.Layers {
				params = append(params, c.Params...)
			}
			stepP := func() []float64 {
				off := 0
				for _, c := range f.r.Layers {
					copy(c.Params, params[off:off+len(c.Params)])
					off += len(c.Params)
				}
				return f.r.Step(prev, x)
			}
			matClose(t, name+" ∂s/∂θ", d.Params, ref.Jacobian(stepP, params, fdEps))
			stepP()
			// Above the diagonal blocks the joint Jacobian is zero: a layer's state does not
			// reach the layers below within a step.
			sl := f.m.Layers[0].StateSize()
			for r := range sl {
				for c := sl; c < len(prev); c++ {
					if d.State[r][c] != 0 {
						t.Fatalf("%s: J[%d][%d] = %v above the diagonal blocks", name, r, c, d.State[r][c])
					}
				}
			}
		}
	}
}

func matClose(t *testing.T, what string, got, want [][]float64) {
	t.Helper()
	for i := range got {
		for j := range got[i] {
			if d := got[i][j] - want[i][j]; d > 1e-6+1e-5*abs(want[i][j]) || -d > 1e-6+1e-5*abs(want[i][j]) {
				t.Fatalf("%s[%d][%d] = %.10g, finite differences %.10g", what, i, j, got[i][j], want[i][j])
			}
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// The model's joint step and its derivatives against the float64 reference: Forward, the
// state Jacobian, the JVP, the VJP (both state and parameters, and the batched one) and the
// immediate VJP.
func TestStackStepMatchesReference(t *testing.T) {
	forEachStack(t, func(t *testing.T, cfg cell.Config, layers int) {
		f := newStackFixture(t, cfg, layers, 5)
		m := f.m
		S, P := m.StateSize(), m.NumParams()
		d := f.r.StepDerivatives(to64(f.prev), to64(f.x))
		k := m.NewStepCache()
		next := make([]float32, S)
		m.Forward(k, next, f.prev, f.x)
		closeTo(t, "s_t", next, d.Next, 1e-5, 1e-5)

		j := kernels.NewMat(S, S)
		m.StateJacobian(k, j)
		for r := range S {
			closeTo(t, fmt.Sprintf("J row %d", r), j.Row(r), d.State[r], atol, rtol)
		}

		v := randVec(f.rng, S)
		wantJv := make([]float64, S)
		wantJTv := make([]float64, S)
		wantImm := make([]float64, P)
		for r := range S {
			for c := range S {
				wantJv[r] += d.State[r][c] * float64(v[c])
				wantJTv[c] += d.State[r][c] * float64(v[r])
			}
			for c := range P {
				wantImm[c] += d.Params[r][c] * float64(v[r])
			}
		}
		jv := make([]float32, S)
		m.StateJVP(k, jv, v)
		closeTo(t, "J·v", jv, wantJv, atol, rtol)

		dPrev, grad := make([]float32, S), make([]float32, P)
		m.Backward(k, dPrev, grad, v)
		closeTo(t, "Jᵀ·v", dPrev, wantJTv, atol, rtol)
		closeTo(t, "∂θ", grad, wantImm, atol, rtol)

		imm := make([]float32, P)
		m.AddImmediateVJP(k, imm, v)
		closeTo(t, "vᵀ·Ī", imm, wantImm, atol, rtol)

		// In place, and through gradient batches: the same bits as Backward.
		batches, err := m.NewGradBatches(3)
		if err != nil {
			t.Fatal(err)
		}
		inPlace, grad2 := append([]float32(nil), v...), make([]float32, P)
		m.BackwardBatch(k, inPlace, grad2, batches, inPlace)
		m.FlushGradBatches(batches, grad2)
		for i := range dPrev {
			if dPrev[i] != inPlace[i] {
				t.Fatalf("BackwardBatch in place: dPrev[%d] = %v, Backward gave %v", i, inPlace[i], dPrev[i])
			}
		}
		for i := range grad {
			if grad[i] != grad2[i] {
				t.Fatalf("BackwardBatch: ∂θ[%d] = %v, Backward gave %v", i, grad2[i], grad[i])
			}
		}
	})
}

// ProjectInputs and ForwardProjected give a stack Forward's bits.
func TestStackForwardProjected(t *testing.T) {
	f := newStackFixture(t, cell.Config{Kind: cell.GRU, Hidden: testH, Input: testI}, 3, 8)
	m := f.m
	xs := [][]float32{randVec(f.rng, testI), randVec(f.rng, testI), randVec(f.rng, testI), randVec(f.rng, testI)}
	ks := []*cell.StepCache{m.NewStepCache(), m.NewStepCache(), m.NewStepCache(), m.NewStepCache()}
	m.ProjectInputs(ks, xs)
	a, b := append([]float32(nil), f.prev...), append([]float32(nil), f.prev...)
	k := m.NewStepCache()
	for i, x := range xs {
		m.ForwardProjected(ks[i], a, a)
		m.Forward(k, b, b, x)
		for j := range a {
			if a[j] != b[j] {
				t.Fatalf("step %d: ForwardProjected s[%d] = %v, Forward %v", i, j, a[j], b[j])
			}
		}
	}
}
