package expm

import (
	"math"
	"testing"
)

// blockAngles returns the superdiagonal entries a[2i][2i+1] and checks the rest of the
// block structure of HenaffInit/CayleyInit.
func blockAngles(t *testing.T, a []float64, n int) []float64 {
	t.Helper()
	var x []float64
	for i := range n {
		for j := range n {
			v := a[i*n+j]
			switch {
			case i%2 == 0 && j == i+1:
				x = append(x, v)
			case j%2 == 0 && i == j+1:
				if v != -a[j*n+i] {
					t.Fatalf("A[%d][%d] = %v, want %v", i, j, v, -a[j*n+i])
				}
			case v != 0:
				t.Fatalf("A[%d][%d] = %v outside the 2×2 blocks", i, j, v)
			}
		}
	}
	if len(x) != n/2 {
		t.Fatalf("%d blocks, want %d", len(x), n/2)
	}
	return x
}

func TestHenaffInit(t *testing.T) {
	for _, n := range []int{1, 7, 1000} {
		a := make([]float64, n*n)
		for k := range a {
			a[k] = 9 // stale values must be cleared
		}
		HenaffInit(a, n, newRand(15))
		theta := blockAngles(t, a, n)
		lo, hi := math.Inf(1), math.Inf(-1)
		var mean float64
		for _, th := range theta {
			if th < -math.Pi || th >= math.Pi {
				t.Fatalf("n=%d: angle %v outside [−π, π)", n, th)
			}
			lo, hi, mean = min(lo, th), max(hi, th), mean+th/float64(len(theta))
		}
		if n == 1000 && (lo > -3 || hi < 3 || math.Abs(mean) > 0.3) {
			t.Errorf("n=%d: 500 angles span [%v, %v] with mean %v; not uniform on [−π, π]", n, lo, hi, mean)
		}
		// Same seed, same matrix.
		b := make([]float64, n*n)
		HenaffInit(b, n, newRand(15))
		for k := range a {
			if a[k] != b[k] {
				t.Fatalf("n=%d: not deterministic for a fixed seed", n)
			}
		}
		// exp(A) rotates block i by θ_i.
		if n == 7 {
			w := mustWorkspace(t, n)
			e := make([]float64, n*n)
			if err := w.Expm(e, a); err != nil {
				t.Fatal(err)
			}
			for i, th := range theta {
				p := 2 * i
				if math.Abs(e[p*n+p]-math.Cos(th)) > 1e-15 || math.Abs(e[p*n+p+1]-math.Sin(th)) > 1e-15 {
					t.Errorf("block %d: exp = [%v %v], want cos, sin of %v", i, e[p*n+p], e[p*n+p+1], th)
				}
			}
		}
	}
}

// CayleyInit's entries are −tan(u/2) for u uniform on [0, π/2), and Cayley maps each block
// to the rotation by u: W[2i][2i] = cos u, W[2i][2i+1] = sin u, both ≥ 0.
func TestCayleyInit(t *testing.T) {
	n := 400
	a := make([]float64, n*n)
	CayleyInit(a, n, newRand(16))
	s := blockAngles(t, a, n)
	w := mustWorkspace(t, n)
	c := make([]float64, n*n)
	if err := w.Cayley(c, a, nil); err != nil {
		t.Fatal(err)
	}
	var mean float64
	for i, si := range s {
		if si > 0 || si < -1 {
			t.Fatalf("s[%d] = %v outside [−tan(π/4), 0]", i, si)
		}
		uAngle := -2 * math.Atan(si)
		mean += uAngle / float64(len(s))
		p := 2 * i
		if math.Abs(c[p*n+p]-math.Cos(uAngle)) > 1e-14 || math.Abs(c[p*n+p+1]-math.Sin(uAngle)) > 1e-14 || c[p*n+p+1] < 0 {
			t.Fatalf("block %d: Cayley = [%v %v], want cos, sin of u = %v", i, c[p*n+p], c[p*n+p+1], uAngle)
		}
	}
	if math.Abs(mean-math.Pi/4) > 0.1 {
		t.Errorf("mean rotation angle %v, want ≈ π/4 for u ~ U[0, π/2]", mean)
	}
}
