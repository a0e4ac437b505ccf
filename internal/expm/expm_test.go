package expm

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

const u = 0x1p-53 // float64 unit roundoff

// exp of a skew matrix Q·blockdiag(θ_i J)·Qᵀ against its closed form Q·blockdiag(R(θ_i))·Qᵀ,
// from tiny norms (degree 3) through every degree to norms that need several squarings.
func TestExpmSkewClosedForm(t *testing.T) {
	r := newRand(3)
	for _, n := range []int{2, 3, 6, 17, 40} {
		q := randOrthogonal(r, n)
		for _, scale := range []float64{1e-12, 1e-3, 0.1, 0.5, 1, math.Pi, 10, 100} {
			theta := make([]float64, n/2)
			for i := range theta {
				theta[i] = scale * (2*r.Float64() - 1)
			}
			theta[0] = scale // the largest angle is ±scale
			a, want := rotationExp(q, theta, n)
			SkewPart(a, a, n)
			w := mustWorkspace(t, n)
			got := make([]float64, n*n)
			if err := w.Expm(got, a); err != nil {
				t.Fatal(err)
			}
			// exp's condition number at a normal A is ‖A‖₂, and A and the reference carry
			// O(n·u) rounding each.
			e := frob(sub(got, want)) / math.Sqrt(float64(n))
			tol := 20 * float64(n) * u * max(1, scale)
			if e > tol {
				t.Errorf("n=%d scale=%g (m=%d s=%d): error %.3g > %.3g", n, scale, w.lastM, w.lastS, e, tol)
			}
			if testing.Verbose() && n == 40 {
				t.Logf("n=%d max angle %g: m=%d s=%d, ‖W−ref‖_F/√n = %.3g, ‖WᵀW−I‖_F = %.3g",
					n, scale, w.lastM, w.lastS, e, orthoDefect(got, n))
			}
		}
	}
}

// A general (non-normal) matrix against a Taylor series of A/2ᵏ squared k times, at norms
// that select every Padé degree and some scaling.
func TestExpmGeneralTaylor(t *testing.T) {
	r := newRand(4)
	seen := map[string]bool{}
	for _, n := range []int{1, 4, 13} {
		for _, norm := range []float64{1e-14, 1e-3, 0.0149, 0.2, 0.9, 2, 5, 20} {
			a := withNorm1(randMat(r, n), n, norm)
			want := taylorExp(a, n)
			w := mustWorkspace(t, n)
			got := make([]float64, n*n)
			if err := w.Expm(got, a); err != nil {
				t.Fatal(err)
			}
			seen[fmt.Sprintf("m=%d s>0=%v", w.lastM, w.lastS > 0)] = true
			e := relErr(got, want)
			tol := 50 * float64(n) * u * max(1, norm)
			if e > tol {
				t.Errorf("n=%d ‖A‖₁=%g (m=%d s=%d): relative error %.3g > %.3g", n, norm, w.lastM, w.lastS, e, tol)
			}
		}
	}
	for _, k := range []string{"m=3 s>0=false", "m=5 s>0=false", "m=7 s>0=false", "m=9 s>0=false", "m=13 s>0=false", "m=13 s>0=true"} {
		if !seen[k] {
			t.Errorf("no case took the path %s (saw %v)", k, seen)
		}
	}
}

