package cell

import (
	"fmt"

	"github.com/chronograd/chronograd/kernels"
)

// layer implements Cell for every kind: a kind's equations (its file) define the
// arithmetic of a step around the two matrix products W_ih·x_t and W_hh·h_{t-1}, and the
// layer does the products, the checks and everything derived from the equations: the
// backward step, the Jacobians and the immediate Jacobian.
type layer struct {
	lay      Layout
	eq       equations
	alpha    float32
	state    int
	params   []float32
	wih, whh kernels.Mat
	bih, bhh []float32
	mask     *recurrentMask // nil: W_hh is dense (see sparse.go)

	// scratch, reused by every step; the first four are G·H·B for the batch being run
	preIH, preHH   []float32 // pre-activations
	gIH, gHH       []float32 // gradients w.r.t. the ih and hh gate pre-activations
	coefIH, coefHH []float32 // S·G immediate-Jacobian coefficients
	rowsX, rowsH   []float32 // a batch's x_t and h_{t-1}, batch-major (B×I, B×H)
	scratchBatch   int       // the batch size the scratch is sized for
	split          splitArgs // the elementwise passes the workers are running (split.go)
	splitJob       func(int) // c.splitPart, made on first use

	// ortho is the orthogonal cell's derived W and what maps gradients back to its
	// parameters (nil for the other kinds); whh then views its W, not params.
	ortho *orthoState
}

// twin is a layer that shares c's parameters (and the matrices over them) with scratch
// of its own: every scratch field above must be fresh here.
func (c *layer) twin() *layer {
	t := *c
	gh := c.gateRows()
	t.preIH, t.preHH = make([]float32, gh), make([]float32, gh)
	t.gIH, t.gHH = make([]float32, gh), make([]float32, gh)
	t.coefIH, t.coefHH = make([]float32, len(c.coefIH)), make([]float32, len(c.coefHH))
	t.rowsX, t.rowsH = nil, nil
	t.scratchBatch = 1
	t.split, t.splitJob = splitArgs{}, nil // splitJob is bound to c
	return &t
}

// use sizes the scratch for a batch of b sequences (it grows once, then is reused).
func (c *layer) use(b int) {
	if b == c.scratchBatch {
		return
	}
	gh := c.gateRows()
	if cap(c.preIH) < gh*b {
		c.preIH, c.preHH, c.gIH, c.gHH = skewedScratch(gh * b)
	}
	c.preIH, c.preHH, c.gIH, c.gHH = c.preIH[:gh*b], c.preHH[:gh*b], c.gIH[:gh*b], c.gHH[:gh*b]
	c.scratchBatch = b
}

// skewedScratch returns four vectors of n floats from one allocation, each starting at a
// different offset modulo 4 KiB (and none at 0, where the caches' blocks start). A
// minibatch's blocks are H·B floats, a multiple of 4 KiB whenever H·B is a multiple of
// 1024 (H = 128, B = 8 or 32): a gate loop that reads the cache's gate blocks and writes
// the gate gradients at the same offsets within 4 KiB pages waits on false store-to-load
// dependencies and fights over one L1 set. Skewed, GRU's backward gate loop ran 3.2×
// faster (n = 128, B = 32).
func skewedScratch(n int) (a, b, c, d []float32) {
	const skew = 272 // floats: 1 KiB + 64 B
	buf := make([]float32, 4*n+4*skew)
	at := func(i int) []float32 {
		s := i*n + (i+1)*skew
		return buf[s : s+n : s+n]
	}
	return at(0), at(1), at(2), at(3)
}

// rows returns a batch's x_t and h_{t-1} batch-major (row b is sequence b's), for the
// weight gradient's product.
func (c *layer) rows(k *Cache) (x, h []float32) {
	b, in, hid := k.batch, c.lay.Input, c.lay.Hidden
	if cap(c.rowsX) < b*in {
		c.rowsX = make([]float32, b*in)
	}
	if cap(c.rowsH) < b*hid {
		c.rowsH = make([]float32, b*hid)
	}
	x, h = c.rowsX[:b*in], c.rowsH[:b*hid]
	transpose(x, k.x, in, b)
	transpose(h, k.prev[:hid*b], hid, b)
	return x, h
}

