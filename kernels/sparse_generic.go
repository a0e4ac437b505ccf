package kernels

// sparseMatVecAddGeneric sums each row's kept terms in four interleaved partial sums, so
// that the loads of consecutive terms overlap instead of waiting on one add chain.
func sparseMatVecAddGeneric(y []float32, a Mat, p *RowPattern, x []float32) {
	for i := range y {
		idx := p.Index[p.Start[i]:p.Start[i+1]]
		row := a.Data[i*a.Stride : i*a.Stride+len(x)]
		var s0, s1, s2, s3 float32
		k := 0
		for ; k+4 <= len(idx); k += 4 {
			j0, j1, j2, j3 := idx[k], idx[k+1], idx[k+2], idx[k+3]
			s0 += row[j0] * x[j0]
			s1 += row[j1] * x[j1]
			s2 += row[j2] * x[j2]
			s3 += row[j3] * x[j3]
		}
		for ; k < len(idx); k++ {
			j := idx[k]
			s0 += row[j] * x[j]
		}
		y[i] += (s0 + s1) + (s2 + s3)
	}
}

func sparseMatTVecAddGeneric(y []float32, a Mat, p *RowPattern, x []float32) {
	for i, xi := range x {
		idx := p.Index[p.Start[i]:p.Start[i+1]]
		row := a.Data[i*a.Stride : i*a.Stride+len(y)]
		for _, j := range idx {
			y[j] += row[j] * xi
		}
	}
}
