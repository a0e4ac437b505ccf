//go:build !purego

package kernels

// adamUpdate runs the NEON kernel on the whole blocks of 8 and the generic loop on the
// 1..7 elements after them (the same arithmetic element by element, so the split does
// not change the bits).
func adamUpdate(p, g, m, v []float32, c AdamCoefficients) {
	if active == NEON && len(p) >= 8 {
		n := len(p) &^ 7
		if traceEnabled {
			traceCall("adamNEON", n, len(g), len(m), len(v), 0, 0, 0, 0, 0, 0, 0, 0)
		}
		adamNEON(p[:n], g, m, v, c.Beta1, c.OneMinusBeta1, c.Beta2, c.OneMinusBeta2, c.Correction2, c.Eps, c.StepSize, c.GradBound)
		p, g, m, v = p[n:], g[n:], m[n:], v[n:]
	}
	adamUpdateGeneric(p, g, m, v, c)
}

// sumSquares runs the NEON kernel on the whole blocks of 16 (one element per partial
// sum) and the generic loop on the rest.
func sumSquares(x []float32, s *[16]float64) {
	if active == NEON && len(x) >= 16 {
		n := len(x) &^ 15
		if traceEnabled {
			traceCall("sumSquaresNEON", n, 0)
		}
		sumSquaresNEON(x[:n], s)
		x = x[n:]
	}
	sumSquaresGeneric(x, s)
}

// Implemented in optim_arm64.s.

//go:noescape
func adamNEON(p, g, m, v []float32, b1, a1, b2, a2, c2, eps, step, bound float32)

//go:noescape
func sumSquaresNEON(x []float32, s *[16]float64)
