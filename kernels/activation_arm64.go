//go:build !purego

package kernels

// The NEON activation kernels need one whole vector (their tail overlaps the vector
// before it); shorter slices take the generic loop.

func tanhVec(dst, x []float32) {
	if active == NEON && len(x) >= 4 {
		if traceEnabled {
			traceCall("tanhNEON", len(dst), len(x))
		}
		tanhNEON(dst, x)
		return
	}
	if active == NEON {
		if traceEnabled {
			traceCall("tanhGeneric", len(x))
		}
	}
	tanhGeneric(dst, x)
}

func sigmoidVec(dst, x []float32) {
	if active == NEON && len(x) >= 4 {
		if traceEnabled {
			traceCall("sigmoidNEON", len(dst), len(x))
		}
		sigmoidNEON(dst, x)
		return
	}
	if active == NEON {
		if traceEnabled {
			traceCall("sigmoidGeneric", len(x))
		}
	}
	sigmoidGeneric(dst, x)
}

// Implemented in activation_arm64.s.

//go:noescape
func tanhNEON(dst, x []float32)

//go:noescape
func sigmoidNEON(dst, x []float32)
