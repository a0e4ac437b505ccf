package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The harness compares every tier the CPU supports with the generic kernels, over every
// length up to three AVX-512 unrolls (4 accumulators × 16 lanes) plus one, the sizes
// around powers of two, slice offsets 0..15 floats, and strided matrices. Outputs sit
// between NaN guard bands with a recognisable payload, so a single stray store shows.

const eps32 = 1.0 / (1 << 23)

var testLengths = func() []int {
	var ls []int
	for n := 0; n <= 3*64+1; n++ {
		ls = append(ls, n)
	}
	return append(ls, 255, 256, 257, 511, 512, 513, 1000, 1024, 4097)
}()

// guardNaN is a quiet NaN whose payload no arithmetic produces, so an overwritten guard
// is distinguishable from a propagated NaN.
var guardNaN = math.Float32frombits(0x7fc0beef)

const guardLen = 16

// guarded returns a slice of n floats starting off floats into a buffer whose remaining
// elements (a band before and after) hold guardNaN. check reports any guard that changed.
func guarded(n, off int) (s []float32, check func(t *testing.T, what string)) {
	buf := make([]float32, guardLen+off+n+guardLen)
	for i := range buf {
		buf[i] = guardNaN
	}
	start := guardLen + off
	s = buf[start : start+n : start+n]
	return s, func(t *testing.T, what string) {
		t.Helper()
		for i, v := range buf {
			if i >= start && i < start+n {
				continue
			}
			if math.Float32bits(v) != math.Float32bits(guardNaN) {
				t.Fatalf("%s: wrote %v at guard index %d (slice is [%d, %d))", what, v, i, start, start+n)
			}
		}
	}
}

func randFill(r *rand.Rand, s []float32) {
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
}

// forEachTier runs f once per non-generic tier this CPU supports, with that tier active.
func forEachTier(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	ran := false
	for _, tier := range Tiers() {
		if tier == Generic {
			continue
		}
		ran = true
		t.Run(tier.String(), func(t *testing.T) {
			restore, err := UseTier(tier)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			f(t)
		})
	}
	if !ran {
		t.Logf("only the generic tier is available (%s); nothing to compare", Impl())
	}
}

// close reports whether got matches want within a tolerance scaled by mag, the sum of
// the magnitudes of everything that was added up. Fused multiply-adds and a different
// summation order move a result by a few ulps of mag, not of the result. Non-finite
// results must match exactly in kind: NaN for NaN, the same infinity for an infinity.
func closeTo(got, want, mag float32) bool {
	switch {
	case math.IsNaN(float64(want)):
		return math.IsNaN(float64(got))
	case math.IsInf(float64(want), 0):
		return got == want
	}
	return math.Abs(float64(got)-float64(want)) <= 16*eps32*float64(mag)
}

func snapshot(s []float32) []float32 { return append([]float32(nil), s...) }

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestDot(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	forEachTier(t, func(t *testing.T) {
		for _, n := range testLengths {
			for off := 0; off < 16; off++ {
				x, checkX := guarded(n, off)
				y, checkY := guarded(n, (off*7)%16)
				randFill(r, x)
				randFill(r, y)
				x0, y0 := snapshot(x), snapshot(y)
				got, want := Dot(x, y), dotGeneric(x, y)
				var mag float32
				for i := range x {
					mag += float32(math.Abs(float64(x[i] * y[i])))
				}
				if !closeTo(got, want, mag) {
					t.Fatalf("n=%d off=%d: Dot = %v, generic %v", n, off, got, want)
				}
				if !sameBits(x, x0) || !sameBits(y, y0) {
					t.Fatalf("n=%d off=%d: Dot changed its inputs", n, off)
				}
				checkX(t, "Dot x")
				checkY(t, "Dot y")
			}
		}
	})
}

// elementwise covers the level-1 kernels that write a vector: each case runs the
// exported kernel and its generic twin on copies of the same inputs and reports the
// per-element magnitude for the tolerance.
type elementwise struct {
	name    string
	run     func(dst, x, y []float32, alpha float32)
	generic func(dst, x, y []float32, alpha float32)
	mag     func(dst, x, y float32, alpha float32) float32
}

