// Package bptt holds the reverse-mode credit-assignment algorithms: exact backpropagation
// through time (Full), the same gradient under a memory budget by binomial checkpointing
// (Checkpointed), truncated BPTT(k1, k2) on unbounded streams (Truncated), and truncated
// BPTT whose window adapts to a tolerated gradient bias (Adaptive).
//
// All of them run the same backward step. For a sequence of T steps with
//
//	s_t = F(s_{t-1}, x_t; θ),  ŷ_t = W·h_t + b,  L = Σ_t ℓ_t,  ℓ_t = ½‖ŷ_t − y_t‖²   (1)
//
// the forward pass records caches, and the backward pass runs the adjoint recursion
// downwards from δ = 0 after the last step:
//
//	δ_t  ← δ_t + (∂h_t/∂s_t)ᵀ·Wᵀ·(ŷ_t − y_t)          (the loss of step t)      (2)
//	∂L/∂W += (ŷ_t − y_t)·h_tᵀ,  ∂L/∂b += ŷ_t − y_t                                (3)
//	∂L/∂θ += δ_tᵀ·∂s_t/∂θ|_{s_{t-1}},  δ_{t-1} = J_tᵀ·δ_t,  J_t = ∂s_t/∂s_{t-1}   (4)
//
// ((4) is the cell's Backward). The types' documentation refers to these equations by
// number.
//
// Every algorithm has the streaming shape shared with package rtrl (the interface
// algo.Algorithm): Reset starts a sequence, Step feeds (x_t, y_t) and returns the step's
// loss ℓ_t = ½‖W·h_t + b − y_t‖², Finish ends the sequence, the gradients accumulate until
// ZeroGrad, and Close ends the algorithm's life (after it, every method that steps
// returns cell.ErrClosed). Gradients use the flat layouts of cell.Cell.Params and
// cell.Readout.Params. Every constructor takes the model the algorithm differentiates and
// an options struct whose zero value is the algorithm's default configuration. Buffers are
// allocated at construction or grown on first use and then reused, so a steady-state Step
// allocates nothing.
//
// Bytes reports the memory an algorithm holds to assign credit: caches, checkpoints,
// tapes and scratch vectors. It leaves out the two gradient accumulators, which every
// algorithm has and which have the size of the parameters, so that the figure compares
// what the algorithms differ in.
package bptt

import (
	"fmt"

	"github.com/chronograd/chronograd/cell"
)

// base is what every algorithm here holds besides its caches: the model, the running
// state, the adjoint δ = ∂L/∂s_t of the backward sweep, readout scratch and the gradients.
type base struct {
	model              *cell.Model
	closed             bool
	cell               cell.Cell
	head               *cell.Readout
	hidden, out        int
	state, s0          []float32
	delta              []float32
	yhat               []float32
	gradCell, gradHead []float32
	// batch holds the weight-gradient factors of the backward steps not yet added to
	// gradCell (see backStep); each algorithm sizes it (setBatch).
	batch *cell.GradBatch
}

func newBase(m *cell.Model) (base, error) {
	if m == nil || m.Cell == nil || m.Head == nil {
		return base{}, fmt.Errorf("bptt: nil model, cell or readout")
	}
	c, head := m.Cell, m.Head
	if head.HiddenSize() != c.HiddenSize() {
		return base{}, fmt.Errorf("bptt: readout reads %d hidden units, the cell has %d", head.HiddenSize(), c.HiddenSize())
	}
	s := c.StateSize()
	return base{
		model: m, cell: c, head: head, hidden: c.HiddenSize(), out: head.OutSize(),
		state:    make([]float32, s),
		s0:       make([]float32, s),
		delta:    make([]float32, s),
		yhat:     make([]float32, head.OutSize()),
		gradCell: make([]float32, c.NumParams()),
		gradHead: make([]float32, head.NumParams()),
	}, nil
}

// Model is the model the algorithm was built for.
func (b *base) Model() *cell.Model { return b.model }

