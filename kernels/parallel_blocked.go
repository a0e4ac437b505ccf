//go:build !purego && (amd64 || arm64)

package kernels

// parallelJob is the product the workers are running.
type parallelJob struct {
	c, a, b Mat
	k       gemmKernel
	mode    int
	transA  bool
	packed  *Packed // A's packed copy (GemmPackedOn), or nil
	panels  int     // M in micro-kernel panels
}

// part is worker i's share of the job: a contiguous run of whole row panels of C.
func (w *Workers) part(i int) {
	j := &w.job
	lo, hi := w.pool.Range(i, j.panels)
	m := j.c.Rows
	r0, r1 := min(m, lo*j.k.mr), min(m, hi*j.k.mr)
	if r0 == r1 {
		return
	}
	if j.packed != nil {
		gemmDrive(j.c.Slice(r0, r1, 0, j.c.Cols), j.a, j.b, j.k, j.mode, j.transA, j.packed, r0)
		return
	}
	var a Mat
	if j.transA {
		a = j.a.Slice(0, j.a.Rows, r0, r1)
	} else {
		a = j.a.Slice(r0, r1, 0, j.a.Cols)
	}
	gemmBlockedT(j.c.Slice(r0, r1, 0, j.c.Cols), a, j.b, j.k, j.mode, j.transA)
}

// split runs the product over the workers if the serial path would run it through the
// blocked driver (gemmPlan) and there is more than one panel; it reports whether it did.
func (w *Workers) split(op int, c, a, b Mat) bool {
	if w.Size() == 1 {
		return false
	}
	k, mode, ok := gemmPlan(op, c, a)
	if !ok || c.Rows <= k.mr {
		return false
	}
	w.job = parallelJob{c: c, a: a, b: b, k: k, mode: mode, transA: op == opGemmTN, panels: (c.Rows + k.mr - 1) / k.mr}
	w.pool.Run(w.run)
	w.job = parallelJob{}
	return true
}
