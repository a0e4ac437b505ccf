package kernels

func matVecGeneric(y []float32, a Mat, x []float32, accumulate bool) {
	for i := range y {
		row := a.Data[i*a.Stride : i*a.Stride+len(x)]
		s := dotGeneric(row, x)
		if accumulate {
			y[i] += s
		} else {
			y[i] = s
		}
	}
}

func matTVecAddGeneric(y []float32, a Mat, x []float32) {
	for i, xi := range x {
		axpyGeneric(xi, a.Data[i*a.Stride:i*a.Stride+len(y)], y)
	}
}

func gerGeneric(a Mat, alpha float32, x, y []float32) {
	for i, xi := range x {
		axpyGeneric(alpha*xi, y, a.Data[i*a.Stride:i*a.Stride+len(y)])
	}
}
