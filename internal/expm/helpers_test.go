package expm

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The references in these tests are naive triple loops and gonum, never this package's
// gemm or LU.

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func mustWorkspace(t testing.TB, n int) *Workspace {
	t.Helper()
	w, err := NewWorkspace(n)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func randMat(r *rand.Rand, n int) []float64 {
	a := make([]float64, n*n)
	for k := range a {
		a[k] = r.NormFloat64()
	}
	return a
}

// withNorm1 scales a in place to 1-norm target and returns it.
func withNorm1(a []float64, n int, target float64) []float64 {
	s := target / refNorm1(a, n)
	for k := range a {
		a[k] *= s
	}
	return a
}

func refNorm1(a []float64, n int) float64 {
	var m float64
	for j := range n {
		var s float64
		for i := range n {
			s += math.Abs(a[i*n+j])
		}
		m = max(m, s)
	}
	return m
}

func randSkew(r *rand.Rand, n int, norm float64) []float64 {
	a := randMat(r, n)
	SkewPart(a, a, n)
	return withNorm1(a, n, norm)
}

// naiveMul returns a·b for n×n matrices by the textbook loop.
func naiveMul(a, b []float64, n int) []float64 {
	c := make([]float64, n*n)
	for i := range n {
		for k := range n {
			aik := a[i*n+k]
			for j := range n {
				c[i*n+j] += aik * b[k*n+j]
			}
		}
	}
	return c
}

func naiveT(a []float64, n int) []float64 {
	t := make([]float64, n*n)
	for i := range n {
		for j := range n {
			t[j*n+i] = a[i*n+j]
		}
	}
	return t
}

func eye(n int) []float64 {
	a := make([]float64, n*n)
	for i := range n {
		a[i*n+i] = 1
	}
	return a
}

func sub(a, b []float64) []float64 {
	c := make([]float64, len(a))
	for k := range a {
		c[k] = a[k] - b[k]
	}
	return c
}

func frob(a []float64) float64 {
	var s float64
	for _, v := range a {
		s += v * v
	}
	return math.Sqrt(s)
}

func inner(a, b []float64) float64 {
	var s float64
	for k := range a {
		s += a[k] * b[k]
	}
	return s
}

// relErr returns ‖got − want‖_F / ‖want‖_F.
func relErr(got, want []float64) float64 { return frob(sub(got, want)) / frob(want) }

// orthoDefect returns ‖WᵀW − I‖_F.
func orthoDefect(w []float64, n int) float64 {
	return frob(sub(naiveMul(naiveT(w, n), w, n), eye(n)))
}

// randOrthogonal returns a Haar-like random orthogonal matrix: the Q of gonum's QR of a
// Gaussian matrix.
func randOrthogonal(r *rand.Rand, n int) []float64 {
	var qr mat.QR
	qr.Factorize(mat.NewDense(n, n, randMat(r, n)))
	var q mat.Dense
	qr.QTo(&q)
	return append([]float64(nil), q.RawMatrix().Data...)
}

// taylorExp returns exp(A) by squaring a Taylor series of A/2ᵏ, with enough terms that the
// truncation is below 1e-18 relative; for ‖A/2ᵏ‖ ≤ 1/2 forty terms are far more than enough.
func taylorExp(a []float64, n int) []float64 {
	k := 0
	for refNorm1(a, n)/math.Ldexp(1, k) > 0.5 {
		k++
	}
	x := make([]float64, len(a))
	for i := range a {
		x[i] = math.Ldexp(a[i], -k)
	}
	sum, term := eye(n), eye(n)
	for j := 1; j <= 40; j++ {
		term = naiveMul(term, x, n)
		for i := range term {
			term[i] /= float64(j)
			sum[i] += term[i]
		}
	}
	for range k {
		sum = naiveMul(sum, sum, n)
	}
	return sum
}

// rotationExp returns Q·blockdiag(R(θ_i))·Qᵀ, the exponential of Q·blockdiag([[0,θ],[−θ,0]])·Qᵀ
// in closed form, and that skew matrix.
func rotationExp(q []float64, theta []float64, n int) (a, expA []float64) {
	b, e := make([]float64, n*n), eye(n)
	for i, th := range theta {
		p := 2 * i
		b[p*n+p+1], b[(p+1)*n+p] = th, -th
		c, s := math.Cos(th), math.Sin(th)
		e[p*n+p], e[p*n+p+1], e[(p+1)*n+p], e[(p+1)*n+p+1] = c, s, -s, c
	}
	qt := naiveT(q, n)
	return naiveMul(naiveMul(q, b, n), qt, n), naiveMul(naiveMul(q, e, n), qt, n)
}
