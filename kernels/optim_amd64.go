//go:build !purego

package kernels

// adamUpdate runs the avx2 kernel on the whole vectors of 8 and the generic loop on the
// 1..7 elements after them (the same arithmetic element by element, so the split does
// not change the bits). The avx512 tier runs the avx2 kernel too: the loop is bound by
// the square root and the division, whose ZMM forms take twice the cycles of the YMM
// forms on every AVX-512 core (Skylake-X to Sapphire Rapids, and Zen 4, which splits a
// ZMM operation in two), so wider vectors would not move more elements per cycle.
func adamUpdate(p, g, m, v []float32, c AdamCoefficients) {
	if (active == AVX2 || active == AVX512) && len(p) >= minSIMD {
		n := len(p) &^ 7
		adamAVX2(p[:n], g, m, v, c)
		p, g, m, v = p[n:], g[n:], m[n:], v[n:]
	}
	adamUpdateGeneric(p, g, m, v, c)
}

// sumSquares runs the avx2 kernel on the whole blocks of 16 (one element per partial
// sum) and the generic loop on the rest; the avx512 tier runs the avx2 kernel too (a
// ZMM conversion to float64 widens only 8 floats, as two YMM ones do).
func sumSquares(x []float32, s *[16]float64) {
	if (active == AVX2 || active == AVX512) && len(x) >= 16 {
		n := len(x) &^ 15
		sumSquaresAVX2(x[:n], s)
		x = x[n:]
	}
	sumSquaresGeneric(x, s)
}

// Implemented in optim_amd64.s.

//go:noescape
func adamAVX2(p, g, m, v []float32, c AdamCoefficients)

//go:noescape
func sumSquaresAVX2(x []float32, s *[16]float64)
