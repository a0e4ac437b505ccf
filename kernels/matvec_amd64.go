//go:build !purego

package kernels

func matVec(y []float32, a Mat, x []float32, acc bool) { matVecGeneric(y, a, x, acc) }
func matTVecAdd(y []float32, a Mat, x []float32)       { matTVecAddGeneric(y, a, x) }
func ger(a Mat, alpha float32, x, y []float32)         { gerGeneric(a, alpha, x, y) }
