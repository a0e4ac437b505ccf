package cell_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/kernels"
)

// BenchmarkCell times one step of each per-step method. GFLOP/s counts the multiply-adds
// of the matrix products only (2 flops each): forward G·H·(I+H), backward twice that (the
// parameter outer products and the transposed products), the state Jacobian G·S·H.
// backward-batch is BackwardBatch with full BPTT's batch (its flushes amortised over the
// steps); forward-projected is ProjectInputs over 16 steps and their ForwardProjected,
// reported per step (ns/step).
func BenchmarkCell(b *testing.B) {
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		for _, h := range []int{32, 128} {
			c, err := cell.New(cell.Config{Kind: kind, Hidden: h, Input: h})
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			cell.InitDefault(c, rng)
			s, g := c.StateSize(), c.Layout().Gates
			k := c.NewCache()
			state := randVec(rng, s)
			x := randVec(rng, h)
			v := randVec(rng, s)
			dPrev := make([]float32, s)
			dx := make([]float32, h)
			grad := make([]float32, c.NumParams())
			j := kernels.NewMat(s, s)
			c.Forward(k, state, state, x)
			batch, err := cell.NewGradBatch(c, cell.DefaultBatchCols(c.Layout()))
			if err != nil {
				b.Fatal(err)
			}
			const projected = 16
			caches := make([]*cell.Cache, projected)
			xs := make([][]float32, projected)
			for i := range caches {
				caches[i], xs[i] = c.NewCache(), randVec(rng, h)
			}
			mv := float64(g * h * (2 * h))
			ops := []struct {
				name  string
				flops float64
				f     func()
			}{
				{"forward", 2 * mv, func() { c.Forward(k, state, state, x) }},
				{"backward", 4 * mv, func() { c.Backward(k, dPrev, dx, grad, v) }},
				{"backward-batch", 4 * mv, func() { c.BackwardBatch(k, dPrev, dx, grad, batch, v) }},
				{"forward-projected", projected * 2 * mv, func() {
					c.ProjectInputs(caches, xs)
					for _, ck := range caches {
						c.ForwardProjected(ck, state, state)
					}
				}},
				{"jacobian", 2 * float64(g*s*h), func() { c.StateJacobian(k, j) }},
			}
			for _, op := range ops {
				b.Run(fmt.Sprintf("%v/H=%d/%s", kind, h, op.name), func(b *testing.B) {
					for b.Loop() {
						op.f()
					}
					b.ReportMetric(op.flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					if op.name == "forward-projected" {
						b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*projected), "ns/step")
					}
				})
			}
		}
	}
}
