//go:build !purego

package kernels

// Each wrapper branches on the active tier and calls the NEON kernel directly, so the
// asm call is not hidden behind a function variable. The exported wrappers have checked
// the lengths; the assembly reads len(x) (or len(dst)) elements of each vector and
// nothing beyond.

func dot(x, y []float32) float32 {
	if active == NEON {
		return dotNEON(x, y)
	}
	return dotGeneric(x, y)
}

func axpy(alpha float32, x, y []float32) {
	if active == NEON {
		axpyNEON(alpha, x, y)
		return
	}
	axpyGeneric(alpha, x, y)
}

func scale(alpha float32, x []float32) {
	if active == NEON {
		scaleNEON(alpha, x)
		return
	}
	scaleGeneric(alpha, x)
}

func mul(dst, x, y []float32) {
	if active == NEON {
		mulNEON(dst, x, y)
		return
	}
	mulGeneric(dst, x, y)
}

func add(dst, x, y []float32) {
	if active == NEON {
		addNEON(dst, x, y)
		return
	}
	addGeneric(dst, x, y)
}

func mulAdd(dst, x, y []float32) {
	if active == NEON {
		mulAddNEON(dst, x, y)
		return
	}
	mulAddGeneric(dst, x, y)
}

// Implemented in level1_arm64.s.

//go:noescape
func dotNEON(x, y []float32) float32

//go:noescape
func axpyNEON(alpha float32, x, y []float32)

//go:noescape
func scaleNEON(alpha float32, x []float32)

//go:noescape
func mulNEON(dst, x, y []float32)

//go:noescape
func addNEON(dst, x, y []float32)

//go:noescape
func mulAddNEON(dst, x, y []float32)
