package rtrl

import (
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/kernels"
)

// Exact is exact real-time recurrent learning (RTRL) (Williams and Zipser, "A learning algorithm
// for continually running fully recurrent neural networks", Neural Computation 1989, §2:
// the sensitivities p^k_ij(t) = ∂y_k(t)/∂w_ij and their recursion). In this package's
// notation it carries the influence matrix M_t = ds_t/dθ (S×P) forward:
//
//	M_t = J_t·M_{t-1} + Ī_t,   M_0 = 0       (the sensitivity recursion)
//	∂L/∂θ += (∂L_t/∂s_t)ᵀ·M_t                (the weight change, accumulated online)
//
// J_t·M_{t-1} is one S×S by S×P Gemm, O(S²·P) = O(n⁴) per step; M is S·P floats, O(n³),
// independent of the sequence length. The gradient equals full BPTT's.
//
// The gradient's dense share (∂L_t/∂s_t)ᵀ·J_t·M_{t-1} is an O(S·P) vector-matrix
// product; rather than run it apart at matrix-vector speed it rides along as one more row
// of the same Gemm: A = [J_t; wᵀ] with w = J_tᵀ·∂L_t/∂s_t, so row S of the product is
// that share. The sparse share (∂L_t/∂s_t)ᵀ·Ī_t comes from the cell's AddImmediateVJP.
type Exact struct {
	online
	sens *sensitivity
	pool *columnPool // nil with one worker
}

// sensitivity holds what the sensitivity update reads and writes. It is separate from
// Exact so that the helper goroutines, which hold it, do not keep the Exact reachable (its
// cleanup stops them).
type sensitivity struct {
	augmented kernels.Mat // [J_t; wᵀ], (S+1)×S
	jacobian  kernels.Mat // J_t: the first S rows of augmented
	// influence is M_{t-1} in its first S rows; next receives [M_t; gradient share]. The
	// two swap after every step, so both have S+1 rows.
	influence, next kernels.Mat
	states          int // S
	hidden          int // H: the loss reads only M's first H rows
	dLdh, gradCell  []float32
	hasTarget       bool
	bounds          []int // column block w is [bounds[w], bounds[w+1])
	panel           int   // columns per Gemm call: an S×panel slab of M_t stays in L2
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
}

// NewExact builds exact RTRL for the model, any cell kind.
func NewExact(m *cell.Model, opt ExactOptions) (*Exact, error) {
	workers := opt.Workers
	if workers == 0 {
		workers = 1
	}
	if workers < 1 {
		return nil, fmt.Errorf("rtrl: exact RTRL with %d workers: need at least 1", opt.Workers)
	}
	base, err := newOnline("rtrl", m)
	if err != nil {
		return nil, err
	}
	c := base.cell
	s, p := c.StateSize(), c.NumParams()
	r := &Exact{online: base}
	augmented := kernels.NewMat(s+1, s)
	r.sens = &sensitivity{
		augmented: augmented,
		jacobian:  augmented.Slice(0, s, 0, s),
		influence: kernels.NewMat(s+1, p),
		next:      kernels.NewMat(s+1, p),
		states:    s,
		hidden:    c.HiddenSize(),
		dLdh:      r.dLds[:c.HiddenSize()],
		gradCell:  r.gradCell,
		bounds:    columnBounds(p, workers),
		panel:     panelWidth(s),
	}
	if workers := len(r.sens.bounds) - 1; workers > 1 {
		r.pool = startColumnPool(r.sens, workers)
		runtime.AddCleanup(r, func(p *columnPool) { p.stop() }, r.pool)
	}
	return r, nil
}

// columnBounds splits p columns into at most workers blocks whose edges are multiples of
// 16 floats (64 bytes), so that no two goroutines write the same cache line of a row.
func columnBounds(p, workers int) []int {
	const align = 16
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
	clear(r.sens.influence.Data)
	return nil
}

// Step runs one online step: forward, then M_t = J_t·M_{t-1} + Ī_t, then the gradient.
func (r *Exact) Step(x, y []float32) (float32, error) {
	loss, hasTarget, err := r.forward(x, y)
	if err != nil {
		return 0, err
	}
	r.cell.StateJacobian(r.cache, r.sens.jacobian)
	r.update(hasTarget)
	return loss, nil
}

// update builds M_t in next and swaps the two buffers. The dense part, J_t·M_{t-1} and
// its share of the gradient, goes panel by panel (see columns), so each slab of M_t is
// written to memory once; the sparse part, Ī_t and its share (∂L_t/∂s_t)ᵀ·Ī_t of the
// gradient, is added afterwards by the cell in O(S·G·(I+H)).
func (r *Exact) update(hasTarget bool) {
	s := r.sens
	s.hasTarget = hasTarget
	if hasTarget {
		w := s.augmented.Row(s.states)
		clear(w)
		kernels.MatTVecAdd(w, s.jacobian.Slice(0, s.hidden, 0, s.states), s.dLdh)
	}
	if r.pool != nil {
		r.pool.run()
	} else {
		s.columns(0, s.next.Cols)
	}
	r.cell.AddImmediate(r.cache, s.next.Slice(0, s.states, 0, s.next.Cols))
	if hasTarget {
		r.cell.AddImmediateVJP(r.cache, r.gradCell, r.dLds)
	}
	s.influence, s.next = s.next, s.influence
}

// columns computes J_t·M_{t-1} for M's columns [lo, hi), one cache-sized panel at a
// time, with the gradient row when the step has a target, and adds that row into
// gradCell while the panel is hot.
func (s *sensitivity) columns(lo, hi int) {
	a := s.jacobian
	if s.hasTarget {
		a = s.augmented
	}
	for p0 := lo; p0 < hi; p0 += s.panel {
		p1 := min(p0+s.panel, hi)
		next := s.next.Slice(0, a.Rows, p0, p1)
		kernels.MatMul(next, a, s.influence.Slice(0, s.states, p0, p1))
		if s.hasTarget {
			kernels.Axpy(1, next.Row(s.states), s.gradCell[p0:p1])
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

// Bytes counts M_{t-1}, M_t (each with its gradient row), [J_t; wᵀ] and the shared
// buffers.
func (r *Exact) Bytes() int64 {
	s := r.sens
	return r.bytes() + floats(len(s.influence.Data)+len(s.next.Data)+len(s.augmented.Data))
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
		p.sens.columns(lo, hi)
		p.pending.Add(-1)
	}
}

func (p *columnPool) run() {
	p.pending.Store(int32(len(p.wake) - 1))
	p.epoch.Add(1)
	p.rouse()
	p.sens.columns(p.sens.bounds[0], p.sens.bounds[1])
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
