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

// CPUName is the processor's brand string.
func CPUName() string { return cpuid.CPU.BrandName }

// Features lists the CPU features the kernel tiers care about that this CPU has.
func Features() []string {
	var fs []string
	for _, f := range []struct {
		name string
		id   cpuid.FeatureID
	}{
		{"sse4.2", cpuid.SSE42}, {"avx", cpuid.AVX}, {"avx2", cpuid.AVX2}, {"fma", cpuid.FMA3},
		{"avx512f", cpuid.AVX512F}, {"avx512vl", cpuid.AVX512VL}, {"avx512bw", cpuid.AVX512BW},
		{"avx512dq", cpuid.AVX512DQ},
	} {
		if cpuid.CPU.Supports(f.id) {
			fs = append(fs, f.name)
		}
	}
	return fs
}
