package rtrl_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/rtrl"
)

// Exact RTRL gives the same bits on any number of workers, small models included: on
// avx2, two workers once cut a GRU of three units' 63 columns into pieces whose products
// fell to the portable loop while the whole took the SIMD kernels (28 of 63 gradient
// entries differed).
func TestExactWorkersSameBits(t *testing.T) {
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		for _, h := range []int{2, 3, 4, 5, 8} {
			var ref []float32
			for _, w := range []int{1, 2, 3} {
				m, _ := cell.NewModel(cell.Config{Kind: kind, Hidden: h, Input: 2}, 2)
				m.Init(rand.New(rand.NewPCG(1, 2)), cell.InitDefault)
				a, err := rtrl.NewExact(m, rtrl.ExactOptions{Workers: w})
				if err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(3, 4))
				for range 10 {
					x := []float32{float32(rng.NormFloat64()), float32(rng.NormFloat64())}
					y := []float32{float32(rng.NormFloat64()), float32(rng.NormFloat64())}
					a.Step(x, cell.Values(y))
				}
				g := slices.Clone(a.GradCell())
				a.Close()
				if ref == nil {
					ref = g
				} else if !slices.Equal(g, ref) {
					n := 0
					for i := range g {
						if g[i] != ref[i] {
							n++
						}
					}
					t.Errorf("%v H=%d W=%d: %d of %d differ", kind, h, w, n, len(g))
				}
			}
		}
	}
}
