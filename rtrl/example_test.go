package rtrl_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/rtrl"
)

// Online learning on a stream: every Step returns its loss and has already added its
// gradient contribution, so a trainer can apply an update after any step.
func Example() {
	c, _ := cell.New(cell.Config{Kind: cell.LSTM, Hidden: 8, Input: 3})
	head, _ := cell.NewReadout(2, 8)
	rng := rand.New(rand.NewPCG(1, 2))
	cell.InitDefault(c, rng)
	head.InitDefault(rng)

	for _, name := range rtrl.Names {
		a, err := rtrl.New(name, c, head)
		if err != nil {
			fmt.Printf("%s: %v\n", name, err)
			continue
		}
		_ = a.Reset(nil)
		x, y := []float32{0.5, -1, 0.25}, []float32{1, 0}
		for range 10 {
			if _, err := a.Step(x, y); err != nil {
				panic(err)
			}
		}
		fmt.Printf("%s: %d bytes\n", name, a.Bytes())
	}
	// Output:
	// rtrl: 58044 bytes
	// snap1: 4348 bytes
	// uoro: 3900 bytes
	// rflo: rtrl: rflo needs an rnn_tanh or rnn_relu cell, not lstm (its eligibility traces are derived for the leaky vanilla RNN)
	// eprop: 2124 bytes
}
