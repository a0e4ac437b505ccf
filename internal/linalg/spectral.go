package linalg

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Spectral radius estimation (ArnoldiRadius).
//
// Why Arnoldi: reservoir and recurrent weight matrices are random and non-symmetric, so
// their dominant eigenvalues are usually a complex-conjugate pair of equal modulus, and the
// circular law packs many eigenvalues close to that modulus. Plain power iteration does not
// converge on a complex pair (the iterate rotates in a plane), and Gelfand's ‖Aᵏv‖^{1/k}
// converges like (1 + c/k), far too slowly for a 1% target. Arnoldi builds an orthonormal
// Krylov basis V_m and the small upper Hessenberg H_m = V_mᵀ A V_m; its eigenvalues (Ritz
// values) approach the extreme eigenvalues of A first, complex pairs included, and at
// m = n they are exact. We grow m in blocks and stop once the largest Ritz modulus has
// settled; the m×m eigenvalue problem is solved by Francis double-shift QR in real
// arithmetic. Everything runs in float64: the float32 entries are only read.

// tolerance is the relative change of the largest Ritz modulus, between two successive
// checks, below which the estimate is accepted.
const tolerance = 1e-9

// checkEvery is the least number of Arnoldi steps between eigenvalue solves of H_m;
// the gap grows with m (m/8) so the O(m³) solves cost O(m³) in total, not O(m⁴).
const checkEvery = 8

// NilpotentRatio: a spectral radius below this fraction of the Frobenius norm counts
// as zero. A nilpotent matrix's eigenvalues are defective, so rounding moves them off zero
// by about ‖A‖·ε^{1/k} for a k×k Jordan block (6e-6·‖A‖ for k = 3); scaling such a matrix
// "to radius 1" would only amplify rounding noise.
const NilpotentRatio = 1e-4

// ScaleFactor returns the factor target/rho that scales a matrix of spectral radius rho
// (and Frobenius norm frobenius) to spectral radius target. It refuses a target that is
// not a positive finite number and a numerically nilpotent matrix (rho at most
// NilpotentRatio·frobenius).
func ScaleFactor(rho, frobenius, target float64) (float64, error) {
	if !(target > 0) || math.IsInf(target, 0) {
		return 0, fmt.Errorf("target spectral radius %v is not a positive finite number", target)
	}
	if !(rho > NilpotentRatio*frobenius) {
		return 0, errors.New("cannot scale a matrix whose spectral radius is 0 (it is numerically nilpotent)")
	}
	return target / rho, nil
}

// ArnoldiRadius estimates the spectral radius of the n×n operator apply (dst = A·src)
// by Arnoldi iteration with a fixed pseudo-random start, so results are reproducible.
func ArnoldiRadius(n int, apply func(dst, src []float64)) (float64, error) {
	if n == 0 {
		return 0, nil
	}
	rng := rand.New(rand.NewPCG(0x5eed, uint64(n)))
	v0 := make([]float64, n)
	for i := range v0 {
		v0[i] = rng.NormFloat64()
	}
	Normalize(v0)
	basis := [][]float64{v0}
	// h is the (m+1)×m Hessenberg matrix stored by columns: column j has j+2 entries.
	var h [][]float64
	w := make([]float64, n)
	prev := -1.0
	check := checkEvery
	for m := 1; ; m++ {
		j := m - 1
		apply(w, basis[j])
		applied := Norm(w)
		col := make([]float64, m+1)
		// Classical Gram-Schmidt, repeated when the projection cancelled most of w (the
		// DGKS criterion, ‖w'‖ < ‖w‖/√2): without it, orthogonality is lost once Ritz values
		// converge, which produces spurious copies of the dominant eigenvalues.
		before := applied
		for range 2 {
			for i, v := range basis {
				d := Dot(v, w)
				col[i] += d
				Axpy(-d, v, w)
			}
			after := Norm(w)
			if after >= before/math.Sqrt2 {
				break
			}
			before = after
		}
		beta := Norm(w)
		col[m] = beta
		h = append(h, col)
		// An invariant subspace: the Ritz values are exact eigenvalues, and from a random
		// start they include every distinct eigenvalue.
		invariant := beta <= 1e-12*applied || applied == 0
		if invariant || m == n || m == check {
			check = m + max(checkEvery, m/8)
			rho, err := ritzRadius(h, m)
			if err != nil {
				return 0, err
			}
			if invariant || m == n || math.Abs(rho-prev) <= tolerance*rho {
				return rho, nil
			}
			prev = rho
		}
		next := make([]float64, n)
		for i := range w {
			next[i] = w[i] / beta
		}
		basis = append(basis, next)
	}
}

