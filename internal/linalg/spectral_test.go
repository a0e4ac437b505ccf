package linalg

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chronograd/chronograd/internal/eigenref"
)

// The Hessenberg QR solver finds every eigenvalue of random upper Hessenberg matrices,
// including ones with split (zero) subdiagonals.
func TestHessenbergEigenvaluesMatchDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 40; n++ {
		for trial := range 3 {
			a := make([]float64, n*n)
			for i := range n {
				for j := max(i-1, 0); j < n; j++ {
					a[i*n+j] = rng.NormFloat64()
				}
			}
			if trial == 2 && n > 3 { // deflated blocks
				a[(n/2)*n+n/2-1] = 0
				a[2*n+1] = 0
			}
			want, err := eigenref.Eigenvalues(a, n)
			if err != nil {
				t.Fatal(err)
			}
			re, im := make([]float64, n), make([]float64, n)
			if err := HessenbergEigenvalues(slices.Clone(a), n, re, im); err != nil {
				t.Fatalf("n=%d: %v", n, err)
			}
			got := make([]complex128, n)
			for i := range got {
				got[i] = complex(re[i], im[i])
			}
			if !eigenref.Same(got, want, 1e-8) {
				t.Fatalf("n=%d trial %d: eigenvalues\n got %v\nwant %v", n, trial, got, want)
			}
		}
	}
}

// The cyclic shift is upper Hessenberg and orthogonal, with all eigenvalues (roots of
// unity) of modulus 1: the standard shifts stall on it and only the exceptional shifts
// make progress, so this checks that they work.
func TestHessenbergEigenvaluesCyclicShift(t *testing.T) {
	for _, n := range []int{3, 4, 7, 10, 16} {
		a := make([]float64, n*n)
		for i := 1; i < n; i++ {
			a[i*n+i-1] = 1
		}
		a[n-1] = 1
		re, im := make([]float64, n), make([]float64, n)
		if err := HessenbergEigenvalues(a, n, re, im); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		got := make([]complex128, n)
		want := make([]complex128, n)
		for k := range n {
			got[k] = complex(re[k], im[k])
			want[k] = cmplx.Rect(1, 2*math.Pi*float64(k)/float64(n))
		}
		if !eigenref.Same(got, want, 1e-8) {
			t.Fatalf("n=%d: eigenvalues\n got %v\nwant %v", n, got, want)
		}
	}
}
