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
func gemmMicro(id, kc int, a, b *float32, ldb int, c *float32, ldc int) {
	gemmMicroPlaceholderGo(kc, a, b, ldb, c, ldc)
}

// gemmMicroPlaceholderGo is the 4×8 micro-kernel in Go.
func gemmMicroPlaceholderGo(kc int, a, b *float32, ldb int, c *float32, ldc int) {
	const mr, nr = 4, 8
	ap := unsafe.Slice(a, kc*mr)
	bp := unsafe.Slice(b, (kc-1)*ldb+nr)
	cp := unsafe.Slice(c, (mr-1)*ldc+nr)
	var acc [mr][nr]float32
	for p := 0; p < kc; p++ {
		brow := bp[p*ldb : p*ldb+nr]
		for i := 0; i < mr; i++ {
			ai := ap[p*mr+i]
			for j, bj := range brow {
				acc[i][j] += ai * bj
			}
		}
	}
	for i := range acc {
		crow := cp[i*ldc : i*ldc+nr]
		for j, v := range acc[i] {
			crow[j] += v
		}
	}
}
