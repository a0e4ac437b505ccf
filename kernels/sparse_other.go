//go:build purego || !amd64

package kernels

func sparseMatVecAdd(y []float32, a Mat, p *RowPattern, x []float32) {
	sparseMatVecAddGeneric(y, a, p, x)
}

func sparseMatTVecAdd(y []float32, a Mat, p *RowPattern, x []float32) {
	sparseMatTVecAddGeneric(y, a, p, x)
}
