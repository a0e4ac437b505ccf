package algo

import (
	"errors"
	"fmt"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/workpool"
)

// maxBatch bounds Options.Batch: a typo should not ask for a million sequences' buffers.
const maxBatch = 1 << 16

// batchOf is Options.Batch with 0 meaning 1, or an error when out of range.
func batchOf(o Options) (int, error) {
	switch {
	case o.Batch == 0:
		return 1, nil
	case o.Batch < 0 || o.Batch > maxBatch:
		return 0, fmt.Errorf("a batch of %d sequences is out of range [1, %d]", o.Batch, maxBatch)
	}
	return o.Batch, nil
}

// workersOf is Options.Workers with 0 meaning 1, or an error when out of range.
func workersOf(o Options) (int, error) {
	switch {
	case o.Workers == 0:
		return 1, nil
	case o.Workers < 0 || o.Workers > maxWorkers:
		return 0, fmt.Errorf("%d workers is out of range [1, %d]", o.Workers, maxWorkers)
	}
	return o.Workers, nil
}

// maxWorkers bounds Options.Workers.
const maxWorkers = 256

// replicated runs a minibatch of B sequences on an algorithm that steps one sequence at
// a time (RTRL and its approximations): B instances, one per sequence, each with its own
// influence matrix or traces, whose gradients are summed. With W workers the instances
// are split into W fixed contiguous ranges, each stepped by one goroutine on its own twin
// of the model (cell.Model.Twin: the same parameters, its own scratch). The gradient is
// the instances' gradients added in sequence order, whatever W, so it has the same bits
// for every W.
type replicated struct {
	model   *cell.Model
	twins   []*cell.Model // one per worker; twins[0] is the model itself
	inst    []Algorithm
	B       int
	in, out int
	s       int // one sequence's state
	pool    *workpool.Pool
	work    func(w int) // made once, so Run does not allocate

	// the operation the workers run, and its operands
	op     int
	x, s0  []float32
	y      cell.Target
	losses []float32
	errs   []error

	gradCell, gradHead []float32
	dirty              bool // instances hold gradient not yet added in
	rows               []float32
}

// The operations a replicated batch fans out.
const (
	opStep = iota
	opReset
	opFinish
)

// newReplicated builds B instances of one sequence each with build (b is the sequence).
func newReplicated(m *cell.Model, o Options, build func(m *cell.Model, b int) (Algorithm, error)) (Algorithm, error) {
	B, err := batchOf(o)
	if err != nil {
		return nil, err
	}
	W, err := workersOf(o)
	if err != nil {
		return nil, err
	}
	W = min(W, B)
	r := &replicated{
		model: m, B: B, in: m.InputSize(), out: m.OutSize(), s: m.StateSize(),
		losses: make([]float32, B), errs: make([]error, B),
		gradCell: make([]float32, m.NumParams()), gradHead: make([]float32, m.Head.NumParams()),
		rows: make([]float32, B*m.StateSize()),
	}
	r.twins = []*cell.Model{m}
	for range W - 1 {
		t, err := m.Twin()
		if err != nil {
			return nil, err
		}
		r.twins = append(r.twins, t)
	}
	if W > 1 {
		r.pool = workpool.New(W)
	}
	for b := range B {
		a, err := build(r.twins[r.worker(b)], b)
		if err != nil {
			r.Close()
			return nil, err
		}
		r.inst = append(r.inst, a)
	}
	r.work = r.run
	return r, nil
}

// worker is the worker that steps sequence b: the pool's fixed ranges.
func (r *replicated) worker(b int) int {
	W := len(r.twins)
	for w := range W {
		if lo, hi := w*r.B/W, (w+1)*r.B/W; b >= lo && b < hi {
			return w
		}
	}
	return 0
}

// run is worker w's share of the current operation.
func (r *replicated) run(w int) {
	W := len(r.twins)
	for b := w * r.B / W; b < (w+1)*r.B/W; b++ {
		a := r.inst[b]
		switch r.op {
		case opStep:
			r.losses[b], r.errs[b] = a.Step(r.x[b*r.in:(b+1)*r.in], r.y.Row(b, r.out))
		case opReset:
			var s0 []float32
			if r.s0 != nil {
				s0 = r.s0[b*r.s : (b+1)*r.s]
			}
			r.errs[b] = a.Reset(s0)
		case opFinish:
			r.errs[b] = a.Finish()
		}
	}
}

