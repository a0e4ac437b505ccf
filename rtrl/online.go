package rtrl

import (
	"fmt"

	"github.com/chronograd/chronograd/cell"
)

// online is the part every algorithm shares: the forward step through the cell, the
// readout and the loss, the readout's exact gradient, ∂L_t/∂s_t, and the buffers behind
// GradCell, GradHead and State.
type online struct {
	name   string
	model  *cell.Model
	closed bool
	cell   cell.Cell
	head   *cell.Readout
	cache  *cell.Cache

	state    []float32 // s_t
	yhat, dy []float32 // head(h_t) and ∂L_t/∂ŷ = ŷ − y_t
	// dLds is ∂L_t/∂s_t = [Wᵀ·dy; 0]: the loss reads h_t only, so an LSTM's c rows stay 0.
	dLds []float32

	gradCell, gradHead []float32
}

func newOnline(name string, m *cell.Model) (online, error) {
	if m == nil {
		return online{}, fmt.Errorf("rtrl: %s: nil model", name)
	}
	c, head := m.Cell, m.Head
	if c == nil {
		return online{}, fmt.Errorf("rtrl: %s: nil cell", name)
	}
	if head == nil {
		return online{}, fmt.Errorf("rtrl: %s: nil readout", name)
	}
	if head.HiddenSize() != c.HiddenSize() {
		return online{}, fmt.Errorf("rtrl: %s: readout reads %d hidden units, the %v cell has %d",
			name, head.HiddenSize(), c.Kind(), c.HiddenSize())
	}
	return online{
		name:     name,
		model:    m,
		cell:     c,
		head:     head,
		cache:    c.NewCache(),
		state:    make([]float32, c.StateSize()),
		yhat:     make([]float32, head.OutSize()),
		dy:       make([]float32, head.OutSize()),
		dLds:     make([]float32, c.StateSize()),
		gradCell: make([]float32, c.NumParams()),
		gradHead: make([]float32, head.NumParams()),
	}, nil
}

// resetState sets s_0; the algorithm zeroes its own traces.
func (o *online) resetState(s0 []float32) error {
	if err := o.errClosed(); err != nil {
		return err
	}
	if s0 == nil {
		clear(o.state)
		return nil
	}
	if len(s0) != len(o.state) {
		return fmt.Errorf("rtrl: %s: initial state has %d values, the %v cell's state has %d",
			o.name, len(s0), o.cell.Kind(), len(o.state))
	}
	copy(o.state, s0)
	return nil
}

// forward checks the step's vectors, then runs s_t = F(s_{t-1}, x_t), the readout and
// the loss; it adds the readout's gradient and leaves ∂L_t/∂s_t in dLds. hasTarget is
// false for a step without a target (dLds is then zero and the caller may skip its
// gradient product).
func (o *online) forward(x, y []float32) (loss float32, hasTarget bool, err error) {
	if err := o.errClosed(); err != nil {
		return 0, false, err
	}
	if err := o.cell.CheckInput(x); err != nil {
		return 0, false, fmt.Errorf("rtrl: %s: %w", o.name, err)
	}
	if y != nil && len(y) != len(o.yhat) {
		return 0, false, fmt.Errorf("rtrl: %s: target has %d values, the readout has %d outputs", o.name, len(y), len(o.yhat))
	}
	o.cell.Forward(o.cache, o.state, o.state, x)
	h := o.state[:o.cell.HiddenSize()]
	o.head.Forward(o.yhat, h)
	loss = cell.SquaredError(o.dy, o.yhat, y)
	clear(o.dLds)
	if y == nil {
		return 0, false, nil
	}
	o.head.Backward(o.dLds[:len(h)], o.gradHead, h, o.dy)
	return loss, true, nil
}

// errClosed is the error of a method called after Close.
func (o *online) errClosed() error {
	if o.closed {
		return fmt.Errorf("rtrl: %s: %w", o.name, cell.ErrClosed)
	}
	return nil
}

// Model is the model the algorithm was built for.
func (o *online) Model() *cell.Model { return o.model }

// Online is true for every algorithm here: a gradient after every step, in memory that
// does not grow with the stream.
func (o *online) Online() bool { return true }

// Close ends the algorithm's life: Reset and Step return cell.ErrClosed afterwards.
func (o *online) Close() error {
	o.closed = true
	return nil
}

// Finish ends a sequence; an online algorithm has nothing pending.
func (o *online) Finish() error { return o.errClosed() }

// GradCell is the accumulated gradient of the cell's parameters, in its flat layout.
func (o *online) GradCell() []float32 { return o.gradCell }

// GradHead is the accumulated gradient of the readout's parameters.
func (o *online) GradHead() []float32 { return o.gradHead }

// State is the current state s_t, owned by the algorithm.
func (o *online) State() []float32 { return o.state }

// ZeroGrad clears both gradients.
func (o *online) ZeroGrad() {
	clear(o.gradCell)
	clear(o.gradHead)
}

// bytes counts the shared buffers; each algorithm adds its own.
func (o *online) bytes() int64 {
	// The gradients are not counted: every algorithm has them (as package bptt counts).
	n := len(o.state) + len(o.yhat) + len(o.dy) + len(o.dLds)
	return 4*int64(n) + int64(o.cache.Bytes())
}

func floats(n int) int64 { return 4 * int64(n) }