func abs32(v float32) float32 { return float32(math.Abs(float64(v))) }

var elementwiseKernels = []elementwise{
	{"Axpy",
		func(dst, x, _ []float32, a float32) { Axpy(a, x, dst) },
		func(dst, x, _ []float32, a float32) { axpyGeneric(a, x, dst) },
		func(d, x, _ float32, a float32) float32 { return abs32(d) + abs32(a*x) }},
	{"Scale",
		func(dst, _, _ []float32, a float32) { Scale(a, dst) },
		func(dst, _, _ []float32, a float32) { scaleGeneric(a, dst) },
		func(d, _, _ float32, a float32) float32 { return abs32(a * d) }},
	{"Mul",
		func(dst, x, y []float32, _ float32) { Mul(dst, x, y) },
		func(dst, x, y []float32, _ float32) { mulGeneric(dst, x, y) },
		func(_, x, y float32, _ float32) float32 { return abs32(x * y) }},
	{"Add",
		func(dst, x, y []float32, _ float32) { Add(dst, x, y) },
		func(dst, x, y []float32, _ float32) { addGeneric(dst, x, y) },
		func(_, x, y float32, _ float32) float32 { return abs32(x) + abs32(y) }},
	{"MulAdd",
		func(dst, x, y []float32, _ float32) { MulAdd(dst, x, y) },
		func(dst, x, y []float32, _ float32) { mulAddGeneric(dst, x, y) },
		func(d, x, y float32, _ float32) float32 { return abs32(d) + abs32(x*y) }},
}

func TestElementwise(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range elementwiseKernels {
		t.Run(k.name, func(t *testing.T) {
			forEachTier(t, func(t *testing.T) {
				for _, n := range testLengths {
					for off := 0; off < 16; off++ {
						dst, checkDst := guarded(n, off)
						x, checkX := guarded(n, (off+5)%16)
						y, checkY := guarded(n, (off*3)%16)
						randFill(r, dst)
						randFill(r, x)
						randFill(r, y)
						alpha := float32(r.Float64()*4 - 2)
						want := snapshot(dst)
						x0, y0 := snapshot(x), snapshot(y)
						k.generic(want, x, y, alpha)
						d0 := snapshot(dst)
						k.run(dst, x, y, alpha)
						for i := range dst {
							if !closeTo(dst[i], want[i], k.mag(d0[i], x[i], y[i], alpha)) {
								t.Fatalf("n=%d off=%d: [%d] = %v, generic %v", n, off, i, dst[i], want[i])
							}
						}
						if !sameBits(x, x0) || !sameBits(y, y0) {
							t.Fatalf("n=%d off=%d: changed an input", n, off)
						}
						checkDst(t, k.name+" dst")
						checkX(t, k.name+" x")
						checkY(t, k.name+" y")
					}
				}
			})
		})
	}
}

// Aliasing dst with an input is documented for Mul and Add, and is how the cells use
// them (h = h ⊙ z).
func TestElementwiseAliasing(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	forEachTier(t, func(t *testing.T) {
		for _, n := range []int{1, 7, 16, 33, 100, 257} {
			x := make([]float32, n)
			y := make([]float32, n)
			randFill(r, x)
			randFill(r, y)
			want := make([]float32, n)
			mulGeneric(want, x, y)
			Mul(x, x, y)
			for i := range want {
				if !closeTo(x[i], want[i], abs32(want[i])) {
					t.Fatalf("Mul aliased n=%d [%d]: %v want %v", n, i, x[i], want[i])
				}
			}
			addGeneric(want, y, y)
			Add(y, y, y)
			for i := range want {
				if !closeTo(y[i], want[i], abs32(want[i])) {
					t.Fatalf("Add aliased n=%d [%d]: %v want %v", n, i, y[i], want[i])
				}
			}
		}
	})
}

type matShape struct{ rows, cols, stride int }

