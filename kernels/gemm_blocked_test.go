//go:build !purego && (amd64 || arm64)

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmBlockedBoundaries drives every micro-kernel of this CPU through sizes one
// below, at and one above each blocking boundary: the register tile (mr, nr), the K block
// (kc, and where it splits K), the M block (mc) and the N block (nc), with strided
// operands and guard bands around C. m ≤ mr also covers the path that reads B in place.
func TestGemmBlockedBoundaries(t *testing.T) {
	around := func(v int) []int { return []int{max(1, v-1), v, v + 1} }
	for _, k := range gemmTestKernels() {
		t.Run(fmt.Sprintf("%dx%d", k.mr, k.nr), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			type shape struct{ m, n, k int }
			var shapes []shape
			// Register tile and K block, small enough to try every combination.
			for _, m := range append(around(k.mr), 1, 2*k.mr+1, 3*k.mr) {
				for _, n := range append(around(k.nr), 1, 2*k.nr+3) {
					for _, kk := range []int{1, 2, 3, 4, 5, 9, k.kc - 1, k.kc, k.kc + 1, 2*k.kc + 1} {
						shapes = append(shapes, shape{m, n, kk})
					}
				}
			}
			// M block: with K = 2kc+1, K splits into three blocks and mc follows.
			kk := 2*k.kc + 1
			_, mc, nc := gemmBlocks(k, kk)
			for _, m := range around(mc) {
				shapes = append(shapes, shape{m, k.nr + 1, kk})
			}
			// N block.
			for _, n := range around(nc) {
				shapes = append(shapes, shape{k.mr + 1, n, kk})
				shapes = append(shapes, shape{1, n, kk})
			}
			for _, s := range shapes {
				for _, mode := range []int{gemmAdd, gemmSeqMode} {
					g := newGemmCase(rng, s.m, s.n, s.k, 3)
					gemmBlocked(g.c, g.a, g.b, k, mode)
					g.check(t, fmt.Sprintf("M=%d N=%d K=%d mode=%d", s.m, s.n, s.k, mode))
					if t.Failed() {
						return
					}
				}
			}
		})
	}
}

// TestGemmSmallRouting pins which products skip the blocked driver: the shapes RTRL and
// the benchmarks care about must reach the micro-kernels, and thin products must not pay
// for a padded tile.
func TestGemmSmallRouting(t *testing.T) {
	for _, s := range []struct {
		m, n, k int
		small   bool
	}{
		{16, 256, 16, false}, {32, 1024, 32, false}, {64, 4096, 64, false}, {64, 64, 64, false},
		{8, 8, 8, false}, {512, 1, 512, false}, {64, 2, 64, false}, {512, 512, 1, false},
		{7, 7, 7, true}, {1, 1, 2048, true}, {2048, 1, 1, true}, {1, 2, 512, true},
	} {
		if got := gemmSmall(s.m, s.n, s.k); got != s.small {
			t.Errorf("gemmSmall(%d, %d, %d) = %v, want %v", s.m, s.n, s.k, got, s.small)
		}
	}
}

// BenchmarkGemmMicroKernel runs each micro-kernel alone on operands that stay in L1:
// the compute roof the blocked driver can approach (GFLOP/s), to read next to
// BenchmarkGemm.
func BenchmarkGemmMicroKernel(b *testing.B) {
	for _, k := range gemmTestKernels() {
		for _, kc := range []int{16, 64, 256} {
			b.Run(fmt.Sprintf("%dx%d/kc=%d", k.mr, k.nr, kc), func(b *testing.B) {
				a := make([]float32, k.mr*kc)
				bp := make([]float32, kc*k.nr)
				c := make([]float32, k.mr*k.nr)
				cpu0, ok0 := processCPUTime()
				for b.Loop() {
					gemmMicro(k.id, kc, &a[0], 1, k.mr, &bp[0], k.nr, &c[0], k.nr, k.mr, gemmAdd)
				}
				b.ReportMetric(2*float64(k.mr*k.nr*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				if cpu1, ok1 := processCPUTime(); ok0 && ok1 {
					b.ReportMetric(2*float64(k.mr*k.nr*kc)*float64(b.N)/float64(cpu1-cpu0), "cpu-GFLOP/s")
				}
			})
		}
	}
}

// gemmMicroTiles gives the bits of one gemmMicro call per tile, in every mode, for A
// panels packed (rsa 1, csa mr), read in place (rsa = stride) and transposed (csa =
// stride), K blocks with and without a tail of the four-step loop, and C tiles inside a
// wider C whose columns outside the tiles must stay untouched.
func TestGemmMicroTilesIsEachCall(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, k := range gemmTestKernels() {
		for _, kc := range []int{1, 3, 4, 7, 64, 131} {
			for _, tiles := range []int{1, 2, 5} {
				m := tiles * k.mr
				stride := kc + 3
				tstride := m + 5
				aPacked := make([]float32, m*kc)
				aRows := make([]float32, m*stride)
				aT := make([]float32, kc*tstride)
				for _, a := range [][]float32{aPacked, aRows, aT} {
					for i := range a {
						a[i] = float32(rng.NormFloat64())
					}
				}
				bp := make([]float32, kc*k.nr)
				for i := range bp {
					bp[i] = float32(rng.NormFloat64())
				}
				layouts := []struct {
					name            string
					a               []float32
					rsa, csa, astep int
				}{
					{"packed", aPacked, 1, k.mr, k.mr * kc},
					{"rows", aRows, stride, 1, k.mr * stride},
					{"transposed", aT, 1, tstride, k.mr},
				}
				for _, l := range layouts {
					for _, mc := range []struct {
						mode   int
						stream bool
					}{{gemmAdd, false}, {gemmSeqMode, false}, {gemmStore, false}, {gemmAdd, true}, {gemmSeqMode, true}} {
						mode := mc.mode
						ldc := k.nr + 9
						c0 := make([]float32, m*ldc)
						for i := range c0 {
							c0[i] = float32(rng.NormFloat64())
						}
						want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
						for i := range tiles {
							gemmMicro(k.id, kc, &l.a[i*l.astep], l.rsa, l.csa, &bp[0], k.nr, &want[i*k.mr*ldc], ldc, k.mr, mode)
						}
						gemmMicroTiles(k, kc, &l.a[0], l.rsa, l.csa, l.astep, &bp[0], k.nr, &got[0], ldc, mode, tiles, mc.stream)
						for i := range want {
							if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
								t.Fatalf("%dx%d kc=%d tiles=%d %s mode %d stream %v: c[%d] = %v, one call per tile gives %v", k.mr, k.nr, kc, tiles, l.name, mode, mc.stream, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}
