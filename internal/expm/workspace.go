package expm

import (
	"fmt"
	"math"
)

// MaxN is the largest matrix order a Workspace accepts. The Fréchet derivative keeps 17
// n×n float64 matrices (at n = 4096, 2.3 GB), so larger orders are refused up front rather
// than left to fail in the allocator.
const MaxN = 4096

// Workspace holds the scratch matrices for the n×n computations of this package. Its
// buffers are allocated on first use of each method and reused afterwards, so repeated
// calls allocate nothing. A Workspace is not safe for concurrent use.
type Workspace struct {
	n    int
	mats [][]float64 // scratch n×n matrices, grown on demand
	piv  []int
	pack []float64 // gemm's packed block of B
	col  []float64 // n column sums for norm1

	// The Padé degree and number of squarings of the last Expm, ExpmFrechet or
	// ExpmAdjoint call, for tests and for the benchmarks' flop counts.
	lastM, lastS int
}

// NewWorkspace returns a Workspace for n×n matrices, 1 ≤ n ≤ MaxN.
func NewWorkspace(n int) (*Workspace, error) {
	if n < 1 || n > MaxN {
		return nil, fmt.Errorf("expm: matrix order %d out of range [1, %d]", n, MaxN)
	}
	return &Workspace{n: n, piv: make([]int, n), col: make([]float64, n), pack: make([]float64, blockK*blockN)}, nil
}

// N returns the matrix order the Workspace was made for.
func (w *Workspace) N() int { return w.n }

// Bytes returns the memory the Workspace holds now, in bytes (it grows to 17·n²·8 plus
// a 256 KiB packing buffer once a Fréchet derivative has been computed).
func (w *Workspace) Bytes() int {
	b := 8*len(w.pack) + 8*len(w.piv) + 8*len(w.col)
	for _, m := range w.mats {
		b += 8 * len(m)
	}
	return b
}

// scratch returns k scratch n×n matrices, allocating those not yet held.
func (w *Workspace) scratch(k int) [][]float64 {
	for len(w.mats) < k {
		w.mats = append(w.mats, make([]float64, w.n*w.n))
	}
	return w.mats[:k]
}

// checkMatrix reports a matrix argument of the wrong length or with a non-finite entry.
func (w *Workspace) checkMatrix(op, name string, x []float64) error {
	if len(x) != w.n*w.n {
		return fmt.Errorf("expm: %s: %s has %d values, want %d (n = %d)", op, name, len(x), w.n*w.n, w.n)
	}
	for k, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("expm: %s: %s[%d][%d] is %v", op, name, k/w.n, k%w.n, v)
		}
	}
	return nil
}

// checkOut reports an output argument of the wrong length.
func (w *Workspace) checkOut(op, name string, x []float64) error {
	if len(x) != w.n*w.n {
		return fmt.Errorf("expm: %s: %s has %d values, want %d (n = %d)", op, name, len(x), w.n*w.n, w.n)
	}
	return nil
}

// mul sets c = a·b for n×n matrices.
func (w *Workspace) mul(c, a, b []float64) {
	gemm(w.n, w.n, w.n, 1, a, w.n, b, w.n, c, w.n, false, w.pack)
}

// mulAdd adds a·b to c for n×n matrices.
func (w *Workspace) mulAdd(c, a, b []float64) {
	gemm(w.n, w.n, w.n, 1, a, w.n, b, w.n, c, w.n, true, w.pack)
}

// lincomb sets dst = diag·I + Σ coef[i]·mats[i] in one pass.
func lincomb(dst []float64, n int, diag float64, coef []float64, mats ...[]float64) {
	switch len(mats) {
	case 1:
		m0, c0 := mats[0][:len(dst)], coef[0]
		for k := range dst {
			dst[k] = c0 * m0[k]
		}
	case 2:
		m0, m1, c0, c1 := mats[0][:len(dst)], mats[1][:len(dst)], coef[0], coef[1]
		for k := range dst {
			dst[k] = c0*m0[k] + c1*m1[k]
		}
	case 3:
		m0, m1, m2 := mats[0][:len(dst)], mats[1][:len(dst)], mats[2][:len(dst)]
		c0, c1, c2 := coef[0], coef[1], coef[2]
		for k := range dst {
			dst[k] = c0*m0[k] + c1*m1[k] + c2*m2[k]
		}
	case 4:
		m0, m1, m2, m3 := mats[0][:len(dst)], mats[1][:len(dst)], mats[2][:len(dst)], mats[3][:len(dst)]
		c0, c1, c2, c3 := coef[0], coef[1], coef[2], coef[3]
		for k := range dst {
			dst[k] = c0*m0[k] + c1*m1[k] + c2*m2[k] + c3*m3[k]
		}
	default:
		panic(fmt.Sprintf("expm: lincomb of %d matrices", len(mats)))
	}
	for i := range n {
		dst[i*n+i] += diag
	}
}

// norm1 returns the 1-norm (largest absolute column sum) of the n×n matrix a.
func norm1(a []float64, n int, colsum []float64) float64 {
	colsum = colsum[:n]
	clear(colsum)
	for i := range n {
		row := a[i*n : (i+1)*n]
		for j, v := range row {
			colsum[j] += math.Abs(v)
		}
	}
	var m float64
	for _, v := range colsum {
		m = max(m, v)
	}
	return m
}

// maxSquarings bounds the scaling: beyond ‖A‖₁ = θ₁₃·2⁵² ≈ 2.4e16, ‖A‖₁·u > 1 and the
// exponential (whose relative condition number is at least ‖A‖) has no correct digit in
// float64, so such an A is refused rather than squared a thousand times.
const maxSquarings = 52

// errTooLarge reports an A beyond maxSquarings.
func errTooLarge(op, normName string, norm float64) error {
	return fmt.Errorf("expm: %s: %s = %.3g is too large (above %.2g, exp(A) has no correct digit in float64)",
		op, normName, norm, math.Ldexp(thetaExp[len(thetaExp)-1], maxSquarings))
}

// choosePade returns the index into padeDegrees of the cheapest degree whose bound covers
// norm, and the number of squarings s ≥ 0 such that norm/2ˢ ≤ bound[last] when even the
// largest degree needs scaling.
func choosePade(norm float64, bound []float64) (mi, s int) {
	last := len(bound) - 1
	for i := range last {
		if norm <= bound[i] {
			return i, 0
		}
	}
	if norm > bound[last] {
		s = max(0, int(math.Ceil(math.Log2(norm/bound[last]))))
		for math.Ldexp(norm, -s) > bound[last] {
			s++
		}
	}
	return last, s
}