// matShapes covers 1×n, n×1, square, non-square and stride greater than cols, with sizes
// on both sides of every unroll boundary.
var matShapes = func() []matShape {
	var ss []matShape
	dims := []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 129}
	for _, r := range dims {
		for _, c := range dims {
			ss = append(ss, matShape{r, c, c})
			if (r+c)%3 == 0 {
				ss = append(ss, matShape{r, c, c + 1 + (r % 17)})
			}
		}
	}
	for _, n := range []int{1, 256, 1000} {
		ss = append(ss, matShape{1, n, n}, matShape{n, 1, 1}, matShape{n, 1, 3})
	}
	return append(ss, matShape{256, 256, 256}, matShape{300, 200, 203}, matShape{40, 1000, 1024})
}()

// guardedMat returns a matrix whose Data starts off floats into a NaN-guarded buffer and
// whose padding between Cols and Stride also holds guardNaN, so that check catches a
// write into the padding.
func guardedMat(r *rand.Rand, s matShape, off int) (Mat, func(t *testing.T, what string)) {
	m := Mat{Rows: s.rows, Cols: s.cols, Stride: s.stride}
	data, check := guarded(m.extent(), off)
	m.Data = data
	for i := range data {
		data[i] = guardNaN
	}
	for i := 0; i < m.Rows; i++ {
		randFill(r, m.Row(i))
	}
	return m, func(t *testing.T, what string) {
		t.Helper()
		check(t, what)
		for i := 0; i < m.Rows; i++ {
			for j := m.Cols; j < m.Stride && i*m.Stride+j < len(data); j++ {
				if v := data[i*m.Stride+j]; math.Float32bits(v) != math.Float32bits(guardNaN) {
					t.Fatalf("%s: wrote %v into the padding at row %d col %d", what, v, i, j)
				}
			}
		}
	}
}

func TestMatVec(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	forEachTier(t, func(t *testing.T) {
		for si, s := range matShapes {
			for _, acc := range []bool{false, true} {
				off := si % 16
				a, checkA := guardedMat(r, s, off)
				x, checkX := guarded(s.cols, (off+3)%16)
				y, checkY := guarded(s.rows, (off+9)%16)
				randFill(r, x)
				randFill(r, y)
				a0, x0, y0 := snapshot(a.Data), snapshot(x), snapshot(y)
				want := snapshot(y)
				matVecGeneric(want, a, x, acc)
				if acc {
					MatVecAdd(y, a, x)
				} else {
					MatVec(y, a, x)
				}
				for i := range y {
					mag := float32(0)
					if acc {
						mag = abs32(y0[i])
					}
					for j := range x {
						mag += abs32(a.At(i, j) * x[j])
					}
					if !closeTo(y[i], want[i], mag) {
						t.Fatalf("%dx%d stride %d acc=%v: y[%d] = %v, generic %v", s.rows, s.cols, s.stride, acc, i, y[i], want[i])
					}
				}
				if !sameBits(a.Data, a0) || !sameBits(x, x0) {
					t.Fatalf("%dx%d stride %d: changed an input", s.rows, s.cols, s.stride)
				}
				checkA(t, "MatVec A")
				checkX(t, "MatVec x")
				checkY(t, "MatVec y")
			}
		}
	})
}

func TestMatTVecAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	forEachTier(t, func(t *testing.T) {
		for si, s := range matShapes {
			off := si % 16
			a, checkA := guardedMat(r, s, off)
			x, checkX := guarded(s.rows, (off+3)%16)
			y, checkY := guarded(s.cols, (off+9)%16)
			randFill(r, x)
			randFill(r, y)
			a0, x0, y0 := snapshot(a.Data), snapshot(x), snapshot(y)
			want := snapshot(y)
			matTVecAddGeneric(want, a, x)
			MatTVecAdd(y, a, x)
			for j := range y {
				mag := abs32(y0[j])
				for i := range x {
					mag += abs32(a.At(i, j) * x[i])
				}
				if !closeTo(y[j], want[j], mag) {
					t.Fatalf("%dx%d stride %d: y[%d] = %v, generic %v", s.rows, s.cols, s.stride, j, y[j], want[j])
				}
			}
			if !sameBits(a.Data, a0) || !sameBits(x, x0) {
				t.Fatalf("%dx%d stride %d: changed an input", s.rows, s.cols, s.stride)
			}
			checkA(t, "MatTVecAdd A")
			checkX(t, "MatTVecAdd x")
			checkY(t, "MatTVecAdd y")
		}
	})
}