// ritzRadius returns the largest eigenvalue modulus of the leading m×m block of the
// column-stored Hessenberg matrix h.
func ritzRadius(h [][]float64, m int) (float64, error) {
	a := make([]float64, m*m)
	for j := range m {
		for i := 0; i <= j+1 && i < m; i++ {
			a[i*m+j] = h[j][i]
		}
	}
	re := make([]float64, m)
	im := make([]float64, m)
	if err := HessenbergEigenvalues(a, m, re, im); err != nil {
		return 0, err
	}
	rho := 0.0
	for i := range re {
		rho = max(rho, math.Hypot(re[i], im[i]))
	}
	return rho, nil
}

// HessenbergEigenvalues computes the eigenvalues of the n×n upper Hessenberg matrix
// h (row-major, overwritten) by the Francis implicit double-shift QR algorithm: each sweep
// chases a 3×3 Householder bulge down the subdiagonal, which applies the two shifts (the
// eigenvalues of the trailing 2×2 block, possibly a complex pair) in real arithmetic, and
// negligible subdiagonal entries split the problem. Only the eigenvalues are needed, so
// the transformations are applied to the active block alone.
func HessenbergEigenvalues(h []float64, n int, re, im []float64) error {
	const eps = 0x1p-52
	at := func(i, j int) *float64 { return &h[i*n+j] }
	var norm float64
	for i := range n {
		for j := max(i-1, 0); j < n; j++ {
			norm += math.Abs(*at(i, j))
		}
	}
	hi := n - 1
	iter := 0
	for hi >= 0 {
		// Find the bottom of the unreduced block that ends at row hi.
		lo := hi
		for ; lo > 0; lo-- {
			s := math.Abs(*at(lo-1, lo-1)) + math.Abs(*at(lo, lo))
			if s == 0 {
				s = norm
			}
			if math.Abs(*at(lo, lo-1)) <= eps*s {
				*at(lo, lo-1) = 0
				break
			}
		}
		switch lo {
		case hi:
			re[hi], im[hi] = *at(hi, hi), 0
			hi--
			iter = 0
			continue
		case hi - 1:
			re[hi-1], im[hi-1], re[hi], im[hi] = eigen2x2(*at(hi-1, hi-1), *at(hi-1, hi), *at(hi, hi-1), *at(hi, hi))
			hi -= 2
			iter = 0
			continue
		}
		iter++
		if iter > 100 {
			return fmt.Errorf("cell: Hessenberg QR did not converge for eigenvalue %d of %d", hi+1, n)
		}
		// Shifts: sum s and product t of the trailing 2×2 block's eigenvalues; every tenth
		// sweep an exceptional shift breaks the cycles that exact shifts can fall into.
		var s, t float64
		if iter%10 == 0 {
			x := math.Abs(*at(hi, hi-1)) + math.Abs(*at(hi-1, hi-2))
			d := 0.75*x + *at(hi, hi)
			s, t = 2*d, d*d+0.4375*x*x
		} else {
			a, b, c, d := *at(hi-1, hi-1), *at(hi-1, hi), *at(hi, hi-1), *at(hi, hi)
			s, t = a+d, a*d-b*c
		}
		// First column of (H − σ₁I)(H − σ₂I) = H² − sH + tI: three non-zeros.
		h00, h01, h10, h11, h21 := *at(lo, lo), *at(lo, lo+1), *at(lo+1, lo), *at(lo+1, lo+1), *at(lo+2, lo+1)
		x := h00*h00 + h01*h10 - s*h00 + t
		y := h10 * (h00 + h11 - s)
		z := h10 * h21
		for k := lo; k <= hi-1; k++ {
			rows := 3
			if k == hi-1 {
				rows, z = 2, 0
			}
			if nr := math.Sqrt(x*x + y*y + z*z); nr != 0 {
				// Householder reflector I − c·u·uᵀ that maps (x, y, z) to (∓nr, 0, 0).
				u0, u1, u2 := x+math.Copysign(nr, x), y, z
				c := 2 / (u0*u0 + u1*u1 + u2*u2)
				for j := max(lo, k-1); j <= hi; j++ {
					p := *at(k, j)*u0 + *at(k+1, j)*u1
					if rows == 3 {
						p += *at(k+2, j) * u2
					}
					p *= c
					*at(k, j) -= p * u0
					*at(k+1, j) -= p * u1
					if rows == 3 {
						*at(k+2, j) -= p * u2
					}
				}
				for i := lo; i <= min(k+3, hi); i++ {
					p := *at(i, k)*u0 + *at(i, k+1)*u1
					if rows == 3 {
						p += *at(i, k+2) * u2
					}
					p *= c
					*at(i, k) -= p * u0
					*at(i, k+1) -= p * u1
					if rows == 3 {
						*at(i, k+2) -= p * u2
					}
				}
			}
			if k > lo {
				// The reflector annihilated the bulge below the subdiagonal of column k−1.
				*at(k+1, k-1) = 0
				if rows == 3 {
					*at(k+2, k-1) = 0
				}
			}
			if k < hi-1 {
				x, y = *at(k+1, k), *at(k+2, k)
				if k+3 <= hi {
					z = *at(k+3, k)
				}
			}
		}
	}
	return nil
}