// transpose writes the rows×cols row-major src into dst as cols×rows.
func transpose(dst, src []float32, rows, cols int) {
	kernels.Transpose(kernels.MatOf(cols, rows, dst), kernels.MatOf(rows, cols, src))
}

// broadcastRows writes src[r] into all b entries of dst's row r: on amd64 with an avx2
// routine (fill's eight-float stores wait on the eight single stores that build their
// value, a store-to-load forwarding stall per row: the routine broadcasts in a register
// and stores 2.7× faster, BenchmarkBroadcastRows).
func broadcastRows(dst, src []float32, b int) {
	dst = dst[:len(src)*b]
	if broadcastRowsSIMD(dst, src, b) {
		return
	}
	for r, v := range src {
		fill(dst[r*b:(r+1)*b], v)
	}
}

// fill sets every element of row to v, eight at a time: a minibatch's bias rows are
// short (B floats) and many (G·H), and one float per store had cost GRU 5% of its step at
// n = 128, B = 32.
func fill(row []float32, v float32) {
	v8 := [8]float32{v, v, v, v, v, v, v, v}
	j := 0
	for ; j+8 <= len(row); j += 8 {
		*(*[8]float32)(row[j:]) = v8
	}
	for ; j < len(row); j++ {
		row[j] = v
	}
}

// addRecurrent adds W_hh·h_{t-1} (every sequence's) into dst (G·H·B): a matrix-vector
// product for one sequence, a Gemm for a batch.
func (c *layer) addRecurrent(dst []float32, k *Cache) {
	h, b := c.lay.Hidden, k.batch
	if b == 1 {
		if c.mask.sparse() {
			kernels.SparseMatVecAdd(dst, c.whh, &c.mask.pattern, k.prev[:h])
			return
		}
		kernels.MatVecAdd(dst, c.whh, k.prev[:h])
		return
	}
	if pk := k.packs; pk != nil && pk.set.fwd {
		kernels.GemmPackedOn(k.workers, kernels.MatOf(c.gateRows(), b, dst), &pk.hh, kernels.MatOf(h, b, k.prev[:h*b]))
		return
	}
	kernels.GemmOn(k.workers, kernels.MatOf(c.gateRows(), b, dst), c.whh, kernels.MatOf(h, b, k.prev[:h*b]))
}

func (c *layer) Kind() Kind        { return c.lay.Kind }
func (c *layer) HiddenSize() int   { return c.lay.Hidden }
func (c *layer) StateSize() int    { return c.state }
func (c *layer) InputSize() int    { return c.lay.Input }
func (c *layer) NumParams() int    { return len(c.params) }
func (c *layer) Alpha() float32    { return c.alpha }
func (c *layer) Params() []float32 { return c.params }
func (c *layer) Layout() Layout    { return c.lay }
func (c *layer) NewCache() *Cache  { return newCache(c.lay.Kind, c.lay.Hidden, c.lay.Input, 1) }
func (c *layer) gateRows() int     { return c.lay.Gates * c.lay.Hidden }
func (c *layer) String() string {
	return fmt.Sprintf("%v(H=%d, I=%d)", c.lay.Kind, c.lay.Hidden, c.lay.Input)
}
func (c *layer) hprev(k *Cache) []float32 { return k.prev[:c.lay.Hidden] }

func (c *layer) NewBatchCache(batch int) *Cache {
	if batch < 1 {
		panic(fmt.Sprintf("cell: NewBatchCache(%d): a batch holds at least one sequence", batch))
	}
	return newCache(c.lay.Kind, c.lay.Hidden, c.lay.Input, batch)
}

