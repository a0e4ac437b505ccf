package rtrl_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/rtrl"
)

// Online learning on a stream: every Step returns its loss and has already added its
// gradient contribution, so a trainer can apply an update after any step. Exact RTRL
// holds the S×P influence matrix twice; SnAp-1 keeps only its entries on the immediate
// Jacobian's sparsity pattern.
func Example() {
	m, _ := cell.NewModel(cell.Config{Kind: cell.LSTM, Hidden: 8, Input: 3}, 2)
	rng := rand.New(rand.NewPCG(1, 2))
	cell.InitDefault(m.Layers[0], rng)
	m.Head.InitDefault(rng)

	exact, _ := rtrl.NewExact(m, rtrl.ExactOptions{})
	defer exact.Close()
	snap, _ := rtrl.NewSnAp1(m, rtrl.SnAp1Options{})
	defer snap.Close()
	x, y := []float32{0.5, -1, 0.25}, []float32{1, 0}
	for range 10 {
		if _, err := exact.Step(x, cell.Values(y)); err != nil {
			panic(err)
		}
		if _, err := snap.Step(x, cell.Values(y)); err != nil {
			panic(err)
		}
	}
	fmt.Printf("rtrl: %d bytes, ∂L/∂b_hh[0] = %.4f\n", exact.Bytes(), exact.GradCell()[m.Layers[0].Layout().BiasHH])
	fmt.Printf("snap1: %d bytes, ∂L/∂b_hh[0] = %.4f\n", snap.Bytes(), snap.GradCell()[m.Layers[0].Layout().BiasHH])
	_, err := rtrl.NewRFLO(m, rtrl.FeedbackOptions{})
	fmt.Println(err)
	// Output:
	// rtrl: 29756 bytes, ∂L/∂b_hh[0] = 0.0340
	// snap1: 4348 bytes, ∂L/∂b_hh[0] = 0.0336
	// rtrl: rflo needs an rnn_tanh or rnn_relu cell, not lstm (its eligibility traces are derived for the leaky vanilla RNN)
}
