package kernels

// Dot returns the inner product of x and y:
//
//	for i := range x { sum += x[i] * y[i] }
//
// The SIMD tiers sum in a different order (several accumulators, fused multiply-adds), so
// results agree with generic within rounding, not bit for bit.
func Dot(x, y []float32) float32 {
	checkLen("Dot", "y", len(y), len(x))
	return dot(x, y)
}

// Axpy adds alpha * x to y:
//
//	for i := range x { y[i] += alpha * x[i] }
func Axpy(alpha float32, x, y []float32) {
	checkLen("Axpy", "y", len(y), len(x))
	axpy(alpha, x, y)
}

// Scale multiplies x by alpha in place:
//
//	for i := range x { x[i] *= alpha }
func Scale(alpha float32, x []float32) {
	scale(alpha, x)
}

// Mul stores the elementwise product of x and y in dst (dst may alias x or y):
//
//	for i := range dst { dst[i] = x[i] * y[i] }
func Mul(dst, x, y []float32) {
	checkLen("Mul", "x", len(x), len(dst))
	checkLen("Mul", "y", len(y), len(dst))
	mul(dst, x, y)
}

// Add stores the elementwise sum of x and y in dst (dst may alias x or y):
//
//	for i := range dst { dst[i] = x[i] + y[i] }
func Add(dst, x, y []float32) {
	checkLen("Add", "x", len(x), len(dst))
	checkLen("Add", "y", len(y), len(dst))
	add(dst, x, y)
}

// MulAdd adds the elementwise product of x and y to dst:
//
//	for i := range dst { dst[i] += x[i] * y[i] }
func MulAdd(dst, x, y []float32) {
	checkLen("MulAdd", "x", len(x), len(dst))
	checkLen("MulAdd", "y", len(y), len(dst))
	mulAdd(dst, x, y)
}
