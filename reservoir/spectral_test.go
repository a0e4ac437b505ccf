package reservoir

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/eigenref"
	"github.com/chronograd/chronograd/internal/linalg"
	"github.com/chronograd/chronograd/kernels"
)

func TestSpectralRadiusRandomMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{2, 3, 5, 8, 13, 30, 64, 100, 150} {
		for _, density := range []float64{1, 0.2, 0.05} {
			sp, err := randomSparse(n, density, rng)
			if err != nil {
				t.Fatal(err)
			}
			dense := sp.Dense()
			want := denseRadius(t, dense)
			got, err := cell.SpectralRadius(dense)
			if err != nil {
				t.Fatalf("n=%d density %v: %v", n, density, err)
			}
			gotSparse, err := sp.SpectralRadius()
			if err != nil {
				t.Fatalf("n=%d density %v sparse: %v", n, density, err)
			}
			for _, g := range []float64{got, gotSparse} {
				if want < 1e-12 { // nilpotent draw: numerically zero relative to the norm
					if g > linalg.NilpotentRatio*linalg.Norm32(sp.Values) {
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
	sp, err := randomSparse(80, 0.1, rng)
	if err != nil {
		t.Fatal(err)
	}
	dense := sp.Dense()
	if err := cell.ScaleToSpectralRadius(dense, 1.25); err != nil {
		t.Fatal(err)
	}
	if got := denseRadius(t, dense); math.Abs(got-1.25) > 1e-5 {
		t.Errorf("dense: radius after scaling %v, want 1.25", got)
	}
	if err := sp.ScaleToSpectralRadius(0.9); err != nil {
		t.Fatal(err)
	}
	if got := denseRadius(t, sp.Dense()); math.Abs(got-0.9) > 1e-5 {
		t.Errorf("sparse: radius after scaling %v, want 0.9", got)
	}

	bad := SparseMat{Rows: 2, Cols: 2, RowStart: []int32{0, 1, 1}, ColIndex: []int32{5}, Values: []float32{1}}
	if err := bad.ScaleToSpectralRadius(1); err == nil || !strings.Contains(err.Error(), "column index 5") {
		t.Errorf("invalid CSR: %v", err)
	}
}

func TestSparseMatVec(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	sp, err := randomSparse(37, 0.15, rng)
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
	full, _ := randomSparse(9, 1, rng)
	if full.NonZeros() != 81 {
		t.Errorf("density 1: %d non-zeros", full.NonZeros())
	}
}

func denseRadius(t *testing.T, m kernels.Mat) float64 {
	t.Helper()
	rho, err := eigenref.Radius(m)
	if err != nil {
		t.Fatal(err)
	}
	return rho
}
