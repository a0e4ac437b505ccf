package expm

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// gemm == the textbook loop for shapes around every block edge, strided views, alpha and
// accumulation.
func TestGemmMatchesNaive(t *testing.T) {
	r := newRand(1)
	pack := make([]float64, blockK*blockN)
	shapes := [][3]int{{1, 1, 1}, {2, 3, 4}, {3, 5, 1}, {7, 4, 9}, {64, 64, 64}, {65, 131, 67},
		{130, 129, 257}, {3, 260, 513}, {200, 7, 300}}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		lda, ldb, ldc := k+3, n+1, n+2
		a := make([]float64, m*lda)
		b := make([]float64, k*ldb)
		for i := range a {
			a[i] = r.NormFloat64()
		}
		for i := range b {
			b[i] = r.NormFloat64()
		}
		for _, acc := range []bool{false, true} {
			c := make([]float64, m*ldc)
			for i := range c {
				c[i] = r.NormFloat64()
			}
			want := append([]float64(nil), c...)
			alpha := -0.75
			for i := range m {
				for j := range n {
					var s float64
					for p := range k {
						s += a[i*lda+p] * b[p*ldb+j]
					}
					if acc {
						want[i*ldc+j] += alpha * s
					} else {
						want[i*ldc+j] = alpha * s
					}
				}
			}
			gemm(m, n, k, alpha, a, lda, b, ldb, c, ldc, acc, pack)
			for i := range m {
				for j := range ldc {
					got, w := c[i*ldc+j], want[i*ldc+j]
					if j >= n { // padding outside C must be untouched
						if got != w {
							t.Fatalf("%v acc=%v: padding (%d,%d) changed", sh, acc, i, j)
						}
						continue
					}
					if math.Abs(got-w) > 1e-12*math.Sqrt(float64(k)) {
						t.Fatalf("%v acc=%v: C[%d][%d] = %v, want %v", sh, acc, i, j, got, w)
					}
				}
			}
		}
	}
}

// luFactor + luSolve solve A·X = B to backward-stable accuracy, and agree with gonum.
func TestLUSolve(t *testing.T) {
	r := newRand(2)
	pack := make([]float64, blockK*blockN)
	for _, n := range []int{1, 2, 3, 5, 63, 64, 65, 130, 200} {
		a := randMat(r, n)
		b := randMat(r, n)
		lu := append([]float64(nil), a...)
		x := append([]float64(nil), b...)
		piv := make([]int, n)
		if err := luFactor(lu, n, piv, pack); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		luSolve(lu, piv, x, n, pack)
		res := frob(sub(naiveMul(a, x, n), b)) / (frob(a) * frob(x))
		if res > 1e-15*float64(n) {
			t.Errorf("n=%d: relative residual %.3g", n, res)
		}
		var g mat.Dense
		if err := g.Solve(mat.NewDense(n, n, a), mat.NewDense(n, n, b)); err != nil {
			t.Fatal(err)
		}
		if e := relErr(x, g.RawMatrix().Data); e > 1e-10 {
			t.Errorf("n=%d: differs from gonum by %.3g", n, e)
		}
	}
}

func TestLUSingular(t *testing.T) {
	pack := make([]float64, blockK*blockN)
	for _, n := range []int{1, 3, 70} {
		a := make([]float64, n*n)
		for i := range n {
			for j := range n {
				a[i*n+j] = float64(i + j) // rank 2
			}
		}
		if n == 1 {
			a[0] = 0
		}
		err := luFactor(a, n, make([]int, n), pack)
		if n == 3 || n == 70 {
			// Rank 2: the third pivot is zero in exact arithmetic; rounding may leave a
			// tiny one for the larger matrix, so only require no panic there.
			if n == 3 && !errors.Is(err, errSingular) {
				t.Errorf("n=%d: err = %v, want errSingular", n, err)
			}
			continue
		}
		if !errors.Is(err, errSingular) {
			t.Errorf("n=%d: err = %v, want errSingular", n, err)
		}
	}
}

