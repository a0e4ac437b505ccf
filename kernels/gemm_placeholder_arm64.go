//go:build !purego && arm64

package kernels

import "unsafe"

// PLACEHOLDER until the NEON micro-kernel lands: a pure-Go micro-kernel that satisfies the
// contract in gemm_blocked.go, so the blocked driver builds and is tested on arm64. The
// NEON kernel replaces gemmKernelPlaceholderGo and this file; dispatch_arm64.go still
// routes gemm to gemmGeneric until then.

const gemmKernelPlaceholderGo = 0

var gemmPlaceholder = gemmKernel{id: gemmKernelPlaceholderGo, mr: 4, nr: 8, kc: 256}

// gemmMicro is the arm64 dispatch point for micro-kernels; there is only the placeholder.
func gemmMicro(id, kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows int) {
	gemmMicroPlaceholderGo(kc, a, rsa, csa, b, ldb, c, ldc, rows)
}

// gemmCopyRows leaves every B micro-panel copy to the driver's Go loop for now.
func gemmCopyRows(dst, src []float32, lds, rows, width int) bool { return false }

// gemmMicroPlaceholderGo is the 4×8 micro-kernel in Go.
func gemmMicroPlaceholderGo(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows int) {
	const mr, nr = 4, 8
	ap := unsafe.Slice(a, (mr-1)*rsa+(kc-1)*csa+1)
	bp := unsafe.Slice(b, (kc-1)*ldb+nr)
	cp := unsafe.Slice(c, (mr-1)*ldc+nr)
	var acc [mr][nr]float32
	for p := 0; p < kc; p++ {
		brow := bp[p*ldb : p*ldb+nr]
		for i := 0; i < mr; i++ {
			ai := ap[i*rsa+p*csa]
			for j, bj := range brow {
				acc[i][j] += ai * bj
			}
		}
	}
	for i := range acc[:rows] {
		crow := cp[i*ldc : i*ldc+nr]
		for j, v := range acc[i] {
			crow[j] += v
		}
	}
}
