//go:build !purego

package kernels

// gemmTestKernels lists the micro-kernels this CPU can run, for the driver's own tests.
func gemmTestKernels() []gemmKernel {
	if hasNEON {
		return []gemmKernel{gemmNEON}
	}
	return nil
}