// Closed forms that hold at any norm: a diagonal matrix, and an upper triangular 2×2.
func TestExpmClosedFormsLargeNorm(t *testing.T) {
	w := mustWorkspace(t, 3)
	d := []float64{-40, 0, 30}
	a := []float64{d[0], 0, 0, 0, d[1], 0, 0, 0, d[2]}
	got := make([]float64, 9)
	if err := w.Expm(got, a); err != nil {
		t.Fatal(err)
	}
	if w.lastS == 0 {
		t.Fatalf("s = 0 for ‖A‖₁ = 40; the case should scale")
	}
	for i := range 3 {
		for j := range 3 {
			want := 0.0
			if i == j {
				want = math.Exp(d[i])
			}
			// Normwise the error is u-sized relative to ‖e^A‖ = e³⁰; e⁻⁴⁰ alone comes from
			// r₁₃(−5)⁸, whose evaluation cancels (alternating terms ~e⁵ larger than the
			// result) and so is only accurate to ~1e-13 relative.
			if math.Abs(got[i*3+j]-want) > max(1e-12*math.Abs(want), 1e-15*math.Exp(30)) {
				t.Errorf("diag: exp[%d][%d] = %v, want %v", i, j, got[i*3+j], want)
			}
		}
	}
	w2 := mustWorkspace(t, 2)
	for _, tc := range [][3]float64{{1, 100, -2}, {-3, 50, -3.5}, {0.5, -7, 0.25}} {
		p, b, q := tc[0], tc[1], tc[2]
		got := make([]float64, 4)
		if err := w2.Expm(got, []float64{p, b, 0, q}); err != nil {
			t.Fatal(err)
		}
		want := []float64{math.Exp(p), b * (math.Exp(p) - math.Exp(q)) / (p - q), 0, math.Exp(q)}
		for k := range want {
			if math.Abs(got[k]-want[k]) > 1e-13*max(math.Abs(want[k]), 1e-300) {
				t.Errorf("[[%g,%g],[0,%g]] (s=%d): exp[%d] = %v, want %v", p, b, q, w2.lastS, k, got[k], want[k])
			}
		}
	}
}

// exp(A)·exp(−A) = I for general matrices whose norms force scaling.
func TestExpmInverse(t *testing.T) {
	r := newRand(5)
	for _, n := range []int{5, 30, 100} {
		for _, norm := range []float64{0.5, 10, 60} {
			a := withNorm1(randMat(r, n), n, norm)
			neg := make([]float64, len(a))
			for k := range a {
				neg[k] = -a[k]
			}
			w := mustWorkspace(t, n)
			e1, e2 := make([]float64, n*n), make([]float64, n*n)
			if err := w.Expm(e1, a); err != nil {
				t.Fatal(err)
			}
			if err := w.Expm(e2, neg); err != nil {
				t.Fatal(err)
			}
			defect := frob(sub(naiveMul(e1, e2, n), eye(n)))
			tol := 10 * float64(n) * u * frob(e1) * frob(e2)
			if defect > tol {
				t.Errorf("n=%d ‖A‖₁=%g: ‖e^A·e^−A − I‖_F = %.3g > %.3g", n, norm, defect, tol)
			}
		}
	}
}

// ‖WᵀW − I‖_F ≤ 1e-12 for W = exp(A), A skew, n = 64..512: Henaff's init (no scaling) and
// dense skew matrices with ‖A‖₁ up to 200 (six squarings).
func TestExpmOrthogonality(t *testing.T) {
	r := newRand(6)
	sizes := []int{64, 128, 256, 512}
	if testing.Short() {
		sizes = sizes[:2]
	}
	for _, n := range sizes {
		w := mustWorkspace(t, n)
		got := make([]float64, n*n)
		cases := map[string][]float64{"henaff": make([]float64, n*n), "dense ‖A‖₁=20": randSkew(r, n, 20), "dense ‖A‖₁=200": randSkew(r, n, 200)}
		HenaffInit(cases["henaff"], n, r)
		for name, a := range cases {
			if err := w.Expm(got, a); err != nil {
				t.Fatal(err)
			}
			d := orthoDefect(got, n)
			if d > 1e-12 {
				t.Errorf("n=%d %s (m=%d s=%d): ‖WᵀW − I‖_F = %.3g > 1e-12", n, name, w.lastM, w.lastS, d)
			}
			t.Logf("n=%d %s: m=%d s=%d ‖WᵀW − I‖_F = %.3g", n, name, w.lastM, w.lastS, d)
		}
	}
}

