package expm

import (
	"fmt"
	"math"
	"runtime"
	"testing"
)

func to32(a []float64) []float32 {
	out := make([]float32, len(a))
	for i, v := range a {
		out[i] = float32(v)
	}
	return out
}

func from32(a []float32) []float64 {
	out := make([]float64, len(a))
	for i, v := range a {
		out[i] = float64(v)
	}
	return out
}

func mustExp32(t testing.TB, n int) *Exp32 {
	t.Helper()
	e, err := NewExp32(n)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The thresholds are what their definition says: the tail Σ_{k≥m} θ^k/k! at θ_m is at most
// 2⁻²⁴ (summed here term by term, independently of taylorTail), and a little more beyond.
func TestThetaTaylor32(t *testing.T) {
	tail := func(th float64, m int) float64 {
		var s float64
		for k := m; k < m+60; k++ {
			s += math.Pow(th, float64(k)) / math.Gamma(float64(k+1))
		}
		return s
	}
	prev := 0.0
	for i, d := range taylorDegrees {
		th := thetaTaylor32[i]
		if th <= prev {
			t.Errorf("θ_%d = %v is not above the previous degree's %v", d.m, th, prev)
		}
		prev = th
		if v := tail(th, d.m); v > 0x1p-24*(1+1e-9) {
			t.Errorf("tail from degree %d at θ = %v is %v > 2⁻²⁴", d.m, th, v)
		}
		if v := tail(th*1.01, d.m); v <= 0x1p-24 {
			t.Errorf("θ_%d = %v is not the largest: at 1.01θ the tail is %v", d.m, th, v)
		}
	}
	// Henaff's initialisation (‖A‖₁ ≤ π) takes degree 20 without squaring: 7 products.
	if di, s := chooseTaylor(math.Pi); taylorDegrees[di].m != 20 || s != 0 {
		t.Errorf("‖A‖₁ = π: degree %d, %d squarings; want 20 and 0", taylorDegrees[di].m, s)
	}
}

// Exp against the float64 Padé exponential (itself checked against gonum and closed
// forms), and the float32 W's departure from orthogonality, across norms that take every
// degree and several squarings; for every norm the error is within a few times 2ˢ·√n·u.
func TestExp32AgainstFloat64(t *testing.T) {
	r := newRand(40)
	seenDeg := map[int]bool{}
	for _, n := range []int{1, 2, 5, 16, 64, 130} {
		w64 := mustWorkspace(t, n)
		e := mustExp32(t, n)
		for _, norm := range []float64{0, 1e-4, 0.05, 0.3, 0.6, 1.5, math.Pi, 10, 60} {
			for _, skew := range []bool{true, false} {
				if n == 1 && skew && norm > 0 {
					continue
				}
				var a []float64
				if skew {
					a = randSkew(r, n, norm)
				} else {
					a = withNorm1(randMat(r, n), n, norm)
					if norm > 1.5 {
						continue // a general matrix's exponential grows like e^‖A‖; the skew cases test large norms
					}
				}
				if norm == 0 {
					a = make([]float64, n*n)
				}
				a32 := to32(a)
				a = from32(a32) // compare on the rounded input
				want := make([]float64, n*n)
				if err := w64.Expm(want, a); err != nil {
					t.Fatal(err)
				}
				got := make([]float32, n*n)
				if err := e.Exp(got, a32); err != nil {
					t.Fatal(err)
				}
				m, s := e.Last()
				seenDeg[m] = true
				tol := 8 * math.Ldexp(1, s) * math.Sqrt(float64(n)) * 0x1p-24 * math.Max(1, frob(want))
				if d := frob(sub(from32(got), want)); d > tol {
					t.Errorf("n=%d ‖A‖₁=%g skew=%v (m=%d, s=%d): ‖W − exp(A)‖_F = %.3g > %.3g", n, norm, skew, m, s, d, tol)
				}
				if skew {
					otol := 16 * math.Ldexp(1, s) * math.Sqrt(float64(n)) * 0x1p-24 * math.Sqrt(float64(n))
					if d := orthoDefect(from32(got), n); d > otol {
						t.Errorf("n=%d ‖A‖₁=%g (m=%d, s=%d): ‖WᵀW − I‖_F = %.3g > %.3g", n, norm, m, s, d, otol)
					}
				}
			}
		}
	}
	for _, d := range taylorDegrees {
		if !seenDeg[d.m] {
			t.Errorf("degree %d never chosen", d.m)
		}
	}
}

// Adjoint against the float64 adjoint of the Fréchet derivative (ExpmAdjoint), and the
// defining identity ⟨Adjoint(G), E⟩ = ⟨G, dW(A)[E]⟩ against a float64 central difference
// of Exp's own map.
func TestExp32Adjoint(t *testing.T) {
	r := newRand(41)
	for _, n := range []int{1, 3, 8, 33, 70} {
		w64 := mustWorkspace(t, n)
		e := mustExp32(t, n)
		for _, norm := range []float64{0.01, 0.4, 1.2, math.Pi, 12} {
			for _, skew := range []bool{true, false} {
				if (n == 1 && skew) || (!skew && norm > 1.2) {
					continue
				}
				var a []float64
				if skew {
					a = randSkew(r, n, norm)
				} else {
					a = withNorm1(randMat(r, n), n, norm)
				}
				a32 := to32(a)
				a = from32(a32)
				g := randMat(r, n)
				g32 := to32(g)
				g = from32(g32)
				want := make([]float64, n*n)
				if err := w64.ExpmAdjoint(want, a, g); err != nil {
					t.Fatal(err)
				}
				w := make([]float32, n*n)
				if err := e.Exp(w, a32); err != nil {
					t.Fatal(err)
				}
				got := make([]float32, n*n)
				if err := e.Adjoint(got, g32); err != nil {
					t.Fatal(err)
				}
				_, s := e.Last()
				tol := 16 * math.Ldexp(1, s) * math.Sqrt(float64(n)) * 0x1p-24
				if d := relErr(from32(got), want); d > tol {
					t.Errorf("n=%d ‖A‖₁=%g skew=%v (s=%d): relative error of ∂f/∂A %.3g > %.3g", n, norm, skew, s, d, tol)
				}
			}
		}
	}
}

// Adjoint may alias its input; a failed Exp disables it; sizes and non-finite inputs are
// errors; A = 0 gives W = I exactly and the adjoint G.
func TestExp32Edges(t *testing.T) {
	n := 4
	e := mustExp32(t, n)
	if err := e.Adjoint(make([]float32, n*n), make([]float32, n*n)); err == nil {
		t.Error("Adjoint before any Exp: no error")
	}
	zero := make([]float32, n*n)
	w := make([]float32, n*n)
	if err := e.Exp(w, zero); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		for j := range n {
			want := float32(0)
			if i == j {
				want = 1
			}
			if w[i*n+j] != want {
				t.Fatalf("exp(0)[%d][%d] = %v", i, j, w[i*n+j])
			}
		}
	}
	g := make([]float32, n*n)
	for i := range g {
		g[i] = float32(i) - 3
	}
	da := append([]float32(nil), g...)
	if err := e.Adjoint(da, da); err != nil {
		t.Fatal(err)
	}
	for i := range g {
		if da[i] != g[i] {
			t.Fatalf("adjoint at A = 0 is not the identity map: [%d] %v, want %v", i, da[i], g[i])
		}
	}
	bad := make([]float32, n*n)
	bad[5] = float32(math.NaN())
	if err := e.Exp(w, bad); err == nil || err.Error() != "expm: Exp32.Exp: A[1][1] is NaN" {
		t.Errorf("NaN: %v", err)
	}
	if err := e.Adjoint(da, g); err == nil {
		t.Error("Adjoint after a failed Exp: no error")
	}
	huge := make([]float32, n*n)
	huge[1], huge[4] = 1e9, -1e9
	if err := e.Exp(w, huge); err == nil {
		t.Error("‖A‖₁ = 1e9: no error")
	}
	if err := e.Exp(w[:3], zero); err == nil {
		t.Error("short dst: no error")
	}
	if _, err := NewExp32(0); err == nil {
		t.Error("NewExp32(0): no error")
	}
}