// The Padé coefficients are Higham's integers b_j for m = 13 divided by b_0, and every
// degree's satisfy c_0 = 1 and the defining recurrence exactly as rationals (checked here
// against the factorial formula in float64).
func TestPadeCoeffs(t *testing.T) {
	b13 := []float64{64764752532480000, 32382376266240000, 7771770303897600,
		1187353796428800, 129060195264000, 10559470521600, 670442572800, 33522128640,
		1323241920, 40840800, 960960, 16380, 182, 1}
	c := padeCoeffs[len(padeDegrees)-1]
	for j, b := range b13 {
		if e := math.Abs(c[j]*b13[0]-b) / b; e > 4e-16 {
			t.Errorf("m=13: c[%d]·b0 = %v, want %v", j, c[j]*b13[0], b)
		}
	}
	for i, m := range padeDegrees {
		for j := 0; j <= m; j++ {
			lg := func(x int) float64 { v, _ := math.Lgamma(float64(x + 1)); return v }
			want := math.Exp(lg(2*m-j) + lg(m) - lg(2*m) - lg(j) - lg(m-j))
			if e := math.Abs(padeCoeffs[i][j]-want) / want; e > 1e-12 {
				t.Errorf("m=%d: c[%d] = %v, want %v", m, j, padeCoeffs[i][j], want)
			}
		}
	}
	// p_m(x)/p_m(−x) approximates eˣ to O(x^(2m+1)).
	for i, m := range padeDegrees {
		x := 0.01
		var p, q float64
		for j := m; j >= 0; j-- {
			p = p*x + padeCoeffs[i][j]
			q = q*(-x) + padeCoeffs[i][j]
		}
		if e := math.Abs(p/q-math.Exp(x)) / math.Exp(x); e > 4e-16 {
			t.Errorf("m=%d: r(0.01) off by %.3g", m, e)
		}
	}
}

func TestChoosePade(t *testing.T) {
	for _, tc := range []struct {
		norm  float64
		deg   int
		s     int
		bound []float64
	}{
		{0, 3, 0, thetaExp[:]}, {0.0149, 3, 0, thetaExp[:]}, {0.015, 5, 0, thetaExp[:]}, {0.1, 5, 0, thetaExp[:]},
		{0.9, 7, 0, thetaExp[:]}, {2, 9, 0, thetaExp[:]}, {5, 13, 0, thetaExp[:]},
		{5.371920351148152, 13, 0, thetaExp[:]}, {5.38, 13, 1, thetaExp[:]},
		{1000, 13, 8, thetaExp[:]}, {4.74, 13, 0, ellFrechet[:]}, {5, 13, 1, ellFrechet[:]},
		{1e300, 13, 995, thetaExp[:]},
	} {
		mi, s := choosePade(tc.norm, tc.bound)
		if padeDegrees[mi] != tc.deg || s != tc.s {
			t.Errorf("norm %v: (m, s) = (%d, %d), want (%d, %d)", tc.norm, padeDegrees[mi], s, tc.deg, tc.s)
		}
		if s > 0 && (math.Ldexp(tc.norm, -s) > tc.bound[len(tc.bound)-1] || math.Ldexp(tc.norm, 1-s) <= tc.bound[len(tc.bound)-1]) {
			t.Errorf("norm %v: s = %d is not the smallest scaling", tc.norm, s)
		}
	}
}

func ExampleWorkspace_Expm() {
	// exp of [[0, θ], [−θ, 0]] is the rotation [[cos θ, sin θ], [−sin θ, cos θ]].
	w, _ := NewWorkspace(2)
	theta := math.Pi / 6
	r := make([]float64, 4)
	if err := w.Expm(r, []float64{0, theta, -theta, 0}); err != nil {
		panic(err)
	}
	fmt.Printf("%.6f %.6f\n%.6f %.6f\n", r[0], r[1], r[2], r[3])
	// Output:
	// 0.866025 0.500000
	// -0.500000 0.866025
}
