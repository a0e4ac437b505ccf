package rtrl

import (
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/algostate"
	"github.com/chronograd/chronograd/internal/memlimit"
	"github.com/chronograd/chronograd/kernels"
)

// Exact is exact real-time recurrent learning (RTRL) (Williams and Zipser, "A learning
// algorithm for continually running fully recurrent neural networks", Neural Computation
// 1989, §2: the sensitivities p^k_ij(t) = ∂y_k(t)/∂w_ij and their recursion). In this
// package's notation it carries the influence matrix M_t = ds_t/dθ (S×P) forward:
//
//	M_t = J_t·M_{t-1} + Ī_t,   M_0 = 0       (the sensitivity recursion)
//	∂L/∂θ += (∂L_t/∂s_t)ᵀ·M_t                (the weight change, accumulated online)
//
// J_t·M_{t-1} is one S×S by S×P Gemm, O(S²·P) = O(n⁴) per step; M is S·P floats, O(n³),
// independent of the sequence length, and one buffer holds it: the product is written
// over M_{t-1} (kernels.MatMulInPlace), each 16 or 32 columns copied out just before they
// are overwritten, so M is read once and written back once per step with no second copy
// to allocate, stream or fetch for ownership. The gradient equals full BPTT's.
//
// The gradient's dense share (∂L_t/∂s_t)ᵀ·J_t·M_{t-1} is an O(S·P) vector-matrix
// product; rather than run it apart at matrix-vector speed it rides along as one more row
// of the same Gemm: A = [J_t; wᵀ] with w = J_tᵀ·∂L_t/∂s_t, so row S of the product is
// that share. The sparse share (∂L_t/∂s_t)ᵀ·Ī_t comes from the cell's AddImmediateVJP.
//
// A stack of layers has a block lower-triangular J_t and an Ī_t through which a layer's
// parameters reach the layers above within the step, and M has structure to match: layer
// k's rows M^k depend only on the parameters of layers 0…k. Exact keeps M^k as S_k rows of
// P_{≤k} columns and updates the layers bottom up,
//
//	M^k_t = J^k_t·M^k_{t-1} + A^k_t·(M^{k−1}_t)_h + Ī^k_t
//
// with J^k_t the layer's own state Jacobian, A^k_t = ∂s^k_t/∂x^k_t its input Jacobian, (·)_h
// the h rows of the layer below (already at step t), and Ī^k_t on the layer's own columns:
// no product touches the zero blocks. The loss reads the top layer, so the gradient rides
// on the top layer's two products (a row [·; wᵀ] on each).
type Exact struct {
	online
	sens *sensitivity
	pool *columnPool // nil with one worker
}

// sensitivity holds what the sensitivity update reads and writes. It is separate from
// Exact so that the helper goroutines, which hold it, do not keep the Exact reachable (its
// cleanup stops them).
type sensitivity struct {
	layers    []layerSensitivity
	hidden    int       // H: the loss reads only the top layer's first H rows
	dLdh      []float32 // ∂L_t/∂h_t of the top layer
	gradCell  []float32
	hasTarget bool
	bounds    []int // column block w is [bounds[w], bounds[w+1]) of the P columns of all layers
}

// layerSensitivity is layer k's part of M and of the step's Jacobians.
type layerSensitivity struct {
	states    int         // S_k
	own       int         // P_{<k}: its own parameters' first column
	augmented kernels.Mat // [J^k_t; wᵀ], (S_k+1)×S_k (the w row is used by the top layer)
	jacobian  kernels.Mat // J^k_t: the first S_k rows of augmented
	// inAugmented is [A^k_t; w₂ᵀ], (S_k+1)×H, and input its first S_k rows (k > 0).
	inAugmented, input kernels.Mat
	// influence holds M^k_{t-1} in its first S_k rows, overwritten in place by M^k_t, and
	// the step's gradient share in row S_k; P_{≤k} columns.
	influence kernels.Mat
	panel     int // columns per Gemm call: an S_k×panel slab of M^k stays in L2
}