func TestExpmBadInput(t *testing.T) {
	if _, err := NewWorkspace(0); err == nil || !strings.Contains(err.Error(), "order 0") {
		t.Errorf("NewWorkspace(0): err = %v", err)
	}
	if _, err := NewWorkspace(MaxN + 1); err == nil {
		t.Errorf("NewWorkspace(MaxN+1): no error")
	}
	w := mustWorkspace(t, 3)
	ok := make([]float64, 9)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"short A", w.Expm(ok, make([]float64, 8)), "A has 8 values, want 9"},
		{"short dst", w.Expm(make([]float64, 10), ok), "dst has 10 values, want 9"},
		{"NaN", w.Expm(ok, []float64{0, 0, 0, 0, 0, math.NaN(), 0, 0, 0}), "A[1][2] is NaN"},
		{"Inf", w.Expm(ok, []float64{0, 0, 0, 0, 0, 0, math.Inf(-1), 0, 0}), "A[2][0] is -Inf"},
		{"Frechet E", w.ExpmFrechet(nil, ok, ok, make([]float64, 3)), "E has 3 values"},
		{"Frechet expA", w.ExpmFrechet(make([]float64, 2), ok, ok, ok), "expA has 2 values"},
		{"adjoint G", w.ExpmAdjoint(ok, ok, []float64{0, 0, 0, 0, math.Inf(1), 0, 0, 0, 0}), "G[1][1] is +Inf"},
		{"Cayley D", w.Cayley(ok, ok, []float64{1, 1}), "D has 2 values, want 3"},
		{"Cayley D NaN", w.Cayley(ok, ok, []float64{1, math.NaN(), 1}), "D[1] is NaN"},
		{"Cayley singular", w.Cayley(ok, []float64{-1, 0, 0, 0, -1, 0, 0, 0, -1}, nil), "I + A is singular"},
		{"CayleyAdjoint singular", w.CayleyAdjoint(ok, []float64{-1, 0, 0, 0, 0, 0, 0, 0, 0}, nil, ok), "I + A is singular"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) || strings.Contains(tc.err.Error(), "\n") {
			t.Errorf("%s: err = %v, want one line containing %q", tc.name, tc.err, tc.want)
		}
	}
	// Huge but finite norms are refused in one line instead of squared ~1000 times.
	huge := []float64{0, 1e300, 0, -1e300, 0, 0, 0, 0, 0}
	for name, err := range map[string]error{
		"Expm": w.Expm(ok, huge), "ExpmFrechet": w.ExpmFrechet(nil, ok, huge, ok), "ExpmAdjoint": w.ExpmAdjoint(ok, huge, ok),
	} {
		if err == nil || !strings.Contains(err.Error(), "= 1e+300 is too large") {
			t.Errorf("%s of a 1e300-norm A: err = %v", name, err)
		}
	}
	// Just below the bound it still computes, finitely: a 2×2 rotation by 1e16 takes 51
	// squarings, each of which can double the departure from orthogonality, so only
	// finiteness and |W_ij| ≲ 1 are promised there.
	w2 := mustWorkspace(t, 2)
	rot := make([]float64, 4)
	if err := w2.Expm(rot, []float64{0, 1e16, -1e16, 0}); err != nil || w2.lastS != 51 {
		t.Errorf("‖A‖₁ = 1e16: s = %d, err = %v", w2.lastS, err)
	}
	for _, v := range rot {
		if math.IsNaN(v) || math.Abs(v) > 1.5 {
			t.Errorf("‖A‖₁ = 1e16: exp(A) = %v", rot)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	n := 20
	r := newRand(7)
	w := mustWorkspace(t, n)
	a, e, out, l := randSkew(r, n, 30), randMat(r, n), make([]float64, n*n), make([]float64, n*n)
	d := make([]float64, n)
	for i := range d {
		d[i] = 1
	}
	for name, f := range map[string]func(){
		"Expm":          func() { _ = w.Expm(out, a) },
		"ExpmFrechet":   func() { _ = w.ExpmFrechet(out, l, a, e) },
		"ExpmAdjoint":   func() { _ = w.ExpmAdjoint(out, a, e) },
		"Cayley":        func() { _ = w.Cayley(out, a, d) },
		"CayleyAdjoint": func() { _ = w.CayleyAdjoint(out, a, nil, e) },
	} {
		f() // first use allocates the scratch
		if allocs := testing.AllocsPerRun(5, f); allocs != 0 {
			t.Errorf("%s: %v allocations per call", name, allocs)
		}
	}
}
