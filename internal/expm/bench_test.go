package expm

import (
	"fmt"
	"testing"
)

// Flop counts per call, from the path taken (Padé degree m, squarings s); an n×n product
// is 2n³ flops, an LU (2/3)n³, a solve for n right-hand sides 2n³.

// expmProducts[m] is the number of n×n products in the Padé evaluation of degree m.
var expmProducts = map[int]float64{3: 2, 5: 3, 7: 4, 9: 5, 13: 6}

// frechetProducts[m] is the number of n×n products in the differentiated evaluation,
// including (L_U − L_V)·R.
var frechetProducts = map[int]float64{3: 7, 5: 10, 7: 13, 9: 16, 13: 19}

func expmFlops(n, m, s int) float64 {
	return (2*expmProducts[m] + 2.0/3 + 2 + 2*float64(s)) * cube(n)
}

func frechetFlops(n, m, s int) float64 {
	return (2*frechetProducts[m] + 2.0/3 + 4 + 6*float64(s)) * cube(n)
}

func cube(n int) float64 { return float64(n) * float64(n) * float64(n) }

// benchInputs are the skew matrices the benchmarks time: Henaff's init (‖A‖₁ ≤ π, the
// state at the start of training: degree 13, no squaring) and a dense skew matrix with
// ‖A‖₁ = 20 (what training may grow A to: two squarings for exp, three for its derivative).
func benchInputs(n int) map[string][]float64 {
	h := make([]float64, n*n)
	HenaffInit(h, n, newRand(20))
	return map[string][]float64{"henaff": h, "dense20": randSkew(newRand(21), n, 20)}
}

var benchSizes = []int{64, 128, 256, 512}

func reportFlops(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkExpm(b *testing.B) {
	for _, n := range benchSizes {
		for _, name := range []string{"henaff", "dense20"} {
			a := benchInputs(n)[name]
			b.Run(fmt.Sprintf("n=%d/%s", n, name), func(b *testing.B) {
				w := mustWorkspace(b, n)
				out := make([]float64, n*n)
				_ = w.Expm(out, a) // allocate the scratch outside the timed loop
				for b.Loop() {
					if err := w.Expm(out, a); err != nil {
						b.Fatal(err)
					}
				}
				reportFlops(b, expmFlops(n, w.lastM, w.lastS))
				b.ReportMetric(float64(w.lastS), "squarings")
			})
		}
	}
}

func BenchmarkExpmAdjoint(b *testing.B) {
	for _, n := range benchSizes {
		for _, name := range []string{"henaff", "dense20"} {
			a := benchInputs(n)[name]
			g := randMat(newRand(22), n)
			b.Run(fmt.Sprintf("n=%d/%s", n, name), func(b *testing.B) {
				w := mustWorkspace(b, n)
				out := make([]float64, n*n)
				_ = w.ExpmAdjoint(out, a, g)
				for b.Loop() {
					if err := w.ExpmAdjoint(out, a, g); err != nil {
						b.Fatal(err)
					}
				}
				reportFlops(b, frechetFlops(n, w.lastM, w.lastS))
				b.ReportMetric(float64(w.lastS), "squarings")
			})
		}
	}
}

func BenchmarkCayley(b *testing.B) {
	for _, n := range benchSizes {
		a := benchInputs(n)["dense20"]
		g := randMat(newRand(23), n)
		b.Run(fmt.Sprintf("n=%d/forward", n), func(b *testing.B) {
			w := mustWorkspace(b, n)
			out := make([]float64, n*n)
			_ = w.Cayley(out, a, nil)
			for b.Loop() {
				if err := w.Cayley(out, a, nil); err != nil {
					b.Fatal(err)
				}
			}
			reportFlops(b, (2.0/3+2)*cube(n))
		})
		b.Run(fmt.Sprintf("n=%d/adjoint", n), func(b *testing.B) {
			w := mustWorkspace(b, n)
			out := make([]float64, n*n)
			_ = w.CayleyAdjoint(out, a, nil, g)
			for b.Loop() {
				if err := w.CayleyAdjoint(out, a, nil, g); err != nil {
					b.Fatal(err)
				}
			}
			reportFlops(b, (2*(2.0/3+2)+2)*cube(n))
		})
	}
}

// BenchmarkLU times one LU and one n-column solve, the non-product part of Expm.
func BenchmarkLU(b *testing.B) {
	for _, n := range benchSizes {
		r := newRand(24)
		a, rhs := randMat(r, n), randMat(r, n)
		lu, x := make([]float64, n*n), make([]float64, n*n)
		piv, pack := make([]int, n), make([]float64, blockK*blockN)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				copy(lu, a)
				copy(x, rhs)
				if err := luFactor(lu, n, piv, pack); err != nil {
					b.Fatal(err)
				}
				luSolve(lu, piv, x, n, pack)
			}
			reportFlops(b, (2.0/3+2)*cube(n))
		})
	}
}