func TestGer(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	forEachTier(t, func(t *testing.T) {
		for si, s := range matShapes {
			off := si % 16
			a, checkA := guardedMat(r, s, off)
			x, checkX := guarded(s.rows, (off+3)%16)
			y, checkY := guarded(s.cols, (off+9)%16)
			randFill(r, x)
			randFill(r, y)
			alpha := float32(r.Float64()*4 - 2)
			a0, x0, y0 := snapshot(a.Data), snapshot(x), snapshot(y)
			want := Mat{Rows: a.Rows, Cols: a.Cols, Stride: a.Stride, Data: snapshot(a.Data)}
			gerGeneric(want, alpha, x, y)
			Ger(a, alpha, x, y)
			for i := 0; i < a.Rows; i++ {
				for j := 0; j < a.Cols; j++ {
					mag := abs32(a0[i*a.Stride+j]) + abs32(alpha*x[i]*y[j])
					if !closeTo(a.At(i, j), want.At(i, j), mag) {
						t.Fatalf("%dx%d stride %d: a[%d][%d] = %v, generic %v", s.rows, s.cols, s.stride, i, j, a.At(i, j), want.At(i, j))
					}
				}
			}
			if !sameBits(x, x0) || !sameBits(y, y0) {
				t.Fatalf("%dx%d stride %d: changed an input", s.rows, s.cols, s.stride)
			}
			checkA(t, "Ger A")
			checkX(t, "Ger x")
			checkY(t, "Ger y")
		}
	})
}

type gemmShape struct{ m, n, k int }

var gemmShapes = func() []gemmShape {
	var ss []gemmShape
	dims := []int{1, 2, 3, 5, 8, 13, 16, 17, 31, 33, 48, 64, 65}
	for _, m := range dims {
		for _, n := range dims {
			for _, k := range []int{1, 4, 7, 32, 70} {
				ss = append(ss, gemmShape{m, n, k})
			}
		}
	}
	// RTRL's shape (S×S times S×S²), square sizes past a cache block, and long thin ones.
	return append(ss, gemmShape{16, 256, 16}, gemmShape{33, 1089, 33}, gemmShape{129, 129, 129},
		gemmShape{200, 300, 257}, gemmShape{7, 1000, 300}, gemmShape{300, 7, 1000})
}()

func TestGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	forEachTier(t, func(t *testing.T) {
		for si, s := range gemmShapes {
			off := si % 16
			pad := si % 3 * 5 // stride greater than columns on two thirds of the shapes
			a, checkA := guardedMat(r, matShape{s.m, s.k, s.k + pad}, off)
			b, checkB := guardedMat(r, matShape{s.k, s.n, s.n + pad}, (off+3)%16)
			c, checkC := guardedMat(r, matShape{s.m, s.n, s.n + (si % 2)}, (off+9)%16)
			a0, b0, c0 := snapshot(a.Data), snapshot(b.Data), snapshot(c.Data)
			want := Mat{Rows: c.Rows, Cols: c.Cols, Stride: c.Stride, Data: snapshot(c.Data)}
			gemmGeneric(want, a, b)
			Gemm(c, a, b)
			for i := 0; i < s.m; i++ {
				for j := 0; j < s.n; j++ {
					mag := abs32(c0[i*c.Stride+j])
					for k := 0; k < s.k; k++ {
						mag += abs32(a.At(i, k) * b.At(k, j))
					}
					if !closeTo(c.At(i, j), want.At(i, j), mag) {
						t.Fatalf("M=%d N=%d K=%d: c[%d][%d] = %v, generic %v", s.m, s.n, s.k, i, j, c.At(i, j), want.At(i, j))
					}
				}
			}
			if !sameBits(a.Data, a0) || !sameBits(b.Data, b0) {
				t.Fatalf("M=%d N=%d K=%d: changed an input", s.m, s.n, s.k)
			}
			checkA(t, "Gemm A")
			checkB(t, "Gemm B")
			checkC(t, "Gemm C")
		}
	})
}

