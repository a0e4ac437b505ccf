package kernels

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// forEveryTier runs f once per tier this CPU supports, generic included, with that tier
// active.
func forEveryTier(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, tier := range Tiers() {
		t.Run(tier.String(), func(t *testing.T) {
			restore, err := UseTier(tier)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			f(t)
		})
	}
}

// maskedShape returns a guarded matrix of shape s whose entries outside a random pattern
// of the given density (0: no entry kept; rows may be empty) are zero, and the pattern.
func maskedShape(r *rand.Rand, s matShape, off int, density float64) (Mat, RowPattern, func(*testing.T, string)) {
	a, check := guardedMat(r, s, off)
	keep := make([]bool, s.rows*s.cols)
	for i := range keep {
		keep[i] = r.Float64() < density
		if !keep[i] {
			a.Data[i/s.cols*a.Stride+i%s.cols] = 0
		}
	}
	return a, NewRowPattern(s.rows, s.cols, keep), check
}

// SparseMatVecAdd and SparseMatTVecAdd compute the loops of their doc comments, which on
// a matrix that is zero outside the pattern are MatVecAdd's and MatTVecAdd's, on every
// tier, for every shape and stride, without touching anything but y.
func TestSparseProducts(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	forEveryTier(t, func(t *testing.T) {
		for si, s := range matShapes {
			for _, density := range []float64{0, 0.1, 0.5, 1} {
				off := si % 16
				a, p, checkA := maskedShape(r, s, off, density)
				x, checkX := guarded(s.cols, (off+3)%16)
				y, checkY := guarded(s.rows, (off+9)%16)
				xt, checkXT := guarded(s.rows, (off+5)%16)
				yt, checkYT := guarded(s.cols, (off+7)%16)
				randFill(r, x)
				randFill(r, y)
				randFill(r, xt)
				randFill(r, yt)
				a0, x0, xt0, idx0 := snapshot(a.Data), snapshot(x), snapshot(xt), slices.Clone(p.Index)
				y0, yt0 := snapshot(y), snapshot(yt)
				dense, denseT := snapshot(y), snapshot(yt)
				MatVecAdd(dense, a, x)
				MatTVecAdd(denseT, a, xt)
				SparseMatVecAdd(y, a, &p, x)
				SparseMatTVecAdd(yt, a, &p, xt)
				for i := range y {
					want, mag := float64(y0[i]), abs32(y0[i])
					for _, j := range p.Row(i) {
						want += float64(a.At(i, int(j))) * float64(x[j])
						mag += abs32(a.At(i, int(j)) * x[j])
					}
					if !closeTo(y[i], float32(want), mag) || !closeTo(y[i], dense[i], mag) {
						t.Fatalf("%dx%d stride %d density %v: y[%d] = %v, the loop gives %v, MatVecAdd %v", s.rows, s.cols, s.stride, density, i, y[i], want, dense[i])
					}
				}
				for j := range yt {
					want, mag := float64(yt0[j]), abs32(yt0[j])
					for i := range xt {
						want += float64(a.At(i, j)) * float64(xt[i])
						mag += abs32(a.At(i, j) * xt[i])
					}
					if !closeTo(yt[j], float32(want), mag) || !closeTo(yt[j], denseT[j], mag) {
						t.Fatalf("%dx%d stride %d density %v: yᵀ[%d] = %v, the loop gives %v, MatTVecAdd %v", s.rows, s.cols, s.stride, density, j, yt[j], want, denseT[j])
					}
				}
				if !sameBits(a.Data, a0) || !sameBits(x, x0) || !sameBits(xt, xt0) || !slices.Equal(p.Index, idx0) {
					t.Fatalf("%dx%d stride %d: changed an input", s.rows, s.cols, s.stride)
				}
				checkA(t, "sparse A")
				checkX(t, "SparseMatVecAdd x")
				checkY(t, "SparseMatVecAdd y")
				checkXT(t, "SparseMatTVecAdd x")
				checkYT(t, "SparseMatTVecAdd y")
			}
		}
	})
}

// The products check their arguments and name the sizes.
func TestSparseProductsPanic(t *testing.T) {
	a := NewMat(3, 4)
	p := NewRowPattern(3, 4, make([]bool, 12))
	wrong := NewRowPattern(4, 3, make([]bool, 12))
	for _, c := range []struct {
		name, want string
		f          func()
	}{
		{"short x", "len(x) = 3, want 4", func() { SparseMatVecAdd(make([]float32, 3), a, &p, make([]float32, 3)) }},
		{"short y", "len(y) = 2, want 3", func() { SparseMatVecAdd(make([]float32, 2), a, &p, make([]float32, 4)) }},
		{"transposed short y", "len(y) = 3, want 4", func() { SparseMatTVecAdd(make([]float32, 3), a, &p, make([]float32, 3)) }},
		{"pattern of another shape", "pattern of 4×3", func() { SparseMatVecAdd(make([]float32, 3), a, &wrong, make([]float32, 4)) }},
		{"nil pattern", "nil pattern", func() { SparseMatTVecAdd(make([]float32, 4), a, nil, make([]float32, 3)) }},
		{"marks", "12 marks, want 6", func() { NewRowPattern(2, 3, make([]bool, 12)) }},
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
}

func TestRowPattern(t *testing.T) {
	keep := []bool{
		false, true, false, true,
		false, false, false, false,
		true, true, true, true,
	}
	p := NewRowPattern(3, 4, keep)
	if !slices.Equal(p.Start, []int32{0, 2, 2, 6}) || !slices.Equal(p.Index, []int32{1, 3, 0, 1, 2, 3}) || p.Kept() != 6 {
		t.Fatalf("pattern %+v", p)
	}
	if !slices.Equal(p.Row(2), []int32{0, 1, 2, 3}) || len(p.Row(1)) != 0 {
		t.Fatalf("rows %v %v", p.Row(1), p.Row(2))
	}
}

// SparsePays follows the measured crossovers: below 5% of the entries and rows of at least
// 128 on the SIMD tiers, below 25% against the generic tier.
func TestSparsePays(t *testing.T) {
	forEveryTier(t, func(t *testing.T) {
		generic := Impl() == Generic
		for _, c := range []struct {
			rows, cols, kept int
			simd, gen        bool
		}{
			{128, 128, 800, true, true},     // 4.9%
			{128, 128, 820, false, true},    // 5.0%
			{64, 64, 100, false, true},      // short rows
			{256, 256, 16000, false, true},  // 24%
			{256, 256, 16500, false, false}, // 25%
		} {
			want := c.simd
			if generic {
				want = c.gen
			}
			if got := SparsePays(c.rows, c.cols, c.kept); got != want {
				t.Errorf("SparsePays(%d, %d, %d) = %v", c.rows, c.cols, c.kept, got)
			}
		}
	})
}
