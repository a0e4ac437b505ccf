package expm

import (
	"fmt"
	"math"
)

// ExpmFrechet sets l to the Fréchet derivative L(A, E) of the matrix exponential at A in
// the direction E, the linear term of exp(A + E) − exp(A), and, if expA is not nil, expA
// to exp(A). All are n×n row-major; the outputs may alias the inputs. It returns an error
// if a length is not n·n, A or E has a NaN or infinite entry, or ‖A‖₁ > 2.4e16.
//
// It is Al-Mohy and Higham's scaling-and-squaring Fréchet derivative (Al-Mohy & Higham
// 2009, "Computing the Fréchet derivative of the matrix exponential, with an application
// to condition number estimation", Algorithm 6.4): the recurrence that computes exp(A)
// (Padé approximant r_m of A/2ˢ, then s squarings) is differentiated exactly. With
// X = A/2ˢ and F = E/2ˢ, the powers X²ᵏ carry their derivatives M₂ = XF + FX,
// M₄ = X²M₂ + M₂X², M₆ = X⁴M₂ + M₄X², M₈ = X⁴M₄ + M₄X⁴; the odd and even parts U, V of
// p_m(X) carry L_U, L_V; R = (V − U)⁻¹(V + U) carries
// L_R = (V − U)⁻¹·(L_U + L_V + (L_U − L_V)·R); and each squaring R ← R² carries
// L ← R·L + L·R.
//
// The degree m and scaling s are chosen as in Expm but against the thresholds ℓ_m
// (ℓ₁₃ = 4.74 rather than θ₁₃ = 5.37), for which the derivative of r_m is the derivative
// of exp at a relatively u-perturbed A in a relatively u-perturbed direction (u = 2⁻⁵³):
// L(A, E) is computed with a backward error of the same size as exp(A)'s, and the two
// agree with a block-triangular identity to about 1e-14 relative in the tests.
//
// Cost at degree 13: 19 n×n products, one LU and two n-column solves, plus three
// products per squaring: (38 + 2/3 + 4 + 6s)·n³ flops.
func (w *Workspace) ExpmFrechet(expA, l, a, e []float64) error {
	if expA != nil {
		if err := w.checkOut("ExpmFrechet", "expA", expA); err != nil {
			return err
		}
	}
	if err := w.checkOut("ExpmFrechet", "L", l); err != nil {
		return err
	}
	if err := w.checkMatrix("ExpmFrechet", "A", a); err != nil {
		return err
	}
	if err := w.checkMatrix("ExpmFrechet", "E", e); err != nil {
		return err
	}
	return w.frechet("ExpmFrechet", expA, l, a, e, false)
}

// ExpmAdjoint sets dst to the adjoint of the Fréchet derivative of exp at A applied to G,
// that is ∂f/∂A when G = ∂f/∂W for W = exp(A) and a scalar f: the matrix with
// ⟨dst, E⟩ = ⟨G, L(A, E)⟩ for every E, where ⟨X, Y⟩ = Σ X_ij·Y_ij. It equals L(Aᵀ, G),
// because L(A, E) = ∫₀¹ exp(tA)·E·exp((1−t)A) dt and so its adjoint is
// G ↦ ∫₀¹ exp(tA)ᵀ·G·exp((1−t)A)ᵀ dt = L(Aᵀ, G); it is computed as ExpmFrechet does, at Aᵀ,
// with the same accuracy and cost. dst may alias the inputs. It returns an error if a
// length is not n·n, A or G has a NaN or infinite entry, or ‖A‖∞ > 2.4e16.
//
// For W = exp(A) with A = U − Uᵀ skew-symmetric (U strictly upper triangular), chain the
// result through SkewGrad to get ∂f/∂U.
func (w *Workspace) ExpmAdjoint(dst, a, g []float64) error {
	if err := w.checkOut("ExpmAdjoint", "dst", dst); err != nil {
		return err
	}
	if err := w.checkMatrix("ExpmAdjoint", "A", a); err != nil {
		return err
	}
	if err := w.checkMatrix("ExpmAdjoint", "G", g); err != nil {
		return err
	}
	return w.frechet("ExpmAdjoint", nil, dst, a, g, true)
}