// TestNonFinite plants NaN and ±Inf in the inputs: every tier must produce NaN where
// generic does and the same infinity where generic does.
func TestNonFinite(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	forEachTier(t, func(t *testing.T) {
		for trial := 0; trial < 300; trial++ {
			n := 1 + r.IntN(150)
			x, y, d := make([]float32, n), make([]float32, n), make([]float32, n)
			randFill(r, x)
			randFill(r, y)
			randFill(r, d)
			for range 1 + r.IntN(3) {
				v := []([]float32){x, y, d}[r.IntN(3)]
				v[r.IntN(n)] = specials[r.IntN(len(specials))]
			}
			if got, want := Dot(x, y), dotGeneric(x, y); !closeTo(got, want, float32(n)) {
				t.Fatalf("Dot n=%d: %v, generic %v", n, got, want)
			}
			// alpha = 0 must not skip work: 0·Inf and 0·NaN are NaN.
			for _, alpha := range []float32{0, 1.5} {
				for _, k := range elementwiseKernels {
					got, want := snapshot(d), snapshot(d)
					k.run(got, x, y, alpha)
					k.generic(want, x, y, alpha)
					for i := range got {
						if !closeTo(got[i], want[i], 8) {
							t.Fatalf("%s alpha=%v n=%d [%d]: %v, generic %v", k.name, alpha, n, i, got[i], want[i])
						}
					}
				}
			}
			rows := 1 + r.IntN(9)
			cols := n
			a := Mat{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
			randFill(r, a.Data)
			a.Data[r.IntN(len(a.Data))] = specials[r.IntN(len(specials))]
			xr := make([]float32, rows)
			randFill(r, xr)
			got, want := make([]float32, rows), make([]float32, rows)
			MatVec(got, a, x)
			matVecGeneric(want, a, x, false)
			for i := range got {
				if !closeTo(got[i], want[i], float32(4*cols)) {
					t.Fatalf("MatVec %dx%d y[%d]: %v, generic %v", rows, cols, i, got[i], want[i])
				}
			}
			gt, wt := snapshot(y), snapshot(y)
			MatTVecAdd(gt, a, xr)
			matTVecAddGeneric(wt, a, xr)
			for j := range gt {
				if !closeTo(gt[j], wt[j], float32(4*rows)) {
					t.Fatalf("MatTVecAdd %dx%d y[%d]: %v, generic %v", rows, cols, j, gt[j], wt[j])
				}
			}
			ga := Mat{Rows: rows, Cols: cols, Stride: cols, Data: snapshot(a.Data)}
			wa := Mat{Rows: rows, Cols: cols, Stride: cols, Data: snapshot(a.Data)}
			Ger(ga, 0, xr, x)
			gerGeneric(wa, 0, xr, x)
			for i := range ga.Data {
				if !closeTo(ga.Data[i], wa.Data[i], 8) {
					t.Fatalf("Ger alpha=0 %dx%d [%d]: %v, generic %v", rows, cols, i, ga.Data[i], wa.Data[i])
				}
			}
			b := Mat{Rows: cols, Cols: 5, Stride: 5, Data: make([]float32, cols*5)}
			randFill(r, b.Data)
			gc := Mat{Rows: rows, Cols: 5, Stride: 5, Data: make([]float32, rows*5)}
			wc := Mat{Rows: rows, Cols: 5, Stride: 5, Data: make([]float32, rows*5)}
			Gemm(gc, a, b)
			gemmGeneric(wc, a, b)
			for i := range gc.Data {
				if !closeTo(gc.Data[i], wc.Data[i], float32(4*cols)) {
					t.Fatalf("Gemm %dx%dx5 [%d]: %v, generic %v", rows, cols, i, gc.Data[i], wc.Data[i])
				}
			}
		}
	})
}

func TestSizeMismatchPanicsWithSizes(t *testing.T) {
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"Dot", func() { Dot(make([]float32, 3), make([]float32, 4)) }, "kernels: Dot: len(y) = 4, want 3"},
		{"MatVec", func() { MatVec(make([]float32, 2), NewMat(2, 3), make([]float32, 4)) }, "kernels: MatVec: len(x) = 4, want 3"},
		{"Ger", func() { Ger(NewMat(2, 3), 1, make([]float32, 2), make([]float32, 2)) }, "kernels: Ger: len(y) = 2, want 3"},
		{"short data", func() {
			MatTVecAdd(make([]float32, 3), Mat{Rows: 2, Cols: 3, Stride: 4, Data: make([]float32, 6)}, make([]float32, 2))
		},
			"kernels: MatTVecAdd: 2×3 matrix with stride 4 needs 7 elements, has 6"},
		{"Gemm", func() { Gemm(NewMat(2, 2), NewMat(2, 3), NewMat(2, 2)) }, "kernels: Gemm: C is 2×2, A is 2×3, B is 2×2"},
		{"Tanh", func() { Tanh(make([]float32, 9), make([]float32, 8)) }, "kernels: Tanh: len(dst) = 9, len(x) = 8"},
		{"Sigmoid", func() { Sigmoid(make([]float32, 3), make([]float32, 17)) }, "kernels: Sigmoid: len(dst) = 3, len(x) = 17"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if got := fmt.Sprint(recover()); got != c.want {
					t.Fatalf("panic %q, want %q", got, c.want)
				}
			}()
			c.f()
		})
	}
}

