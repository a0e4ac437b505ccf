package bptt

import "github.com/chronograd/chronograd/cell"

// Full is exact backpropagation through time (Werbos 1990, "Backpropagation through
// time: what it does and how to do it"; Rumelhart, Hinton & Williams 1986): the forward
// pass records every step's cache, and Finish runs the adjoint recursion (2)–(4) of the
// package documentation from δ_T = 0 downwards over the whole sequence. Memory is T
// caches, grown on demand and reused by later sequences, plus ŷ_t − y_t per step.
type Full struct {
	base
	caches    []*cell.StepCache
	dy        []float32 // T×O slab of ŷ_t − y_t
	hasTarget []bool
	steps     int // steps of the current sequence
}

// FullOptions configures full BPTT; its zero value is the default.
type FullOptions struct {
	// Batch is the number of sequences stepped together (a minibatch; 0 means 1): Step
	// takes B rows of inputs and targets, and the gradient is the sum over the batch.
	// With B > 1 the forward steps multiply by a packed copy of the weights taken at the
	// sequence's first step (cell.WeightPacks: the same bits, read as one stream), so the
	// weights must stay fixed from a sequence's first step to its Finish, which returns
	// an error, and drops the sequence, if they changed.
	Batch int
	// Workers splits the matrix products over that many goroutines (0 means 1); the
	// gradient has the same bits for any number.
	Workers int
}

// NewFull returns exact BPTT for the model.
func NewFull(m *cell.Model, opt FullOptions) (*Full, error) {
	b, err := newBase(m, opt.Batch, opt.Workers)
	if err != nil {
		return nil, err
	}
	f := &Full{base: b}
	if err := f.setBatch(b.defaultBatchCols()); err != nil {
		return nil, err
	}
	return f, nil
}

// Reset starts a sequence from s0 (nil: zeros), dropping any steps not yet finished.
func (f *Full) Reset(s0 []float32) error {
	if err := f.setStart(s0); err != nil {
		return err
	}
	f.steps = 0
	if f.packs != nil {
		f.packs.Unpack()
	}
	return nil
}

// Step runs the forward step (1) and records it for the backward pass.
func (f *Full) Step(x []float32, y cell.Target) (float32, error) {
	if err := f.checkStep(x, y); err != nil {
		return 0, err
	}
	t := f.steps
	if t == len(f.caches) {
		f.caches = append(f.caches, f.newStepCache())
		f.dy = append(f.dy, make([]float32, f.out*f.batch)...)
		f.hasTarget = append(f.hasTarget, false)
	}
	if t == 0 {
		f.packForward()
	}
	f.model.Forward(f.caches[t], f.state, f.state, f.inputInto(f.caches[t], x))
	o := f.out * f.batch
	loss, has := f.readoutLoss(f.dy[t*o:(t+1)*o], f.topHidden(f.state), y)
	f.hasTarget[t] = has
	f.steps++
	return loss, nil
}

// Finish runs the backward sweep (2)–(4) over the whole sequence.
func (f *Full) Finish() error {
	if err := f.errClosed(); err != nil {
		return err
	}
	if err := f.weightsMoved(); err != nil {
		f.steps = 0
		return err
	}
	clear(f.delta)
	f.sweepSteps = f.steps
	for t := f.steps - 1; t >= 0; t-- {
		ht := f.topHidden(f.state) // h_t: the last state's, or the next step's recorded one
		if t+1 < f.steps {
			ht = f.recordedTop(f.caches[t+1])
		}
		o := f.out * f.batch
		f.backStep(f.caches[t], ht, f.dy[t*o:(t+1)*o], f.hasTarget[t])
	}
	f.endSweep()
	f.steps = 0
	return nil
}

// Online is false: full BPTT's gradient comes at Finish, and it holds every step until
// then.
func (f *Full) Online() bool { return false }

// Bytes counts the cache slab (its capacity), the per-step loss gradients and scratch.
func (f *Full) Bytes() int64 {
	var n int64
	if len(f.caches) > 0 {
		n = int64(len(f.caches)) * int64(f.caches[0].Bytes())
	}
	return n + 4*int64(len(f.dy)) + int64(len(f.hasTarget)) + f.scratchBytes()
}
