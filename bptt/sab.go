package bptt

import (
	"fmt"

	"github.com/chronograd/chronograd/cell"
)

// SAB is Sparse Attentive Backtracking (Ke, Goyal, Bilaniuk, Binas, Mozer, Pal & Bengio,
// NeurIPS 2018, "Sparse Attentive Backtracking: Temporal Credit Assignment Through
// Reminding") for a model with an attention component: truncated BPTT whose credit also
// jumps, through the few slots each step attends to, back to the steps that wrote them,
// and backtracks locally there.
//
// Its gradient is the exact gradient of a truncated computation graph, the one the
// paper's released code differentiates: the recurrent edge into every k_trunc-th step is
// cut (the state entering window n = steps n·k_trunc … (n+1)·k_trunc − 1, counted from
// Reset, is a constant), and the memory's edges are not. So the losses of a window are
// backpropagated to the window's first step (truncated BPTT(k_trunc, k_trunc)), the credit
// a step's attention sends to a slot enters at the step that wrote the slot and runs back
// to the first step of that step's window (k_trunc steps when k_trunc divides k_att, since
// slots are then written at windows' last steps), and from steps there it jumps again
// through the slots they read. With k_trunc ≥ T there is no cut and the gradient is full
// BPTT's (FullAttention's), bit for bit.
//
// It runs as a stream. At the end of every window (and at Finish) it backpropagates the
// window's losses through the window. Of every window that wrote a slot it keeps only the
// state entering it and its inputs up to its last write (not the steps' records), and it
// backtracks into a kept window by running those steps again (the attention replaying the
// slots they read) and sweeping them backwards from the highest slot with credit. Kept
// windows are swept newest first, so a slot's credit is complete when its window is swept
// (credit only flows to older slots). With M = ∞ (sequences) the backtracking waits for
// Finish and sweeps each kept window once; with a bounded memory it runs after every
// window, and a kept window is dropped after the first backward pass that follows the
// last of its slots leaving the memory's view: credit that reaches a slot after that is
// dropped, a further truncation that keeps a stream's memory bounded (with M = ∞ nothing
// is dropped). Memory is 2·k_trunc step records (the window being run, and one to run a
// kept window again), the state and k_trunc inputs of each kept window, and the slots;
// the backtracking costs a forward and a backward step per step swept.
//
// The gradient is exact for the model as it was run: the backward steps (and the steps run
// again) read the parameters when they run, so an optimizer step between a slot's writing
// and the pass that backtracks into it makes that part of the gradient use the new
// weights, as with any truncated algorithm whose windows outlive an update. It runs one
// sequence at a time (Batch 0 or 1).
type SAB struct {
	attnBase
	kTrunc   int
	deferred bool // M = ∞: backtrack at Finish only

	pool      []*attnRecord // records not in use
	allocated int           // records allocated in all
	recBytes  int64         // one record's bytes

	cur          []*attnRecord // the window being run
	curStart     int           // its first step (since Reset)
	curFirstSlot int           // the first slot it wrote (−1: none)
	curLastSlot  int
	curLastWrite int // the index in cur of the step that wrote curLastSlot
	curMinView   int // the oldest slot in view when it began

	replay []*attnRecord // records to run a kept window again (allocated at the first keep)
	rstate []float32     // the state of a window run again
	kept   []sabWindow   // the kept windows, oldest first
	spare  [][]float32   // window buffers not in use
	bufs   int           // window buffers allocated in all
	steps  int           // steps since Reset
}

// sabWindow is a kept window: the state entering it and its inputs up to its last write.
type sabWindow struct {
	buf                 []float32 // the joint state entering step start, then n inputs
	start, n            int
	firstSlot, lastSlot int // the slots it wrote
	minView             int // the oldest slot in view when it began: its steps read none older
}

