package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// Gemm-specific tests. The shared harness (kernels_test.go) compares every tier with
// generic on odd sizes and strides; these add what only Gemm has: blocking boundaries
// (gemm_blocked_test.go), concurrent callers and the allocation-free steady state.

// gemmCase is one product with strided operands and guard bands around C.
type gemmCase struct {
	m, n, k int
	a, b, c Mat
	cData   []float32 // C's backing array, guard bands included
	cOff    int       // where C starts in cData
	want    []float64 // expected C (row-major, m×n), computed in float64
	bound   []float64 // per element: sum over p of |a_ip * b_pj| + |c_ij|, for the tolerance
}

const gemmGuard = float32(-12345.5)

// newGemmCase builds C (m×n) += A (m×k) · B (k×n) with row strides padded by pad, C
// surrounded by guard values that the kernel must leave alone.
func newGemmCase(rng *rand.Rand, m, n, k, pad int) *gemmCase {
	fill := func(rows, cols int) Mat {
		stride := cols + pad
		data := make([]float32, rows*stride)
		for i := range data {
			data[i] = float32(rng.NormFloat64())
		}
		return Mat{Rows: rows, Cols: cols, Stride: stride, Data: data[:max(0, (rows-1)*stride+cols)]}
	}
	g := &gemmCase{m: m, n: n, k: k, a: fill(m, k), b: fill(k, n)}
	stride := n + pad
	g.cOff = 7
	g.cData = make([]float32, g.cOff+m*stride+9)
	for i := range g.cData {
		g.cData[i] = gemmGuard
	}
	g.c = Mat{Rows: m, Cols: n, Stride: stride, Data: g.cData[g.cOff : g.cOff+max(0, (m-1)*stride+n)]}
	g.want = make([]float64, m*n)
	g.bound = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			cij := float32(rng.NormFloat64())
			g.c.Set(i, j, cij)
			sum, abs := float64(cij), math.Abs(float64(cij))
			for p := 0; p < k; p++ {
				t := float64(g.a.At(i, p)) * float64(g.b.At(p, j))
				sum += t
				abs += math.Abs(t)
			}
			g.want[i*n+j], g.bound[i*n+j] = sum, abs
		}
	}
	return g
}

// check reports wrong elements of C and any guard value that changed.
func (g *gemmCase) check(t *testing.T, name string) {
	t.Helper()
	bad := 0
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			got := float64(g.c.At(i, j))
			// float32 accumulation of k products in any order: error ≲ k·eps·Σ|terms|.
			tol := float64(g.k+2) * 1.2e-7 * g.bound[i*g.n+j]
			if d := math.Abs(got - g.want[i*g.n+j]); !(d <= tol) {
				if bad++; bad <= 5 {
					t.Errorf("%s: C[%d,%d] = %v, want %v (tolerance %.3g)", name, i, j, got, g.want[i*g.n+j], tol)
				}
			}
		}
	}
	for idx, v := range g.cData {
		off := idx - g.cOff
		inside := off >= 0 && off/g.c.Stride < g.m && off%g.c.Stride < g.n
		if !inside && v != gemmGuard {
			if bad++; bad <= 10 {
				t.Errorf("%s: element %d outside C (stride %d) changed to %v", name, off, g.c.Stride, v)
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d bad elements in all", name, bad)
	}
}

// TestGemmConcurrent runs Gemm from several goroutines at once, as RTRL does when it
// splits the columns of the influence matrix; with -race it also checks the scratch
// buffers are never shared.
func TestGemmConcurrent(t *testing.T) {
	for _, tier := range Tiers() {
		t.Run(tier.String(), func(t *testing.T) {
			restore, err := UseTier(tier)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			rng := rand.New(rand.NewPCG(1, 2))
			const workers = 6
			cases := make([]*gemmCase, workers)
			for w := range cases {
				cases[w] = newGemmCase(rng, 33+w, 257+31*w, 40+w, w%3)
			}
			var wg sync.WaitGroup
			for _, g := range cases {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 3 {
						Gemm(g.c, g.a, g.b)
					}
				}()
			}
			wg.Wait()
			for w, g := range cases {
				// Three calls added A·B three times: compare against C0 + 3·A·B.
				check3(t, fmt.Sprintf("worker %d", w), g)
			}
		})
	}
}

// check3 checks g after three calls of Gemm: want holds C0 + A·B, so C0 + 3·A·B is
// 3·want − 2·C0, where C0 is recovered as want − A·B.
func check3(t *testing.T, name string, g *gemmCase) {
	t.Helper()
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			ab := 0.0
			for p := 0; p < g.k; p++ {
				ab += float64(g.a.At(i, p)) * float64(g.b.At(p, j))
			}
			idx := i*g.n + j
			g.want[idx] += 2 * ab
			g.bound[idx] *= 3
		}
	}
	g.check(t, name)
}

