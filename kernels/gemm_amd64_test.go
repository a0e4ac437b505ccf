//go:build !purego

package kernels

// gemmTestKernels lists the micro-kernels this CPU can run, for the driver's own tests.
func gemmTestKernels() []gemmKernel {
	var ks []gemmKernel
	if hasAVX2 {
		ks = append(ks, gemmAVX2, gemmAVX2Narrow)
	}
	if hasAVX512 {
		ks = append(ks, gemmAVX512, gemmAVX512Narrow)
	}
	return ks
}
