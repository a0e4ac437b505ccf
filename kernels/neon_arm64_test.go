//go:build !purego

package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestNEONBitIdentical pins down a property the shared harness (which allows rounding
// differences) does not: where generic is a sequence of y += a*b updates, the NEON
// kernels apply the same fused multiply-adds in the same order, so the results are
// bit-identical. This relies on the Go compiler fusing a*b+c into FMADD on arm64, which
// it does today; if a compiler release stops doing so, this test is what says why
// results moved.
func TestNEONBitIdentical(t *testing.T) {
	if !hasNEON {
		t.Skip("no Advanced SIMD on this CPU")
	}
	restore, err := UseTier(NEON)
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	r := rand.New(rand.NewPCG(21, 22))
	vec := func(n int) []float32 {
		s := make([]float32, n)
		randFill(r, s)
		return s
	}
	for n := 0; n <= 70; n++ {
		x, y, d := vec(n), vec(n), vec(n)
		alpha := float32(r.Float64()*4 - 2)
		for _, k := range elementwiseKernels {
			got, want := snapshot(d), snapshot(d)
			k.run(got, x, y, alpha)
			k.generic(want, x, y, alpha)
			if !sameBits(got, want) {
				t.Fatalf("%s n=%d: NEON %v, generic %v", k.name, n, got, want)
			}
		}
	}
	for _, s := range matShapes {
		a := Mat{Rows: s.rows, Cols: s.cols, Stride: s.stride, Data: vec((s.rows-1)*s.stride + s.cols)}
		xr, xc := vec(s.rows), vec(s.cols)
		alpha := float32(r.Float64()*4 - 2)

		got, want := snapshot(xc), snapshot(xc)
		MatTVecAdd(got, a, xr)
		matTVecAddGeneric(want, a, xr)
		if !sameBits(got, want) {
			t.Fatalf("MatTVecAdd %dx%d stride %d: NEON and generic differ", s.rows, s.cols, s.stride)
		}

		ga := Mat{Rows: a.Rows, Cols: a.Cols, Stride: a.Stride, Data: snapshot(a.Data)}
		wa := Mat{Rows: a.Rows, Cols: a.Cols, Stride: a.Stride, Data: snapshot(a.Data)}
		Ger(ga, alpha, xr, xc)
		gerGeneric(wa, alpha, xr, xc)
		if !sameBits(ga.Data, wa.Data) {
			t.Fatalf("Ger %dx%d stride %d: NEON and generic differ", s.rows, s.cols, s.stride)
		}
	}
}
