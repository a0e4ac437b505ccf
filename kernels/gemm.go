package kernels

import "fmt"

// Gemm adds A·B to C:
//
//	for i := 0; i < c.Rows; i++ { for j := 0; j < c.Cols; j++ { for k := 0; k < a.Cols; k++ {
//		c.Data[i*c.Stride+j] += a.Data[i*a.Stride+k] * b.Data[k*b.Stride+j] } } }
//
// A is M×K, B is K×N and C is M×N. C must not overlap A or B. RTRL's sensitivity update
// M_t = J_t·M_{t-1} + Ī_t is this product with A the S×S Jacobian and B the S×P influence
// matrix. A steady-state call allocates nothing.
func Gemm(c, a, b Mat) {
	checkProduct("Gemm", c, a, b)
	if c.Rows == 0 || c.Cols == 0 || a.Cols == 0 {
		return
	}
	gemm(c, a, b)
}

// GemmTN adds Aᵀ·B to C, with A given as the stored K×M matrix at:
//
//	for i := 0; i < c.Rows; i++ { for j := 0; j < c.Cols; j++ { for k := 0; k < at.Rows; k++ {
//		c.Data[i*c.Stride+j] += at.Data[k*at.Stride+i] * b.Data[k*b.Stride+j] } } }
//
// at is K×M, B is K×N and C is M×N; C must not overlap at or B. A minibatch's backward
// step is this product: the adjoint of a layer's input, Wᵀ·G, for the B sequences' gate
// gradients G (one column each). It runs through Gemm's micro-kernels, which read the
// transposed A in place. A steady-state call allocates nothing.
func GemmTN(c, at, b Mat) {
	for _, m := range [...]struct {
		m    Mat
		name string
	}{{at, " A"}, {b, " B"}, {c, " C"}} {
		if !m.m.valid() {
			m.m.check("GemmTN" + m.name)
		}
	}
	if at.Cols != c.Rows || b.Cols != c.Cols || at.Rows != b.Rows {
		panic(fmt.Sprintf("kernels: GemmTN: C is %d×%d, Aᵀ is %d×%d (A %d×%d), B is %d×%d",
			c.Rows, c.Cols, at.Cols, at.Rows, at.Rows, at.Cols, b.Rows, b.Cols))
	}
	if c.Rows == 0 || c.Cols == 0 || at.Rows == 0 {
		return
	}
	gemmTN(c, at, b)
}

// MatMul stores A·B in C (Gemm adds it), without reading C first: what Gemm computes
// into a cleared C, without the pass that clears it nor the read of C's old values.
// RTRL's sensitivity update writes M_t = J_t·M_{t-1} with it.
func MatMul(c, a, b Mat) {
	checkProduct("MatMul", c, a, b)
	if c.Rows == 0 || c.Cols == 0 {
		return
	}
	if a.Cols == 0 {
		clearMat(c)
		return
	}
	matMul(c, a, b)
}

// GemmSeq adds A·B to C like Gemm, but every element of C takes its K terms one at a
// time, in order, each with one multiply-add (fused on the SIMD tiers; as Go compiles
// c += a·b on generic): the loop in Gemm's comment, literally. So splitting K across
// several calls, in order, gives the same bits as one call, whatever the split, on every
// tier. Package cell's GradBatch adds its weight gradients with it, which keeps full and
// checkpointed BPTT bit-identical though they flush in different places. On amd64 it
// runs a few per cent slower than Gemm when C comes from far away (Gemm prefetches C
// while it computes and adds it at the end); on arm64 the two are the same product.
func GemmSeq(c, a, b Mat) {
	checkProduct("GemmSeq", c, a, b)
	if c.Rows == 0 || c.Cols == 0 || a.Cols == 0 {
		return
	}
	gemmSeq(c, a, b)
}

// checkProduct panics, naming op and the sizes, unless C (M×N) = A (M×K) · B (K×N) are
// valid views of matching sizes.
func checkProduct(op string, c, a, b Mat) {
	// The names are joined only on the way to a panic: a steady-state call allocates
	// nothing.
	for _, m := range [...]struct {
		m    Mat
		name string
	}{{a, " A"}, {b, " B"}, {c, " C"}} {
		if !m.m.valid() {
			m.m.check(op + m.name)
		}
	}
	if a.Rows != c.Rows || b.Cols != c.Cols || a.Cols != b.Rows {
		panic(fmt.Sprintf("kernels: %s: C is %d×%d, A is %d×%d, B is %d×%d",
			op, c.Rows, c.Cols, a.Rows, a.Cols, b.Rows, b.Cols))
	}
}
