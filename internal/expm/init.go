package expm

import (
	"math"
	"math/rand/v2"
)

// HenaffInit sets the n×n matrix a to Henaff, Szlam & LeCun's (2016) initialisation of a
// skew-symmetric A, as expRNN's henaff_init_ does: block diagonal with ⌊n/2⌋ blocks
// [[0, θ_i], [−θ_i, 0]] at rows and columns 2i, 2i+1, the θ_i drawn independently and
// uniformly from [−π, π) in order i = 0, 1, …, and (for odd n) a last zero row and column.
// exp(A) is then block diagonal with the rotations [[cos θ_i, sin θ_i], [−sin θ_i, cos θ_i]],
// whose eigenvalues e^(±iθ_i) are spread uniformly over the unit circle.
//
// It corresponds to expRNN's initialization.py, create_diag_ with diag ~ U(−π, π): the
// superdiagonal entries (2i, 2i+1) hold θ_i and A = triu − triuᵀ. expRNN draws in float32
// through torch; here the draws are float64 from r (r.Float64 per angle).
func HenaffInit(a []float64, n int, r *rand.Rand) {
	checkLens("HenaffInit", n, a, nil)
	blockDiag(a, n, func() float64 { return math.Pi * (2*r.Float64() - 1) })
}

// CayleyInit sets the n×n matrix a to the Cayley initialisation of scoRNN and expRNN
// (cayley_init_): the same 2×2 block structure as HenaffInit with entries
// s_i = −sqrt((1 − cos u_i)/(1 + cos u_i)) = −tan(u_i/2), u_i drawn uniformly from
// [0, π/2). Under the Cayley transform (I + A)⁻¹(I − A) each block becomes the rotation by
// angle u_i ([[cos u_i, sin u_i], [−sin u_i, cos u_i]]), so the eigenvalues of W are
// e^(±iu_i) spread over a quarter of the circle either side of 1; under exp the blocks
// rotate by s_i ∈ (−1, 0].
func CayleyInit(a []float64, n int, r *rand.Rand) {
	checkLens("CayleyInit", n, a, nil)
	blockDiag(a, n, func() float64 {
		u := math.Pi / 2 * r.Float64()
		c := math.Cos(u)
		return -math.Sqrt((1 - c) / (1 + c))
	})
}

// blockDiag zeroes a and sets a[2i][2i+1] = x_i, a[2i+1][2i] = −x_i for i < n/2, drawing
// x_i from next in order.
func blockDiag(a []float64, n int, next func() float64) {
	clear(a)
	for i := range n / 2 {
		x := next()
		a[(2*i)*n+2*i+1] = x
		a[(2*i+1)*n+2*i] = -x
	}
}
