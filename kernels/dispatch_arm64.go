//go:build !purego

package kernels

// Each wrapper branches on the active tier and calls the NEON kernel directly, so the
// asm call is not hidden behind a function variable.

func dot(x, y []float32) float32 {
	if active == NEON {
		return dotNEON(x, y)
	}
	return dotGeneric(x, y)
}

func axpy(alpha float32, x, y []float32) {
	if active == NEON {
		axpyNEON(alpha, x, y)
		return
	}
	axpyGeneric(alpha, x, y)
}

func scale(alpha float32, x []float32) {
	if active == NEON {
		scaleNEON(alpha, x)
		return
	}
	scaleGeneric(alpha, x)
}

func mul(dst, x, y []float32) {
	if active == NEON {
		mulNEON(dst, x, y)
		return
	}
	mulGeneric(dst, x, y)
}

func add(dst, x, y []float32) {
	if active == NEON {
		addNEON(dst, x, y)
		return
	}
	addGeneric(dst, x, y)
}

func mulAdd(dst, x, y []float32) {
	if active == NEON {
		mulAddNEON(dst, x, y)
		return
	}
	mulAddGeneric(dst, x, y)
}

// The matrix kernels take a's data and stride; the row count is len(y) (matVec) or
// len(x) (matTVecAdd, ger), the column count the other vector's length, as the exported
// wrappers have checked.

func matVec(y []float32, a Mat, x []float32, acc bool) {
	if active == NEON {
		matVecNEON(y, a.Data, a.Stride, x, acc)
		return
	}
	matVecGeneric(y, a, x, acc)
}

func matTVecAdd(y []float32, a Mat, x []float32) {
	if active == NEON {
		matTVecAddNEON(y, a.Data, a.Stride, x)
		return
	}
	matTVecAddGeneric(y, a, x)
}

func ger(a Mat, alpha float32, x, y []float32) {
	if active == NEON {
		gerNEON(a.Data, a.Stride, alpha, x, y)
		return
	}
	gerGeneric(a, alpha, x, y)
}
