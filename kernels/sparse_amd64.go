//go:build !purego

package kernels

func sparseMatVecAdd(y []float32, a Mat, p *RowPattern, x []float32) {
	if active == AVX2 || active == AVX512 {
		sparseMatVecAddFMA(y, a.Data, a.Stride, p.Start, p.Index, x)
		return
	}
	sparseMatVecAddGeneric(y, a, p, x)
}

func sparseMatTVecAdd(y []float32, a Mat, p *RowPattern, x []float32) {
	if active == AVX2 || active == AVX512 {
		sparseMatTVecAddFMA(y, a.Data, a.Stride, p.Start, p.Index, x)
		return
	}
	sparseMatTVecAddGeneric(y, a, p, x)
}

// sparseMatVecAddFMA adds to y[i] the sum over k in [start[i], start[i+1]) of
// a[i*stride+index[k]]·x[index[k]], for every row i < len(y). The wrapper has checked
// the sizes and the pattern's shape; the indices are trusted to lie in [0, len(x)).
//
//go:noescape
func sparseMatVecAddFMA(y, a []float32, stride int, start, index []int32, x []float32)

// sparseMatTVecAddFMA adds a[i*stride+index[k]]·x[i] to y[index[k]] for every row
// i < len(x) and k in [start[i], start[i+1]), with the same trust as sparseMatVecAddFMA.
//
//go:noescape
func sparseMatTVecAddFMA(y, a []float32, stride int, start, index []int32, x []float32)

// prefetchRows asks for the 64 bytes at p in each of rows rows, stride bytes apart, to
// be brought into L1.
//
//go:noescape
func prefetchRows(p *float32, stride, rows int)
