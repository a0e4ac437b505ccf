package cell

import (
	"math"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/kernels"
)

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

func TestScaleToSpectralRadiusErrors(t *testing.T) {
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
}
