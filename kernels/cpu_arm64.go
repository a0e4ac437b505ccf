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

// CPUName names the processor as far as user space can tell on arm64 (no brand string).
func CPUName() string { return "arm64" }

// Features lists the CPU features the kernel tiers care about that this CPU has.
func Features() []string {
	var fs []string
	for _, f := range []struct {
		name string
		has  bool
	}{
		{"fp", cpu.ARM64.HasFP}, {"asimd", cpu.ARM64.HasASIMD}, {"asimdhp", cpu.ARM64.HasASIMDHP},
		{"asimddp", cpu.ARM64.HasASIMDDP}, {"sve", cpu.ARM64.HasSVE},
	} {
		if f.has {
			fs = append(fs, f.name)
		}
	}
	return fs
}
