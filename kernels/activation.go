package kernels

import "fmt"

// Tanh stores the hyperbolic tangent of each x[i] in dst[i]:
//
//	for i := range x { dst[i] = float32(math.Tanh(float64(x[i]))) }
//
// within 2 ulp of the true value (in ulps of the float32 nearest it; at most 1.91 ulp,
// measured over all 2^32 inputs), so tanh(x) = x for tiny x; tanh(±0) = ±0,
// tanh(±Inf) = ±1, NaN stays NaN. dst may be x itself; otherwise dst and x must not
// overlap. The SIMD tiers agree with the generic twin within 1 ulp.
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
// within 2 ulp of the true value (in ulps of the float32 nearest it, subnormal results
// included; at most 1.48 ulp, measured over all 2^32 inputs); sigmoid(+Inf) = 1,
// sigmoid(-Inf) = 0, NaN stays NaN. dst may be x itself; otherwise dst and x must not
// overlap. The SIMD tiers agree with the generic twin within 1 ulp.
func Sigmoid(dst, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("kernels: Sigmoid: len(dst) = %d, len(x) = %d", len(dst), len(x)))
	}
	sigmoidVec(dst, x)
}