// ExactOptions configure exact RTRL.
type ExactOptions struct {
	// Workers splits the sensitivity update M_t = J_t·M_{t-1} + Ī_t and its gradient
	// product across that many goroutines, each owning a block of M's columns; zero means
	// one (no helper goroutines). The helpers persist between steps, and Close (or garbage
	// collection) stops them. After a step they spin for some tens of microseconds, ready
	// for the next one, before they park, so an Exact stepped flat out keeps Workers cores
	// busy, and one stepped now and then costs a wake-up per step instead. The result is
	// the same, bit for bit, for every number of workers.
	Workers int
	// MemLimit bounds the bytes of the influence matrices (S·P floats, O(n³)):
	// NewExact refuses a model whose matrices exceed it before allocating them. Zero means
	// the default limit, half of the memory available to the process; a negative value
	// means no limit.
	MemLimit int64
}

// NewExact builds exact RTRL for the model, any cell kind and any number of layers.
func NewExact(m *cell.Model, opt ExactOptions) (*Exact, error) {
	workers := opt.Workers
	if workers == 0 {
		workers = 1
	}
	if workers < 1 {
		return nil, fmt.Errorf("rtrl: exact RTRL with %d workers: need at least 1", opt.Workers)
	}
	if m.Check() == nil {
		if err := memlimit.Check(fmt.Sprintf("exact RTRL's influence matrices for %v with H=%d, %d layer(s) and %d parameters", m.Kind(), m.HiddenSize(), m.NumLayers(), m.NumParams()),
			influenceBytes(m), opt.MemLimit); err != nil {
			return nil, fmt.Errorf("rtrl: %w", err)
		}
	}
	base, err := newOnline("rtrl", m)
	if err != nil {
		return nil, err
	}
	r := &Exact{online: base}
	h := m.HiddenSize()
	r.sens = &sensitivity{
		hidden:   h,
		dLdh:     r.topHidden(r.dLds),
		gradCell: r.gradCell,
		bounds:   columnBounds(m.NumParams(), workers, panelWidth(m.Layers[0].StateSize())),
	}
	for k, l := range m.Layers {
		s := l.StateSize()
		cols := m.ParamOffset(k) + l.NumParams()
		augmented := kernels.NewMat(s+1, s)
		ls := layerSensitivity{
			states:    s,
			own:       m.ParamOffset(k),
			augmented: augmented,
			jacobian:  augmented.Slice(0, s, 0, s),
			influence: kernels.NewMat(s+1, cols),
			panel:     panelWidth(s),
		}
		if k > 0 {
			ls.inAugmented = kernels.NewMat(s+1, h)
			ls.input = ls.inAugmented.Slice(0, s, 0, h)
		}
		r.sens.layers = append(r.sens.layers, ls)
	}
	if workers := len(r.sens.bounds) - 1; workers > 1 {
		r.pool = startColumnPool(r.sens, workers)
		runtime.AddCleanup(r, func(p *columnPool) { p.stop() }, r.pool)
	}
	return r, nil
}

// influenceBytes is what NewExact allocates for m beyond the shared buffers: per layer,
// M^k (updated in place) over S_k+1 rows and P_{≤k} columns, [J^k; wᵀ] and, above the
// bottom layer, [A^k; w₂ᵀ].
func influenceBytes(m *cell.Model) int64 {
	var n int64
	h := int64(m.HiddenSize())
	for k, l := range m.Layers {
		s := int64(l.StateSize())
		cols := int64(m.ParamOffset(k) + l.NumParams())
		n = memlimit.Add(n, memlimit.Product(4, s+1, cols))
		n = memlimit.Add(n, memlimit.Product(4, s+1, s+h))
	}
	return n
}

// columnBounds splits p columns into at most workers blocks whose edges are multiples of
// align, the panel width: every worker then computes whole panels of the one-worker
// sweep, products of the same shapes, and so the same bits (a product's shape picks the
// kernel path: a narrower piece of a panel could fall to the portable loop, whose
// rounding differs). Panels are multiples of 16 floats (64 bytes), so no two goroutines
// write the same cache line of a row either.
func columnBounds(p, workers, align int) []int {
	chunks := (p + align - 1) / align
	workers = min(workers, chunks)
	b := make([]int, workers+1)
	for w := 1; w < workers; w++ {
		b[w] = (chunks * w / workers) * align
	}
	b[workers] = p
	return b
}

// panelWidth is the number of M's columns whose S×panel slab is about 512 KiB (an L2's
// worth), a multiple of 16 and at least 1024: narrower calls cost the blocked Gemm more
// in per-call packing than they save in cache traffic (measured on the gemm branch).
func panelWidth(s int) int {
	const floats = 128 * 1024
	return max(1024, floats/s/16*16)
}

