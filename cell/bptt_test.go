package cell_test

import (
	"math"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
)

// TestSequenceGradientMatchesFiniteDifferences chains Forward, the readout, the loss and
// Backward over T steps (BPTT with a masked step) and checks ∂L/∂θ, ∂L/∂head and ∂L/∂s_0
// against finite differences of the float64 reference, for every kind and leak.
func TestSequenceGradientMatchesFiniteDifferences(t *testing.T) {
	const steps, out = 6, 3
	const masked = 2 // the step without a target
	forEachConfig(t, func(t *testing.T, cfg cell.Config) {
		f := newFixture(t, cfg, 21)
		c := f.c
		s, h, in := c.StateSize(), c.HiddenSize(), c.InputSize()
		ro := newTestReadout(t, out, h, f.rng)
		xs := make([][]float32, steps)
		ys := make([][]float32, steps)
		for i := range xs {
			xs[i] = randVec(f.rng, in)
			ys[i] = randVec(f.rng, out)
		}
		ys[masked] = nil

		caches := make([]*cell.Cache, steps)
		states := make([][]float32, steps)
		prev := f.prev
		for i := range steps {
			caches[i], states[i] = c.NewCache(), make([]float32, s)
			c.Forward(caches[i], states[i], prev, xs[i])
			prev = states[i]
		}
		grad := make([]float32, c.NumParams())
		headGrad := make([]float32, ro.NumParams())
		delta := make([]float32, s)
		yhat, dy := make([]float32, out), make([]float32, out)
		var loss float64
		for i := steps - 1; i >= 0; i-- {
			ro.Forward(yhat, states[i][:h])
			loss += float64(cell.SquaredError(dy, yhat, ys[i]))
			ro.Backward(delta[:h], headGrad, states[i][:h], dy)
			c.Backward(caches[i], delta, nil, grad, delta)
		}

		head64 := to64(ro.Params())
		s064 := to64(f.prev)
		xs64 := make([][]float64, steps)
		for i, x := range xs {
			xs64[i] = to64(x)
		}
		total := func() float64 {
			var l float64
			for i, st := range f.r.Run(s064, xs64) {
				if ys[i] != nil {
					l += ref.SquaredError(ref.Linear(head64[:out*h], head64[out*h:], st[:h]), to64(ys[i]))
				}
			}
			return l
		}
		if want := total(); math.Abs(loss-want) > 1e-4*(1+want) {
			t.Errorf("loss %v, want %v", loss, want)
		}
		closeTo(t, "∂L/∂θ", grad, ref.Gradient(total, f.r.Params, fdEps), 1e-4, 1e-3)
		closeTo(t, "∂L/∂head", headGrad, ref.Gradient(total, head64, fdEps), 1e-4, 1e-3)
		closeTo(t, "∂L/∂s_0", delta, ref.Gradient(total, s064, fdEps), 1e-4, 1e-3)
	})
}
