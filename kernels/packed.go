package kernels

import "fmt"

// PackedMat is a small K×N matrix B kept for many products X·B with tall X (RTRL's
// sensitivity update in its parameter-major layout, M_tᵀ = M_{t-1}ᵀ·J_tᵀ, multiplies
// every parameter's influence row by the same S×S matrix). Pack copies B once into the
// layout the active tier's Gemm micro-kernel reads, so MulInPlace and GemmPacked never
// pack it again, however many calls (and goroutines) share it. Its memory does not
// depend on the tier (PackedMatFloats).
//
// A PackedMat is safe for concurrent products once packed; Pack must not run
// concurrently with them.
type PackedMat struct {
	rows, cols int
	plain      []float32 // B row-major, for the generic tier
	panels     []float32 // B in micro-panels of the kernel below
	kernel     gemmKernel
	kc         int  // the K block of the panels
	packed     bool // panels hold B for kernel (false on the generic tier)
}

// packedMaxNR is the widest micro-kernel tile of any tier: panels are sized for it, so
// that a PackedMat's memory does not depend on the tier.
const packedMaxNR = 32

// PackedMatFloats is the number of float32s a K×N PackedMat holds: a plain copy of B and
// its micro-panels, padded to the widest tile of any tier.
func PackedMatFloats(rows, cols int) int {
	return rows*cols + rows*((cols+packedMaxNR-1)/packedMaxNR*packedMaxNR)
}

// NewPackedMat allocates a PackedMat for rows×cols matrices. It panics on a negative size.
func NewPackedMat(rows, cols int) *PackedMat {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("kernels: NewPackedMat(%d, %d): negative size", rows, cols))
	}
	pad := (cols + packedMaxNR - 1) / packedMaxNR * packedMaxNR
	return &PackedMat{rows: rows, cols: cols, plain: make([]float32, rows*cols), panels: make([]float32, rows*pad)}
}

// Rows and Cols are K and N.
func (p *PackedMat) Rows() int { return p.rows }

// Cols is N, the number of columns of B.
func (p *PackedMat) Cols() int { return p.cols }

// Pack copies B (K×N) into p.
func (p *PackedMat) Pack(b Mat) {
	b.check("PackedMat.Pack")
	if b.Rows != p.rows || b.Cols != p.cols {
		panic(fmt.Sprintf("kernels: PackedMat.Pack: B is %d×%d, the PackedMat %d×%d", b.Rows, b.Cols, p.rows, p.cols))
	}
	for i := range b.Rows {
		copy(p.plain[i*p.cols:(i+1)*p.cols], b.Row(i))
	}
	p.pack()
}

// PackTransposed copies Aᵀ into p, A being N×K (the matrix whose transpose is B).
func (p *PackedMat) PackTransposed(a Mat) {
	a.check("PackedMat.PackTransposed")
	if a.Cols != p.rows || a.Rows != p.cols {
		panic(fmt.Sprintf("kernels: PackedMat.PackTransposed: A is %d×%d, the PackedMat %d×%d", a.Rows, a.Cols, p.rows, p.cols))
	}
	for j := range a.Rows {
		for i, v := range a.Row(j) {
			p.plain[i*p.cols+j] = v
		}
	}
	p.pack()
}

func (p *PackedMat) plainMat() Mat {
	return Mat{Rows: p.rows, Cols: p.cols, Stride: p.cols, Data: p.plain}
}

// MulInPlace overwrites X with X·B, B being p (K×K, so X·B has X's shape):
//
//	for i := 0; i < x.Rows; i++ { row := x.Row(i) (as it was); for j := 0; j < x.Cols; j++ {
//		x.Data[i*x.Stride+j] = Σ_k row[k] * b[k][j] } }
//
// Each output row depends only on its input row, so disjoint row ranges of X may be
// multiplied concurrently, and the result of a row does not depend on the range it is
// computed in. A steady-state call allocates nothing.
func MulInPlace(x Mat, b *PackedMat) {
	x.check("MulInPlace X")
	if b.rows != b.cols || x.Cols != b.rows {
		panic(fmt.Sprintf("kernels: MulInPlace: X is %d×%d, B %d×%d (B must be square, X as wide)", x.Rows, x.Cols, b.rows, b.cols))
	}
	if x.Rows == 0 || x.Cols == 0 {
		return
	}
	if !b.packed || b.kernel != packedKernel() {
		mulInPlaceGeneric(x, b.plainMat())
		return
	}
	packedProduct(x, x, b, true)
}

// GemmPacked adds A·B to C, B being p:
//
//	for i := 0; i < c.Rows; i++ { for j := 0; j < c.Cols; j++ { for k := 0; k < a.Cols; k++ {
//		c.Data[i*c.Stride+j] += a.Data[i*a.Stride+k] * b[k][j] } } }
//
// C must not overlap A. As MulInPlace, row ranges are independent. A steady-state call
// allocates nothing.
func GemmPacked(c, a Mat, b *PackedMat) {
	checkProduct("GemmPacked", c, a, b.plainMat())
	if c.Rows == 0 || c.Cols == 0 || a.Cols == 0 {
		return
	}
	if !b.packed || b.kernel != packedKernel() {
		gemmGeneric(c, a, b.plainMat())
		return
	}
	packedProduct(c, a, b, false)
}

// mulInPlaceGeneric is MulInPlace one row at a time through a scratch row.
func mulInPlaceGeneric(x, b Mat) {
	buf := getRowScratch(x.Cols)
	defer putRowScratch(buf)
	tmp := (*buf)[:x.Cols]
	for i := range x.Rows {
		row := x.Row(i)
		clear(tmp)
		for k, v := range row {
			axpyGeneric(v, b.Row(k), tmp)
		}
		copy(row, tmp)
	}
}

// rowScratchFree holds idle scratch buffers for the packed products (a channel, not a
// sync.Pool, for the reason gemmScratchFree gives).
var rowScratchFree = make(chan *[]float32, gemmFreeList)

// getRowScratch returns a buffer of at least n floats.
func getRowScratch(n int) *[]float32 {
	select {
	case b := <-rowScratchFree:
		if cap(*b) >= n {
			return b
		}
	default:
	}
	b := make([]float32, n)
	return &b
}

func putRowScratch(b *[]float32) {
	select {
	case rowScratchFree <- b:
	default:
	}
}