// TestGemmAllocs pins the allocation-free steady state on every tier, on the RTRL shape
// and a square one.
func TestGemmAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := []struct{ m, n, k int }{{32, 32 * 32, 32}, {100, 100, 100}, {3, 5, 7}}
	for _, tier := range Tiers() {
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shapes {
			g := newGemmCase(rng, s.m, s.n, s.k, 1)
			if allocs := testing.AllocsPerRun(20, func() { Gemm(g.c, g.a, g.b) }); allocs != 0 {
				t.Errorf("%s: Gemm %d×%d×%d allocates %v times per call", tier, s.m, s.n, s.k, allocs)
			}
		}
		restore()
	}
}

// BenchmarkGemmSmall compares every tier with generic on tiny and thin products, the
// evidence behind gemmSmall's thresholds: no tier may be slower than generic anywhere.
func BenchmarkGemmSmall(b *testing.B) {
	shapes := []struct{ m, n, k int }{
		{2, 2, 2}, {4, 4, 4}, {7, 7, 7}, {8, 8, 8}, {12, 12, 12}, {16, 16, 16},
		{1, 512, 512}, {512, 1, 512}, {512, 512, 1}, {1, 1, 2048}, {2048, 1, 1},
		{1, 2, 512}, {512, 2, 1}, {32, 1, 32}, {64, 2, 64}, {7, 3, 100}, {3, 100, 7},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, s := range shapes {
		g := newGemmCase(rng, s.m, s.n, s.k, 0)
		for _, tier := range Tiers() {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", s.m, s.n, s.k, tier), func(b *testing.B) {
				restore, err := UseTier(tier)
				if err != nil {
					b.Fatal(err)
				}
				defer restore()
				for b.Loop() {
					Gemm(g.c, g.a, g.b)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestGemmSeqSplitKIsBitIdentical pins GemmSeq's accumulation order (see
// gemm_blocked.go): C += A·B in one call and the same product split along K into groups,
// one GemmSeq per group in k order, give the same bits on every tier, whatever the group
// sizes (1 included) and however the driver tiles M, N and K; and the product is as
// accurate as Gemm's. Package cell's GradBatch relies on it so that full and
// checkpointed BPTT, which flush their weight gradients in different groups of steps,
// stay bit-identical.
func TestGemmSeqSplitKIsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := []struct{ m, n, k int }{
		{1, 1, 9}, {3, 5, 7}, {7, 3, 100}, {6, 16, 33}, {8, 32, 40}, {13, 37, 64},
		{21, 5, 17}, {64, 64, 64}, {512, 128, 24}, {96, 200, 300}, {17, 520, 600},
	}
	for _, tier := range Tiers() {
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shapes {
			for _, pad := range []int{0, 3} {
				g := newGemmCase(rng, s.m, s.n, s.k, pad)
				c0 := slices.Clone(g.c.Data)
				GemmSeq(g.c, g.a, g.b)
				g.check(t, fmt.Sprintf("%s: GemmSeq %d×%d×%d (pad %d)", tier, s.m, s.n, s.k, pad))
				whole := slices.Clone(g.c.Data)
				for _, split := range [][]int{{1}, {2, 1, 5}, {8}, {s.k - 1}, {3, 300}} {
					copy(g.c.Data, c0)
					for p, i := 0, 0; p < s.k; i++ {
						kk := min(split[i%len(split)], s.k-p)
						if kk < 1 {
							kk = 1
						}
						a := Mat{Rows: s.m, Cols: kk, Stride: g.a.Stride, Data: g.a.Data[p:]}
						b := Mat{Rows: kk, Cols: s.n, Stride: g.b.Stride, Data: g.b.Data[p*g.b.Stride:]}
						GemmSeq(g.c, a, b)
						p += kk
					}
					if !sameBits(g.c.Data, whole) {
						t.Errorf("%s: %d×%d×%d (pad %d) split along K in groups %v differs from one call", tier, s.m, s.n, s.k, pad, split)
					}
				}
			}
		}
		restore()
	}
}

// TestMatMulNeverReadsC: MatMul stores A·B whatever C held (NaN here, which any read
// would spread), on every tier, for shapes that exercise several K blocks (the later
// ones add to the first), the narrow last column block, partial row panels, the small
// generic path and an empty K; and it leaves everything outside C alone.
func TestMatMulNeverReadsC(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	shapes := []struct{ m, n, k int }{
		{1, 1, 1}, {3, 5, 7}, {7, 3, 100}, {8, 32, 40}, {13, 37, 64}, {21, 50, 300},
		{64, 4224, 64}, {9, 70, 1100}, {5, 6, 0},
	}
	for _, tier := range Tiers() {
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shapes {
			g := newGemmCase(rng, s.m, s.n, s.k, 3)
			for i := 0; i < s.m; i++ {
				for j := 0; j < s.n; j++ {
					g.want[i*s.n+j] -= float64(g.c.At(i, j))
					g.c.Set(i, j, float32(math.NaN()))
				}
			}
			MatMul(g.c, g.a, g.b)
			g.check(t, fmt.Sprintf("%s: MatMul %d×%d×%d", tier, s.m, s.n, s.k))
		}
		restore()
	}
}

// TestGerIsGemmSeqOfOneTerm: Ger with α = 1 gives the bits of GemmSeq with an inner
// dimension of 1 (A the column x, B the row y), on every tier and for every shape,
// narrow ones included: both add x_i·y_j into a_ij with one multiply-add (fused on the
// SIMD tiers and on arm64, as Go compiles a += x·y on generic amd64). Package cell's
// GradBatch flushes a single step with Ger and several with GemmSeq, and full and
// checkpointed BPTT rely on the two agreeing.
func TestGerIsGemmSeqOfOneTerm(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, tier := range Tiers() {
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []int{1, 3, 7, 8, 17, 64, 130} {
			for _, n := range []int{1, 2, 5, 8, 15, 16, 17, 33, 64, 129} {
				g := newGemmCase(rng, m, n, 1, 2)
				viaGer := slices.Clone(g.c.Data)
				x := make([]float32, m)
				for i := range x {
					x[i] = g.a.At(i, 0)
				}
				Ger(Mat{Rows: m, Cols: n, Stride: g.c.Stride, Data: viaGer}, 1, x, g.b.Row(0))
				GemmSeq(g.c, g.a, g.b)
				if !sameBits(viaGer, g.c.Data) {
					t.Errorf("%s: %d×%d: Ger differs from GemmSeq of one term", tier, m, n)
				}
			}
		}
		restore()
	}
}

// transposeMat returns a's transpose with row padding pad (a fresh matrix).
func transposeMat(a Mat, pad int) Mat {
	stride := a.Rows + pad
	data := make([]float32, a.Cols*stride)
	for i := range data {
		data[i] = float32(math.NaN()) // the padding must never be read
	}
	t := Mat{Rows: a.Cols, Cols: a.Rows, Stride: stride, Data: data[:max(0, (a.Cols-1)*stride+a.Rows)]}
	for i := 0; i < a.Rows; i++ {
		for j := 0; j < a.Cols; j++ {
			t.Set(j, i, a.At(i, j))
		}
	}
	return t
}

// GemmTN (C += Aᵀ·B with A stored transposed) computes Gemm's product on every tier, for
// sizes that cover partial A panels (M not a multiple of the tile's rows), partial B
// panels, several K blocks and padded strides, leaving everything outside C alone; the
// generic tier takes every C element's terms in k order, as Gemm's generic does (the same
// bits).
func TestGemmTN(t *testing.T) {
	shapes := [][3]int{{1, 1, 1}, {3, 5, 7}, {8, 32, 16}, {9, 33, 130}, {17, 48, 300}, {31, 1, 5}, {64, 40, 513}, {130, 17, 64}, {2048 / 16, 32, 257}}
	for _, tier := range Tiers() {
		t.Run(tier.String(), func(t *testing.T) {
			restore, err := UseTier(tier)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			rng := rand.New(rand.NewPCG(4, 5))
			for _, sh := range shapes {
				for _, pad := range []int{0, 3} {
					g := newGemmCase(rng, sh[0], sh[1], sh[2], pad)
					at := transposeMat(g.a, pad)
					GemmTN(g.c, at, g.b)
					g.check(t, fmt.Sprintf("%v pad %d", sh, pad))
				}
			}
		})
	}
	// Generic: the same bits as Gemm's generic product.
	restore, _ := UseTier(Generic)
	defer restore()
	rng := rand.New(rand.NewPCG(6, 7))
	g := newGemmCase(rng, 13, 21, 37, 1)
	c2 := NewMat(g.c.Rows, g.c.Cols)
	for i := range g.c.Rows {
		copy(c2.Row(i), g.c.Row(i))
	}
	Gemm(c2, g.a, g.b)
	GemmTN(g.c, transposeMat(g.a, 2), g.b)
	for i := range g.c.Rows {
		if !slices.Equal(g.c.Row(i), c2.Row(i)) {
			t.Fatalf("generic GemmTN row %d differs from generic Gemm", i)
		}
	}
	if n := testing.AllocsPerRun(5, func() { GemmTN(g.c, transposeMatView(g.a), g.b) }); n != 0 {
		t.Errorf("GemmTN allocates %v times", n)
	}
}

var tnView = map[*float32]Mat{}

// transposeMatView caches a transpose so that the allocation check measures GemmTN alone.
func transposeMatView(a Mat) Mat {
	if v, ok := tnView[&a.Data[0]]; ok {
		return v
	}
	v := transposeMat(a, 0)
	tnView[&a.Data[0]] = v
	return v
}
