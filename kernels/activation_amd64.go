//go:build !purego

package kernels

// The activation kernels need one whole vector (their tail overlaps the vector before
// it); shorter slices take the generic loop.

func tanhVec(dst, x []float32) {
	switch {
	case active == AVX512 && len(x) >= minAVX512:
		tanhAVX512(dst, x)
	case (active == AVX2 || active == AVX512) && len(x) >= minSIMD:
		tanhAVX2(dst, x)
	default:
		tanhGeneric(dst, x)
	}
}

func sigmoidVec(dst, x []float32) {
	switch {
	case active == AVX512 && len(x) >= minAVX512:
		sigmoidAVX512(dst, x)
	case (active == AVX2 || active == AVX512) && len(x) >= minSIMD:
		sigmoidAVX2(dst, x)
	default:
		sigmoidGeneric(dst, x)
	}
}

// Implemented in activation_amd64.s.

//go:noescape
func tanhAVX2(dst, x []float32)

//go:noescape
func tanhAVX512(dst, x []float32)

//go:noescape
func sigmoidAVX2(dst, x []float32)

//go:noescape
func sigmoidAVX512(dst, x []float32)
