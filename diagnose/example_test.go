package diagnose_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/diagnose"
)

// A ReLU RNN whose recurrent matrix is 0.85·I is linear along its trajectory (every
// pre-activation stays positive), so credit decays by exactly β = 0.85 per step: diagnose
// measures that rate from the gradients, the spectral radius and the largest Lyapunov
// exponent ln 0.85 from the weights and the Jacobians, and the TBPTT window a 5% bias
// allows.
func Example() {
	m, _ := cell.NewModel(cell.Config{Kind: cell.RNNReLU, Hidden: 4, Input: 1}, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	cell.InitIdentity(m.Layers[0], rng, 0.85)
	l := m.Layers[0].Layout()
	p := m.Layers[0].Params()
	for i := range p[l.WeightIH:l.WeightHH] {
		p[l.WeightIH+i] = 1 // every unit reads the (positive) input
	}
	m.Head.InitDefault(rng)
	const T = 200
	data := diagnose.Data{T: T, Inputs: make([]float32, T), Targets: make([]float32, T)}
	for t := range T {
		data.Inputs[t] = 0.5 + 0.5*rng.Float32()
		data.Targets[t] = float32(rng.NormFloat64())
	}
	r, err := diagnose.Run(m, data, diagnose.Options{MaxLag: 40, Delta: 0.05})
	if err != nil {
		panic(err)
	}
	fmt.Printf("β = %.2f, spectral radius %.2f, Lyapunov exponent %.3f, window K = %d for δ = 0.05\n",
		r.Beta, r.SpectralRadius, r.Lyapunov[0], r.K)
	// Output: β = 0.85, spectral radius 0.85, Lyapunov exponent -0.163, window K = 19 for δ = 0.05
}
