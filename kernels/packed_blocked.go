//go:build !purego && (amd64 || arm64)

package kernels

// pack lays p.plain out in micro-panels for the active tier's kernel: per K block of kc
// rows, ceil(N/nr) panels of kc×nr, N padded with zeros.
func (p *PackedMat) pack() {
	k := packedKernel()
	if k.nr == 0 || p.rows == 0 || p.cols == 0 {
		p.packed = false
		return
	}
	kc, _, _ := gemmBlocks(k, p.rows)
	npad := (p.cols + k.nr - 1) / k.nr * k.nr
	for pc := 0; pc < p.rows; pc += kc {
		gemmPackB(p.panels[pc*npad:], p.plainMat(), pc, 0, min(kc, p.rows-pc), p.cols, k.nr)
	}
	p.kernel, p.kc, p.packed = k, kc, true
}

// packedProduct computes dst = A·B (inPlace, dst == A) or dst += A·B, one micro-panel of
// mr rows at a time: the panel's products with every B micro-panel go into an L1 scratch
// of mr rows, which is then copied (added) into dst. So each row of A is read once, from
// wherever it is, and the result rows are written once and in order; B stays in L2.
func packedProduct(dst, a Mat, b *PackedMat, inPlace bool) {
	k := b.kernel
	mr, nr := k.mr, k.nr
	kk, n := b.rows, b.cols
	npad := (n + nr - 1) / nr * nr
	buf := getRowScratch(mr * npad)
	defer putRowScratch(buf)
	scratch := (*buf)[:mr*npad]
	s := getGemmScratch()
	defer putGemmScratch(s)
	for row := 0; row < dst.Rows; row += mr {
		rows := min(mr, dst.Rows-row)
		for pc := 0; pc < kk; pc += b.kc {
			kc := min(b.kc, kk-pc)
			ap, rsa, csa := &a.Data[row*a.Stride+pc], a.Stride, 1
			if rows < mr {
				gemmPackA(s.a[:mr*kc], a, row, pc, rows, kc, mr)
				ap, rsa, csa = &s.a[0], 1, mr
			}
			mode := gemmAdd
			if pc == 0 {
				if gemmStores {
					mode = gemmStore
				} else {
					clear(scratch)
				}
			}
			panels := b.panels[pc*npad:]
			for jr := 0; jr < n; jr += nr {
				gemmMicro(k.id, kc, ap, rsa, csa, &panels[jr*kc], nr, &scratch[jr], npad, rows, mode)
			}
		}
		for i := range rows {
			out := dst.Data[(row+i)*dst.Stride : (row+i)*dst.Stride+n]
			if inPlace {
				copy(out, scratch[i*npad:i*npad+n])
			} else {
				axpy(1, scratch[i*npad:i*npad+n], out)
			}
		}
	}
}