func (c *layer) CheckInput(x []float32) error {
	if len(x) != c.lay.Input {
		return fmt.Errorf("cell: input has %d values, the %v cell takes %d", len(x), c.lay.Kind, c.lay.Input)
	}
	return nil
}

func (c *layer) checkCache(op string, k *Cache) {
	if k == nil || k.kind != c.lay.Kind || k.hidden != c.lay.Hidden || k.input != c.lay.Input {
		if k == nil {
			panic(fmt.Sprintf("cell: %s: nil cache", op))
		}
		panic(fmt.Sprintf("cell: %s: cache for %v(H=%d, I=%d) used with %v", op, k.kind, k.hidden, k.input, c))
	}
	c.use(k.batch)
}

// checkOne is checkCache for the methods defined per sequence (the Jacobians): a batch's
// cache gives its sequences to them through Cache.CopySequence.
func (c *layer) checkOne(op string, k *Cache) {
	c.checkCache(op, k)
	if k.batch != 1 {
		panic(fmt.Sprintf("cell: %s: a cache of %d sequences (the method takes one; see Cache.CopySequence)", op, k.batch))
	}
}

func checkLen(op, name string, got, want int) {
	if got != want {
		panic(fmt.Sprintf("cell: %s: len(%s) = %d, want %d", op, name, got, want))
	}
}

func (c *layer) Forward(k *Cache, next, prev, x []float32) {
	c.checkCache("Forward", k)
	checkLen("Forward", "next", len(next), c.state*k.batch)
	checkLen("Forward", "prev", len(prev), c.state*k.batch)
	checkLen("Forward", "x", len(x), c.lay.Input*k.batch)
	// Read only the cache's copies from here on, so next may alias prev. A driver may
	// have written x_t straight into the cache (Cache.Input): then there is no copy.
	copy(k.prev, prev)
	if !sameStart(k.x, x) {
		copy(k.x, x)
	}
	c.inputPart(k, 0, c.gateRows())
	k.projected = false
	c.eq.forward(c, k, next)
}

// sameStart reports whether a and b start at the same element (both non-empty).
func sameStart(a, b []float32) bool {
	return len(a) > 0 && len(b) > 0 && &a[0] == &b[0]
}

// inputPart writes rows [r0, r1) of the input part of the step's pre-activations into
// k.gates, from k.x: W_ih x plus the kind's inputBias. Every kind's forward step starts
// from it, and each row is computed the same way whichever rows a call covers, so
// ProjectInputs can sweep W_ih in blocks of rows.
func (c *layer) inputPart(k *Cache, r0, r1 int) {
	b := k.batch
	dst := k.gates[r0*b : r1*b]
	c.eq.inputBias(c, dst, r0, r1, b)
	if b == 1 {
		kernels.MatVecAdd(dst, c.wih.Slice(r0, r1, 0, c.wih.Cols), k.x)
		return
	}
	if pk := k.packs; pk != nil && pk.set.fwd && r0 == 0 && r1 == c.gateRows() {
		kernels.GemmPackedOn(k.workers, kernels.MatOf(r1-r0, b, dst), &pk.ih, kernels.MatOf(c.lay.Input, b, k.x))
		return
	}
	kernels.GemmOn(k.workers, kernels.MatOf(r1-r0, b, dst), c.wih.Slice(r0, r1, 0, c.wih.Cols), kernels.MatOf(c.lay.Input, b, k.x))
}

// projectRows is how many rows of W_ih ProjectInputs sweeps over all its inputs at a
// time: about 16 KiB of them, half of L1, in multiples of 16 rows so that the matrix-vector
// kernels (which group rows by 4 and 8) group each row as a whole-matrix call does.
func (c *layer) projectRows() int {
	return max(16, 4096/max(1, c.lay.Input)/16*16)
}

