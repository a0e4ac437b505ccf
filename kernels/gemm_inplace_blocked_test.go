//go:build !purego && (amd64 || arm64)

package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// BenchmarkMatMulInPlaceRoof measures MatMulInPlace on exact RTRL's update shape, J_t
// (S×S) over M (S×P, P = 2S² + S: a vanilla cell with S units and S inputs), against the
// tier's micro-kernel on operands in L1 (kc = 256, the roof BenchmarkGemmMicroKernel
// measures), the two alternating within each iteration with equal flops so that both see
// the same machine. roof-ratio is the median over iterations of the update's GFLOP/s over
// the micro-kernel's; GFLOP/s is the update's. J is a signed permutation, so M's values
// keep their magnitudes however long it runs (the flops do not depend on the values).
func BenchmarkMatMulInPlaceRoof(b *testing.B) {
	k := gemmTier()
	const kc = 256
	for _, s := range []int{64, 128} {
		b.Run(fmt.Sprintf("S=%d", s), func(b *testing.B) {
			p := 2*s*s + s
			a := NewMat(s, s)
			for i := range s {
				a.Data[i*s+(7*i+3)%s] = float32(1 - 2*(i%2))
			}
			x := NewMat(s, p)
			randFill(rand.New(rand.NewPCG(1, 2)), x.Data)
			ap := make([]float32, k.mr*kc)
			bp := make([]float32, kc*k.nr)
			c := make([]float32, k.mr*k.nr)
			flops := 2 * float64(s) * float64(s) * float64(p)
			calls := int(flops) / (2 * k.mr * k.nr * kc)
			microFlops := float64(calls * 2 * k.mr * k.nr * kc)
			var ratios []float64
			var spent time.Duration
			for b.Loop() {
				t0 := time.Now()
				MatMulInPlace(x, a)
				t1 := time.Now()
				for range calls {
					gemmMicro(k.id, kc, &ap[0], 1, k.mr, &bp[0], k.nr, &c[0], k.nr, k.mr, gemmAdd)
				}
				t2 := time.Now()
				spent += t1.Sub(t0)
				ratios = append(ratios, flops/float64(t1.Sub(t0))/(microFlops/float64(t2.Sub(t1))))
			}
			slices.Sort(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "roof-ratio")
			b.ReportMetric(flops*float64(len(ratios))/float64(spent), "GFLOP/s")
		})
	}
}
