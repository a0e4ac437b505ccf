//go:build !purego

package cell

import "github.com/chronograd/chronograd/kernels"

// The forward steps' state updates: each xxxSIMD computes its xxxGo loop's first n/8·8
// units with the avx2 routine when a SIMD tier is active and reports how many it did; the
// caller's loop does the rest. Each routine does its loop's operations in the same order
// (no fused multiply-add), so every result has the scalar loop's bits.

func vanillaTanhStepSIMD(deriv, next, prev []float32, a, beta float32) int {
	n := simdUnits(len(deriv))
	if n > 0 {
		vanillaTanhStepAVX2(&deriv[0], &next[0], &prev[0], a, beta, n)
	}
	return n
}

func lstmCellSIMD(tc, nc, f, c, i, g []float32) int {
	n := simdUnits(len(tc))
	if n > 0 {
		lstmCellAVX2(&tc[0], &nc[0], &f[0], &c[0], &i[0], &g[0], n)
	}
	return n
}

func gruCandidateSIMD(hn, n, r, pre []float32) int {
	m := simdUnits(len(hn))
	if m > 0 {
		gruCandidateAVX2(&hn[0], &n[0], &r[0], &pre[0], m)
	}
	return m
}

func gruStateSIMD(next, z, n, prev []float32) int {
	m := simdUnits(len(next))
	if m > 0 {
		gruStateAVX2(&next[0], &z[0], &n[0], &prev[0], m)
	}
	return m
}

// broadcastRowsSIMD does broadcastRows (dst holding exactly len(src) rows of b) with the
// avx2 routine when a SIMD tier is active and reports whether it did.
func broadcastRowsSIMD(dst, src []float32, b int) bool {
	if len(dst) == 0 || kernels.Impl() == kernels.Generic {
		return false
	}
	broadcastRowsAVX2(&dst[0], &src[0], len(src), b)
	return true
}

// simdUnits is how many of n units the avx2 routines take: none on the generic tier.
func simdUnits(n int) int {
	if kernels.Impl() == kernels.Generic {
		return 0
	}
	return n / 8 * 8
}

//go:noescape
func vanillaTanhStepAVX2(deriv, next, prev *float32, a, beta float32, n int)

//go:noescape
func lstmCellAVX2(tc, nc, fg, cprev, ig, gg *float32, n int)

//go:noescape
func gruCandidateAVX2(hn, ng, rg, pre *float32, n int)

//go:noescape
func gruStateAVX2(next, zg, ng, prev *float32, n int)

//go:noescape
func broadcastRowsAVX2(dst, src *float32, rows, b int)