func (c *layer) ProjectInputs(caches []*Cache, xs [][]float32) {
	if len(caches) != len(xs) {
		panic(fmt.Sprintf("cell: ProjectInputs: %d caches for %d inputs", len(caches), len(xs)))
	}
	for j, k := range caches {
		c.checkCache("ProjectInputs", k)
		checkLen("ProjectInputs", "x", len(xs[j]), c.lay.Input*k.batch)
		copy(k.x, xs[j])
		k.projected = true
	}
	gh, step := c.gateRows(), c.projectRows()
	for r0 := 0; r0 < gh; r0 += step {
		r1 := min(gh, r0+step)
		for _, k := range caches {
			c.inputPart(k, r0, r1)
		}
	}
}

func (c *layer) ForwardProjected(k *Cache, next, prev []float32) {
	c.checkCache("ForwardProjected", k)
	checkLen("ForwardProjected", "next", len(next), c.state*k.batch)
	checkLen("ForwardProjected", "prev", len(prev), c.state*k.batch)
	if !k.projected {
		panic("cell: ForwardProjected: the cache has no projected input (call ProjectInputs first)")
	}
	k.projected = false
	copy(k.prev, prev)
	c.eq.forward(c, k, next)
}

func (c *layer) ImmediateCoefficients(k *Cache, coefIH, coefHH []float32) {
	c.checkOne("ImmediateCoefficients", k)
	n := c.state * c.lay.Gates
	checkLen("ImmediateCoefficients", "coefIH", len(coefIH), n)
	checkLen("ImmediateCoefficients", "coefHH", len(coefHH), n)
	c.eq.coefficients(c, k, coefIH, coefHH)
}

// addParamGrad adds the parameter gradient of the gate gradients in c.gIH, c.gHH: for a
// batch, the sum over its sequences, taken in order (the weights' as GradBatch's GemmSeq
// takes them, so that Backward and BackwardBatch agree bit for bit).
func (c *layer) addParamGrad(k *Cache, grad []float32) {
	l := c.lay
	gh := c.gateRows()
	if b := k.batch; b > 1 {
		x, h := c.rows(k)
		kernels.GemmSeqOn(k.workers, kernels.MatOf(gh, l.Input, grad[l.WeightIH:l.WeightHH]), kernels.MatOf(gh, b, c.gIH), kernels.MatOf(b, l.Input, x))
		kernels.GemmSeqOn(k.workers, kernels.MatOf(gh, l.Hidden, grad[l.WeightHH:l.BiasIH]), kernels.MatOf(gh, b, c.hhGrad()), kernels.MatOf(b, l.Hidden, h))
		addRowSums(grad[l.BiasIH:l.BiasHH], c.gIH, b)
		addRowSums(grad[l.BiasHH:], c.biasHHGrad(), b)
		return
	}
	kernels.Ger(kernels.MatOf(gh, l.Input, grad[l.WeightIH:l.WeightHH]), 1, c.gIH, k.x)
	kernels.Ger(kernels.MatOf(gh, l.Hidden, grad[l.WeightHH:l.BiasIH]), 1, c.hhGrad(), c.hprev(k))
	kernels.Axpy(1, c.gIH, grad[l.BiasIH:l.BiasHH])
	kernels.Axpy(1, c.biasHHGrad(), grad[l.BiasHH:])
}

// biasHHGrad is the gradient with respect to the hh gate pre-activations that bias_hh_l0
// receives: gHH for GRU and the orthogonal cell, which write it; gIH for the vanilla and
// LSTM cells, whose hh and ih gate gradients are the same values (their gate loops write
// gIH alone rather than copy it).
func (c *layer) biasHHGrad() []float32 {
	if c.lay.Kind == GRU || c.lay.Kind == Orthogonal {
		return c.gHH
	}
	return c.gIH
}

// hhGrad is the gradient with respect to the hh gate pre-activations that weight_hh_l0's
// gradient and the VJP through W_hh use: gHH for GRU, whose hh coefficients differ from
// its ih ones; gIH for every other kind, whose gHH differs from gIH, if at all, only in
// what bias_hh_l0 receives (the orthogonal cell's modReLU bias). GradBatch makes the
// same choice.
func (c *layer) hhGrad() []float32 {
	if c.lay.Kind == GRU {
		return c.gHH
	}
	return c.gIH
}

