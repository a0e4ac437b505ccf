package bptt

import (
	"fmt"

	"github.com/chronograd/chronograd/cell"
)

// Models with an attention component (cell.Model.Attention, Sparse Attentive
// Backtracking's memory of past top-layer states) extend the step (1) of the package
// documentation: after the layers' step, ĥ_t (the top layer's h) attends to the memory
// and h_t = ĥ_t + Σ_i w_i·m_i, and every k_att-th step writes ĥ_t (and its key) to the
// memory as a new slot m_j. The backward step of an attention model is then, at step t,
// in this order:
//
//	δ_h   += Wᵀ·∂ℓ_t/∂ŷ_t                                  (the loss, (2)–(3))
//	δ_h    ← ∂L/∂ĥ_t;  ∂L/∂m_i, ∂L/∂k_i += … for the slots read   (the attention's VJP)    (A1)
//	δ_h   += ∂L/∂m_j + W_kᵀ·∂L/∂k_j   if step t wrote slot j   (the slot is ĥ_t itself)     (A2)
//	(4) through the layers
//
// so the credit that step t's attention sends to a slot waits in the memory until the
// backward sweep reaches the step that wrote it. FullAttention runs this over the whole
// sequence; SAB truncates it.

// attnRecord is what one step of an attention model records for its backward step.
type attnRecord struct {
	k   *cell.StepCache
	ac  *cell.AttentionCache
	dy  []float32 // ∂ℓ/∂ŷ
	has bool      // the step has a target
}

// attnBase is what the algorithms for attention models share besides base.
type attnBase struct {
	base
	att                 *cell.Attention
	mem                 *cell.Memory
	gradLayers, gradAtt []float32 // the layers' and the attention's parts of gradCell
}

func newAttnBase(m *cell.Model, batch int, name string) (attnBase, error) {
	if err := m.Check(); err != nil {
		return attnBase{}, fmt.Errorf("bptt: %w", err)
	}
	if m.Attention == nil {
		return attnBase{}, fmt.Errorf("bptt: %s needs a model with the attention component; this %v model has none", name, m.Kind())
	}
	if batch > 1 {
		return attnBase{}, fmt.Errorf("bptt: %s runs one sequence at a time; a batch of %d sequences runs as %d instances", name, batch, batch)
	}
	b, err := newModelBase(m, batch, 1)
	if err != nil {
		return attnBase{}, err
	}
	a := attnBase{base: b, att: m.Attention, mem: m.Attention.NewMemory()}
	a.gradLayers, a.gradAtt = m.LayersVector(a.gradCell), m.AttentionVector(a.gradCell)
	return a, nil
}

// newRecord allocates one step's record.
func (a *attnBase) newRecord() *attnRecord {
	return &attnRecord{k: a.newStepCache(), ac: a.att.NewCache(), dy: make([]float32, a.out)}
}

// recordBytes is what one record holds.
func (a *attnBase) recordBytes(r *attnRecord) int64 {
	return int64(r.k.Bytes()+r.ac.Bytes()) + 4*int64(len(r.dy)) + 1
}

// start begins a sequence from s0 with an empty memory.
func (a *attnBase) start(s0 []float32) error {
	if err := a.setStart(s0); err != nil {
		return err
	}
	a.mem.Reset()
	return nil
}

// forward runs step t into r: the layers, the attention (which may write a slot) and the
// readout's loss.
func (a *attnBase) forward(r *attnRecord, x []float32, y cell.Target) float32 {
	a.model.Forward(r.k, a.state, a.state, x)
	h := a.topHidden(a.state)
	a.att.Forward(r.ac, a.mem, h)
	loss, has := a.readoutLoss(r.dy, h, y)
	r.has = has
	return loss
}

// backStep is the backward step of an attention model recorded in r, on δ = ∂L/∂s_t: the
// loss when withLoss (h_t = ht is what the readout read), (A1), (A2), then the layers' VJP
// (4) as base.backStep runs it.
func (a *attnBase) backStep(r *attnRecord, ht []float32, withLoss bool) {
	dh := a.topHidden(a.delta)
	if withLoss && r.has {
		a.head.Backward(dh, a.gradHead, ht, r.dy)
	}
	a.att.Backward(r.ac, a.mem, dh, a.gradAtt)
	a.att.BackwardWrite(r.ac, a.mem, dh, a.gradAtt)
	a.model.BackwardBatch(r.k, a.delta, a.gradLayers, a.batches, a.delta)
}

// FullAttention is exact backpropagation through time of a model with an attention
// component: the forward pass records every step (the layers' caches and the
// attention's record) and the memory keeps every slot written; Finish runs the backward
// step above from δ_T = 0 down to the first step, so the credit that a step's attention
// sends to a slot flows back from the step that wrote it as far as the sequence goes. Its
// gradient is the exact gradient of the model's loss (away from the points where the
// top-k_top selection changes, where the loss is not differentiable). Memory is T step
// records and the sequence's slots. It runs one sequence at a time (Batch 0 or 1).
type FullAttention struct {
	attnBase
	recs  []*attnRecord
	steps int
}

// NewFullAttention returns exact BPTT for a model with an attention component.
func NewFullAttention(m *cell.Model, opt FullOptions) (*FullAttention, error) {
	b, err := newAttnBase(m, opt.Batch, "full BPTT of an attention model")
	if err != nil {
		return nil, err
	}
	f := &FullAttention{attnBase: b}
	if err := f.setBatch(b.defaultBatchCols()); err != nil {
		return nil, err
	}
	return f, nil
}

// Reset starts a sequence from s0 (nil: zeros) with an empty memory, dropping any steps
// not yet finished.
func (f *FullAttention) Reset(s0 []float32) error {
	if err := f.start(s0); err != nil {
		return err
	}
	f.steps = 0
	return nil
}

// Step runs the forward step (the layers, the attention, the readout) and records it.
func (f *FullAttention) Step(x []float32, y cell.Target) (float32, error) {
	if err := f.checkStep(x, y); err != nil {
		return 0, err
	}
	if f.steps == len(f.recs) {
		f.recs = append(f.recs, f.newRecord())
	}
	loss := f.forward(f.recs[f.steps], x, y)
	f.steps++
	return loss, nil
}

// Finish runs the backward sweep over the whole sequence. The memory keeps the slots the
// attention still reads; steps after Finish without a Reset read them as constants.
func (f *FullAttention) Finish() error {
	if err := f.errClosed(); err != nil {
		return err
	}
	clear(f.delta)
	for t := f.steps - 1; t >= 0; t-- {
		ht := f.topHidden(f.state)
		if t+1 < f.steps {
			ht = f.recordedTop(f.recs[t+1].k)
		}
		f.backStep(f.recs[t], ht, true)
	}
	f.endSweep()
	f.steps = 0
	f.mem.Release(f.mem.Oldest())
	f.mem.SetCreditFloor(f.mem.Writes())
	return nil
}

// Online is false: the gradient comes at Finish, and every step is held until then.
func (f *FullAttention) Online() bool { return false }

// Bytes counts the step records (as many as the longest sequence had steps), the memory's
// slots with their keys and adjoints, and scratch.
func (f *FullAttention) Bytes() int64 {
	var n int64
	if len(f.recs) > 0 {
		n = int64(len(f.recs)) * f.recordBytes(f.recs[0])
	}
	return n + int64(f.mem.Bytes()) + f.scratchBytes()
}
