package cell

import (
	"fmt"
	"math"

	"github.com/chronograd/chronograd/internal/linalg"
	"github.com/chronograd/chronograd/kernels"
)

// SpectralRadius returns the largest eigenvalue modulus of the square matrix a. It returns
// an error when a is not square or holds NaN or Inf.
//
// The estimate comes from Arnoldi iteration in float64 (the float32 entries are only
// read): random recurrent matrices are non-symmetric, their dominant eigenvalues usually a
// complex pair, on which power iteration does not converge; the Ritz values of the Krylov
// basis approach the extreme eigenvalues, complex pairs included, and are computed by a
// Francis double-shift QR. The start vector is fixed, so results are reproducible; the
// relative accuracy is about 1e-9.
func SpectralRadius(a kernels.Mat) (float64, error) {
	if err := checkDense(a); err != nil {
		return 0, err
	}
	n := a.Rows
	return linalg.ArnoldiRadius(n, func(dst, src []float64) {
		for i := range n {
			row := a.Row(i)
			var s float64
			for j, v := range row {
				s += float64(v) * src[j]
			}
			dst[i] = s
		}
	})
}

// ScaleToSpectralRadius multiplies a in place so that its spectral radius becomes target,
// the usual initialisation of echo-state reservoirs and recurrent weights. A numerically
// nilpotent matrix (spectral radius below 1e-4 of its Frobenius norm) cannot be scaled and
// is an error.
func ScaleToSpectralRadius(a kernels.Mat, target float64) error {
	rho, err := SpectralRadius(a)
	if err != nil {
		return err
	}
	var sumSq float64
	for i := range a.Rows {
		for _, v := range a.Row(i) {
			sumSq += float64(v) * float64(v)
		}
	}
	factor, err := linalg.ScaleFactor(rho, math.Sqrt(sumSq), target)
	if err != nil {
		return fmt.Errorf("cell: %w", err)
	}
	for i := range a.Rows {
		kernels.Scale(float32(factor), a.Row(i))
	}
	return nil
}

func checkDense(a kernels.Mat) error {
	if a.Rows != a.Cols {
		return fmt.Errorf("cell: spectral radius of a %d×%d matrix: not square", a.Rows, a.Cols)
	}
	if a.Rows < 0 || (a.Rows > 1 && a.Stride < a.Cols) || len(a.Data) < (a.Rows-1)*a.Stride+a.Cols {
		return fmt.Errorf("cell: %d×%d matrix with stride %d and %d elements is not a valid view", a.Rows, a.Cols, a.Stride, len(a.Data))
	}
	for i := range a.Rows {
		for j, v := range a.Row(i) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("cell: spectral radius: element (%d, %d) is %v", i, j, v)
			}
		}
	}
	return nil
}
