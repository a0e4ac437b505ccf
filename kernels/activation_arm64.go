//go:build !purego

package kernels

// The NEON activation kernels need one whole vector (their tail overlaps the vector
// before it); shorter slices take the generic loop.

func tanhVec(dst, x []float32) {
	if active == NEON && len(x) >= 4 {
		tanhNEON(dst, x)
		return
	}
	tanhGeneric(dst, x)
}

func sigmoidVec(dst, x []float32) {
	if active == NEON && len(x) >= 4 {
		sigmoidNEON(dst, x)
		return
	}
	sigmoidGeneric(dst, x)
}

// Implemented in activation_arm64.s.

//go:noescape
func tanhNEON(dst, x []float32)

//go:noescape
func sigmoidNEON(dst, x []float32)