func TestUseTier(t *testing.T) {
	before := Impl()
	for _, tier := range Tiers() {
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatalf("UseTier(%s): %v", tier, err)
		}
		if Impl() != tier {
			t.Fatalf("after UseTier(%s), Impl() = %s", tier, Impl())
		}
		restore()
		if Impl() != before {
			t.Fatalf("restore left %s, want %s", Impl(), before)
		}
	}
	for t2 := Generic; t2 <= NEON; t2++ {
		if Supported(t2) {
			continue
		}
		if _, err := UseTier(t2); err == nil {
			t.Fatalf("UseTier(%s) on a CPU without it returned no error", t2)
		}
		if Impl() != before {
			t.Fatalf("a refused UseTier changed the tier")
		}
	}
	if _, err := ParseTier("sse9"); err == nil {
		t.Fatal("ParseTier accepted an unknown name")
	}
}

func TestNoAllocs(t *testing.T) {
	for _, tier := range Tiers() {
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		x, y, d := make([]float32, 301), make([]float32, 301), make([]float32, 301)
		a, b, c := NewMat(37, 301), NewMat(301, 70), NewMat(37, 70)
		j, m, cm := NewMat(32, 32), NewMat(32, 1024), NewMat(32, 1024)
		xr := make([]float32, 37)
		allocs := testing.AllocsPerRun(20, func() {
			sinkF32 += Dot(x, y)
			Axpy(1, x, d)
			Scale(1, d)
			Mul(d, x, y)
			Add(d, x, y)
			MulAdd(d, x, y)
			MatVec(xr, a, x)
			MatVecAdd(xr, a, x)
			MatTVecAdd(d, a, xr)
			Ger(a, 1, xr, y)
			Gemm(c, a, b)
			Gemm(cm, j, m)
			Tanh(d, x)
			Sigmoid(d, x)
		})
		restore()
		if allocs != 0 {
			t.Errorf("%s: %v allocations per run of every kernel, want 0", tier, allocs)
		}
	}
}

// Empty matrices are valid views even with a stride and no data; every tier must accept
// them (MatVec of a matrix without columns is a vector of zeros).
func TestEmptyMatrices(t *testing.T) {
	for _, tier := range Tiers() {
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []matShape{{3, 0, 5}, {0, 4, 4}, {0, 0, 0}} {
			a := Mat{Rows: s.rows, Cols: s.cols, Stride: s.stride}
			y := []float32{1, 2, 3}[:s.rows]
			x := make([]float32, s.cols)
			MatVec(y, a, x)
			for i, v := range y {
				if v != 0 {
					t.Fatalf("%s: MatVec of a %dx%d matrix left y[%d] = %v", tier, s.rows, s.cols, i, v)
				}
			}
			MatVecAdd(y, a, x)
			MatTVecAdd(x, a, y)
			Ger(a, 1, y, x)
			Gemm(Mat{Rows: s.rows, Cols: 2, Stride: 2, Data: make([]float32, 2*s.rows)}, a, Mat{Rows: s.cols, Cols: 2, Stride: 2, Data: make([]float32, 2*s.cols)})
		}
		restore()
	}
}
