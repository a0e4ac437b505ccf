package kernels

// MatVec stores A·x in y:
//
//	for i := 0; i < a.Rows; i++ { y[i] = 0; for j := 0; j < a.Cols; j++ { y[i] += a.Data[i*a.Stride+j] * x[j] } }
func MatVec(y []float32, a Mat, x []float32) {
	if !a.valid() { // valid inlines; check, which builds the message, does not
		a.check("MatVec")
	}
	checkLen("MatVec", "x", len(x), a.Cols)
	checkLen("MatVec", "y", len(y), a.Rows)
	if a.Cols == 0 { // an empty sum: the kernels may assume a row to read
		clear(y)
		return
	}
	matVec(y, a, x, false)
}

// MatVecAdd adds A·x to y:
//
//	for i := 0; i < a.Rows; i++ { for j := 0; j < a.Cols; j++ { y[i] += a.Data[i*a.Stride+j] * x[j] } }
func MatVecAdd(y []float32, a Mat, x []float32) {
	if !a.valid() { // valid inlines; check, which builds the message, does not
		a.check("MatVecAdd")
	}
	checkLen("MatVecAdd", "x", len(x), a.Cols)
	checkLen("MatVecAdd", "y", len(y), a.Rows)
	if a.Rows == 0 || a.Cols == 0 {
		return
	}
	matVec(y, a, x, true)
}

// MatTVecAdd adds Aᵀ·x to y (the backward pass of MatVec):
//
//	for i := 0; i < a.Rows; i++ { for j := 0; j < a.Cols; j++ { y[j] += a.Data[i*a.Stride+j] * x[i] } }
func MatTVecAdd(y []float32, a Mat, x []float32) {
	if !a.valid() { // valid inlines; check, which builds the message, does not
		a.check("MatTVecAdd")
	}
	checkLen("MatTVecAdd", "x", len(x), a.Rows)
	checkLen("MatTVecAdd", "y", len(y), a.Cols)
	if a.Rows == 0 || a.Cols == 0 {
		return
	}
	matTVecAdd(y, a, x)
}

// Ger adds alpha·x·yᵀ to A (the gradient of a matrix-vector product):
//
//	for i := 0; i < a.Rows; i++ { for j := 0; j < a.Cols; j++ { a.Data[i*a.Stride+j] += alpha * x[i] * y[j] } }
func Ger(a Mat, alpha float32, x, y []float32) {
	if !a.valid() { // valid inlines; check, which builds the message, does not
		a.check("Ger")
	}
	checkLen("Ger", "x", len(x), a.Rows)
	checkLen("Ger", "y", len(y), a.Cols)
	if a.Rows == 0 || a.Cols == 0 {
		return
	}
	ger(a, alpha, x, y)
}