// addRowSums adds to dst[r] the sum of the b entries of row r of src (len(dst)×b, row
// after row): a minibatch's bias gradient. It is MatVecAdd against a vector of ones, b
// columns at a time up to len(rowOnes), so its rounding depends on b alone, whichever
// path (Backward, BackwardBatch, the readout) calls it.
func addRowSums(dst, src []float32, b int) {
	for c0 := 0; c0 < b; c0 += len(rowOnes) {
		w := min(len(rowOnes), b-c0)
		a := kernels.Mat{Rows: len(dst), Cols: w, Stride: b, Data: src[c0 : (len(dst)-1)*b+c0+w]}
		kernels.MatVecAdd(dst, a, rowOnes[:w])
	}
}

// rowOnes is addRowSums' vector of ones (read only).
var rowOnes = func() []float32 {
	v := make([]float32, 1024)
	for i := range v {
		v[i] = 1
	}
	return v
}()

func (c *layer) AddImmediateVJP(k *Cache, grad, v []float32) {
	c.checkOne("AddImmediateVJP", k)
	checkLen("AddImmediateVJP", "grad", len(grad), len(c.params))
	checkLen("AddImmediateVJP", "v", len(v), c.state)
	c.eq.gateGradients(c, k, v)
	c.addParamGrad(k, grad)
}

func (c *layer) Backward(k *Cache, dPrev, dx, grad, dNext []float32) {
	c.checkBackward("Backward", k, dPrev, dx, dNext)
	if grad != nil {
		checkLen("Backward", "grad", len(grad), len(c.params))
	}
	// Everything that reads dNext through the gates happens before dPrev is written, so
	// the two may be the same slice.
	c.eq.gateGradients(c, k, dNext)
	if grad != nil {
		c.addParamGrad(k, grad)
	}
	c.inputStateVJP(k, dPrev, dx, dNext, true)
}

func (c *layer) BackwardBatch(k *Cache, dPrev, dx, grad []float32, batch *GradBatch, dNext []float32) {
	c.checkBackward("BackwardBatch", k, dPrev, dx, dNext)
	checkLen("BackwardBatch", "grad", len(grad), len(c.params))
	if batch == nil || batch.lay != c.lay {
		panic(fmt.Sprintf("cell: BackwardBatch: the gradient batch is not for %v", c))
	}
	// Spread over workers, the gate gradients and the direct VJP run together (each
	// element's dNext is read before its dPrev is written); otherwise as Backward.
	split := c.backwardRest(k, dPrev, dNext)
	if !split {
		c.eq.gateGradients(c, k, dNext)
	}
	batch.record(grad, c.gIH, c.biasHHGrad(), k.x, k.prev[:c.lay.Hidden*k.batch], k.batch)
	c.inputStateVJP(k, dPrev, dx, dNext, !split)
}

// checkBackward panics, naming op and the sizes, when a backward step's vectors have the
// wrong lengths.
func (c *layer) checkBackward(op string, k *Cache, dPrev, dx, dNext []float32) {
	c.checkCache(op, k)
	checkLen(op, "dPrev", len(dPrev), c.state*k.batch)
	checkLen(op, "dNext", len(dNext), c.state*k.batch)
	if dx != nil {
		checkLen(op, "dx", len(dx), c.lay.Input*k.batch)
	}
}

