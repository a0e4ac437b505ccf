package kernels

import "fmt"

// Tanh stores the hyperbolic tangent of each x[i] in dst[i]:
//
//	for i := range x { dst[i] = float32(math.Tanh(float64(x[i]))) }
//
// within 2 ulp of the correctly rounded value for every float32 input (tested over all of
// them); tanh(±0) = ±0, tanh(±Inf) = ±1, NaN stays NaN. dst may be x itself; otherwise
// dst and x must not overlap. The SIMD tiers agree with the generic twin within 1 ulp.
func Tanh(dst, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("kernels: Tanh: len(dst) = %d, len(x) = %d", len(dst), len(x)))
	}
	tanhVec(dst, x)
}

// Sigmoid stores the logistic function of each x[i] in dst[i]:
//
//	for i := range x { dst[i] = float32(1 / (1 + math.Exp(-float64(x[i])))) }
//
// within 2 ulp of the correctly rounded value for every float32 input, subnormal results
// included (tested over all of them); sigmoid(+Inf) = 1, sigmoid(-Inf) = 0, NaN stays NaN.
// dst may be x itself; otherwise dst and x must not overlap. The SIMD tiers agree with the
// generic twin within 1 ulp.
func Sigmoid(dst, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("kernels: Sigmoid: len(dst) = %d, len(x) = %d", len(dst), len(x)))
	}
	sigmoidVec(dst, x)
}
