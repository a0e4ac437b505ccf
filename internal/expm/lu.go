package expm

import (
	"errors"
	"math"
)

// errSingular is returned by luFactor when a pivot column is zero (or not finite).
var errSingular = errors.New("singular")

// luBlock is the panel width of the blocked LU and of the blocked triangular solves: the
// work outside a panel is done by gemm.
const luBlock = 64

// luFactor overwrites the n×n row-major a with its LU factorisation with partial pivoting,
// P·A = L·U (L unit lower triangular below the diagonal, U upper triangular on and above
// it), LAPACK's getrf convention: at step k rows k and piv[k] were swapped, whole rows.
// It is right-looking and blocked: each panel of luBlock columns is factorised by rows,
// then the block row to its right is solved against the panel's L and the trailing matrix
// is updated by one gemm.
func luFactor(a []float64, n int, piv []int, pack []float64) error {
	for k0 := 0; k0 < n; k0 += luBlock {
		kend := min(k0+luBlock, n)
		for k := k0; k < kend; k++ {
			p, big := k, math.Abs(a[k*n+k])
			for i := k + 1; i < n; i++ {
				if v := math.Abs(a[i*n+k]); v > big {
					p, big = i, v
				}
			}
			if big == 0 || math.IsNaN(big) || math.IsInf(big, 0) {
				return errSingular
			}
			piv[k] = p
			if p != k {
				rk, rp := a[k*n:(k+1)*n], a[p*n:(p+1)*n]
				for j := range rk {
					rk[j], rp[j] = rp[j], rk[j]
				}
			}
			inv := 1 / a[k*n+k]
			urow := a[k*n+k+1 : k*n+kend]
			for i := k + 1; i < n; i++ {
				l := a[i*n+k] * inv
				a[i*n+k] = l
				if l != 0 {
					axpy(-l, urow, a[i*n+k+1:i*n+kend])
				}
			}
		}
		if kend == n {
			break
		}
		// U12 = L11⁻¹·A12 for the panel's rows, right of the panel.
		for i := k0 + 1; i < kend; i++ {
			row := a[i*n+kend : (i+1)*n]
			for k := k0; k < i; k++ {
				if l := a[i*n+k]; l != 0 {
					axpy(-l, a[k*n+kend:(k+1)*n], row)
				}
			}
		}
		// A22 -= L21·U12.
		m := n - kend
		gemm(m, m, kend-k0, -1, a[kend*n+k0:], n, a[k0*n+kend:], n, a[kend*n+kend:], n, true, pack)
	}
	return nil
}

// luSolve overwrites the n×n right-hand side b with A⁻¹·b, given luFactor's lu and piv of A.
// Both triangular solves are blocked by luBlock rows so that most of their flops are gemm's.
func luSolve(lu []float64, piv []int, b []float64, n int, pack []float64) {
	for k := range n {
		if p := piv[k]; p != k {
			rk, rp := b[k*n:(k+1)*n], b[p*n:(p+1)*n]
			for j := range rk {
				rk[j], rp[j] = rp[j], rk[j]
			}
		}
	}
	// Forward: L·Y = P·B, L unit lower.
	for i0 := 0; i0 < n; i0 += luBlock {
		iend := min(i0+luBlock, n)
		if i0 > 0 {
			gemm(iend-i0, n, i0, -1, lu[i0*n:], n, b, n, b[i0*n:], n, true, pack)
		}
		for i := i0 + 1; i < iend; i++ {
			row := b[i*n : (i+1)*n]
			for k := i0; k < i; k++ {
				if l := lu[i*n+k]; l != 0 {
					axpy(-l, b[k*n:(k+1)*n], row)
				}
			}
		}
	}
	// Backward: U·X = Y.
	nblocks := (n + luBlock - 1) / luBlock
	for blk := nblocks - 1; blk >= 0; blk-- {
		i0 := blk * luBlock
		iend := min(i0+luBlock, n)
		if iend < n {
			gemm(iend-i0, n, n-iend, -1, lu[i0*n+iend:], n, b[iend*n:], n, b[i0*n:], n, true, pack)
		}
		for i := iend - 1; i >= i0; i-- {
			row := b[i*n : (i+1)*n]
			for k := i + 1; k < iend; k++ {
				if u := lu[i*n+k]; u != 0 {
					axpy(-u, b[k*n:(k+1)*n], row)
				}
			}
			inv := 1 / lu[i*n+i]
			for j := range row {
				row[j] *= inv
			}
		}
	}
}
