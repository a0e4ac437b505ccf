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

// TestGemmKernel8x8NEONLayouts calls the micro-kernel directly with every A layout its
// contract allows, not only the two the driver produces today (in place: csa == 1;
// packed: rsa == 1, csa == mr): the loop that gathers A lane by lane must be right for
// any strides. Rows past rows must be left alone.
func TestGemmKernel8x8NEONLayouts(t *testing.T) {
	if !hasNEON {
		t.Skip("no Advanced SIMD on this CPU")
	}
	const mr, nr = 8, 8
	r := rand.New(rand.NewPCG(23, 24))
	layouts := []struct {
		name     string
		rsa, csa func(kc int) int
	}{
		{"in place", func(kc int) int { return kc + 3 }, func(int) int { return 1 }},
		{"packed", func(int) int { return 1 }, func(int) int { return mr }},
		{"column-major", func(int) int { return 1 }, func(int) int { return mr + 5 }},
		{"strided", func(kc int) int { return 2*kc + 1 }, func(int) int { return 2 }},
	}
	for _, l := range layouts {
		for kc := 1; kc <= 13; kc++ {
			for rows := 1; rows <= mr; rows++ {
				rsa, csa := l.rsa(kc), l.csa(kc)
				a := make([]float32, (mr-1)*rsa+(kc-1)*csa+1)
				randFill(r, a)
				ldb := nr + kc%3
				b := make([]float32, (kc-1)*ldb+nr)
				randFill(r, b)
				ldc := nr + 2
				c := make([]float32, mr*ldc)
				randFill(r, c)
				want := snapshot(c)
				for i := 0; i < rows; i++ {
					for j := 0; j < nr; j++ {
						for p := 0; p < kc; p++ {
							want[i*ldc+j] += a[i*rsa+p*csa] * b[p*ldb+j]
						}
					}
				}
				c0 := snapshot(c)
				gemmKernel8x8NEON(kc, &a[0], rsa, csa, &b[0], ldb, &c[0], ldc, rows)
				for i := 0; i < mr; i++ {
					for j := 0; j < ldc; j++ {
						k := i*ldc + j
						if i >= rows || j >= nr {
							if c[k] != c0[k] {
								t.Fatalf("%s kc=%d rows=%d: wrote c[%d][%d] outside the tile", l.name, kc, rows, i, j)
							}
							continue
						}
						if !closeTo(c[k], want[k], float32(kc+1)) {
							t.Fatalf("%s kc=%d rows=%d: c[%d][%d] = %v, want %v", l.name, kc, rows, i, j, c[k], want[k])
						}
					}
				}
			}
		}
	}
}

// TestGemmCopyRows checks the NEON B-panel copy for odd and even row counts and a source
// stride wider than a row, and that it writes nothing past rows*8.
func TestGemmCopyRows(t *testing.T) {
	if !hasNEON {
		t.Skip("no Advanced SIMD on this CPU")
	}
	r := rand.New(rand.NewPCG(25, 26))
	if gemmCopyRows(nil, nil, 8, 3, 12) {
		t.Fatal("gemmCopyRows claimed a width it does not handle")
	}
	for rows := 0; rows <= 9; rows++ {
		for _, lds := range []int{8, 9, 37} {
			src := make([]float32, max(0, (rows-1)*lds+8))
			randFill(r, src)
			dst, check := guarded(rows*8, rows%4)
			if !gemmCopyRows(dst, src, lds, rows, 8) {
				t.Fatal("gemmCopyRows refused width 8")
			}
			for p := 0; p < rows; p++ {
				if !sameBits(dst[p*8:p*8+8], src[p*lds:p*lds+8]) {
					t.Fatalf("rows=%d lds=%d: row %d is %v, want %v", rows, lds, p, dst[p*8:p*8+8], src[p*lds:p*lds+8])
				}
			}
			check(t, "gemmCopyRows dst")
		}
	}
}