// Reset starts a sequence from s0 (nil: zeros) with M_0 = 0.
func (r *Exact) Reset(s0 []float32) error {
	if err := r.resetState(s0); err != nil {
		return err
	}
	for k := range r.sens.layers {
		clear(r.sens.layers[k].influence.Data)
	}
	return nil
}

// SaveState returns the state exact RTRL carries between steps (see cell.AlgorithmState):
// s_t as "state" and each layer k's influence rows M^k_t (S_k × P_{≤k}, row-major) as
// "influence_l{k}". The gradients are not part of it.
func (r *Exact) SaveState() cell.AlgorithmState { return algostate.Save(r.vars()) }

// LoadState restores a state that SaveState returned from exact RTRL built for a model of
// the same shape; a state of another shape or algorithm is refused, changing nothing.
func (r *Exact) LoadState(s cell.AlgorithmState) error { return r.loadState(s, r.vars()) }

func (r *Exact) vars() []algostate.Var {
	var vars []algostate.Var
	for k := range r.sens.layers {
		ls := &r.sens.layers[k]
		vars = append(vars, algostate.F32(fmt.Sprintf("influence_l%d", k), ls.influence.Data[:ls.states*ls.influence.Cols]))
	}
	return r.stateVars(vars...)
}

// Step runs one online step: forward, then M_t = J_t·M_{t-1} + Ī_t, then the gradient.
func (r *Exact) Step(x []float32, y cell.Target) (float32, error) {
	loss, hasTarget, err := r.forward(x, y)
	if err != nil {
		return 0, err
	}
	for k, l := range r.model.Layers {
		ls := &r.sens.layers[k]
		l.StateJacobian(r.cache.Layer(k), ls.jacobian)
		if k > 0 {
			l.InputJacobian(r.cache.Layer(k), ls.input)
		}
	}
	r.update(hasTarget)
	return loss, nil
}

// update builds M_t over M_{t-1}, layer by layer from the bottom. The dense part,
// J^k_t·M^k_{t-1} (and A^k_t·(M^{k−1}_t)_h) with its share of the gradient, goes panel by
// panel (see columns), so each slab of M^k_t is written to memory once; the sparse part,
// Ī^k_t and its share (∂L_t/∂s_t)ᵀ·Ī_t of the gradient, is added afterwards by the cell in
// O(S·G·(I+H)), before the layer above reads M^k_t.
func (r *Exact) update(hasTarget bool) {
	s := r.sens
	s.hasTarget = hasTarget
	top := len(s.layers) - 1
	if hasTarget {
		t := &s.layers[top]
		w := t.augmented.Row(t.states)
		clear(w)
		kernels.MatTVecAdd(w, t.jacobian.Slice(0, s.hidden, 0, t.states), s.dLdh)
		if top > 0 {
			w2 := t.inAugmented.Row(t.states)
			clear(w2)
			kernels.MatTVecAdd(w2, t.input.Slice(0, s.hidden, 0, s.hidden), s.dLdh)
		}
	}
	for k, l := range r.model.Layers {
		ls := &s.layers[k]
		if r.pool != nil {
			r.pool.run(k)
		} else {
			s.columns(k, 0, ls.influence.Cols)
		}
		l.AddImmediate(r.cache.Layer(k), ls.influence.Slice(0, ls.states, ls.own, ls.influence.Cols))
	}
	if hasTarget {
		t := &s.layers[top]
		r.model.Layers[top].AddImmediateVJP(r.cache.Layer(top), r.gradCell[t.own:], r.dLds[r.top:])
	}
}

// columns computes layer k's J^k_t·M^k_{t-1} (plus A^k_t·(M^{k−1}_t)_h on the lower
// layers' columns) for M's columns [lo, hi) ∩ [0, P_{≤k}), one cache-sized panel at a
// time, with the gradient row when the layer is the top one and the step has a target,
// and adds that row into gradCell while the panel is hot.
func (s *sensitivity) columns(k, lo, hi int) {
	ls := &s.layers[k]
	hi = min(hi, ls.influence.Cols)
	withGrad := s.hasTarget && k == len(s.layers)-1
	a, in := ls.jacobian, ls.input
	if withGrad {
		a, in = ls.augmented, ls.inAugmented
	}
	for p0 := lo; p0 < hi; p0 += ls.panel {
		p1 := min(p0+ls.panel, hi)
		next := ls.influence.Slice(0, a.Rows, p0, p1)
		kernels.MatMulInPlace(next, a)
		if k > 0 && p0 < ls.own {
			// The columns of the layers below: their parameters reach this layer through
			// its input, the layer below's h_t (already at step t).
			q1 := min(p1, ls.own)
			below := &s.layers[k-1]
			kernels.Gemm(ls.influence.Slice(0, a.Rows, p0, q1), in, below.influence.Slice(0, s.hidden, p0, q1))
		}
		if withGrad {
			kernels.Axpy(1, next.Row(ls.states), s.gradCell[p0:p1])
		}
	}
}

