//go:build !purego

package kernels

// NEON kernels in kernels_arm64.s. Lengths have been checked by the exported wrappers;
// the assembly reads len(x) (or len(dst)) elements of each vector and nothing beyond.

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

// matVecNEON stores (or, with accumulate, adds) A·x in y, where A has len(y) rows of
// len(x) columns, row i starting at a[i*stride].
//
//go:noescape
func matVecNEON(y, a []float32, stride int, x []float32, accumulate bool)

// matTVecAddNEON adds Aᵀ·x to y, where A has len(x) rows of len(y) columns.
//
//go:noescape
func matTVecAddNEON(y, a []float32, stride int, x []float32)

// gerNEON adds (alpha·x[i])·y[j] to a[i*stride+j], for len(x) rows of len(y) columns.
//
//go:noescape
func gerNEON(a []float32, stride int, alpha float32, x, y []float32)
