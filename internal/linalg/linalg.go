// Package linalg holds the small float64 linear-algebra routines chronograd's packages
// share: dot products and norms, Cholesky factorisation, the spectral radius by Arnoldi
// iteration with a Francis QR eigenvalue solver, and the spectral norm by power
// iteration. Everything runs in float64; float32 data is only read.
package linalg

import (
	"fmt"
	"math"
)

// Dot returns Σ x[i]·y[i] over len(x) elements, with four partial sums (which breaks the
// add dependency chain, about twice as fast as one).
func Dot(x, y []float64) float64 {
	y = y[:len(x)]
	// Four partial sums break the add dependency chain (about twice as fast).
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// Axpy adds alpha·x to y.
func Axpy(alpha float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// Norm is the Euclidean norm of x (by Dot).
func Norm(x []float64) float64 { return math.Sqrt(Dot(x, x)) }

// Normalize scales x to unit length and returns its former norm; a zero vector is left
// unchanged.
func Normalize(x []float64) float64 {
	n := Norm(x)
	if n > 0 {
		for i := range x {
			x[i] /= n
		}
	}
	return n
}

// Norm32 is the Euclidean norm of a float32 vector, summed in float64 in order.
func Norm32(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// Cholesky overwrites the lower triangle of the symmetric n×n matrix a (row-major) with
// L such that a = L·Lᵀ.
func Cholesky(a []float64, n int) error {
	for j := range n {
		rowJ := a[j*n : j*n+j]
		d := a[j*n+j] - Dot(rowJ, rowJ)
		if !(d > 0) {
			return fmt.Errorf("matrix is not positive definite (pivot %d is %g)", j, d)
		}
		d = math.Sqrt(d)
		a[j*n+j] = d
		for i := j + 1; i < n; i++ {
			rowI := a[i*n : i*n+j]
			a[i*n+j] = (a[i*n+j] - Dot(rowI, rowJ)) / d
		}
	}
	return nil
}

// CholeskySolve overwrites b with the solution of L·Lᵀ·x = b, L from Cholesky.
func CholeskySolve(l []float64, n int, b []float64) {
	for i := range n { // L·y = b
		b[i] = (b[i] - Dot(l[i*n:i*n+i], b[:i])) / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- { // Lᵀ·x = y
		s := b[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * b[k]
		}
		b[i] = s / l[i*n+i]
	}
}
