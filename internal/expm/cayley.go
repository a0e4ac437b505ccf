package expm

import (
	"fmt"
	"math"
)

// Cayley sets dst to the Cayley transform W = (I + A)⁻¹·(I − A)·D of the n×n row-major
// matrix a, where D = diag(d), or D = I when d is nil. This is scoRNN's parametrisation
// (Helfrich, Willmott & Ye 2018) and expRNN's cayley_map, with the same sign convention:
// for skew-symmetric A, W is orthogonal when every d_i = ±1, W has no eigenvalue −1 when
// D = I, and a 2×2 block [[0, a], [−a, 0]] of A becomes the rotation
// [[cos φ, −sin φ], [sin φ, cos φ]] with φ = 2·atan(a), which is exp(−2·atan(a)/a · A) on that
// block: to first order W ≈ exp(−2A), so the Cayley transform of A/2 approximates exp(−A).
// dst may alias a. It returns an error if a length is wrong, an entry is not finite, or
// I + A is singular (impossible for skew-symmetric A, whose eigenvalues are imaginary).
//
// It factors I + A by LU with partial pivoting (written in this package) and solves for
// the n columns of (I − A)·D: (2/3 + 2)·n³ flops.
func (w *Workspace) Cayley(dst, a, d []float64) error {
	if err := w.checkOut("Cayley", "dst", dst); err != nil {
		return err
	}
	if err := w.checkMatrix("Cayley", "A", a); err != nil {
		return err
	}
	if err := w.checkDiag("Cayley", d); err != nil {
		return err
	}
	m := w.scratch(2)
	if err := w.cayley("Cayley", m[1], m[0], a, d); err != nil {
		return err
	}
	copy(dst, m[1])
	return nil
}

// CayleyAdjoint sets dst to ∂f/∂A for a scalar f of W = (I + A)⁻¹·(I − A)·D (Cayley's W,
// with D = diag(d), or I when d is nil), given g = ∂f/∂W:
//
//	∂f/∂A = −(I + A)⁻ᵀ · G · (W + D)ᵀ
//
// which follows from dW = −(I + A)⁻¹·dA·(I + A)⁻¹(I − A)D − (I + A)⁻¹·dA·D
// = −(I + A)⁻¹·dA·(W + D). For A = U − Uᵀ, chain the result through SkewGrad. It
// recomputes W, and factors I + Aᵀ separately for the transposed solve:
// (2/3 + 2 + 2 + 2/3 + 2)·n³ flops. dst may alias the inputs. Errors as Cayley's, and for
// a g of the wrong length or with a non-finite entry.
func (w *Workspace) CayleyAdjoint(dst, a, d, g []float64) error {
	if err := w.checkOut("CayleyAdjoint", "dst", dst); err != nil {
		return err
	}
	if err := w.checkMatrix("CayleyAdjoint", "A", a); err != nil {
		return err
	}
	if err := w.checkDiag("CayleyAdjoint", d); err != nil {
		return err
	}
	if err := w.checkMatrix("CayleyAdjoint", "G", g); err != nil {
		return err
	}
	n := w.n
	m := w.scratch(4)
	lu, cw, kt, t := m[0], m[1], m[2], m[3]
	if err := w.cayley("CayleyAdjoint", cw, lu, a, d); err != nil {
		return err
	}
	// kt = (W + D)ᵀ = Wᵀ + D; t = G·(W + D)ᵀ.
	transpose(kt, cw, n)
	for i := range n {
		if d == nil {
			kt[i*n+i]++
		} else {
			kt[i*n+i] += d[i]
		}
	}
	w.mul(t, g, kt)
	// (I + A)ᵀ = I + Aᵀ, factored afresh; solve (I + A)ᵀ·X = t.
	transpose(lu, a, n)
	for i := range n {
		lu[i*n+i]++
	}
	if err := luFactor(lu, n, w.piv, w.pack); err != nil {
		return fmt.Errorf("expm: CayleyAdjoint: I + A is singular")
	}
	luSolve(lu, w.piv, t, n, w.pack)
	for k, v := range t {
		dst[k] = -v
	}
	return nil
}

// cayley sets out = (I + A)⁻¹(I − A)·D, using lu for the factorisation of I + A.
func (w *Workspace) cayley(op string, out, lu, a, d []float64) error {
	n := w.n
	for i := range n {
		for j := range n {
			v := a[i*n+j]
			lu[i*n+j] = v
			out[i*n+j] = -v
			if d != nil {
				out[i*n+j] *= d[j]
			}
		}
		lu[i*n+i]++
		if d == nil {
			out[i*n+i]++
		} else {
			out[i*n+i] += d[i]
		}
	}
	if err := luFactor(lu, n, w.piv, w.pack); err != nil {
		return fmt.Errorf("expm: %s: I + A is singular", op)
	}
	luSolve(lu, w.piv, out, n, w.pack)
	return nil
}

// checkDiag reports a diagonal scaling of the wrong length or with a non-finite entry.
func (w *Workspace) checkDiag(op string, d []float64) error {
	if d == nil {
		return nil
	}
	if len(d) != w.n {
		return fmt.Errorf("expm: %s: D has %d values, want %d", op, len(d), w.n)
	}
	for i, v := range d {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("expm: %s: D[%d] is %v", op, i, v)
		}
	}
	return nil
}
