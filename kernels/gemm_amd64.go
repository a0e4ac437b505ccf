//go:build !purego

package kernels

// Micro-kernels of the blocked Gemm driver (see gemm_blocked.go for their contract).
const (
	gemmKernelAVX2_6x16 = iota
	gemmKernelAVX512_8x32
)

var (
	gemmAVX2   = gemmKernel{id: gemmKernelAVX2_6x16, mr: 6, nr: 16, kc: 256}
	gemmAVX512 = gemmKernel{id: gemmKernelAVX512_8x32, mr: 8, nr: 32, kc: 128}
)

func gemm(c, a, b Mat) {
	if active == Generic || gemmSmall(c.Rows, c.Cols, a.Cols) {
		gemmGeneric(c, a, b)
		return
	}
	if active == AVX512 {
		gemmBlocked(c, a, b, gemmAVX512)
		return
	}
	gemmBlocked(c, a, b, gemmAVX2)
}

// gemmMicro calls micro-kernel id; a switch rather than a func value so each call is
// direct.
func gemmMicro(id, kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows int) {
	if id == gemmKernelAVX512_8x32 {
		gemmKernel8x32AVX512(kc, a, rsa, csa, b, ldb, c, ldc, rows)
		return
	}
	gemmKernel6x16AVX2(kc, a, rsa, csa, b, ldb, c, ldc, rows)
}

// gemmKernel6x16AVX2 adds the first rows rows of the 6×16 product of a A micro-panel and a B micro-panel
// into c. It uses only VEX encodings (Y0-Y15).
//
//go:noescape
func gemmKernel6x16AVX2(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows int)

// gemmKernel8x32AVX512 adds the first rows rows of the 8×32 product of an A micro-panel and a B micro-panel
// into c.
//
//go:noescape
func gemmKernel8x32AVX512(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows int)