// inputStateVJP finishes a backward step from the gate gradients: ∂L/∂x_t into dx
// (unless nil) and ∂L/∂s_{t-1} into dPrev, which may alias dNext; direct false when
// the direct VJP is already in dPrev (backwardRest).
func (c *layer) inputStateVJP(k *Cache, dPrev, dx, dNext []float32, direct bool) {
	b, h, gh := k.batch, c.lay.Hidden, c.gateRows()
	pk := k.packs
	if pk != nil && (b == 1 || !pk.set.bwd) {
		pk = nil
	}
	if dx != nil {
		clear(dx)
		switch {
		case b == 1:
			kernels.MatTVecAdd(dx, c.wih, c.gIH)
		case pk != nil && pk.ihT.Rows() == c.lay.Input && pk.ihT.Cols() == gh:
			kernels.GemmPackedOn(k.workers, kernels.MatOf(c.lay.Input, b, dx), &pk.ihT, kernels.MatOf(gh, b, c.gIH))
		default:
			kernels.GemmTNOn(k.workers, kernels.MatOf(c.lay.Input, b, dx), c.wih, kernels.MatOf(gh, b, c.gIH))
		}
	}
	if direct {
		c.eq.directVJP(c, k, dPrev, dNext)
	}
	if b == 1 {
		if c.mask.sparse() {
			kernels.SparseMatTVecAdd(dPrev[:h], c.whh, &c.mask.pattern, c.hhGrad())
			return
		}
		kernels.MatTVecAdd(dPrev[:h], c.whh, c.hhGrad())
		return
	}
	if pk != nil {
		kernels.GemmPackedOn(k.workers, kernels.MatOf(h, b, dPrev[:h*b]), &pk.hhT, kernels.MatOf(gh, b, c.hhGrad()))
		return
	}
	kernels.GemmTNOn(k.workers, kernels.MatOf(h, b, dPrev[:h*b]), c.whh, kernels.MatOf(gh, b, c.hhGrad()))
}

func (c *layer) StateJacobian(k *Cache, j kernels.Mat) {
	c.checkOne("StateJacobian", k)
	if j.Rows != c.state || j.Cols != c.state {
		panic(fmt.Sprintf("cell: StateJacobian: J is %d×%d, want %d×%d", j.Rows, j.Cols, c.state, c.state))
	}
	c.eq.coefficients(c, k, c.coefIH, c.coefHH)
	// Through W_hh: ∂s/∂h_{t-1} = Σ_k coefHH[s,k]·W_hh[k·H+u, :].
	c.rowsThrough(j, c.coefHH, c.whh)
	c.eq.directJacobian(c, k, j)
}

// rowsThrough overwrites each row s of dst with Σ_k coef[s·G+k]·W[k·H+u, :] (u = s mod
// H) in its first W.Cols columns, zeros after: the part of a Jacobian that passes
// through the weights W (W_hh for the state, W_ih for the input).
func (c *layer) rowsThrough(dst kernels.Mat, coef []float32, w kernels.Mat) {
	h, g := c.lay.Hidden, c.lay.Gates
	for s := range c.state {
		row := dst.Row(s)
		clear(row)
		u := s % h
		for gate, cf := range coef[s*g : s*g+g] {
			if cf != 0 {
				kernels.Axpy(cf, w.Row(gate*h+u), row[:w.Cols])
			}
		}
	}
}

func (c *layer) StateJVP(k *Cache, out, v []float32) {
	c.checkOne("StateJVP", k)
	checkLen("StateJVP", "out", len(out), c.state)
	checkLen("StateJVP", "v", len(v), c.state)
	c.eq.coefficients(c, k, c.coefIH, c.coefHH)
	// Through W_hh: (J·v)[s] = Σ_k coefHH[s,k]·(W_hh·v_h)[k·H+u]. preHH is free scratch
	// outside Forward. Everything reading v happens before out is written.
	wv := c.preHH
	if c.mask.sparse() {
		clear(wv)
		kernels.SparseMatVecAdd(wv, c.whh, &c.mask.pattern, v[:c.lay.Hidden])
	} else {
		kernels.MatVec(wv, c.whh, v[:c.lay.Hidden])
	}
	c.eq.stateJVP(c, k, out, v, wv)
}