// fan runs op on every instance and returns the first sequence's error.
func (r *replicated) fan(op int) error {
	r.op = op
	r.pool.Run(r.work)
	r.dirty = true
	for b, err := range r.errs {
		if err != nil {
			clear(r.errs)
			return fmt.Errorf("sequence %d of the batch: %w", b, err)
		}
	}
	return nil
}

// Step feeds the batch's x_t (B rows of I) and targets (B rows of O, or B classes).
func (r *replicated) Step(x []float32, y cell.Target) (float32, error) {
	if len(x) != r.B*r.in {
		return 0, fmt.Errorf("input has %d values, the batch's is %d sequences × %d", len(x), r.B, r.in)
	}
	if err := y.Check(r.out, r.B); err != nil {
		return 0, err
	}
	r.x, r.y = x, y
	err := r.fan(opStep)
	r.x, r.y = nil, cell.Target{}
	if err != nil {
		return 0, err
	}
	var loss float32
	for _, l := range r.losses {
		loss += l
	}
	return loss, nil
}

// Reset starts every sequence from its row of s0 (B rows of S; nil: zeros).
func (r *replicated) Reset(s0 []float32) error {
	if s0 != nil && len(s0) != r.B*r.s {
		return fmt.Errorf("initial state has %d values, the batch's is %d sequences × %d (%d layers of %v)", len(s0), r.B, r.s, r.model.NumLayers(), r.model.Kind())
	}
	r.s0 = s0
	err := r.fan(opReset)
	r.s0 = nil
	return err
}

// Finish ends every sequence.
func (r *replicated) Finish() error { return r.fan(opFinish) }

// collect adds the instances' gradients into the batch's, in sequence order, and clears
// them.
func (r *replicated) collect() {
	if !r.dirty {
		return
	}
	for _, a := range r.inst {
		for i, v := range a.GradCell() {
			r.gradCell[i] += v
		}
		for i, v := range a.GradHead() {
			r.gradHead[i] += v
		}
		a.ZeroGrad()
	}
	r.dirty = false
}

// GradCell is the gradient summed over the batch.
func (r *replicated) GradCell() []float32 { r.collect(); return r.gradCell }

// GradHead is the readout's gradient summed over the batch.
func (r *replicated) GradHead() []float32 { r.collect(); return r.gradHead }

// ZeroGrad clears the gradients, the instances' too.
func (r *replicated) ZeroGrad() {
	for _, a := range r.inst {
		a.ZeroGrad()
	}
	clear(r.gradCell)
	clear(r.gradHead)
	r.dirty = false
}

// State is the B sequences' states, one row each.
func (r *replicated) State() []float32 {
	for b, a := range r.inst {
		copy(r.rows[b*r.s:(b+1)*r.s], a.State())
	}
	return r.rows
}

// Bytes counts every instance and, since each keeps a gradient of its own, B − 1 … B
// extra gradient accumulators, and the batch's scratch.
func (r *replicated) Bytes() int64 {
	var n int64
	for _, a := range r.inst {
		n += a.Bytes()
	}
	n += int64(r.B) * 4 * int64(len(r.gradCell)+len(r.gradHead))
	return n + 4*int64(len(r.rows)+len(r.losses)) + 16*int64(len(r.errs))
}

// Model is the model the batch was built for.
func (r *replicated) Model() *cell.Model { return r.model }

// Online is the instances' Online.
func (r *replicated) Online() bool { return r.inst[0].Online() }

// Batch is B.
func (r *replicated) Batch() int { return r.B }

// Close closes every instance and stops the workers.
func (r *replicated) Close() error {
	var errs []error
	for _, a := range r.inst {
		errs = append(errs, a.Close())
	}
	r.pool.Close()
	return errors.Join(errs...)
}

// Batched is implemented by algorithms built for a minibatch (Options.Batch): Batch is B,
// the number of sequences each Step takes.
type Batched interface {
	Batch() int
}

// BatchOf is a's batch size: Batched's Batch, or 1.
func BatchOf(a Algorithm) int {
	if b, ok := a.(Batched); ok {
		return max(1, b.Batch())
	}
	return 1
}
