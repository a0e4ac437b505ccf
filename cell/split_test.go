package cell

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/kernels"
)

// A minibatch step whose elementwise passes are spread over workers has the bits of the
// serial step: forward (state, gates, auxiliaries) and BackwardBatch (dPrev, dx, the
// parameter gradient), for every kind that spreads them and over 2, 3 and 5 workers, on
// a block (H·B = 41·27 = 1107 floats) that is not a whole number of the shares' 64-float
// blocks; and the steps did spread (a check that the comparison is not serial against
// serial). The orthogonal cell, which does not spread them, runs as before.
func TestSplitStepSameBits(t *testing.T) {
	const H, I, B = 41, 30, 27
	cfgs := []Config{
		{Kind: RNNTanh, Hidden: H, Input: I},
		{Kind: RNNTanh, Hidden: H, Input: I, Alpha: 0.4},
		{Kind: RNNReLU, Hidden: H, Input: I, Alpha: 0.7},
		{Kind: GRU, Hidden: H, Input: I},
		{Kind: LSTM, Hidden: H, Input: I},
		{Kind: Orthogonal, Hidden: H, Input: I},
	}
	if H*B < minSplitBlock {
		t.Fatalf("the block (%d floats) is below minSplitBlock (%d): nothing would split", H*B, minSplitBlock)
	}
	onEveryTier(t, func(tier kernels.Tier) {
		for _, cfg := range cfgs {
			t.Run(fmt.Sprintf("%v/%v/alpha=%v", tier, cfg.Kind, cfg.Alpha), func(t *testing.T) {
				c, err := New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(7, uint64(cfg.Kind)))
				InitDefault(c, rng)
				l := c.(*layer)
				S := c.StateSize()
				prev, x, dNext := make([]float32, S*B), make([]float32, I*B), make([]float32, S*B)
				for _, v := range [][]float32{prev, x, dNext} {
					for i := range v {
						v[i] = float32(rng.NormFloat64())
					}
				}
				type out struct{ next, gates, aux, dPrev, dx, grad []float32 }
				run := func(w *kernels.Workers) out {
					k := c.NewBatchCache(B)
					k.SetWorkers(w)
					split := l.splits(k)
					if _, spreads := l.eq.(elementwise); split != (spreads && w.Size() > 1) {
						t.Fatalf("%d workers: the step splits = %v", w.Size(), split)
					}
					o := out{next: make([]float32, S*B), dPrev: make([]float32, S*B), dx: make([]float32, I*B), grad: make([]float32, c.NumParams())}
					c.Forward(k, o.next, prev, x)
					o.gates, o.aux = append([]float32(nil), k.gates...), append([]float32(nil), k.aux...)
					g, err := NewGradBatch(c, B)
					if err != nil {
						t.Fatal(err)
					}
					// dPrev aliases dNext, as BPTT's drivers call it.
					copy(o.dPrev, dNext)
					c.BackwardBatch(k, o.dPrev, o.dx, o.grad, g, o.dPrev)
					g.Flush(o.grad)
					return o
				}
				ref := run(nil)
				for _, n := range []int{2, 3, 5} {
					w := kernels.NewWorkers(n)
					got := run(w)
					w.Close()
					for _, p := range []struct {
						name      string
						got, want []float32
					}{
						{"next", got.next, ref.next}, {"gates", got.gates, ref.gates}, {"aux", got.aux, ref.aux},
						{"dPrev", got.dPrev, ref.dPrev}, {"dx", got.dx, ref.dx}, {"grad", got.grad, ref.grad},
					} {
						for i := range p.want {
							if math.Float32bits(p.got[i]) != math.Float32bits(p.want[i]) {
								t.Fatalf("%d workers: %s[%d] = %v, serial %v", n, p.name, i, p.got[i], p.want[i])
							}
						}
					}
				}
			})
		}
	})
}
