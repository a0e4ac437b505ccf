package cell_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/chronograd/chronograd/cell"
)

// Full BPTT over a short sequence with the cell's building blocks: Forward into one cache
// per step, then a backward sweep that adds each step's readout gradient into δ and
// carries δ back through Backward in place.
func Example_bptt() {
	c, err := cell.New(cell.Config{Kind: cell.LSTM, Hidden: 4, Input: 2})
	if err != nil {
		panic(err)
	}
	head, err := cell.NewReadout(1, c.HiddenSize())
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	cell.InitDefault(c, rng)
	head.InitDefault(rng)

	const steps = 5
	h, s := c.HiddenSize(), c.StateSize()
	caches := make([]*cell.Cache, steps)
	states := make([][]float32, steps+1)
	states[0] = make([]float32, s) // s_0 = 0
	for t := range steps {
		caches[t], states[t+1] = c.NewCache(), make([]float32, s)
		x := []float32{float32(t), 1}
		c.Forward(caches[t], states[t+1], states[t], x)
	}

	grad := make([]float32, c.NumParams())
	headGrad := make([]float32, head.NumParams())
	delta := make([]float32, s) // ∂L/∂s_t
	yhat, dy := make([]float32, 1), make([]float32, 1)
	var loss float32
	for t := steps - 1; t >= 0; t-- {
		hT := states[t+1][:h]
		head.Forward(yhat, hT)
		loss += cell.SquaredError(dy, yhat, []float32{0.5})
		head.Backward(delta[:h], headGrad, hT, dy)
		c.Backward(caches[t], delta, nil, grad, delta)
	}
	fmt.Printf("loss %.3f, %d parameter gradients, ∂L/∂s_0 has %d entries\n", loss, len(grad), len(delta))
	// Output: loss 0.106, 128 parameter gradients, ∂L/∂s_0 has 8 entries
}
