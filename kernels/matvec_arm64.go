//go:build !purego

package kernels

// The assembly takes A as its data slice and row stride; the row count is len(y)
// (matVec) or len(x) (matTVecAdd, ger), the column count the other vector's length, as
// the exported wrappers have checked.

func matVec(y []float32, a Mat, x []float32, acc bool) {
	if active == NEON {
		if traceEnabled {
			traceCall("matVecNEON", len(y), len(a.Data), a.Stride, len(x), b2i(acc))
		}
		matVecNEON(y, a.Data, a.Stride, x, acc)
		return
	}
	matVecGeneric(y, a, x, acc)
}

func matTVecAdd(y []float32, a Mat, x []float32) {
	if active == NEON {
		if traceEnabled {
			traceCall("matTVecAddNEON", len(y), len(a.Data), a.Stride, len(x))
		}
		matTVecAddNEON(y, a.Data, a.Stride, x)
		return
	}
	matTVecAddGeneric(y, a, x)
}

func ger(a Mat, alpha float32, x, y []float32) {
	if active == NEON {
		if traceEnabled {
			traceCall("gerNEON", len(a.Data), a.Stride, 0, len(x), len(y))
		}
		gerNEON(a.Data, a.Stride, alpha, x, y)
		return
	}
	gerGeneric(a, alpha, x, y)
}

// b2i is 1 for true, for traceCall.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Implemented in matvec_arm64.s.

// matVecNEON stores (or, with accumulate, adds) A·x in y, where A has len(y) rows of
// len(x) columns, row i starting at a[i*stride].
//
//go:noescape
func matVecNEON(y, a []float32, stride int, x []float32, accumulate bool)

// matTVecAddNEON adds Aᵀ·x to y, where A has len(x) rows of len(y) columns.
//
//go:noescape
func matTVecAddNEON(y, a []float32, stride int, x []float32)

// gerNEON adds (alpha·x[i])·y[j] to a[i*stride+j], for len(x) rows of len(y) columns.
//
//go:noescape
func gerNEON(a []float32, stride int, alpha float32, x, y []float32)