func (c *layer) UnitJacobian(k *Cache, blocks []float32) {
	c.checkOne("UnitJacobian", k)
	h, g := c.lay.Hidden, c.lay.Gates
	fs := c.lay.Kind.StateFactor()
	checkLen("UnitJacobian", "blocks", len(blocks), h*fs*fs)
	c.eq.coefficients(c, k, c.coefIH, c.coefHH)
	for u := range h {
		blk := blocks[u*fs*fs : (u+1)*fs*fs]
		for a := range fs {
			s := a*h + u
			// Only h_{t-1}[u] enters through W_hh's column u.
			var viaW float32
			for gate := range g {
				viaW += c.coefHH[s*g+gate] * c.whh.At(gate*h+u, u)
			}
			blk[a*fs] = viaW
			for b := 1; b < fs; b++ {
				blk[a*fs+b] = 0
			}
		}
		c.eq.unitDirect(c, k, u, blk)
	}
}

func (c *layer) AddImmediate(k *Cache, m kernels.Mat) {
	c.checkOne("AddImmediate", k)
	if m.Rows != c.state || m.Cols != len(c.params) {
		panic(fmt.Sprintf("cell: AddImmediate: M is %d×%d, want %d×%d", m.Rows, m.Cols, c.state, len(c.params)))
	}
	c.eq.coefficients(c, k, c.coefIH, c.coefHH)
	l := c.lay
	h, g, in := l.Hidden, l.Gates, l.Input
	hp := c.hprev(k)
	biasIn := k.BiasHHInput()
	for s := range c.state {
		row := m.Row(s)
		u := s % h
		for gate := range g {
			r := gate*h + u
			cih, chh := c.coefIH[s*g+gate], c.coefHH[s*g+gate]
			kernels.Axpy(cih, k.x, row[l.WeightIH+r*in:l.WeightIH+r*in+in])
			kernels.Axpy(chh, hp, row[l.WeightHH+r*h:l.WeightHH+r*h+h])
			row[l.BiasIH+r] += cih
			if biasIn == nil {
				row[l.BiasHH+r] += chh
			} else {
				row[l.BiasHH+r] += chh * biasIn[u]
			}
		}
	}
}

func (c *layer) InputJacobian(k *Cache, a kernels.Mat) {
	c.checkOne("InputJacobian", k)
	if a.Rows != c.state || a.Cols != c.lay.Input {
		panic(fmt.Sprintf("cell: InputJacobian: A is %d×%d, want %d×%d", a.Rows, a.Cols, c.state, c.lay.Input))
	}
	c.eq.coefficients(c, k, c.coefIH, c.coefHH)
	// x enters only through W_ih: ∂s/∂x = Σ_k coefIH[s,k]·W_ih[k·H+u, :].
	c.rowsThrough(a, c.coefIH, c.wih)
}

func (c *layer) InputVJP(k *Cache, dx, v []float32) {
	c.checkOne("InputVJP", k)
	checkLen("InputVJP", "dx", len(dx), c.lay.Input)
	checkLen("InputVJP", "v", len(v), c.state)
	c.eq.gateGradients(c, k, v)
	clear(dx)
	kernels.MatTVecAdd(dx, c.wih, c.gIH)
}

func (c *layer) AddInputJVP(k *Cache, out, w []float32) {
	c.checkOne("AddInputJVP", k)
	checkLen("AddInputJVP", "out", len(out), c.state)
	checkLen("AddInputJVP", "w", len(w), c.lay.Input)
	c.eq.coefficients(c, k, c.coefIH, c.coefHH)
	h, g := c.lay.Hidden, c.lay.Gates
	// (A·w)[s] = Σ_k coefIH[s,k]·(W_ih·w)[k·H+u]; preIH is free scratch outside Forward.
	ww := c.preIH
	kernels.MatVec(ww, c.wih, w)
	for s := range c.state {
		u := s % h
		var sum float32
		for gate, coef := range c.coefIH[s*g : s*g+g] {
			sum += coef * ww[gate*h+u]
		}
		out[s] += sum
	}
}
