package kernels

import "fmt"

// Packed is a copy of a matrix A laid out the way the Gemm micro-kernels read it: row
// panels of the tier's register height, K block after K block, each panel's K columns
// contiguous. GemmPacked(C, p, B) then computes what Gemm(C, A, B) computes, bit for bit,
// but reads A as one sequential stream. That is what a product with a large A and a
// narrow B needs: a minibatch step multiplies each weight matrix (G·H × H, megabytes at
// H = 512) by only B columns, and read in place, six rows at a time at a stride of
// kilobytes, such a matrix streams from L3 or memory at a third to a half of the
// kernel's speed; packed, the product runs near it (on a Zen 3 core, 25–40 GFLOP/s in
// place and 60 packed, against the micro-kernel's 77 on operands in L1). Packing costs
// about one pass over A, so it pays when the same A multiplies many B: a sequence's
// steps between two weight updates.
//
// Pack takes A as given, PackT takes A as the transpose of the stored matrix (GemmPacked
// then has GemmTN's bits). The packed copy is a snapshot: writing A afterwards does not
// change it, and a Packed whose source has changed must be packed again. On the generic
// tier, and for products the tier runs outside the blocked driver (small or thin ones),
// GemmPacked reads the source matrix itself, so it must stay alive and unchanged while
// the Packed is in use. The zero value is empty; Pack and PackT reuse its memory.
type Packed struct {
	src        Mat  // A, or the stored Aᵀ when trans
	trans      bool // A is src's transpose
	rows, cols int  // A is rows×cols (M×K)
	tier       Tier // the tier data is packed for; nothing is packed for Generic
	n          int  // the width of B it was packed for
	kid        int  // the micro-kernel (and so the panel height) data is laid out for
	data       []float32
}

// Pack snapshots A (M×K) for products A·B with B n columns wide: the micro-kernel, and
// so the layout, depends on B's width (a narrower tile serves B of at most 8 columns).
// GemmPacked with a B of another width still computes the right bits, from the source.
func (p *Packed) Pack(a Mat, n int) {
	if !a.valid() {
		a.check("Packed.Pack")
	}
	p.set(a, false, a.Rows, a.Cols, n)
}

// PackT snapshots A = atᵀ, where at is the stored K×M matrix, for B n columns wide:
// GemmPacked then computes GemmTN(C, at, B).
func (p *Packed) PackT(at Mat, n int) {
	if !at.valid() {
		at.check("Packed.PackT")
	}
	p.set(at, true, at.Cols, at.Rows, n)
}

func (p *Packed) set(src Mat, trans bool, rows, cols, n int) {
	p.src, p.trans, p.rows, p.cols, p.tier, p.n = src, trans, rows, cols, active, n
	p.kid = 0
	if rows > 0 && cols > 0 {
		packFor(p)
	}
}

// Rows and Cols are A's shape (M×K): C's rows and B's rows in GemmPacked.
func (p *Packed) Rows() int { return p.rows }

// Cols is A's number of columns (K).
func (p *Packed) Cols() int { return p.cols }

// Bytes is the memory of the packed copy.
func (p *Packed) Bytes() int64 { return 4 * int64(len(p.data)) }

// GemmPacked adds A·B to C, A the matrix p was packed from: Gemm's bits (GemmTN's for
// PackT). B is K×N and C is M×N; C must not overlap B or A's source. A steady-state call
// allocates nothing.
func GemmPacked(c Mat, p *Packed, b Mat) {
	checkPacked("GemmPacked", c, p, b)
	if c.Rows == 0 || c.Cols == 0 || p.cols == 0 {
		return
	}
	if !gemmPackedRun(c, p, b) {
		p.unpacked(c, b)
	}
}

// GemmPackedOn is GemmPacked with the rows of C split over the workers; it has
// GemmPacked's bits.
func GemmPackedOn(w *Workers, c Mat, p *Packed, b Mat) {
	checkPacked("GemmPackedOn", c, p, b)
	if c.Rows == 0 || c.Cols == 0 || p.cols == 0 {
		return
	}
	if w.splitPacked(c, p, b) || gemmPackedRun(c, p, b) {
		return
	}
	p.unpacked(c, b)
}

// unpacked runs the product on the source matrix, as Gemm or GemmTN would.
func (p *Packed) unpacked(c, b Mat) {
	if p.trans {
		gemmTN(c, p.src, b)
		return
	}
	gemm(c, p.src, b)
}

// op is the product p stands for, in the workers' terms.
func (p *Packed) op() int {
	if p.trans {
		return opGemmTN
	}
	return opGemm
}

func checkPacked(op string, c Mat, p *Packed, b Mat) {
	if p == nil {
		panic(fmt.Sprintf("kernels: %s: nil Packed", op))
	}
	for _, m := range [...]struct {
		m    Mat
		name string
	}{{b, " B"}, {c, " C"}} {
		if !m.m.valid() {
			m.m.check(op + m.name)
		}
	}
	if p.rows != c.Rows || b.Cols != c.Cols || p.cols != b.Rows {
		panic(fmt.Sprintf("kernels: %s: C is %d×%d, A is %d×%d, B is %d×%d", op, c.Rows, c.Cols, p.rows, p.cols, b.Rows, b.Cols))
	}
}

// PackedBytes is the memory Pack takes for an M×K matrix A (and PackT for the stored
// K×M transpose) packed for a B n columns wide on the active tier: A's rows rounded up to
// the micro-kernel's panel height, times K, in float32s; 0 on the generic tier, which
// packs nothing.
func PackedBytes(m, k, n int) int64 { return packedBytes(m, k, n) }