// eigen2x2 returns the eigenvalues of [[a, b], [c, d]] as (re1, im1, re2, im2).
func eigen2x2(a, b, c, d float64) (float64, float64, float64, float64) {
	mean := (a + d) / 2
	half := (a - d) / 2
	disc := half*half + b*c
	if disc < 0 {
		s := math.Sqrt(-disc)
		return mean, s, mean, -s
	}
	s := math.Sqrt(disc)
	// Take the root without cancellation, then the other from the determinant.
	l1 := mean + math.Copysign(s, mean)
	l2 := 0.0
	if l1 != 0 {
		l2 = (a*d - b*c) / l1
	} else {
		l2 = mean - math.Copysign(s, mean)
	}
	return l1, 0, l2, 0
}

// SpectralNorm estimates ‖A‖₂ (a is rows×cols, row-major with stride) by iters steps of
// power iteration on AᵀA from a fixed, dense start vector (deterministic, and not
// orthogonal to the top singular vector except by measure-zero accident), in float64. v
// (length cols) and w (length rows) are scratch.
func SpectralNorm(rows, cols, stride int, a []float32, v, w []float64, iters int) float64 {
	for i := range v {
		v[i] = 1 + 0.1*float64(i%7)
	}
	Normalize(v)
	var sigma float64
	for range iters {
		for i := range rows { // w = A·v
			var s float64
			for j, x := range a[i*stride : i*stride+cols] {
				s += float64(x) * v[j]
			}
			w[i] = s
		}
		sigma = Norm(w)
		if sigma == 0 || math.IsInf(sigma, 0) || math.IsNaN(sigma) {
			return sigma
		}
		clear(v) // v = Aᵀ·w
		for i := range rows {
			for j, x := range a[i*stride : i*stride+cols] {
				v[j] += float64(x) * w[i]
			}
		}
		if Normalize(v) == 0 {
			return sigma
		}
	}
	return sigma
}
