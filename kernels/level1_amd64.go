//go:build !purego

package kernels

// Each wrapper branches on the active tier and calls the assembly directly (a function
// variable would cost an extra indirect call). The exported wrappers have checked the
// lengths, so the assembly trusts len of the first slice for all of them.
//
// Short vectors: below minSIMD elements the generic loop beats the call into assembly,
// and below one ZMM vector the avx512 tier runs the avx2 kernel, which is as fast there
// (best-of timings on Zen 4, n = 1..16).
const (
	minSIMD   = 8
	minAVX512 = 16
)

func dot(x, y []float32) float32 {
	switch {
	case active == AVX512 && len(x) >= minAVX512:
		return dotAVX512(x, y)
	case (active == AVX2 || active == AVX512) && len(x) >= minSIMD:
		return dotAVX2(x, y)
	}
	return dotGeneric(x, y)
}

func axpy(alpha float32, x, y []float32) {
	switch {
	case active == AVX512 && len(x) >= minAVX512:
		axpyAVX512(alpha, x, y)
	case (active == AVX2 || active == AVX512) && len(x) >= minSIMD:
		axpyAVX2(alpha, x, y)
	default:
		axpyGeneric(alpha, x, y)
	}
}

func scale(alpha float32, x []float32) {
	switch {
	case active == AVX512 && len(x) >= minAVX512:
		scaleAVX512(alpha, x)
	case (active == AVX2 || active == AVX512) && len(x) >= minSIMD:
		scaleAVX2(alpha, x)
	default:
		scaleGeneric(alpha, x)
	}
}

func mul(dst, x, y []float32) {
	switch {
	case active == AVX512 && len(dst) >= minAVX512:
		mulAVX512(dst, x, y)
	case (active == AVX2 || active == AVX512) && len(dst) >= minSIMD:
		mulAVX2(dst, x, y)
	default:
		mulGeneric(dst, x, y)
	}
}

func add(dst, x, y []float32) {
	switch {
	case active == AVX512 && len(dst) >= minAVX512:
		addAVX512(dst, x, y)
	case (active == AVX2 || active == AVX512) && len(dst) >= minSIMD:
		addAVX2(dst, x, y)
	default:
		addGeneric(dst, x, y)
	}
}

func mulAdd(dst, x, y []float32) {
	switch {
	case active == AVX512 && len(dst) >= minAVX512:
		mulAddAVX512(dst, x, y)
	case (active == AVX2 || active == AVX512) && len(dst) >= minSIMD:
		mulAddAVX2(dst, x, y)
	default:
		mulAddGeneric(dst, x, y)
	}
}

// Implemented in level1_amd64.s.

//go:noescape
func dotAVX2(x, y []float32) float32

//go:noescape
func dotAVX512(x, y []float32) float32

//go:noescape
func axpyAVX2(alpha float32, x, y []float32)

//go:noescape
func axpyAVX512(alpha float32, x, y []float32)

//go:noescape
func scaleAVX2(alpha float32, x []float32)

//go:noescape
func scaleAVX512(alpha float32, x []float32)

//go:noescape
func mulAVX2(dst, x, y []float32)

//go:noescape
func mulAVX512(dst, x, y []float32)

//go:noescape
func addAVX2(dst, x, y []float32)

//go:noescape
func addAVX512(dst, x, y []float32)

//go:noescape
func mulAddAVX2(dst, x, y []float32)

//go:noescape
func mulAddAVX512(dst, x, y []float32)