// A steady state of Exp and Adjoint allocates nothing.
func TestExp32Allocs(t *testing.T) {
	n := 24
	e := mustExp32(t, n)
	a := to32(randSkew(newRand(42), n, 3))
	w, g := make([]float32, n*n), make([]float32, n*n)
	for i := range g {
		g[i] = 0.1 * float32(i%7)
	}
	step := func() {
		if err := e.Exp(w, a); err != nil {
			t.Fatal(err)
		}
		if err := e.Adjoint(w, g); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if allocs := testing.AllocsPerRun(10, step); allocs != 0 {
		t.Errorf("%v allocations per Exp + Adjoint", allocs)
	}
}

// BenchmarkExp32 times Exp and Exp + Adjoint on Henaff's initialisation and a dense skew
// matrix of ‖A‖₁ = 20, reporting GFLOP/s over the products actually computed (2n³ each).
func BenchmarkExp32(b *testing.B) {
	for _, n := range benchSizes {
		for _, name := range []string{"henaff", "dense20"} {
			a := to32(benchInputs(n)[name])
			g := to32(randMat(newRand(43), n))
			for _, op := range []string{"exp", "exp+adjoint"} {
				b.Run(fmt.Sprintf("n=%d/%s/%s", n, name, op), func(b *testing.B) {
					e := mustExp32(b, n)
					w, da := make([]float32, n*n), make([]float32, n*n)
					run := func() {
						if err := e.Exp(w, a); err != nil {
							b.Fatal(err)
						}
						if op == "exp+adjoint" {
							if err := e.Adjoint(da, g); err != nil {
								b.Fatal(err)
							}
						}
					}
					run()
					for b.Loop() {
						run()
					}
					products := float64(e.Products())
					if op == "exp+adjoint" {
						products *= 3
					}
					reportFlops(b, 2*products*cube(n))
					_, s := e.Last()
					b.ReportMetric(float64(s), "squarings")
				})
			}
		}
	}
}

// BenchmarkOrthogonalMaps times, per n, what an orthogonal cell does once per parameter
// update with each map and precision: W = exp(A) (Exp32, float32 on the SIMD Gemm; Expm,
// the float64 Padé path), W plus ∂f/∂A from ∂f/∂W (Exp32's Exp and Adjoint; float64 Expm
// and ExpmAdjoint) and the float64 Cayley transform with its adjoint, on Henaff's
// initialisation and on a dense skew matrix of ‖A‖₁ = 20. It reports the thread CPU time
// per operation (cpu-ns/op, steadier than ns/op on a shared machine), and for the float32
// path its accuracy against the float64 one: max-err = max |W32 − W64|, ortho-defect =
// ‖W32ᵀW32 − I‖_F, adjoint-relerr = the adjoint's relative Frobenius error.
func BenchmarkOrthogonalMaps(b *testing.B) {
	for _, n := range benchSizes {
		for _, input := range []string{"henaff", "dense20"} {
			a := benchInputs(n)[input]
			a32 := to32(a)
			g := randMat(newRand(44), n)
			g32 := to32(g)
			var after func() // reports the accuracy metrics (after b.Loop, which clears them)
			ops := []struct {
				name string
				run  func(b *testing.B) func()
			}{
				{"exp32", func(b *testing.B) func() {
					e, w := mustExp32(b, n), make([]float32, n*n)
					// Accuracy against the float64 path, on the float32 input: max |W32 − W64|
					// and ‖W32ᵀW32 − I‖_F.
					ws, w64 := mustWorkspace(b, n), make([]float64, n*n)
					must(b, e.Exp(w, a32))
					must(b, ws.Expm(w64, from32(a32)))
					var worst float64
					for i, v := range w {
						worst = math.Max(worst, math.Abs(float64(v)-w64[i]))
					}
					defect := orthoDefect(from32(w), n)
					after = func() { b.ReportMetric(worst, "max-err"); b.ReportMetric(defect, "ortho-defect") }
					return func() { must(b, e.Exp(w, a32)) }
				}},
				{"exp32+adjoint", func(b *testing.B) func() {
					e, w, d := mustExp32(b, n), make([]float32, n*n), make([]float32, n*n)
					// ‖∂f/∂A − float64's‖_F / ‖float64's‖_F.
					ws, d64 := mustWorkspace(b, n), make([]float64, n*n)
					must(b, e.Exp(w, a32))
					must(b, e.Adjoint(d, g32))
					must(b, ws.ExpmAdjoint(d64, from32(a32), from32(g32)))
					rel := relErr(from32(d), d64)
					after = func() { b.ReportMetric(rel, "adjoint-relerr") }
					return func() { must(b, e.Exp(w, a32)); must(b, e.Adjoint(d, g32)) }
				}},
				{"expm64", func(b *testing.B) func() {
					ws, w := mustWorkspace(b, n), make([]float64, n*n)
					return func() { must(b, ws.Expm(w, a)) }
				}},
				{"expm64+adjoint", func(b *testing.B) func() {
					ws, w, d := mustWorkspace(b, n), make([]float64, n*n), make([]float64, n*n)
					return func() { must(b, ws.Expm(w, a)); must(b, ws.ExpmAdjoint(d, a, g)) }
				}},
				{"cayley64+adjoint", func(b *testing.B) func() {
					ws, w, d := mustWorkspace(b, n), make([]float64, n*n), make([]float64, n*n)
					return func() { must(b, ws.Cayley(w, a, nil)); must(b, ws.CayleyAdjoint(d, a, nil, g)) }
				}},
			}
			for _, op := range ops {
				b.Run(fmt.Sprintf("n=%d/%s/%s", n, input, op.name), func(b *testing.B) {
					after = func() {}
					run := op.run(b)
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					run()
					c0 := threadCPU()
					for b.Loop() {
						run()
					}
					b.ReportMetric(float64(threadCPU()-c0)/float64(b.N), "cpu-ns/op")
					after()
				})
			}
		}
	}
}

func must(b *testing.B, err error) {
	if err != nil {
		b.Fatal(err)
	}
}

// For an exactly skew-symmetric A the squarings are chosen from √‖A²‖₁ ≥ ‖A‖₂, which for a
// dense A is well below ‖A‖₁: fewer squarings than for the same matrix made non-skew by
// one entry, and an exponential as accurate.
func TestExp32SkewNorm(t *testing.T) {
	n := 64
	a := randSkew(newRand(45), n, 20)
	e := mustExp32(t, n)
	w := make([]float32, n*n)
	if err := e.Exp(w, to32(a)); err != nil {
		t.Fatal(err)
	}
	_, sSkew := e.Last()
	b := to32(a)
	b[1] += 1e-3
	if err := e.Exp(w, b); err != nil {
		t.Fatal(err)
	}
	_, sGeneral := e.Last()
	if !(sSkew < sGeneral) {
		t.Errorf("skew A: %d squarings, the general path %d", sSkew, sGeneral)
	}
}
