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

// Implemented in optim_amd64.s.

//go:noescape
func adamAVX2(p, g, m, v []float32, c AdamCoefficients)
