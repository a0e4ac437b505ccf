package ref

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randVec(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64() * scale
	}
	return v
}

// The exact derivatives agree with central finite differences of Step (which is all
// StepDerivatives is checked against, so it must be tight).
func TestStepDerivativesMatchFiniteDifferences(t *testing.T) {
	for _, kind := range []string{"rnn_tanh", "rnn_relu", "gru", "lstm"} {
		for _, alpha := range []float64{1, 0.6} {
			rng := rand.New(rand.NewPCG(1, 2))
			h, in := 7, 5
			c := &Cell{Kind: kind, H: h, I: in, Alpha: alpha, Params: randVec(rng, NumParams(kind, h, in), 0.6)}
			prev := randVec(rng, StateSize(kind, h), 1)
			x := randVec(rng, in, 1)
			d := c.StepDerivatives(prev, x)
			step := func() []float64 { return c.Step(prev, x) }
			want := step()
			for s := range want {
				// Within rounding: arm64 fuses Step's multiply-adds differently.
				if math.Abs(d.Next[s]-want[s]) > 1e-14*(1+math.Abs(want[s])) {
					t.Fatalf("%s: Next[%d] = %v, Step gives %v", kind, s, d.Next[s], want[s])
				}
			}
			for name, pair := range map[string]struct {
				got [][]float64
				p   []float64
			}{"state": {d.State, prev}, "input": {d.Input, x}, "params": {d.Params, c.Params}} {
				fd := Jacobian(step, pair.p, 1e-6)
				for r := range fd {
					for q := range fd[r] {
						if math.Abs(fd[r][q]-pair.got[r][q]) > 1e-8 {
							t.Fatalf("%s α=%v %s[%d][%d] = %.12g, finite differences %.12g", kind, alpha, name, r, q, pair.got[r][q], fd[r][q])
						}
					}
				}
			}
		}
	}
}
