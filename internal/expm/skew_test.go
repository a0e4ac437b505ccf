package expm

import (
	"math"
	"strings"
	"testing"
)

func TestSkewHelpers(t *testing.T) {
	r := newRand(14)
	for _, n := range []int{0, 1, 2, 5} {
		p := SkewLen(n)
		packed := make([]float64, p)
		for k := range packed {
			packed[k] = r.NormFloat64()
		}
		a := randMat(r, n)
		SkewFromPacked(a, packed, n)
		for i := range n {
			for j := range n {
				if a[i*n+j] != -a[j*n+i] {
					t.Fatalf("n=%d: A[%d][%d] = %v, A[%d][%d] = %v", n, i, j, a[i*n+j], j, i, a[j*n+i])
				}
			}
		}
		if n >= 3 && a[0*n+2] != packed[1] || n >= 3 && a[1*n+2] != packed[n-1] {
			t.Fatalf("n=%d: packed order is not row by row", n)
		}
		back := make([]float64, p)
		PackedFromSkew(back, a, n)
		for k := range back {
			if back[k] != packed[k] {
				t.Fatalf("n=%d: round trip packed[%d] = %v, want %v", n, k, back[k], packed[k])
			}
		}
		// SkewFromUpper ignores the lower triangle and the diagonal.
		raw := randMat(r, n)
		full := make([]float64, n*n)
		SkewFromUpper(full, raw, n)
		PackedFromSkew(back, full, n)
		SkewFromPacked(a, back, n)
		for k := range a {
			if a[k] != full[k] {
				t.Fatalf("n=%d: SkewFromUpper ≠ SkewFromPacked of its triangle", n)
			}
		}
		// SkewPart is the projection: idempotent, equal to (A − Aᵀ)/2, aliasing allowed.
		m := randMat(r, n)
		sp := make([]float64, n*n)
		SkewPart(sp, m, n)
		for i := range n {
			for j := range n {
				if math.Abs(sp[i*n+j]-(m[i*n+j]-m[j*n+i])/2) > 1e-16 {
					t.Fatalf("n=%d: SkewPart[%d][%d] wrong", n, i, j)
				}
			}
		}
		SkewPart(m, m, n)
		for k := range m {
			if m[k] != sp[k] {
				t.Fatalf("n=%d: SkewPart in place differs", n)
			}
		}
		// SkewGrad is the adjoint of SkewFromPacked: ⟨dA, SkewFromPacked(v)⟩ = ⟨SkewGrad(dA), v⟩.
		da := randMat(r, n)
		v := make([]float64, p)
		for k := range v {
			v[k] = r.NormFloat64()
		}
		SkewFromPacked(a, v, n)
		gu := make([]float64, p)
		SkewGrad(gu, da, n)
		if lhs, rhs := inner(da, a), inner(gu, v); math.Abs(lhs-rhs) > 1e-12*(1+math.Abs(lhs)) {
			t.Fatalf("n=%d: SkewGrad is not the adjoint: %v vs %v", n, lhs, rhs)
		}
	}
}

func TestSkewHelpersPanicNamingSizes(t *testing.T) {
	for _, tc := range []struct {
		f    func()
		want string
	}{
		{func() { SkewFromPacked(make([]float64, 9), make([]float64, 2), 3) }, "packed triangle has 2 values, want 3 for n = 3"},
		{func() { SkewGrad(make([]float64, 2), make([]float64, 8), 3) }, "matrix has 8 values, want 3×3"},
		{func() { HenaffInit(make([]float64, 5), 2, newRand(1)) }, "HenaffInit: matrix has 5 values, want 2×2"},
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tc.want) {
					t.Errorf("panic %q, want it to contain %q", msg, tc.want)
				}
			}()
			tc.f()
		}()
	}
}
