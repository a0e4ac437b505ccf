package kernels

// clearMat zeroes the rows×cols block of c (not the padding between Cols and Stride).
func clearMat(c Mat) {
	for i := 0; i < c.Rows; i++ {
		clear(c.Data[i*c.Stride : i*c.Stride+c.Cols])
	}
}

// gemmTNGeneric is gemmGeneric for C += aᵀ·B (at stored K×M): it walks k, i, j, so every
// element of C still takes its terms in k order.
func gemmTNGeneric(c, at, b Mat) {
	n := c.Cols
	for k := 0; k < at.Rows; k++ {
		brow := b.Data[k*b.Stride : k*b.Stride+n]
		for i, aki := range at.Data[k*at.Stride : k*at.Stride+at.Cols] {
			axpyGeneric(aki, brow, c.Data[i*c.Stride:i*c.Stride+n])
		}
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
