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
// It runs as a stream: at the end of every window (and at Finish) it backpropagates the
// window's losses through the window, then sweeps, newest first, the kept windows whose
// slots hold credit, each from its highest such slot down to its first step; so a slot's
// credit is complete when its window is swept (credit only flows to older slots). To stay
// bounded it keeps, per window that wrote slots, its steps up to its last write, until the
// first backward pass after all those slots have left the memory's view (M slots); credit
// that reaches a slot after the first backward pass that follows its leaving is dropped,
// which with M = ∞ never happens. Memory is the current window's k_trunc steps, about
// (M·k_att/k_trunc + 1) kept windows of at most k_trunc steps, and the slots; each
// backward pass costs k_trunc steps plus k_trunc per kept window with credit.
//
// The gradient is exact for the model as it was run: the backward steps read the
// parameters when they run, so an optimizer step between a slot's writing and the pass
// that backtracks into it makes that part of the gradient use the new weights, as with
// any truncated algorithm whose windows outlive an update. It runs one sequence at a time
// (Batch 0 or 1).
type SAB struct {
	attnBase
	kTrunc    int
	pool      []*attnRecord   // records not in use
	allocated int             // records allocated in all
	recBytes  int64           // one record's bytes
	cur       sabWindow       // the window being run
	kept      []sabWindow     // the kept windows, oldest first
	slices    [][]*attnRecord // spare record lists
}

// sabWindow is one window's records (up to its last write, once kept) and what is known
// of the slots it wrote and read.
type sabWindow struct {
	recs                []*attnRecord
	firstSlot, lastSlot int // the slots it wrote (−1: none)
	lastWrite           int // the index in recs of the step that wrote lastSlot
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
	s := &SAB{attnBase: b, kTrunc: opt.KTrunc}
	if err := s.setBatch(min(b.defaultBatchCols(), opt.KTrunc)); err != nil {
		return nil, err
	}
	s.cur = s.newWindow()
	return s, nil
}

// KTrunc is k_trunc.
func (s *SAB) KTrunc() int { return s.kTrunc }

func (s *SAB) newWindow() sabWindow {
	w := sabWindow{firstSlot: -1, lastSlot: -1, lastWrite: -1, minView: s.mem.Oldest()}
	if n := len(s.slices); n > 0 {
		w.recs, s.slices = s.slices[n-1][:0], s.slices[:n-1]
	} else {
		w.recs = make([]*attnRecord, 0, s.kTrunc)
	}
	return w
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

// release returns a window's records from index from on to the pool.
func (s *SAB) release(w *sabWindow, from int) {
	s.pool = append(s.pool, w.recs[from:]...)
	clear(w.recs[from:])
	w.recs = w.recs[:from]
}

// retire returns a whole window, records and list, to the pools.
func (s *SAB) retire(w *sabWindow) {
	s.release(w, 0)
	s.slices = append(s.slices, w.recs)
	w.recs = nil
}

// Reset starts a sequence from s0 (nil: zeros) with an empty memory, dropping every kept
// step and any losses not yet backpropagated.
func (s *SAB) Reset(s0 []float32) error {
	if err := s.start(s0); err != nil {
		return err
	}
	for i := range s.kept {
		s.retire(&s.kept[i])
	}
	s.kept = s.kept[:0]
	s.release(&s.cur, 0)
	s.cur.firstSlot, s.cur.lastSlot, s.cur.lastWrite, s.cur.minView = -1, -1, -1, s.mem.Oldest()
	return nil
}

// Step runs the forward step and, at the end of a window, the backward pass.
func (s *SAB) Step(x []float32, y cell.Target) (float32, error) {
	if err := s.checkStep(x, y); err != nil {
		return 0, err
	}
	if len(s.cur.recs) == 0 {
		s.cur.minView = s.mem.Oldest()
	}
	r := s.acquire()
	loss := s.forward(r, x, y)
	s.cur.recs = append(s.cur.recs, r)
	if id := r.ac.Wrote(); id >= 0 {
		if s.cur.firstSlot < 0 {
			s.cur.firstSlot = id
		}
		s.cur.lastSlot, s.cur.lastWrite = id, len(s.cur.recs)-1
	}
	if len(s.cur.recs) == s.kTrunc {
		s.backward()
	}
	return loss, nil
}

// Finish backpropagates the last, partial window; the next step starts a new window. The
// memory and the kept windows stay until Reset.
func (s *SAB) Finish() error {
	if err := s.errClosed(); err != nil {
		return err
	}
	if len(s.cur.recs) > 0 {
		s.backward()
	}
	return nil
}

// backward is one backward pass: the current window with its losses, then the kept
// windows newest first from their highest slot with credit; then it keeps the current
// window's steps up to its last write, drops the windows whose slots have all left the
// view, and lets the memory drop the slots no kept step reads.
func (s *SAB) backward() {
	w := &s.cur
	clear(s.delta)
	for j := len(w.recs) - 1; j >= 0; j-- {
		ht := s.topHidden(s.state)
		if j+1 < len(w.recs) {
			ht = s.recordedTop(w.recs[j+1].k)
		}
		s.backStep(w.recs[j], ht, true)
	}
	for i := len(s.kept) - 1; i >= 0; i-- {
		kw := &s.kept[i]
		top := -1
		for j := kw.lastWrite; j >= 0; j-- {
			if id := kw.recs[j].ac.Wrote(); id >= 0 && s.mem.Pending(id) {
				top = j
				break
			}
		}
		if top < 0 {
			continue
		}
		clear(s.delta)
		for j := top; j >= 0; j-- {
			s.backStep(kw.recs[j], nil, false)
		}
	}
	s.endSweep()

	if w.lastSlot >= 0 {
		s.release(w, w.lastWrite+1)
		s.kept = append(s.kept, *w)
	} else {
		s.retire(w)
	}
	s.cur = s.newWindow()
	oldest := s.mem.Oldest()
	drop := 0
	for drop < len(s.kept) && s.kept[drop].lastSlot < oldest {
		s.retire(&s.kept[drop])
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

// Online reports whether the memory is bounded (M finite): then SAB's memory does not
// grow with the stream and a gradient is ready after every k_trunc steps.
func (s *SAB) Online() bool { return s.att.Config().M > 0 }

// Bytes counts the step records allocated (the most ever in use at once), the memory's
// slots with their keys and adjoints, and scratch.
func (s *SAB) Bytes() int64 {
	return int64(s.allocated)*s.recBytes + int64(s.mem.Bytes()) + s.scratchBytes()
}
