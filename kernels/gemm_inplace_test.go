package kernels

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// MatMulInPlace gives MatMul's bits on every tier, for shapes around the micro-kernels'
// tiles, K within one K block and across several, extra output rows, strided X, and
// column ranges computed in separate calls; it touches nothing outside X.
func TestMatMulInPlaceIsMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	forEveryTier(t, func(t *testing.T) {
		for _, k := range []int{1, 2, 5, 8, 16, 17, 33, 64, 130, 300, 600} {
			for _, extra := range []int{0, 1, 7} {
				for _, n := range []int{1, 3, 15, 16, 17, 33, 100, 1040} {
					if k*n > 200000 || testing.Short() && k*n > 20000 {
						continue // -short leaves out the largest products
					}
					m := k + extra
					name := fmt.Sprintf("K=%d M=%d N=%d", k, m, n)
					a := NewMat(m, k)
					randFill(r, a.Data)
					x, check := guardedMat(r, matShape{m, n, n + k%5}, (k+n)%16)
					b := NewMat(k, n)
					for i := range k {
						copy(b.Row(i), x.Row(i))
					}
					want := NewMat(m, n)
					MatMul(want, a, b)
					MatMulInPlace(x, a)
					for i := range m {
						if !sameBits(x.Row(i), want.Row(i)) {
							t.Fatalf("%s: row %d differs from MatMul's", name, i)
						}
					}
					check(t, name)
					// Column ranges in separate calls, against MatMul on the same ranges.
					for i := range k {
						copy(x.Row(i), b.Row(i))
					}
					for j0 := 0; j0 < n; j0 += 37 {
						j1 := min(n, j0+37)
						MatMulInPlace(x.Slice(0, m, j0, j1), a)
						MatMul(want.Slice(0, m, j0, j1), a, b.Slice(0, k, j0, j1))
					}
					for i := range m {
						if !sameBits(x.Row(i), want.Row(i)) {
							t.Fatalf("%s: row %d differs from MatMul's when columns go in ranges of 37", name, i)
						}
					}
				}
			}
		}
	})
}

func TestMatMulInPlacePanicsAndAllocations(t *testing.T) {
	for _, c := range []struct {
		name, want string
		f          func()
	}{
		{"rows", "X is 3×4, A is 4×4", func() { MatMulInPlace(NewMat(3, 4), NewMat(4, 4)) }},
		{"wide A", "X is 3×4, A is 3×5", func() { MatMulInPlace(NewMat(3, 4), NewMat(3, 5)) }},
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, c.want) {
					t.Errorf("%s: panic %q, want one containing %q", c.name, msg, c.want)
				}
			}()
			c.f()
		}()
	}
	x, a := NewMat(65, 500), NewMat(65, 64)
	MatMulInPlace(x, a)
	if n := testing.AllocsPerRun(10, func() { MatMulInPlace(x, a) }); n != 0 {
		t.Fatalf("%v allocations per call", n)
	}
}
