package expm

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// gonumCayley is the reference: (I + A)⁻¹(I − A)·diag(d) by gonum's solver.
func gonumCayley(t *testing.T, a, d []float64, n int) []float64 {
	t.Helper()
	p, q := mat.NewDense(n, n, nil), mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			dj := 1.0
			if d != nil {
				dj = d[j]
			}
			id := 0.0
			if i == j {
				id = 1
			}
			p.Set(i, j, id+a[i*n+j])
			q.Set(i, j, (id-a[i*n+j])*dj)
		}
	}
	var x mat.Dense
	if err := x.Solve(p, q); err != nil {
		t.Fatal(err)
	}
	return append([]float64(nil), x.RawMatrix().Data...)
}

func randSigns(n int, seed uint64) []float64 {
	r := newRand(seed)
	d := make([]float64, n)
	for i := range d {
		d[i] = 1
		if r.IntN(2) == 0 {
			d[i] = -1
		}
	}
	return d
}

// A skew block [[0, a], [−a, 0]] conjugated by Q maps to Q·R(−2·atan a)·Qᵀ, and the
// diagonal D multiplies columns; W is orthogonal for every skew A and signs D.
func TestCayleyClosedForm(t *testing.T) {
	r := newRand(11)
	for _, n := range []int{2, 5, 16, 64} {
		q := randOrthogonal(r, n)
		for _, scale := range []float64{1e-9, 0.3, 1, 50, 1e4} {
			alpha := make([]float64, n/2)
			phi := make([]float64, n/2)
			for i := range alpha {
				alpha[i] = scale * (2*r.Float64() - 1)
				phi[i] = -2 * math.Atan(alpha[i])
			}
			a, _ := rotationExp(q, alpha, n)
			SkewPart(a, a, n)
			_, want := rotationExp(q, phi, n)
			for _, d := range [][]float64{nil, randSigns(n, uint64(n))} {
				if d != nil {
					for i := range n {
						for j := range n {
							want[i*n+j] *= d[j]
						}
					}
				}
				w := mustWorkspace(t, n)
				got := make([]float64, n*n)
				if err := w.Cayley(got, a, d); err != nil {
					t.Fatal(err)
				}
				e := frob(sub(got, want)) / math.Sqrt(float64(n))
				if e > 50*float64(n)*u*max(1, scale) {
					t.Errorf("n=%d scale=%g D=%v: error %.3g", n, scale, d != nil, e)
				}
				if od := orthoDefect(got, n); od > 1e-13*math.Sqrt(float64(n))*max(1, scale) {
					t.Errorf("n=%d scale=%g: ‖WᵀW − I‖_F = %.3g", n, scale, od)
				}
				if d != nil {
					// Undo D for the next iteration's reference.
					for i := range n {
						for j := range n {
							want[i*n+j] *= d[j]
						}
					}
				}
			}
		}
	}
}

// For a general (non-skew) A and non-sign D, Cayley equals gonum's solve; orthogonality
// holds at n = 512.
func TestCayleyGeneralAndLarge(t *testing.T) {
	r := newRand(12)
	for _, n := range []int{1, 3, 40, 150} {
		a := withNorm1(randMat(r, n), n, 0.5)
		d := make([]float64, n)
		for i := range d {
			d[i] = r.NormFloat64()
		}
		w := mustWorkspace(t, n)
		got := make([]float64, n*n)
		if err := w.Cayley(got, a, d); err != nil {
			t.Fatal(err)
		}
		if e := relErr(got, gonumCayley(t, a, d, n)); e > 1e-13 {
			t.Errorf("n=%d: differs from gonum by %.3g", n, e)
		}
	}
	n := 512
	if testing.Short() {
		n = 128
	}
	a := randSkew(r, n, 30)
	w := mustWorkspace(t, n)
	got := make([]float64, n*n)
	if err := w.Cayley(got, a, randSigns(n, 3)); err != nil {
		t.Fatal(err)
	}
	if od := orthoDefect(got, n); od > 1e-12 {
		t.Errorf("n=%d: ‖WᵀW − I‖_F = %.3g", n, od)
	}
}

// CayleyAdjoint against central differences: directional for general A with D, and entry
// by entry through SkewGrad for f(U) = ⟨G, Cayley(U − Uᵀ)⟩.
func TestCayleyAdjointFD(t *testing.T) {
	r := newRand(13)
	for _, n := range []int{1, 4, 12} {
		for _, d := range [][]float64{nil, randSigns(n, 5)} {
			a := withNorm1(randMat(r, n), n, 0.8)
			g, e := randMat(r, n), randMat(r, n)
			w := mustWorkspace(t, n)
			f := func(x []float64) float64 {
				out := make([]float64, n*n)
				if err := w.Cayley(out, x, d); err != nil {
					t.Fatal(err)
				}
				return inner(g, out)
			}
			da := make([]float64, n*n)
			if err := w.CayleyAdjoint(da, a, d, g); err != nil {
				t.Fatal(err)
			}
			h := 1e-6
			ap, am := make([]float64, n*n), make([]float64, n*n)
			for k := range a {
				ap[k], am[k] = a[k]+h*e[k], a[k]-h*e[k]
			}
			fd := (f(ap) - f(am)) / (2 * h)
			if got := inner(da, e); math.Abs(got-fd) > 1e-7*max(1, math.Abs(fd)) {
				t.Errorf("n=%d D=%v: ⟨∂f/∂A, E⟩ = %v, central difference %v", n, d != nil, got, fd)
			}
		}
	}
	for _, n := range []int{2, 6} {
		for _, norm := range []float64{1e-8, 1, 20} {
			a := randSkew(r, n, norm)
			g := randMat(r, n)
			packed := make([]float64, SkewLen(n))
			PackedFromSkew(packed, a, n)
			w := mustWorkspace(t, n)
			f := func(pk []float64) float64 {
				x, out := make([]float64, n*n), make([]float64, n*n)
				SkewFromPacked(x, pk, n)
				if err := w.Cayley(out, x, nil); err != nil {
					t.Fatal(err)
				}
				return inner(g, out)
			}
			da := make([]float64, n*n)
			if err := w.CayleyAdjoint(da, a, nil, g); err != nil {
				t.Fatal(err)
			}
			du := make([]float64, len(packed))
			SkewGrad(du, da, n)
			h := 1e-6
			for k := range packed {
				pp := append([]float64(nil), packed...)
				pm := append([]float64(nil), packed...)
				pp[k] += h
				pm[k] -= h
				fd := (f(pp) - f(pm)) / (2 * h)
				if math.Abs(fd-du[k]) > 1e-7*max(1, math.Abs(fd)) {
					t.Errorf("n=%d ‖A‖₁=%g: ∂f/∂U[%d] = %v, central difference %v", n, norm, k, du[k], fd)
				}
			}
		}
	}
}
