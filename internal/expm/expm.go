package expm

import (
	"fmt"
	"math"
)

// Expm sets dst to exp(A) for the n×n row-major matrix a, by scaling and squaring with a
// diagonal Padé approximant (Higham 2005, "The scaling and squaring method for the matrix
// exponential revisited", Algorithm 2.3). dst may alias a. It returns an error if a
// length is not n·n, A has a NaN or infinite entry, or ‖A‖₁ > 2.4e16 (where no digit of
// exp(A) would be correct).
//
// The algorithm: take the cheapest degree m ∈ {3, 5, 7, 9} with ‖A‖₁ ≤ θ_m; otherwise
// m = 13 and the smallest s ≥ 0 with ‖A/2ˢ‖₁ ≤ θ₁₃ ≈ 5.37. Evaluate the degree-(m, m) Padé
// approximant r_m(X) = q_m(X)⁻¹·p_m(X), X = A/2ˢ, with q_m(X) = p_m(−X), splitting p_m
// into its even part V and odd part U (p = V + U, q = V − U) so that degree 13 costs six
// matrix products (X², X⁴, X⁶ and three more), solve (V − U)·R = V + U by LU with partial
// pivoting, and square R s times.
//
// Accuracy: θ_m is the largest norm for which r_m(X) = exp(X + ΔX) with ‖ΔX‖₁ ≤ u·‖X‖₁,
// u = 2⁻⁵³, in exact arithmetic; squaring preserves this relative backward error, so the
// truncation error is below float64's rounding of A itself. Higham shows that for
// ‖X‖₁ ≤ θ_m the denominator q_m(X) is well conditioned (its condition number is bounded
// by a small constant), so the solve adds little, and that the evaluation of U and V is
// backward stable; the remaining error is that of the s squarings, which for a normal A
// (in particular a skew-symmetric one, where every R is orthogonal up to rounding) grows
// at most about 2ˢ·n·u relative to ‖exp(A)‖. For skew-symmetric A, r_m(X)ᵀ = r_m(−X) = r_m(X)⁻¹ exactly
// (p_m(−x) = q_m(x)), so R is orthogonal to working accuracy and each squaring at most
// doubles its departure: the tests measure ‖WᵀW − I‖_F of 4e-15 at n = 512 without
// scaling (Henaff's init) and 5e-13 at n = 512, ‖A‖₁ = 200 (s = 6). A caller that needs
// orthogonality to float32 precision can afford s up to about 20 (‖A‖₁ ≈ 5e6).
func (w *Workspace) Expm(dst, a []float64) error {
	if err := w.checkOut("Expm", "dst", dst); err != nil {
		return err
	}
	if err := w.checkMatrix("Expm", "A", a); err != nil {
		return err
	}
	n := w.n
	m := w.scratch(8)
	x, u, v := m[0], m[1], m[2]
	copy(x, a)
	norm := norm1(x, n, w.col)
	mi, s := choosePade(norm, thetaExp[:])
	if s > maxSquarings {
		return errTooLarge("Expm", "‖A‖₁", norm)
	}
	w.lastM, w.lastS = padeDegrees[mi], s
	if s > 0 {
		scale := math.Ldexp(1, -s)
		for k := range x {
			x[k] *= scale
		}
	}
	w.padeUV(u, v, x, mi, m[3:])
	// P = V + U into u, Q = V − U into v.
	for k := range u {
		u[k], v[k] = v[k]+u[k], v[k]-u[k]
	}
	if err := luFactor(v, n, w.piv, w.pack); err != nil {
		return fmt.Errorf("expm: Expm: Padé denominator is numerically singular")
	}
	luSolve(v, w.piv, u, n, w.pack)
	r, t := u, v
	for range s {
		w.mul(t, r, r)
		r, t = t, r
	}
	copy(dst, r)
	return nil
}

// padeUV sets u and v to the odd and even parts of the numerator p_m(x) of the Padé
// degree padeDegrees[mi], evaluated at x: p_m(x) = v + u. tmp holds six scratch matrices.
func (w *Workspace) padeUV(u, v, x []float64, mi int, tmp [][]float64) {
	n, c := w.n, padeCoeffs[mi]
	a2, a4, a6, t1 := tmp[0], tmp[1], tmp[2], tmp[3]
	w.mul(a2, x, x)
	switch padeDegrees[mi] {
	case 3:
		lincomb(t1, n, c[1], c[3:4], a2)
		lincomb(v, n, c[0], c[2:3], a2)
	case 5:
		w.mul(a4, a2, a2)
		lincomb(t1, n, c[1], []float64{c[3], c[5]}, a2, a4)
		lincomb(v, n, c[0], []float64{c[2], c[4]}, a2, a4)
	case 7:
		w.mul(a4, a2, a2)
		w.mul(a6, a4, a2)
		lincomb(t1, n, c[1], []float64{c[3], c[5], c[7]}, a2, a4, a6)
		lincomb(v, n, c[0], []float64{c[2], c[4], c[6]}, a2, a4, a6)
	case 9:
		a8 := tmp[4]
		w.mul(a4, a2, a2)
		w.mul(a6, a4, a2)
		w.mul(a8, a4, a4)
		lincomb(t1, n, c[1], []float64{c[3], c[5], c[7], c[9]}, a2, a4, a6, a8)
		lincomb(v, n, c[0], []float64{c[2], c[4], c[6], c[8]}, a2, a4, a6, a8)
	case 13:
		// U = X·[X⁶·(c₁₃X⁶ + c₁₁X⁴ + c₉X²) + c₇X⁶ + c₅X⁴ + c₃X² + c₁I]
		// V =    X⁶·(c₁₂X⁶ + c₁₀X⁴ + c₈X²) + c₆X⁶ + c₄X⁴ + c₂X² + c₀I
		w1 := tmp[4]
		w.mul(a4, a2, a2)
		w.mul(a6, a4, a2)
		lincomb(w1, n, 0, []float64{c[13], c[11], c[9]}, a6, a4, a2)
		lincomb(t1, n, c[1], []float64{c[7], c[5], c[3]}, a6, a4, a2)
		w.mulAdd(t1, a6, w1)
		lincomb(w1, n, 0, []float64{c[12], c[10], c[8]}, a6, a4, a2)
		lincomb(v, n, c[0], []float64{c[6], c[4], c[2]}, a6, a4, a2)
		w.mulAdd(v, a6, w1)
	}
	w.mul(u, x, t1)
}
