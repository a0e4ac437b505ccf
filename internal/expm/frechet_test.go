package expm

import (
	"fmt"
	"math"
	"testing"
)

// blockFrechet returns L(A, E) as the upper right block of exp([[A, E], [0, A]]) (Mathias
// 1996), computed with Expm on the 2n×2n matrix: a reference independent of the
// differentiated recurrence.
func blockFrechet(t *testing.T, a, e []float64, n int) []float64 {
	t.Helper()
	m := 2 * n
	big := make([]float64, m*m)
	for i := range n {
		copy(big[i*m:i*m+n], a[i*n:(i+1)*n])
		copy(big[i*m+n:i*m+m], e[i*n:(i+1)*n])
		copy(big[(n+i)*m+n:(n+i)*m+m], a[i*n:(i+1)*n])
	}
	w := mustWorkspace(t, m)
	if err := w.Expm(big, big); err != nil {
		t.Fatal(err)
	}
	l := make([]float64, n*n)
	for i := range n {
		copy(l[i*n:(i+1)*n], big[i*m+n:i*m+m])
	}
	return l
}

// centralDiff returns (exp(A + hE) − exp(A − hE))/(2h).
func centralDiff(t *testing.T, a, e []float64, n int, h float64) []float64 {
	t.Helper()
	w := mustWorkspace(t, n)
	p, q := make([]float64, n*n), make([]float64, n*n)
	for k := range a {
		p[k], q[k] = a[k]+h*e[k], a[k]-h*e[k]
	}
	if err := w.Expm(p, p); err != nil {
		t.Fatal(err)
	}
	if err := w.Expm(q, q); err != nil {
		t.Fatal(err)
	}
	for k := range p {
		p[k] = (p[k] - q[k]) / (2 * h)
	}
	return p
}

// L(A, E) against the block identity (to ~1e-13) and central differences (to ~1e-8), for
// general and skew A at norms that take every degree and several squarings; exp(A) as a
// by-product equals Expm's.
func TestExpmFrechet(t *testing.T) {
	r := newRand(8)
	seen := map[string]bool{}
	for _, n := range []int{1, 3, 8, 21} {
		for _, skew := range []bool{false, true} {
			for _, norm := range []float64{1e-9, 0.01, 0.15, 0.7, 1.5, 4, 9, 40} {
				var a []float64
				if skew {
					if n == 1 {
						continue
					}
					a = randSkew(r, n, norm)
				} else {
					a = withNorm1(randMat(r, n), n, norm)
				}
				e := randMat(r, n)
				w := mustWorkspace(t, n)
				l, ea := make([]float64, n*n), make([]float64, n*n)
				if err := w.ExpmFrechet(ea, l, a, e); err != nil {
					t.Fatal(err)
				}
				seen[fmt.Sprintf("m=%d s>0=%v", w.lastM, w.lastS > 0)] = true
				name := fmt.Sprintf("n=%d skew=%v ‖A‖₁=%g (m=%d s=%d)", n, skew, norm, w.lastM, w.lastS)
				ref := blockFrechet(t, a, e, n)
				if err := relErr(l, ref); err > 100*float64(n)*u*max(1, norm) {
					t.Errorf("%s: L vs block identity: relative error %.3g", name, err)
				}
				h := 1e-5 * max(1, norm) / frob(e)
				fd := centralDiff(t, a, e, n, h)
				if err := relErr(l, fd); err > 1e-7 {
					t.Errorf("%s: L vs central differences: relative error %.3g", name, err)
				}
				want := make([]float64, n*n)
				if err := w.Expm(want, a); err != nil {
					t.Fatal(err)
				}
				if err := relErr(ea, want); err > 50*float64(n)*u*max(1, norm) {
					t.Errorf("%s: exp(A) by-product differs from Expm by %.3g", name, err)
				}
				if testing.Verbose() && n == 21 {
					t.Logf("%s: vs block %.2g, vs FD %.2g", name, relErr(l, ref), relErr(l, fd))
				}
			}
		}
	}
	for _, k := range []string{"m=3 s>0=false", "m=5 s>0=false", "m=7 s>0=false", "m=9 s>0=false", "m=13 s>0=false", "m=13 s>0=true"} {
		if !seen[k] {
			t.Errorf("no case took the path %s (saw %v)", k, seen)
		}
	}
}

