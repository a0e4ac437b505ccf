//go:build !purego

package kernels

// Each wrapper branches on the active tier and calls the NEON kernel directly, so the
// asm call is not hidden behind a function variable. The exported wrappers have checked
// the lengths; the assembly reads len(x) (or len(dst)) elements of each vector and
// nothing beyond.

func dot(x, y []float32) float32 {
	if active == NEON {
		if traceEnabled {
			traceCall("dotNEON", len(x), len(y))
		}
		return dotNEON(x, y)
	}
	return dotGeneric(x, y)
}

func axpy(alpha float32, x, y []float32) {
	if active == NEON {
		if traceEnabled {
			traceCall("axpyNEON", 0, len(x), len(y))
		}
		axpyNEON(alpha, x, y)
		return
	}
	axpyGeneric(alpha, x, y)
}

func scale(alpha float32, x []float32) {
	if active == NEON {
		if traceEnabled {
			traceCall("scaleNEON", 0, len(x))
		}
		scaleNEON(alpha, x)
		return
	}
	scaleGeneric(alpha, x)
}

func mul(dst, x, y []float32) {
	if active == NEON {
		if traceEnabled {
			traceCall("mulNEON", len(dst), len(x), len(y))
		}
		mulNEON(dst, x, y)
		return
	}
	mulGeneric(dst, x, y)
}

func add(dst, x, y []float32) {
	if active == NEON {
		if traceEnabled {
			traceCall("addNEON", len(dst), len(x), len(y))
		}
		addNEON(dst, x, y)
		return
	}
	addGeneric(dst, x, y)
}

func mulAdd(dst, x, y []float32) {
	if active == NEON {
		if traceEnabled {
			traceCall("mulAddNEON", len(dst), len(x), len(y))
		}
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
