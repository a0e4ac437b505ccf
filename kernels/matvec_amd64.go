//go:build !purego

package kernels

// The assembly takes A as its data slice and row stride; the row and column counts are
// the lengths of the vectors, which the exported wrappers have checked against A. Empty
// products return before the assembly, which would otherwise compute row addresses
// from an empty A. The avx512 MatTVecAdd and Ger kernels finish each row with a whole
// ZMM vector and so need minAVX512 columns; narrower matrices run the avx2 kernels in
// the avx512 tier, and so do MatVec's, which would be all opmask tail.

func matVec(y []float32, a Mat, x []float32, acc bool) {
	if len(y) == 0 {
		return
	}
	switch {
	case active == AVX512 && len(x) >= minAVX512:
		matVecAVX512(y, a.Data, a.Stride, x, acc)
	case active == AVX2 || active == AVX512:
		matVecAVX2(y, a.Data, a.Stride, x, acc)
	default:
		matVecGeneric(y, a, x, acc)
	}
}

func matTVecAdd(y []float32, a Mat, x []float32) {
	if len(y) == 0 || len(x) == 0 {
		return
	}
	switch {
	case active == AVX512 && len(y) >= minAVX512:
		matTVecAddAVX512(y, a.Data, a.Stride, x)
	case active == AVX2 || active == AVX512:
		matTVecAddAVX2(y, a.Data, a.Stride, x)
	default:
		matTVecAddGeneric(y, a, x)
	}
}

func ger(a Mat, alpha float32, x, y []float32) {
	if len(x) == 0 || len(y) == 0 {
		return
	}
	switch {
	case active == AVX512 && len(y) >= minAVX512:
		gerAVX512(a.Data, a.Stride, alpha, x, y)
	case active == AVX2 || active == AVX512:
		gerAVX2(a.Data, a.Stride, alpha, x, y)
	default:
		gerGeneric(a, alpha, x, y)
	}
}

// Implemented in matvec_amd64.s.

//go:noescape
func matVecAVX2(y, a []float32, stride int, x []float32, accumulate bool)

//go:noescape
func matVecAVX512(y, a []float32, stride int, x []float32, accumulate bool)

//go:noescape
func matTVecAddAVX2(y, a []float32, stride int, x []float32)

// matTVecAddAVX512 needs len(y) >= 16.
//
//go:noescape
func matTVecAddAVX512(y, a []float32, stride int, x []float32)

//go:noescape
func gerAVX2(a []float32, stride int, alpha float32, x, y []float32)

// gerAVX512 needs len(y) >= 16.
//
//go:noescape
func gerAVX512(a []float32, stride int, alpha float32, x, y []float32)
