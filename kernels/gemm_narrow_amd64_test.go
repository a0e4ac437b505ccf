//go:build !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// The narrow 12×8 tile gives the wide tile's bits on every product it takes (B of at most
// 8 columns), in every mode, for M, K across the tile's and the K block's boundaries,
// A as given and transposed, with the same kc: Gemm's results do not depend on which of the two a product runs on.
func TestGemmNarrowTileSameBits(t *testing.T) {
	pairs := [][2]gemmKernel{}
	if hasAVX2 {
		pairs = append(pairs, [2]gemmKernel{gemmAVX2, gemmAVX2Narrow})
	}
	if hasAVX512 {
		pairs = append(pairs, [2]gemmKernel{gemmAVX512, gemmAVX512Narrow})
	}
	rng := rand.New(rand.NewPCG(12, 8))
	for _, pr := range pairs {
		wide, narrow := pr[0], pr[1]
		for _, m := range []int{1, 5, 6, 11, 12, 13, 25, 130} {
			for _, n := range []int{1, 3, 7, 8} {
				for _, k := range []int{1, 4, 9, wide.kc - 1, wide.kc + 1, 3*wide.kc + 5} {
					for _, mode := range []int{gemmAdd, gemmSeqMode, gemmStore} {
						g := newGemmCase(rng, m, n, k, 2)
						c2 := NewMat(m, n)
						for i := range m {
							copy(c2.Row(i), g.c.Row(i))
						}
						gemmBlocked(g.c, g.a, g.b, wide, mode)
						gemmBlocked(c2, g.a, g.b, narrow, mode)
						// And A given transposed (GemmTN's path).
						at := transposeMat(g.a, 1)
						c3, c4 := NewMat(m, n), NewMat(m, n)
						gemmBlockedT(c3, at, g.b, wide, mode, true)
						gemmBlockedT(c4, at, g.b, narrow, mode, true)
						for i := range m {
							if !slices.Equal(g.c.Row(i), c2.Row(i)) || !slices.Equal(c3.Row(i), c4.Row(i)) {
								t.Fatalf("%s: row %d differs", fmt.Sprintf("%dx%d vs %dx%d, M=%d N=%d K=%d mode %d", wide.mr, wide.nr, narrow.mr, narrow.nr, m, n, k, mode), i)
							}
						}
					}
				}
			}
		}
	}
}