// SABOptions configures SAB.
type SABOptions struct {
	// KTrunc ≥ 1 is k_trunc, the length of the local windows.
	KTrunc int
	// Batch must be 0 or 1: the attention runs one sequence at a time.
	Batch int
}

// NewSAB returns SAB for a model with an attention component (its k_att, k_top and M
// are the model's).
func NewSAB(m *cell.Model, opt SABOptions) (*SAB, error) {
	if opt.KTrunc < 1 {
		return nil, fmt.Errorf("bptt: SAB needs k_trunc ≥ 1, got %d", opt.KTrunc)
	}
	b, err := newAttnBase(m, opt.Batch, "SAB")
	if err != nil {
		return nil, err
	}
	s := &SAB{attnBase: b, kTrunc: opt.KTrunc, deferred: m.Attention.Config().M == 0,
		cur: make([]*attnRecord, 0, opt.KTrunc), rstate: make([]float32, m.StateSize())}
	if err := s.setBatch(min(b.defaultBatchCols(), opt.KTrunc)); err != nil {
		return nil, err
	}
	s.newWindow()
	return s, nil
}

// KTrunc is k_trunc.
func (s *SAB) KTrunc() int { return s.kTrunc }

// newWindow starts the next window at the current step.
func (s *SAB) newWindow() {
	s.cur = s.cur[:0]
	s.curStart, s.curFirstSlot, s.curLastSlot, s.curLastWrite = s.steps, -1, -1, -1
	s.curMinView = s.mem.Oldest()
}

// acquire takes a record from the pool, allocating one when it is empty.
func (s *SAB) acquire() *attnRecord {
	if n := len(s.pool); n > 0 {
		r := s.pool[n-1]
		s.pool = s.pool[:n-1]
		return r
	}
	r := s.newRecord()
	s.allocated++
	s.recBytes = s.recordBytes(r)
	return r
}

// windowFloats is the size of a kept window's buffer: the joint state and k_trunc inputs.
func (s *SAB) windowFloats() int { return s.model.StateSize() + s.kTrunc*s.model.InputSize() }

// Reset starts a sequence from s0 (nil: zeros) with an empty memory, dropping every kept
// window and any losses not yet backpropagated.
func (s *SAB) Reset(s0 []float32) error {
	if err := s.start(s0); err != nil {
		return err
	}
	for i := range s.kept {
		s.spare = append(s.spare, s.kept[i].buf)
	}
	clear(s.kept)
	s.kept = s.kept[:0]
	s.pool = append(s.pool, s.cur...)
	s.steps = 0
	s.newWindow()
	return nil
}

// Step runs the forward step and, at the end of a window, the backward pass.
func (s *SAB) Step(x []float32, y cell.Target) (float32, error) {
	if err := s.checkStep(x, y); err != nil {
		return 0, err
	}
	r := s.acquire()
	loss := s.forward(r, x, y)
	s.cur = append(s.cur, r)
	s.steps++
	if id := r.ac.Wrote(); id >= 0 {
		if s.curFirstSlot < 0 {
			s.curFirstSlot = id
		}
		s.curLastSlot, s.curLastWrite = id, len(s.cur)-1
	}
	if len(s.cur) == s.kTrunc {
		s.pass(!s.deferred)
	}
	return loss, nil
}

// Finish backpropagates the last, partial window and, with M = ∞, backtracks into every
// kept window; the next step starts a new window. The memory and the kept windows stay
// until Reset.
func (s *SAB) Finish() error {
	if err := s.errClosed(); err != nil {
		return err
	}
	if len(s.cur) > 0 {
		s.pass(true)
	} else if s.deferred {
		s.backtrack()
		s.endSweep()
	}
	return nil
}

