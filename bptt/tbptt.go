package bptt

import (
	"fmt"

	"github.com/chronograd/chronograd/cell"
)

// Truncated is truncated backpropagation through time BPTT(k1, k2) on an unbounded
// stream (Williams & Peng 1990, "An efficient gradient-based algorithm for on-line
// training of recurrent network trajectories"; also written BPTT(h; h')). Every k1 steps, at step t, the losses of the last k1 steps are
// backpropagated through the last k2 ≥ k1 steps and no further:
//
//	∇θ += Σ_{τ=t−k1+1}^{t} ∂ℓ_τ/∂θ |truncated at s_{t−k2}                         (8)
//
// that is, the backward sweep (2)–(4) of the package documentation runs from δ_t = 0 down to step t−k2+1,
// adding the loss term (2)–(3) only for the k1 newest steps, and treats s_{t−k2} as a
// constant. The state itself carries across windows. k1 = k2 gives non-overlapping
// windows, k1 = 1 a window sliding every step.
//
// Windows are aligned at the first step after Reset (they end at steps k1, 2k1, …); Finish
// backpropagates the losses since the last window end through the last k2 steps, so that
// on a finite sequence the sum of every window's gradient is taken. The caches of the
// last k2 steps live in a ring (allocated as it first fills), so memory is bounded by k2
// caches whatever the stream's length.
type Truncated struct {
	base
	k1, k2    int
	caches    []*cell.StepCache // ring: step t (0-based since Reset) lives in slot t mod k2
	dy        []float32         // k2×O ring of ŷ_t − y_t
	hasTarget []bool
	steps     int // steps since Reset (or since Finish)
	pending   int // losses not yet backpropagated
	// pendingTargets counts the pending steps that have a target. A window without one
	// has no loss to send back, so its sweep is skipped: it would add exact zeros.
	pendingTargets int
}

// TruncatedOptions are the windows of BPTT(k1, k2).
type TruncatedOptions struct {
	// K1 is the number of steps between backward sweeps, at least 1.
	K1 int
	// K2 is the number of steps each sweep goes back, at least K1; zero means K1.
	K2 int
	// Batch is the number of sequences stepped together (0 means 1).
	Batch int
	// Workers splits the matrix products over that many goroutines (0 means 1); the
	// gradient has the same bits for any number.
	Workers int
}

// NewTruncated returns BPTT(k1, k2) for the model; it needs 1 ≤ k1 ≤ k2.
func NewTruncated(m *cell.Model, opt TruncatedOptions) (*Truncated, error) {
	b, err := newBase(m, opt.Batch, opt.Workers)
	if err != nil {
		return nil, err
	}
	k1, k2 := opt.K1, opt.K2
	if k2 == 0 {
		k2 = k1
	}
	if k1 < 1 {
		return nil, fmt.Errorf("bptt: truncated BPTT needs k1 ≥ 1, got %d", k1)
	}
	if k2 < k1 {
		return nil, fmt.Errorf("bptt: truncated BPTT needs k2 ≥ k1, got k1=%d, k2=%d", k1, k2)
	}
	tr := &Truncated{base: b, k1: k1, k2: k2}
	// The ring holds k2 caches; the batch, whose columns cost about a cache each, never
	// needs more columns than that.
	if err := tr.setBatch(min(b.defaultBatchCols(), k2*b.batch)); err != nil {
		return nil, err
	}
	return tr, nil
}

// K1 is the number of steps between backward sweeps.
func (tr *Truncated) K1() int { return tr.k1 }

// K2 is the number of steps a sweep goes back.
func (tr *Truncated) K2() int { return tr.k2 }

// Reset starts a stream from s0 (nil: zeros), dropping losses not yet backpropagated.
func (tr *Truncated) Reset(s0 []float32) error {
	if err := tr.setStart(s0); err != nil {
		return err
	}
	tr.steps, tr.pending, tr.pendingTargets = 0, 0, 0
	return nil
}

// Step runs the forward step into the ring and, every k1 steps, the truncated backward
// sweep (8).
func (tr *Truncated) Step(x []float32, y cell.Target) (float32, error) {
	if err := tr.checkStep(x, y); err != nil {
		return 0, err
	}
	loss, _ := tr.forward(x, y)
	if tr.pending == tr.k1 {
		tr.backward(tr.k2)
	}
	return loss, nil
}

// forward records step t in the ring slot t mod k2 (growing the ring as it first fills)
// and returns the step's loss and its ∂ℓ/∂ŷ, which the ring keeps for the sweep.
func (tr *Truncated) forward(x []float32, y cell.Target) (float32, []float32) {
	slot := tr.steps % tr.k2
	if slot == len(tr.caches) {
		tr.grow()
	}
	tr.model.Forward(tr.caches[slot], tr.state, tr.state, tr.inputInto(tr.caches[slot], x))
	o := tr.out * tr.batch
	dy := tr.dy[slot*o : (slot+1)*o]
	loss, has := tr.readoutLoss(dy, tr.topHidden(tr.state), y)
	tr.hasTarget[slot] = has
	tr.steps++
	tr.pending++
	if has {
		tr.pendingTargets++
	}
	return loss, dy
}

// grow adds a slot to the ring.
func (tr *Truncated) grow() {
	tr.caches = append(tr.caches, tr.newStepCache())
	tr.dy = append(tr.dy, make([]float32, tr.out*tr.batch)...)
	tr.hasTarget = append(tr.hasTarget, false)
}

// Finish backpropagates the last, partial window and starts a new one.
func (tr *Truncated) Finish() error {
	if err := tr.errClosed(); err != nil {
		return err
	}
	if tr.pending > 0 {
		tr.backward(tr.k2)
	}
	tr.steps = 0
	return nil
}

// backward is (8) at the current step: the pending losses through the last depth ≤ k2
// steps (k2 for TBPTT; adaptive TBPTT's current window). Without a pending target there
// is nothing to send back and the sweep is skipped.
func (tr *Truncated) backward(depth int) {
	if tr.pendingTargets == 0 {
		tr.pending = 0
		return
	}
	tr.pendingTargets = 0
	clear(tr.delta)
	depth = min(depth, tr.steps)
	tr.sweepSteps = depth
	for j := range depth {
		t := tr.steps - 1 - j
		slot := t % tr.k2
		ht := tr.topHidden(tr.state) // h_t: the current state's, or the newer step's recorded one
		if j > 0 {
			ht = tr.recordedTop(tr.caches[(t+1)%tr.k2])
		}
		withLoss := j < tr.pending && tr.hasTarget[slot]
		o := tr.out * tr.batch
		tr.backStep(tr.caches[slot], ht, tr.dy[slot*o:(slot+1)*o], withLoss)
	}
	tr.endSweep()
	tr.pending = 0
}

// Online is true: the gradient of every K1 steps is ready after the step that ends
// them, and memory is bounded by K2 steps whatever the stream's length.
func (tr *Truncated) Online() bool { return true }

// Bytes counts the ring (as far as it has filled), its loss gradients and scratch.
func (tr *Truncated) Bytes() int64 {
	var n int64
	if len(tr.caches) > 0 {
		n = int64(len(tr.caches)) * int64(tr.caches[0].Bytes())
	}
	return n + 4*int64(len(tr.dy)) + int64(len(tr.hasTarget)) + tr.scratchBytes()
}