// Close ends the algorithm's life; later calls that step or reset it return
// cell.ErrClosed. It holds no goroutine or file, so Close only marks it.
func (b *base) Close() error {
	b.closed = true
	return nil
}

// errClosed is the error of a method called after Close.
func (b *base) errClosed() error {
	if b.closed {
		return fmt.Errorf("bptt: %w", cell.ErrClosed)
	}
	return nil
}

// GradCell is the accumulated gradient of the cell's parameters, in its flat layout.
func (b *base) GradCell() []float32 { return b.gradCell }

// GradHead is the accumulated gradient of the readout's parameters.
func (b *base) GradHead() []float32 { return b.gradHead }

// State is the current state s_t, owned by the algorithm.
func (b *base) State() []float32 { return b.state }

// ZeroGrad clears both gradients.
func (b *base) ZeroGrad() {
	clear(b.gradCell)
	clear(b.gradHead)
}

// setBatch gives the algorithm a gradient batch of cols ≥ 1 columns.
func (b *base) setBatch(cols int) error {
	batch, err := cell.NewGradBatch(b.cell, cols)
	if err != nil {
		return fmt.Errorf("bptt: %w", err)
	}
	b.batch = batch
	return nil
}

// scratchBytes counts the vectors of base that are not gradients.
func (b *base) scratchBytes() int64 {
	return 4*int64(len(b.state)+len(b.s0)+len(b.delta)+len(b.yhat)) + int64(b.batch.Bytes())
}

// setStart copies s0 (nil: zeros) into both the running state and b.s0.
func (b *base) setStart(s0 []float32) error {
	if err := b.errClosed(); err != nil {
		return err
	}
	if s0 == nil {
		clear(b.s0)
	} else {
		if len(s0) != len(b.s0) {
			return fmt.Errorf("bptt: initial state has %d values, the %v cell's state has %d", len(s0), b.cell.Kind(), len(b.s0))
		}
		copy(b.s0, s0)
	}
	copy(b.state, b.s0)
	return nil
}

// checkStep validates a step's input and target before anything is changed.
func (b *base) checkStep(x, y []float32) error {
	if err := b.errClosed(); err != nil {
		return err
	}
	if err := b.cell.CheckInput(x); err != nil {
		return fmt.Errorf("bptt: %w", err)
	}
	if y != nil && len(y) != b.out {
		return fmt.Errorf("bptt: target has %d values, the readout has %d outputs", len(y), b.out)
	}
	return nil
}

// readoutLoss computes ŷ_t = W·h_t + b for the state s_t and returns ℓ_t, leaving
// ∂ℓ_t/∂ŷ_t = ŷ_t − y_t in dy (zero when y is nil). h_t is s_t[:H] (LSTM's s is [h; c]).
func (b *base) readoutLoss(dy, s, y []float32) float32 {
	b.head.Forward(b.yhat, s[:b.hidden])
	return cell.SquaredError(dy, b.yhat, y)
}

// backStep is one step of the backward sweep, shared by every algorithm so that they
// perform the same floating-point operations in the same order. On entry δ = ∂L/∂s_t
// from the steps after t; the loss ℓ_t (when the step has a target) adds Wᵀ·dy_t to
// δ_h and dy_t·h_tᵀ to the readout gradient; then the cell's VJP turns δ into
// ∂L/∂s_{t-1}, and ∂L/∂θ through step t goes to the gradient, its weight part by way of
// the gradient batch, which endSweep empties. The batch's size does not change the
// result (see cell.GradBatch), so algorithms with different batches agree bit for bit.
func (b *base) backStep(k *cell.Cache, st, dy []float32, hasTarget bool) {
	if hasTarget {
		b.head.Backward(b.delta[:b.hidden], b.gradHead, st[:b.hidden], dy)
	}
	b.cell.BackwardBatch(k, b.delta, nil, b.gradCell, b.batch, b.delta)
}

// endSweep adds what the gradient batch still holds to the gradient.
func (b *base) endSweep() { b.batch.Flush(b.gradCell) }