// Close stops the helper goroutines of Workers > 1 (which garbage collection also does)
// and ends the algorithm's life: Reset and Step return cell.ErrClosed afterwards.
func (r *Exact) Close() error {
	if r.pool != nil {
		r.pool.stop()
	}
	return r.online.Close()
}

// Bytes counts M of every layer (with its gradient row), the layers' [J; wᵀ] and
// [A; w₂ᵀ], and the shared buffers.
func (r *Exact) Bytes() int64 {
	n := r.bytes()
	for _, ls := range r.sens.layers {
		n += floats(len(ls.influence.Data) + len(ls.augmented.Data) + len(ls.inAugmented.Data))
	}
	return n
}

// columnPool runs sensitivity.columns on persistent goroutines: block 0 on the caller's
// goroutine, block w on helper w. Neither side allocates.
//
// A step is tens to hundreds of microseconds, and waking a parked goroutine through the
// OS takes a good part of that (a channel handoff per step measured 1.2× on two cores at
// n = 64, where the Gemm alone splits 2×). So a step is announced by bumping an epoch,
// which helpers spin on for a while after their last block before they park; the caller
// spins on the count of unfinished blocks, yielding to the scheduler as it goes so that
// a helper sharing its P (GOMAXPROCS below the worker count) still runs.
type columnPool struct {
	sens    *sensitivity
	epoch   atomic.Uint64 // steps announced
	pending atomic.Int32  // helper blocks of the current step not yet done
	stopped atomic.Bool
	layer   int             // the layer of the current run; written before the epoch bump
	parked  []atomic.Bool   // helper w is blocked on wake[w] (or about to be)
	wake    []chan struct{} // one buffered token per wake-up
}

// poolSpin is how many times a waiting side polls before it yields (the caller) or parks
// (a helper): at a few nanoseconds a poll, tens of microseconds, the gap between steps
// of an online learner stepping flat out.
const poolSpin = 1 << 14

func startColumnPool(s *sensitivity, workers int) *columnPool {
	p := &columnPool{sens: s, parked: make([]atomic.Bool, workers), wake: make([]chan struct{}, workers)}
	for w := 1; w < workers; w++ {
		p.wake[w] = make(chan struct{}, 1)
		go p.helper(w)
	}
	return p
}

func (p *columnPool) helper(w int) {
	lo, hi := p.sens.bounds[w], p.sens.bounds[w+1]
	seen := uint64(0)
	for {
		for spins := 0; p.epoch.Load() == seen && !p.stopped.Load(); spins++ {
			if spins < poolSpin {
				continue
			}
			// Park. The caller takes the flag back and sends a token when it announces a
			// step; if it announced one just before the flag was up, un-park ourselves
			// unless it already took the flag (then its token is on the way).
			p.parked[w].Store(true)
			if p.epoch.Load() != seen || p.stopped.Load() {
				if p.parked[w].CompareAndSwap(true, false) {
					break
				}
			}
			<-p.wake[w]
			spins = 0
		}
		if p.stopped.Load() {
			return
		}
		seen++
		p.sens.columns(p.layer, lo, hi)
		p.pending.Add(-1)
	}
}

// run computes layer k's columns on every worker and returns when all are done.
func (p *columnPool) run(k int) {
	p.layer = k
	p.pending.Store(int32(len(p.wake) - 1))
	p.epoch.Add(1)
	p.rouse()
	p.sens.columns(k, p.sens.bounds[0], p.sens.bounds[1])
	for spins := 0; p.pending.Load() != 0; spins++ {
		if spins >= 64 {
			runtime.Gosched()
		}
	}
}

// rouse wakes the parked helpers.
func (p *columnPool) rouse() {
	for w := 1; w < len(p.wake); w++ {
		if p.parked[w].CompareAndSwap(true, false) {
			p.wake[w] <- struct{}{}
		}
	}
}

func (p *columnPool) stop() {
	if p.stopped.CompareAndSwap(false, true) {
		p.rouse()
	}
}
