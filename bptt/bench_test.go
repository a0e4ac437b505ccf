package bptt_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
)

// Benchmark shapes: input size I = n (a layer fed by another of its width), O = 4
// outputs with a target at every step.
const benchOut = 4

// TBPTT in the benchmark backpropagates every k1 steps through k2 steps.
const benchK1, benchK2 = 25, 50

// checkpointShare is the checkpoint budget: 5% of full BPTT's memory for the same T.
const checkpointShare = 20

func benchProblem(b *testing.B, kind cell.Kind, n, steps int) *problem {
	c, err := cell.New(cell.Config{Kind: kind, Hidden: n, Input: n})
	if err != nil {
		b.Fatal(err)
	}
	head, err := cell.NewReadout(benchOut, n)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(n), uint64(steps)))
	cell.InitDefault(c, rng)
	head.InitDefault(rng)
	p := &problem{cfg: cell.Config{Kind: kind, Hidden: n, Input: n}, c: c, head: head, s0: make([]float32, c.StateSize())}
	for range steps {
		x := make([]float32, n)
		y := make([]float32, benchOut)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range y {
			y[i] = float32(rng.NormFloat64())
		}
		p.xs, p.ys = append(p.xs, x), append(p.ys, y)
	}
	return p
}

// BenchmarkBPTT times forward and backward over a whole sequence and reports the bytes
// the algorithm holds as state-bytes.
func BenchmarkBPTT(b *testing.B) {
	for _, algo := range []string{"full", "checkpoint", "tbptt"} {
		for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
			for _, n := range []int{32, 128} {
				for _, steps := range []int{100, 1000} {
					name := fmt.Sprintf("%s/cell=%v/n=%d/T=%d", algo, kind, n, steps)
					b.Run(name, func(b *testing.B) { benchAlgo(b, algo, benchProblem(b, kind, n, steps)) })
				}
			}
		}
	}
}

func benchAlgo(b *testing.B, algo string, p *problem) {
	full, err := bptt.NewFull(p.c, p.head)
	if err != nil {
		b.Fatal(err)
	}
	switch algo {
	case "full":
		p.stream(b, full)
		for b.Loop() {
			p.stream(b, full)
		}
		b.ReportMetric(float64(full.Bytes()), "state-bytes")
	case "checkpoint":
		p.stream(b, full) // size the slab to set the budget
		a, err := bptt.NewCheckpointedBytes(p.c, p.head, full.Bytes()/checkpointShare)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := a.Sequence(p.s0, p.xs, p.ys); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(a.Bytes()), "state-bytes")
		b.ReportMetric(float64(a.Slots()), "slots")
		b.ReportMetric(float64(a.Recomputations())/float64(len(p.xs)), "recomputed/step")
	case "tbptt":
		a, err := bptt.NewTruncated(p.c, p.head, benchK1, benchK2)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			p.stream(b, a)
		}
		b.ReportMetric(float64(a.Bytes()), "state-bytes")
	}
}
