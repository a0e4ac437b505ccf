package cell

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/chronograd/chronograd/kernels"
)

// specDenseEigenvalues is the reference: LAPACK-style dense eigenvalues from gonum.
func specDenseEigenvalues(t *testing.T, a []float64, n int) []complex128 {
	t.Helper()
	var eig mat.Eigen
	if !eig.Factorize(mat.NewDense(n, n, slices.Clone(a)), mat.EigenNone) {
		t.Fatal("gonum Eigen failed")
	}
	return eig.Values(nil)
}

func specDenseRadius(t *testing.T, m kernels.Mat) float64 {
	t.Helper()
	a := make([]float64, m.Rows*m.Cols)
	for i := range m.Rows {
		for j := range m.Cols {
			a[i*m.Cols+j] = float64(m.At(i, j))
		}
	}
	rho := 0.0
	for _, v := range specDenseEigenvalues(t, a, m.Rows) {
		rho = max(rho, cmplx.Abs(v))
	}
	return rho
}

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
			want := specDenseEigenvalues(t, a, n)
			re, im := make([]float64, n), make([]float64, n)
			if err := specHessenbergEigenvalues(slices.Clone(a), n, re, im); err != nil {
				t.Fatalf("n=%d: %v", n, err)
			}
			got := make([]complex128, n)
			for i := range got {
				got[i] = complex(re[i], im[i])
			}
			if !specSameEigenvalues(got, want, 1e-8) {
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
		if err := specHessenbergEigenvalues(a, n, re, im); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		got := make([]complex128, n)
		want := make([]complex128, n)
		for k := range n {
			got[k] = complex(re[k], im[k])
			want[k] = cmplx.Rect(1, 2*math.Pi*float64(k)/float64(n))
		}
		if !specSameEigenvalues(got, want, 1e-8) {
			t.Fatalf("n=%d: eigenvalues\n got %v\nwant %v", n, got, want)
		}
	}
}

