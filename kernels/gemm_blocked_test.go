//go:build !purego && (amd64 || arm64)

package kernels

import (
	"fmt"
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
				g := newGemmCase(rng, s.m, s.n, s.k, 3)
				gemmBlocked(g.c, g.a, g.b, k)
				g.check(t, fmt.Sprintf("M=%d N=%d K=%d", s.m, s.n, s.k))
				if t.Failed() {
					return
				}
			}
		})
	}
}