// ⟨G, L(A, E)⟩ = ⟨L(Aᵀ, G), E⟩ = ⟨ExpmAdjoint(A, G), E⟩ for non-normal A, across norms.
func TestExpmAdjointIdentity(t *testing.T) {
	r := newRand(9)
	for _, n := range []int{2, 7, 30} {
		for _, norm := range []float64{1e-10, 0.1, 1, 3, 25, 150} {
			a := withNorm1(randMat(r, n), n, norm)
			e, g := randMat(r, n), randMat(r, n)
			w := mustWorkspace(t, n)
			l, adj := make([]float64, n*n), make([]float64, n*n)
			if err := w.ExpmFrechet(nil, l, a, e); err != nil {
				t.Fatal(err)
			}
			if err := w.ExpmAdjoint(adj, a, g); err != nil {
				t.Fatal(err)
			}
			lhs, rhs := inner(g, l), inner(adj, e)
			scale := frob(g) * frob(l)
			if d := math.Abs(lhs - rhs); d > 100*float64(n)*u*max(1, norm)*scale {
				t.Errorf("n=%d ‖A‖₁=%g: ⟨G, L(A,E)⟩ = %v, ⟨L*(G), E⟩ = %v (diff %.3g of %.3g)", n, norm, lhs, rhs, d, scale)
			}
			// The adjoint is L(Aᵀ, G) by definition; check that too.
			lt := make([]float64, n*n)
			if err := w.ExpmFrechet(nil, lt, naiveT(a, n), g); err != nil {
				t.Fatal(err)
			}
			if err := relErr(adj, lt); err > 1e-15 {
				t.Errorf("n=%d ‖A‖₁=%g: ExpmAdjoint ≠ L(Aᵀ, G): %.3g", n, norm, err)
			}
		}
	}
}

// ∂f/∂U from ExpmAdjoint + SkewGrad against central differences of
// f(U) = ⟨G, exp(U − Uᵀ)⟩, entry by entry, for tiny, moderate and large skew A, in the
// packed and in expRNN's full (triu) parametrisation.
func TestSkewGradExpFD(t *testing.T) {
	r := newRand(10)
	for _, n := range []int{2, 5, 9} {
		for _, norm := range []float64{1e-8, 1, 4, 30} {
			p := SkewLen(n)
			packed := make([]float64, p)
			a := randSkew(r, n, norm)
			PackedFromSkew(packed, a, n)
			g := randMat(r, n)
			w := mustWorkspace(t, n)
			f := func(pk []float64) float64 {
				x, ex := make([]float64, n*n), make([]float64, n*n)
				SkewFromPacked(x, pk, n)
				if err := w.Expm(ex, x); err != nil {
					t.Fatal(err)
				}
				return inner(g, ex)
			}
			da := make([]float64, n*n)
			if err := w.ExpmAdjoint(da, a, g); err != nil {
				t.Fatal(err)
			}
			du := make([]float64, p)
			SkewGrad(du, da, n)
			h := 1e-5
			for k := range p {
				pp := append([]float64(nil), packed...)
				pm := append([]float64(nil), packed...)
				pp[k] += h
				pm[k] -= h
				fd := (f(pp) - f(pm)) / (2 * h)
				if math.Abs(fd-du[k]) > 1e-8*max(1, math.Abs(fd)) {
					t.Errorf("n=%d ‖A‖₁=%g: ∂f/∂U[%d] = %v, central difference %v", n, norm, k, du[k], fd)
				}
			}
			// expRNN's full form: raw's lower triangle is ignored, its upper gets the same
			// gradient.
			draw := make([]float64, n*n)
			SkewGradUpper(draw, da, n)
			k := 0
			for i := range n {
				for j := range n {
					switch {
					case j > i:
						if draw[i*n+j] != du[k] {
							t.Fatalf("SkewGradUpper[%d][%d] = %v, SkewGrad = %v", i, j, draw[i*n+j], du[k])
						}
						k++
					case draw[i*n+j] != 0:
						t.Fatalf("SkewGradUpper[%d][%d] = %v, want 0", i, j, draw[i*n+j])
					}
				}
			}
		}
	}
}
