package kernels

import "fmt"

// MatMulInPlace stores A·B in X, B being X's first K = a.Cols rows as they were:
//
//	B := rows 0 … K−1 of X (a copy); for i := 0; i < x.Rows; i++ { for j := 0; j < x.Cols; j++ {
//		x.Data[i*x.Stride+j] = Σ_k a.Data[i*a.Stride+k] * B[k][j] } }
//
// X has a.Rows ≥ K rows; those past K receive the product's extra rows. Every element is
// rounded exactly as MatMul(C, A, B) on the same columns rounds it, so the two are
// interchangeable bit for bit, and disjoint column ranges may go to separate calls (and
// goroutines). RTRL's sensitivity update writes M_t =
// J_t·M_{t-1} over M_{t-1} with it: one buffer instead of two, and each B micro-panel,
// copied out before its columns are overwritten, is the only copy of the old values the
// product needs. A must not overlap X. A steady-state call allocates nothing.
func MatMulInPlace(x, a Mat) {
	x.check("MatMulInPlace X")
	a.check("MatMulInPlace A")
	if x.Rows != a.Rows || a.Cols > a.Rows {
		panic(fmt.Sprintf("kernels: MatMulInPlace: X is %d×%d, A is %d×%d (want X with A's rows, and A no wider than tall)",
			x.Rows, x.Cols, a.Rows, a.Cols))
	}
	if x.Rows == 0 || x.Cols == 0 {
		return
	}
	if a.Cols == 0 {
		clearMat(x)
		return
	}
	matMulInPlace(x, a)
}

// matMulInPlaceGeneric computes MatMulInPlace with gemmGeneric, a block of columns at a
// time: each block of B is copied out first, and C's block is cleared and accumulated as
// MatMul's generic path does.
func matMulInPlaceGeneric(x, a Mat) {
	const cols = 64
	kk := a.Cols
	buf := getFloatScratch(kk * cols)
	defer putFloatScratch(buf)
	for j0 := 0; j0 < x.Cols; j0 += cols {
		n := min(cols, x.Cols-j0)
		b := Mat{Rows: kk, Cols: n, Stride: n, Data: (*buf)[:kk*n]}
		for k := range kk {
			copy(b.Row(k), x.Data[k*x.Stride+j0:k*x.Stride+j0+n])
		}
		c := x.Slice(0, x.Rows, j0, j0+n)
		clearMat(c)
		gemmGeneric(c, a, b)
	}
}

// floatScratchFree holds idle scratch buffers (a channel, not a sync.Pool, for the reason
// gemmScratchFree gives).
var floatScratchFree = make(chan *[]float32, 16)

// getFloatScratch returns a buffer of at least n floats.
func getFloatScratch(n int) *[]float32 {
	select {
	case b := <-floatScratchFree:
		if cap(*b) >= n {
			return b
		}
	default:
	}
	b := make([]float32, n)
	return &b
}

func putFloatScratch(b *[]float32) {
	select {
	case floatScratchFree <- b:
	default:
	}
}
