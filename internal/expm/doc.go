// Package expm computes, in float64, the maps an orthogonal recurrent cell needs between
// a skew-symmetric parameter A and its orthogonal recurrent matrix W, and their adjoint
// derivatives: W = exp(A) by scaling and squaring with Padé approximants (Higham 2005),
// the Fréchet derivative of exp and its adjoint ∂f/∂A = L(Aᵀ, ∂f/∂W) (Al-Mohy & Higham
// 2009), the Cayley transform W = (I + A)⁻¹(I − A)D of scoRNN and its adjoint, the
// skew-symmetric packing of A = U − Uᵀ, and expRNN's initialisations of A.
//
// Matrices are n×n, row-major, in []float64 of length n·n. The O(n³) work runs through a
// Workspace, which owns every scratch buffer, so a steady state of repeated calls
// allocates nothing. Products use a cache-blocked, register-tiled pure-Go matrix
// multiply, and solves a blocked LU with partial pivoting, both in this package: no cgo
// and no dependency beyond the standard library (gonum is used by the tests only, as a
// reference).
//
// The work is float64 even though the cells are float32: it runs once per parameter
// update rather than per step, so its cost is amortised over a sequence; and W comes out
// orthogonal to ~1e-13 (measured up to n = 512), so rounding it to float32 is the only
// loss of orthogonality a float32 cell sees.
package expm
