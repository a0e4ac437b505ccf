package bptt_test

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
)

// Full BPTT streams a sequence step by step; checkpointed BPTT under a tenth of its
// memory computes the same gradient, bit for bit, by recomputing forward steps.
func Example() {
	m, _ := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: 8, Input: 3}, 2)
	rng := rand.New(rand.NewPCG(1, 2))
	cell.InitDefault(m.Layers[0], rng)
	m.Head.InitDefault(rng)
	var xs [][]float32
	var ys []cell.Target
	for range 100 {
		xs = append(xs, []float32{float32(rng.NormFloat64()), float32(rng.NormFloat64()), 1})
		ys = append(ys, cell.Values([]float32{float32(rng.NormFloat64()), 0}))
	}

	full, _ := bptt.NewFull(m, bptt.FullOptions{})
	full.Reset(nil)
	for t := range xs {
		full.Step(xs[t], ys[t])
	}
	full.Finish()

	ck, _ := bptt.NewCheckpointed(m, bptt.CheckpointedOptions{Budget: full.Bytes() / 10, Steps: len(xs)})
	ck.RunSequence(nil, xs, ys)

	fmt.Println("same gradient:", slices.Equal(full.GradCell(), ck.GradCell()) && slices.Equal(full.GradHead(), ck.GradHead()))
	fmt.Printf("memory: %d%% of full BPTT's; %d state slots, chunks of %d steps, %d forward steps recomputed\n",
		100*ck.Bytes()/full.Bytes(), ck.Slots(), ck.Chunk(), ck.Recomputations())
	// Output:
	// same gradient: true
	// memory: 9% of full BPTT's; 34 state slots, chunks of 3 steps, 99 forward steps recomputed
}
