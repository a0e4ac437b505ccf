//go:build !purego && (amd64 || arm64)

package kernels

// packFor fills p.data for the active tier's micro-kernel: for each K block of the width
// the blocked driver would choose for this K (gemmBlocks), the ⌈M/mr⌉ row panels of A,
// each kc groups of mr floats (k-major), rows past M zero. Block pc's panel for rows
// [r, r+mr) starts at pc·M' + r·kc, M' = M rounded up to mr.
func packFor(p *Packed) {
	if active == Generic {
		p.data = p.data[:0]
		return
	}
	k := gemmTierFor(p.n)
	kcMax, _, _ := gemmBlocks(k, p.cols)
	mr := k.mr
	mPad := (p.rows + mr - 1) / mr * mr
	n := mPad * p.cols
	if cap(p.data) < n {
		p.data = make([]float32, n)
	}
	p.data = p.data[:n]
	p.kid = k.id
	for pc := 0; pc < p.cols; pc += kcMax {
		kc := min(kcMax, p.cols-pc)
		blk := p.data[pc*mPad : pc*mPad+mPad*kc]
		if p.trans {
			packBlockT(blk, p.src, pc, p.rows, kc, mr)
		} else {
			packBlock(blk, p.src, pc, p.rows, kc, mr)
		}
	}
}

// packBlock packs columns [pc, pc+kc) of the M×K matrix a, every row, as row panels.
func packBlock(dst []float32, a Mat, pc, m, kc, mr int) {
	for r := 0; r < m; r += mr {
		panel := dst[r*kc : (r+mr)*kc]
		rows := min(mr, m-r)
		if mr == 6 && rows == 6 {
			packPanel6(panel, a, r, pc, kc)
			continue
		}
		for i := range rows {
			src := a.Data[(r+i)*a.Stride+pc : (r+i)*a.Stride+pc+kc]
			for p, v := range src {
				panel[p*mr+i] = v
			}
		}
		for i := rows; i < mr; i++ {
			for p := range kc {
				panel[p*mr+i] = 0
			}
		}
	}
}

// packPanel6 is packBlock's full six-row panel from row r: the six rows read side by side
// and each group of six written at once. Row by row, the writes went six floats apart and
// the panel was swept six times: Pack of an LSTM's W_ih and W_hh (the avx2 tier's 6-row
// panels) took about 7 ms a minibatch at n = 512, B = 32, and about 4 this way.
func packPanel6(panel []float32, a Mat, r, pc, kc int) {
	row := func(i int) []float32 { return a.Data[(r+i)*a.Stride+pc : (r+i)*a.Stride+pc+kc] }
	r0, r1, r2, r3, r4, r5 := row(0), row(1), row(2), row(3), row(4), row(5)
	r1, r2, r3, r4, r5 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)], r4[:len(r0)], r5[:len(r0)]
	for p, v := range r0 {
		o := panel[p*6 : p*6+6 : p*6+6]
		o[0], o[1], o[2], o[3], o[4], o[5] = v, r1[p], r2[p], r3[p], r4[p], r5[p]
	}
}

// packBlockT is packBlock for A = atᵀ (at is K×M): row p of at holds column p of A, so
// each panel takes mr consecutive floats of it; at's rows are read once each, in order.
func packBlockT(dst []float32, at Mat, pc, m, kc, mr int) {
	full := m - m%mr
	for p := range kc {
		src := at.Data[(pc+p)*at.Stride : (pc+p)*at.Stride+m]
		d := dst[p*mr:]
		if mr == 6 {
			for r := 0; r < full; r += 6 {
				o, i := d[r*kc:r*kc+6:r*kc+6], src[r:r+6:r+6]
				o[0], o[1], o[2], o[3], o[4], o[5] = i[0], i[1], i[2], i[3], i[4], i[5]
			}
		} else {
			for r := 0; r < full; r += mr {
				copy(d[r*kc:r*kc+mr], src[r:r+mr])
			}
		}
		if full < m {
			tail := d[full*kc : full*kc+mr]
			copy(tail, src[full:])
			clear(tail[m-full:])
		}
	}
}

// gemmPackedRun runs GemmPacked through the blocked driver and reports true, or reports
// false when the tier's Gemm (GemmTN) would not run this product there or p was packed
// for another tier.
func gemmPackedRun(c Mat, p *Packed, b Mat) bool {
	k, mode, ok := packedPlan(c, p)
	if !ok {
		return false
	}
	gemmDrive(c, p.src, b, k, mode, p.trans, p, 0)
	return true
}

// splitPacked is split for a packed A.
func (w *Workers) splitPacked(c Mat, p *Packed, b Mat) bool {
	if w.Size() == 1 {
		return false
	}
	k, mode, ok := packedPlan(c, p)
	if !ok || c.Rows <= k.mr {
		return false
	}
	w.job = parallelJob{c: c, a: p.src, b: b, k: k, mode: mode, transA: p.trans, packed: p, panels: (c.Rows + k.mr - 1) / k.mr}
	w.pool.Run(w.run)
	w.job = parallelJob{}
	return true
}

// packedPlan is the micro-kernel and mode of the blocked product the tier's Gemm (GemmTN)
// runs for C and p's source, with ok = false when it runs another path or p holds no
// copy packed for the active tier's kernel.
func packedPlan(c Mat, p *Packed) (k gemmKernel, mode int, ok bool) {
	k, mode, ok = gemmPlan(p.op(), c, p.src)
	return k, mode, ok && p.tier == active && p.kid == k.id && len(p.data) > 0
}

// packedRuns reports whether GemmPacked computes C from the packed copy.
func packedRuns(c Mat, p *Packed) bool {
	_, _, ok := packedPlan(c, p)
	return ok
}

func packedBytes(m, k, n int) int64 {
	if active == Generic || m <= 0 || k <= 0 {
		return 0
	}
	mr := int64(gemmTierFor(n).mr)
	return 4 * ((int64(m) + mr - 1) / mr * mr) * int64(k)
}
