//go:build purego || !(amd64 || arm64)

package kernels

// Without assembly a PackedMat holds only its plain copy, and the products are generic.

func (p *PackedMat) pack() { p.packed = false }

func packedKernel() gemmKernel { return gemmKernel{} }

func packedProduct(dst, a Mat, b *PackedMat, inPlace bool) {
	panic("kernels: packedProduct without micro-kernels")
}

// gemmKernel names a micro-kernel (see gemm_blocked.go); without assembly there is none.
type gemmKernel struct{ id, mr, nr, kc int }

// gemmFreeList is how many scratch buffers are kept for reuse.
const gemmFreeList = 16