// frechet computes L(A, E) (or L(Aᵀ, E) when transA) into l and exp(A) into expA unless
// it is nil. Inputs are checked by the caller.
func (w *Workspace) frechet(op string, expA, l, a, e []float64, transA bool) error {
	n := w.n
	m := w.scratch(17)
	x, f := m[0], m[1]
	a2, a4, a6, m2, m4, m6 := m[2], m[3], m[4], m[5], m[6], m[7]
	if transA {
		transpose(x, a, n)
	} else {
		copy(x, a)
	}
	copy(f, e)
	norm := norm1(x, n, w.col)
	mi, s := choosePade(norm, ellFrechet[:])
	if s > maxSquarings {
		name := "‖A‖₁"
		if transA {
			name = "‖A‖∞"
		}
		return errTooLarge(op, name, norm)
	}
	deg, c := padeDegrees[mi], padeCoeffs[mi]
	w.lastM, w.lastS = deg, s
	if s > 0 {
		scale := math.Ldexp(1, -s)
		for k := range x {
			x[k] *= scale
			f[k] *= scale
		}
	}
	// Powers and their derivatives.
	w.mul(a2, x, x)
	w.mul(m2, x, f)
	w.mulAdd(m2, f, x)
	if deg >= 5 {
		w.mul(a4, a2, a2)
		w.mul(m4, a2, m2)
		w.mulAdd(m4, m2, a2)
	}
	if deg >= 7 {
		w.mul(a6, a4, a2)
		w.mul(m6, a4, m2)
		w.mulAdd(m6, m4, a2)
	}
	u, v, lu, lv := m[12], m[11], m[13], m[15]
	if deg <= 9 {
		pw, mw := [4][]float64{a2, a4, a6, m[8]}, [4][]float64{m2, m4, m6, m[9]}
		if deg == 9 {
			w.mul(pw[3], a4, a4)
			w.mul(mw[3], a4, m4)
			w.mulAdd(mw[3], m4, a4)
		}
		k := deg / 2 // number of even powers X², …, X^(2k)
		odd, even := make4(c, 3, k), make4(c, 2, k)
		// W = c₁I + Σ c_(2j+1)·X^(2j), U = X·W; V = c₀I + Σ c_(2j)·X^(2j).
		wsum := m[10]
		lincomb(wsum, n, c[1], odd[:k], pw[:k]...)
		w.mul(u, x, wsum)
		lincomb(v, n, c[0], even[:k], pw[:k]...)
		// L_U = X·Σ c_(2j+1)·M_(2j) + F·W; L_V = Σ c_(2j)·M_(2j).
		lsum := m[14]
		lincomb(lsum, n, 0, odd[:k], mw[:k]...)
		w.mul(lu, x, lsum)
		w.mulAdd(lu, f, wsum)
		lincomb(lv, n, 0, even[:k], mw[:k]...)
	} else {
		w1, ww, z1, t := m[8], m[9], m[10], m[14]
		// W₁ = c₁₃X⁶ + c₁₁X⁴ + c₉X², W = X⁶W₁ + c₇X⁶ + c₅X⁴ + c₃X² + c₁I, U = X·W.
		lincomb(w1, n, 0, []float64{c[13], c[11], c[9]}, a6, a4, a2)
		lincomb(ww, n, c[1], []float64{c[7], c[5], c[3]}, a6, a4, a2)
		w.mulAdd(ww, a6, w1)
		w.mul(u, x, ww)
		// Z₁ = c₁₂X⁶ + c₁₀X⁴ + c₈X², V = X⁶Z₁ + c₆X⁶ + c₄X⁴ + c₂X² + c₀I.
		lincomb(z1, n, 0, []float64{c[12], c[10], c[8]}, a6, a4, a2)
		lincomb(v, n, c[0], []float64{c[6], c[4], c[2]}, a6, a4, a2)
		w.mulAdd(v, a6, z1)
		// L_W = X⁶·L_W₁ + M₆·W₁ + L_W₂ with L_W₁ = c₁₃M₆ + c₁₁M₄ + c₉M₂,
		// L_W₂ = c₇M₆ + c₅M₄ + c₃M₂; L_U = X·L_W + F·W.
		lincomb(lu, n, 0, []float64{c[13], c[11], c[9]}, m6, m4, m2)
		lincomb(t, n, 0, []float64{c[7], c[5], c[3]}, m6, m4, m2)
		w.mulAdd(t, a6, lu)
		w.mulAdd(t, m6, w1)
		w.mul(lu, x, t)
		w.mulAdd(lu, f, ww)
		// L_V = X⁶·L_Z₁ + M₆·Z₁ + L_Z₂ with L_Z₁ = c₁₂M₆ + c₁₀M₄ + c₈M₂,
		// L_Z₂ = c₆M₆ + c₄M₄ + c₂M₂.
		lincomb(t, n, 0, []float64{c[12], c[10], c[8]}, m6, m4, m2)
		lincomb(lv, n, 0, []float64{c[6], c[4], c[2]}, m6, m4, m2)
		w.mulAdd(lv, a6, t)
		w.mulAdd(lv, m6, z1)
	}
	// R = (V − U)⁻¹(V + U); L = (V − U)⁻¹(L_U + L_V + (L_U − L_V)·R).
	diff := m[14]
	for k := range u {
		u[k], v[k] = v[k]+u[k], v[k]-u[k]
		lu[k], diff[k] = lu[k]+lv[k], lu[k]-lv[k]
	}
	if err := luFactor(v, n, w.piv, w.pack); err != nil {
		return fmt.Errorf("expm: %s: Padé denominator is numerically singular", op)
	}
	luSolve(v, w.piv, u, n, w.pack)
	w.mulAdd(lu, diff, u)
	luSolve(v, w.piv, lu, n, w.pack)
	r, lr, t1, t2 := u, lu, m[14], m[16]
	for range s {
		w.mul(t1, r, lr)
		w.mulAdd(t1, lr, r)
		w.mul(t2, r, r)
		r, t2 = t2, r
		lr, t1 = t1, lr
	}
	copy(l, lr)
	if expA != nil {
		copy(expA, r)
	}
	return nil
}

// make4 returns c[first], c[first+2], … (k values, k ≤ 4) in a fixed-size array.
func make4(c []float64, first, k int) [4]float64 {
	var out [4]float64
	for j := range k {
		out[j] = c[first+2*j]
	}
	return out
}
