//go:build !purego && (amd64 || arm64)

package kernels

// gemmInPlace is MatMulInPlace through micro-kernel k (see gemm_blocked.go), which
// computes every element with the same calls as gemmBlocked does: for each K block, in
// order, one micro-kernel call on the same A panel and B values, in mode for the first
// block (gemmStore, or gemmSeqMode from a cleared C) and gemmAdd after it (store mode
// only). Only the loop order differs: one nr-wide micro-panel of columns at a time, its
// K rows of B copied out first, then every A panel over it, so that the columns are
// overwritten only after their old values are saved. On the avx2 tier, with K in one
// block, a full micro-panel is one call to a fused routine whose first tile saves B as it
// reads it: at RTRL's K = S = 64 the separate copy and the per-tile calls had cost 18% of
// the update.
func gemmInPlace(x, a Mat, k gemmKernel, mode int) {
	m, n, kk := a.Rows, x.Cols, a.Cols
	mr, nr := k.mr, k.nr
	kcMax, _, _ := gemmBlocks(k, kk)
	s := getGemmScratch()
	defer putGemmScratch(s)
	bbuf := getFloatScratch(kk * nr)
	defer putFloatScratch(bbuf)
	panel := (*bbuf)[:kk*nr]
	// The last, partial A panel, packed zero-padded once per K block.
	mFull := m - m%mr
	var apack []float32
	if mFull < m {
		abuf := getFloatScratch(kk * mr)
		defer putFloatScratch(abuf)
		apack = (*abuf)[:kk*mr]
		for pc := 0; pc < kk; pc += kcMax {
			kc := min(kcMax, kk-pc)
			gemmPackA(apack[pc*mr:pc*mr+kc*mr], a, mFull, pc, m-mFull, kc, mr)
		}
	}
	xs := Mat{Rows: kk, Cols: n, Stride: x.Stride, Data: x.Data}
	// With K in one block, a full micro-panel may go to the tier's fused routine: one call
	// for all full A panels, the first reading B from X and saving it into panel as it
	// goes (no separate copy), the same multiply-adds in the same order.
	tiles := m / mr
	fused := mode == gemmStore && kk <= kcMax && tiles > 0
	for jc := 0; jc < n; jc += nr {
		nrValid := min(nr, n-jc)
		if fused && nrValid == nr {
			next, pf := &x.Data[jc], 0
			if jc+nr < n {
				next, pf = &x.Data[jc+nr], kk
			}
			if gemmInPlacePanel(k, kk, &a.Data[0], a.Stride, &x.Data[jc], x.Stride, &panel[0], tiles, next, (pf+tiles-1)/tiles, pf) {
				if mFull < m {
					gemmMicro(k.id, kk, &apack[0], 1, mr, &panel[0], nr, &x.Data[mFull*x.Stride+jc], x.Stride, m-mFull, gemmStore)
				}
				continue
			}
			fused = false
		}
		gemmPackB(panel, xs, 0, jc, kk, nrValid, nr)
		// The next micro-panel's K rows are K separate cache lines, one per row of X, too
		// many streams for the hardware prefetchers: ask for them while this panel's
		// products run, a few rows before each A panel, so that the requests do not
		// outrun the miss buffers.
		next, ahead := 0, 0
		if jc+nr < n {
			ahead = (kk + (m+mr-1)/mr - 1) / ((m + mr - 1) / mr)
		}
		if mode == gemmSeqMode {
			clearMat(x.Slice(0, m, jc, jc+nrValid))
		}
		for pc := 0; pc < kk; pc += kcMax {
			kc := min(kcMax, kk-pc)
			kmode := mode
			if mode == gemmStore && pc > 0 {
				kmode = gemmAdd
			}
			bp := &panel[pc*nr]
			for row := 0; row < m; row += mr {
				mrValid := min(mr, m-row)
				if pc == 0 && next < kk && ahead > 0 {
					rows := min(ahead, kk-next)
					prefetchRows(&x.Data[next*x.Stride+jc+nr], 4*x.Stride, rows)
					next += rows
				}
				ap, rsa, csa := &a.Data[row*a.Stride+pc], a.Stride, 1
				if mrValid < mr {
					ap, rsa, csa = &apack[pc*mr], 1, mr
				}
				if nrValid == nr {
					gemmMicro(k.id, kc, ap, rsa, csa, bp, nr, &x.Data[row*x.Stride+jc], x.Stride, mrValid, kmode)
					continue
				}
				// The narrow last column block goes through a zero-padded tile, as in
				// gemmBlocked.
				tile := s.tile[:mr*nr]
				clear(tile)
				if kmode == gemmSeqMode {
					for i := 0; i < mrValid; i++ {
						copy(tile[i*nr:], x.Data[(row+i)*x.Stride+jc:(row+i)*x.Stride+jc+nrValid])
					}
				}
				gemmMicro(k.id, kc, ap, rsa, csa, bp, nr, &tile[0], nr, mr, kmode)
				for i := 0; i < mrValid; i++ {
					crow := x.Data[(row+i)*x.Stride+jc : (row+i)*x.Stride+jc+nrValid]
					if kmode != gemmAdd {
						copy(crow, tile[i*nr:i*nr+nrValid])
						continue
					}
					for j, v := range tile[i*nr : i*nr+nrValid] {
						crow[j] += v
					}
				}
			}
		}
	}
}
