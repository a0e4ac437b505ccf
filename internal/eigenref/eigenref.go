// Package eigenref computes reference eigenvalues with gonum's dense solver, for tests of
// chronograd's own spectral estimates. Only tests import it.
package eigenref

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/chronograd/chronograd/kernels"
)

// Eigenvalues returns every eigenvalue of the n×n row-major matrix a (LAPACK-style dense
// QR, from gonum).
func Eigenvalues(a []float64, n int) ([]complex128, error) {
	var eig mat.Eigen
	if !eig.Factorize(mat.NewDense(n, n, slices.Clone(a)), mat.EigenNone) {
		return nil, fmt.Errorf("eigenref: gonum's eigen decomposition of a %d×%d matrix failed", n, n)
	}
	return eig.Values(nil), nil
}

// Radius is the spectral radius of the square matrix m by Eigenvalues.
func Radius(m kernels.Mat) (float64, error) {
	a := make([]float64, m.Rows*m.Cols)
	for i := range m.Rows {
		for j := range m.Cols {
			a[i*m.Cols+j] = float64(m.At(i, j))
		}
	}
	vals, err := Eigenvalues(a, m.Rows)
	if err != nil {
		return 0, err
	}
	rho := 0.0
	for _, v := range vals {
		rho = max(rho, cmplx.Abs(v))
	}
	return rho, nil
}

// Same reports whether got and want hold the same values within tol (relative to
// 1 + |w|), pairing each wanted value with its nearest unused computed one (sorting
// would pair values whose order rounding has swapped).
func Same(got, want []complex128, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	used := make([]bool, len(got))
	for _, w := range want {
		best, bestDist := -1, math.Inf(1)
		for i, g := range got {
			if d := cmplx.Abs(g - w); !used[i] && d < bestDist {
				best, bestDist = i, d
			}
		}
		if bestDist > tol*(1+cmplx.Abs(w)) {
			return false
		}
		used[best] = true
	}
	return true
}
