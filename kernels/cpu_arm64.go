//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// Advanced SIMD is part of the arm64 baseline; the check guards against a kernel that
// hides it.
var (
	hasAVX2   = false
	hasAVX512 = false
	hasNEON   = cpu.ARM64.HasASIMD
)
