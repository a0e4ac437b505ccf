//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// The avx512 tier uses EVEX encodings of F and VL only (with opmask registers for tails);
// the OS must also save ZMM state, which cpuid's AVX512F check includes.
var (
	hasAVX2   = cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3)
	hasAVX512 = hasAVX2 && cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VL)
	hasNEON   = false
)