// pass is one backward pass: the current window with its losses, then (if backtrack) the
// kept windows; then it keeps the current window if it wrote a slot, drops the windows
// whose slots have all left the view, and lets the memory drop the slots no kept step
// reads.
func (s *SAB) pass(backtrack bool) {
	clear(s.delta)
	for j := len(s.cur) - 1; j >= 0; j-- {
		ht := s.topHidden(s.state)
		if j+1 < len(s.cur) {
			ht = s.recordedTop(s.cur[j+1].k)
		}
		s.backStep(s.cur[j], ht, true)
	}
	if backtrack {
		s.backtrack()
	}
	s.endSweep()

	if s.curLastSlot >= 0 {
		s.keep()
	}
	s.pool = append(s.pool, s.cur...)
	s.newWindow()
	oldest := s.mem.Oldest()
	drop := 0
	for drop < len(s.kept) && s.kept[drop].lastSlot < oldest {
		s.spare = append(s.spare, s.kept[drop].buf)
		drop++
	}
	if drop > 0 {
		n := copy(s.kept, s.kept[drop:])
		clear(s.kept[n:])
		s.kept = s.kept[:n]
	}
	keep := oldest
	if len(s.kept) > 0 {
		keep = min(keep, s.kept[0].minView)
	}
	s.mem.Release(keep)
	s.mem.SetCreditFloor(oldest)
}

// keep saves the current window's entering state and its inputs up to its last write.
func (s *SAB) keep() {
	var buf []float32
	if n := len(s.spare); n > 0 {
		buf, s.spare = s.spare[n-1], s.spare[:n-1]
	} else {
		buf = make([]float32, s.windowFloats())
		s.bufs++
	}
	if s.replay == nil {
		for range s.kTrunc {
			s.replay = append(s.replay, s.acquire())
		}
	}
	off := 0
	for k := range s.model.NumLayers() {
		off += copy(buf[off:], s.cur[0].k.Layer(k).Prev())
	}
	in := s.model.InputSize()
	n := s.curLastWrite + 1
	for j := range n {
		copy(buf[off+j*in:off+(j+1)*in], s.cur[j].k.Layer(0).Input())
	}
	s.kept = append(s.kept, sabWindow{buf: buf, start: s.curStart, n: n,
		firstSlot: s.curFirstSlot, lastSlot: s.curLastSlot, minView: s.curMinView})
}

// backtrack sweeps the kept windows, newest first, from their highest slot with credit.
func (s *SAB) backtrack() {
	katt := s.att.Config().KAtt
	for i := len(s.kept) - 1; i >= 0; i-- {
		w := &s.kept[i]
		// The highest step of the window that wrote a slot with credit.
		top := -1
		for id := w.lastSlot; id >= w.firstSlot; id-- {
			if s.mem.Pending(id) {
				top = (id+1)*katt - 1 - w.start
				break
			}
		}
		if top < 0 {
			continue
		}
		s.rerun(w, top)
		clear(s.delta)
		for j := top; j >= 0; j-- {
			s.backStep(s.replay[j], nil, false)
		}
	}
}

// rerun runs steps 0 … top of a kept window again into the replay records.
func (s *SAB) rerun(w *sabWindow, top int) {
	S, in := s.model.StateSize(), s.model.InputSize()
	copy(s.rstate, w.buf[:S])
	for j := 0; j <= top; j++ {
		r := s.replay[j]
		s.model.Forward(r.k, s.rstate, s.rstate, w.buf[S+j*in:S+(j+1)*in])
		s.att.Replay(r.ac, s.mem, s.topHidden(s.rstate), w.start+j)
	}
}

// Online reports whether the memory is bounded (M finite): then SAB's memory does not
// grow with the stream and a gradient is ready after every k_trunc steps.
func (s *SAB) Online() bool { return !s.deferred }

// Bytes counts the step records allocated, the kept windows' buffers, the memory's slots
// with their keys and adjoints, and scratch.
func (s *SAB) Bytes() int64 {
	return int64(s.allocated)*s.recBytes + 4*int64(s.bufs*s.windowFloats()+len(s.rstate)) +
		int64(s.mem.Bytes()) + s.scratchBytes()
}
