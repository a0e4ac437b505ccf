package rtrl

import (
	"fmt"
	"math"

	"github.com/chronograd/chronograd/cell"
)

// online is the part every algorithm shares: the forward step through the model, the
// readout and the loss, the readout's exact gradient, ∂L_t/∂s_t, and the buffers behind
// GradCell, GradHead and State. States are the model's joint state (every layer's).
type online struct {
	name   string
	model  *cell.Model
	closed bool
	cell   cell.Cell // layer 0 (the only layer of the algorithms that take one)
	head   *cell.Readout
	cache  *cell.StepCache
	top    int // where the top layer's h_t starts in the joint state

	state    []float32 // s_t
	yhat, dy []float32 // head(h_t) and ∂ℓ_t/∂ŷ
	// dLds is ∂ℓ_t/∂s_t: Wᵀ·dy on the top layer's h rows, zero elsewhere (the loss reads
	// the top layer's h_t only).
	dLds []float32

	gradCell, gradHead []float32
}

func newOnline(name string, m *cell.Model) (online, error) {
	if m == nil {
		return online{}, fmt.Errorf("rtrl: %s: nil model", name)
	}
	if err := m.Check(); err != nil {
		return online{}, fmt.Errorf("rtrl: %s: %w", name, err)
	}
	s := m.StateSize()
	return online{
		name:     name,
		model:    m,
		cell:     m.Layers[0],
		head:     m.Head,
		cache:    m.NewStepCache(),
		top:      m.StateOffset(m.NumLayers() - 1),
		state:    make([]float32, s),
		yhat:     make([]float32, m.OutSize()),
		dy:       make([]float32, m.OutSize()),
		dLds:     make([]float32, s),
		gradCell: make([]float32, m.NumParams()),
		gradHead: make([]float32, m.Head.NumParams()),
	}, nil
}

// oneLayer refuses a stacked model for an algorithm defined for one layer.
func oneLayer(name, why string, m *cell.Model) error {
	if m != nil && len(m.Layers) > 1 {
		return fmt.Errorf("rtrl: %s takes a one-layer model, not %d layers (%s)", name, len(m.Layers), why)
	}
	return nil
}

// topHidden is the top layer's h_t within a joint vector.
func (o *online) topHidden(v []float32) []float32 { return v[o.top : o.top+o.model.HiddenSize()] }

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
		return fmt.Errorf("rtrl: %s: initial state has %d values, the model's state has %d (%d layers of %v)", o.name, len(s0), len(o.state), o.model.NumLayers(), o.model.Kind())
	}
	if err := o.finite("initial state", s0); err != nil {
		return err
	}
	copy(o.state, s0)
	return nil
}

// forward checks the step's vectors, then runs s_t = F(s_{t-1}, x_t), the readout and
// the loss; it adds the readout's gradient and leaves ∂L_t/∂s_t in dLds. hasTarget is
// false for a step without a target (dLds is then zero and the caller may skip its
// gradient product).
func (o *online) forward(x []float32, y cell.Target) (loss float32, hasTarget bool, err error) {
	if err := o.errClosed(); err != nil {
		return 0, false, err
	}
	if err := o.cell.CheckInput(x); err != nil {
		return 0, false, fmt.Errorf("rtrl: %s: %w", o.name, err)
	}
	if err := o.finite("input", x); err != nil {
		return 0, false, err
	}
	if err := y.Check(len(o.yhat), 1); err != nil {
		return 0, false, fmt.Errorf("rtrl: %s: %w", o.name, err)
	}
	o.model.Forward(o.cache, o.state, o.state, x)
	h := o.topHidden(o.state)
	o.head.Forward(o.yhat, h)
	loss, hasTarget = y.Loss(o.dy, o.yhat)
	clear(o.dLds)
	if !hasTarget {
		return 0, false, nil
	}
	o.head.Backward(o.topHidden(o.dLds), o.gradHead, h, o.dy)
	return loss, true, nil
}

// finite refuses a vector holding NaN or ±Inf, naming the first, with an error wrapping
// cell.ErrNonFinite: one such value would make the state, and every later step, NaN.
func (o *online) finite(what string, v []float32) error {
	for i, x := range v {
		if x != x || x > math.MaxFloat32 || x < -math.MaxFloat32 {
			return fmt.Errorf("rtrl: %s: %s value %d is %v: %w", o.name, what, i, x, cell.ErrNonFinite)
		}
	}
	return nil
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

// GradCell is the accumulated gradient of the model's cell parameters, every layer's, in
// the flat layout of cell.Model.ParamOffset.
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