// specSameEigenvalues reports whether got and want hold the same values within tol,
// pairing each wanted value with its nearest unused computed one (sorting would pair
// values whose order rounding has swapped).
func specSameEigenvalues(got, want []complex128, tol float64) bool {
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

func specMat(n int, vals ...float32) kernels.Mat { return kernels.MatOf(n, n, vals) }

func TestSpectralRadiusSpecialMatrices(t *testing.T) {
	c, s := float32(math.Cos(0.3)), float32(math.Sin(0.3))
	cases := []struct {
		name string
		m    kernels.Mat
		want float64
	}{
		{"rotation (complex pair)", specMat(2, 2*c, -2*s, 2*s, 2*c), 2},
		{"identity (derogatory)", specMat(3, 1, 0, 0, 0, 1, 0, 0, 0, 1), 1},
		// Defective eigenvalues move by ‖A‖·ε^{1/3} under any similarity transform.
		{"nilpotent", specMat(3, 0, 1, 5, 0, 0, 1, 0, 0, 0), 0},
		{"zero", specMat(2, 0, 0, 0, 0), 0},
		{"negative dominant", specMat(2, -3, 1, 0, 2), 3},
		{"1×1", specMat(1, -0.5), 0.5},
		// Two blocks: a complex pair of modulus √5 and a real eigenvalue 2.2.
		{"pair beats real", specMat(3, 1, -2, 0, 2, 1, 0, 0, 0, 2.2), math.Sqrt(5)},
		// A Jordan block: power iteration converges like 1/k here, Arnoldi is exact.
		{"jordan", specMat(3, 0.9, 1, 0, 0, 0.9, 1, 0, 0, 0.9), 0.9},
		{"empty", kernels.Mat{}, 0},
	}
	for _, tc := range cases {
		got, err := SpectralRadius(tc.m)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		tol := 1e-7 * (1 + tc.want) // the entries are float32
		if tc.name == "nilpotent" || tc.name == "jordan" {
			tol = 1e-5 * (1 + tc.want)
		}
		if math.Abs(got-tc.want) > tol {
			t.Errorf("%s: spectral radius %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSpectralRadiusRandomMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{2, 3, 5, 8, 13, 30, 64, 100, 150} {
		for _, density := range []float64{1, 0.2, 0.05} {
			sp, err := resRandomSparse(n, density, rng)
			if err != nil {
				t.Fatal(err)
			}
			dense := sp.Dense()
			want := specDenseRadius(t, dense)
			got, err := SpectralRadius(dense)
			if err != nil {
				t.Fatalf("n=%d density %v: %v", n, density, err)
			}
			gotSparse, err := sp.SpectralRadius()
			if err != nil {
				t.Fatalf("n=%d density %v sparse: %v", n, density, err)
			}
			for _, g := range []float64{got, gotSparse} {
				if want < 1e-12 { // nilpotent draw: numerically zero relative to the norm
					if g > specNilpotentRatio*specNorm32(sp.Values) {
						t.Errorf("n=%d density %v: spectral radius %.9g of a nilpotent matrix", n, density, g)
					}
					continue
				}
				if math.Abs(g-want) > 1e-7*want {
					t.Errorf("n=%d density %v: spectral radius %.9g, dense eigenvalues give %.9g", n, density, g, want)
				}
			}
		}
	}
}

func TestScaleToSpectralRadius(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	sp, err := resRandomSparse(80, 0.1, rng)
	if err != nil {
		t.Fatal(err)
	}
	dense := sp.Dense()
	if err := ScaleToSpectralRadius(dense, 1.25); err != nil {
		t.Fatal(err)
	}
	if got := specDenseRadius(t, dense); math.Abs(got-1.25) > 1e-5 {
		t.Errorf("dense: radius after scaling %v, want 1.25", got)
	}
	if err := sp.ScaleToSpectralRadius(0.9); err != nil {
		t.Fatal(err)
	}
	if got := specDenseRadius(t, sp.Dense()); math.Abs(got-0.9) > 1e-5 {
		t.Errorf("sparse: radius after scaling %v, want 0.9", got)
	}

	errCases := []struct {
		name string
		m    kernels.Mat
		rho  float64
		want string
	}{
		{"not square", kernels.NewMat(2, 3), 1, "not square"},
		{"NaN", specMat(2, 1, float32(math.NaN()), 0, 1), 1, "element (0, 1) is NaN"},
		{"nilpotent", specMat(2, 0, 1, 0, 0), 1, "spectral radius is 0"},
		{"bad target", specMat(2, 1, 0, 0, 1), -1, "target spectral radius -1"},
		{"NaN target", specMat(2, 1, 0, 0, 1), math.NaN(), "target spectral radius NaN"},
		{"short data", kernels.Mat{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 3)}, 1, "not a valid view"},
	}
	for _, c := range errCases {
		err := ScaleToSpectralRadius(c.m, c.rho)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	bad := SparseMat{Rows: 2, Cols: 2, RowStart: []int32{0, 1, 1}, ColIndex: []int32{5}, Values: []float32{1}}
	if err := bad.ScaleToSpectralRadius(1); err == nil || !strings.Contains(err.Error(), "column index 5") {
		t.Errorf("invalid CSR: %v", err)
	}
}

func TestSparseMatVec(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	sp, err := resRandomSparse(37, 0.15, rng)
	if err != nil {
		t.Fatal(err)
	}
	if err := sp.Validate(); err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 37)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	got := make([]float32, 37)
	want := make([]float32, 37)
	sp.MatVec(got, x)
	kernels.MatVec(want, sp.Dense(), x)
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Fatalf("row %d: %v, want %v", i, got[i], want[i])
		}
	}
	// Density is honoured: 37² · 0.15 ≈ 205 non-zeros.
	if nz := sp.NonZeros(); nz < 150 || nz > 260 {
		t.Errorf("%d non-zeros for density 0.15 of 37²", nz)
	}
	full, _ := resRandomSparse(9, 1, rng)
	if full.NonZeros() != 81 {
		t.Errorf("density 1: %d non-zeros", full.NonZeros())
	}
}
