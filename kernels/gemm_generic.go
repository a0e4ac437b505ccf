package kernels

// clearMat zeroes the rows×cols block of c (not the padding between Cols and Stride).
func clearMat(c Mat) {
	for i := 0; i < c.Rows; i++ {
		clear(c.Data[i*c.Stride : i*c.Stride+c.Cols])
	}
}

// gemmGeneric walks i, k, j so that the inner loop is an axpy over contiguous rows of B
// and C.
func gemmGeneric(c, a, b Mat) {
	n := c.Cols
	for i := 0; i < c.Rows; i++ {
		crow := c.Data[i*c.Stride : i*c.Stride+n]
		arow := a.Data[i*a.Stride : i*a.Stride+a.Cols]
		for k, aik := range arow {
			axpyGeneric(aik, b.Data[k*b.Stride:k*b.Stride+n], crow)
		}
	}
}
