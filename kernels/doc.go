// Package kernels holds chronograd's float32 compute kernels: level-1 (Dot, Axpy, Scale,
// Mul, Add, MulAdd), level-2 (MatVec, MatVecAdd, MatTVecAdd, Ger), level-3 (Gemm, which
// adds A·B to C; MatMul, which stores it; GemmSeq, which adds it one term at a time so
// that splitting the inner dimension does not change the bits) and the activations Tanh
// and Sigmoid. Matrices are row-major views with an explicit stride (Mat).
//
// Each kernel has a pure-Go twin (the generic tier, compiled everywhere) and assembly
// tiers for amd64 (avx2: AVX2+FMA; avx512: AVX-512 F and VL) and arm64 (neon), chosen
// once at start from the CPU's features; Impl names the tier in use, CHRONOGRAD_KERNELS
// or UseTier override the choice (EnvError says why a bad CHRONOGRAD_KERNELS value was
// ignored; the package itself prints nothing) and -tags purego compiles no assembly.
// Tests hold every tier to the generic kernels. Wrong sizes are programmer errors and
// panic with a message naming them; a steady-state call allocates nothing.
package kernels
