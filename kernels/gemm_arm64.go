//go:build !purego

package kernels

// The NEON tier's Gemm is the blocked driver (gemm_blocked.go) around one micro-kernel.

const gemmKernelNEON_8x12 = 0

// kc = 256 keeps a 256×12 B micro-panel (12 KiB) plus an 8×256 A micro-panel (8 KiB)
// inside the 32 KiB L1D of Cortex-A72 (N1 has 64 KiB).
var gemmNEON = gemmKernel{id: gemmKernelNEON_8x12, mr: 8, nr: 12, kc: 256}

func gemm(c, a, b Mat) {
	if active == Generic || gemmSmall(c.Rows, c.Cols, a.Cols) {
		gemmGeneric(c, a, b)
		return
	}
	gemmBlocked(c, a, b, gemmNEON)
}

// gemmMicro calls micro-kernel id; arm64 has only the NEON one.
func gemmMicro(_, kc int, a, b *float32, ldb int, c *float32, ldc int) {
	gemmKernel8x12NEON(kc, a, b, ldb, c, ldc)
}

// gemmKernel8x12NEON adds the 8×12 product of a packed A micro-panel and a B
// micro-panel into c.
//
//go:noescape
func gemmKernel8x12NEON(kc int, a, b *float32, ldb int, c *float32, ldc int)
