package train

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
)

// Online is a learner for services that see one event at a time: each Observe feeds an
// input (and, when known, its target) through the model, returns the prediction and the
// loss, and updates the weights with an online algorithm (RTRL, SnAp-1, UORO, RFLO,
// e-prop, or TBPTT with UpdateEvery = K1). After the first call, Observe allocates
// nothing. Observe, Snapshot and Reset may be called from different goroutines; calls
// are serialised by a mutex.
type Online struct {
	mu        sync.Mutex
	model     *cell.Model
	alg       algo.Algorithm
	opt       Optimizer
	every     int
	clip      float64
	events    int
	params    [][]float32 // the model's parameter groups: every layer's, then the readout's
	grads     [][]float32 // the algorithm's gradients, grouped as params
	rollback  [][]float32 // params before the latest update, to put back if it overflows
	pred      []float32
	snapshots sync.Mutex // one snapshot file write at a time
}

// OnlineConfig configures an Online learner.
type OnlineConfig struct {
	// UpdateEvery applies the optimizer every so many events (default 1). For TBPTT set it
	// to K1, the steps between its gradients.
	UpdateEvery int
	// ClipNorm clips the global gradient norm before each update (0: no clipping).
	ClipNorm float64
}

// NewOnline builds a learner for model m whose gradients come from alg (built for m) and
// are applied by opt.
func NewOnline(m *cell.Model, alg algo.Algorithm, opt Optimizer, cfg OnlineConfig) (*Online, error) {
	if m == nil || alg == nil || opt == nil {
		return nil, errors.New("train: NewOnline needs a model, an algorithm and an optimizer")
	}
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if cfg.UpdateEvery < 0 {
		return nil, fmt.Errorf("train: UpdateEvery %d must not be negative", cfg.UpdateEvery)
	}
	if err := CheckClipNorm(cfg.ClipNorm); err != nil {
		return nil, err
	}
	if err := validate(opt); err != nil {
		return nil, err
	}
	if cfg.UpdateEvery == 0 {
		cfg.UpdateEvery = 1
	}
	if alg.Model() != m {
		return nil, errors.New("train: the algorithm was built for another model (build it for this one: its gradients must be this model's)")
	}
	if !alg.Online() {
		return nil, fmt.Errorf("train: the algorithm is not online: its gradient waits for the end of a sequence, which an event stream never reaches (use one of %s)", onlineNames())
	}
	o := &Online{
		model: m, alg: alg, opt: opt, every: cfg.UpdateEvery, clip: cfg.ClipNorm,
		params: m.ParamGroups(),
		grads:  m.GradGroups(alg.GradCell(), alg.GradHead()),
		pred:   make([]float32, m.OutSize()),
	}
	for _, p := range o.params {
		o.rollback = append(o.rollback, make([]float32, len(p)))
	}
	if err := alg.Reset(nil); err != nil {
		return nil, err
	}
	if b, ok := opt.(Binder); ok {
		if err := b.Bind(o); err != nil {
			return nil, fmt.Errorf("train: the optimizer already serves another learner; give each its own: %w", err)
		}
	}
	alg.ZeroGrad()
	return o, nil
}

// Observe feeds one event with a squared-error target: x must have the model's input
// size and y, unless nil (no target known), its output size; non-finite values are
// refused. It writes the model's prediction for this event into pred (which must have the
// output size) and returns the loss ½‖ŷ−y‖² (0 without a target). A refused event
// changes nothing. An event whose loss or state is not finite in float32 (a target far
// out of range) is returned with an error wrapping ErrNonFinite and updates nothing.
func (o *Online) Observe(pred, x, y []float32) (loss float32, err error) {
	return o.ObserveTarget(pred, x, cell.Values(y))
}

// ObserveTarget is Observe with any target: values (squared error), a class
// (cross-entropy), or none (the zero Target).
func (o *Online) ObserveTarget(pred, x []float32, y cell.Target) (loss float32, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.checkEvent(pred, x, y); err != nil {
		return 0, err
	}
	loss, err = o.alg.Step(x, y)
	if err != nil {
		return 0, err
	}
	o.model.Head.Forward(pred, o.model.TopHidden(o.alg.State()))
	o.events++
	if !finite(loss) || !finiteVec(o.alg.State()) {
		return loss, o.reject(loss)
	}
	if o.events%o.every == 0 {
		if err := o.update(); err != nil {
			return loss, err
		}
	}
	return loss, nil
}

func (o *Online) checkEvent(pred, x []float32, y cell.Target) error {
	in, out := o.model.InputSize(), o.model.OutSize()
	switch {
	case len(x) != in:
		return fmt.Errorf("train: input has %d values, the model takes %d", len(x), in)
	case len(pred) != out:
		return fmt.Errorf("train: prediction buffer has %d values, the model predicts %d", len(pred), out)
	}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("train: input[%d] is %v", i, v)
		}
	}
	if err := y.Check(out, 1); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// reject drops the gradient of an event whose loss or state is not finite, so that no
// update uses it and the weights and the optimizer's state stay as they were. A state
// that is not finite would make every later event's loss NaN too, so the stream then
// restarts from the zero state.
func (o *Online) reject(loss float32) error {
	o.alg.ZeroGrad()
	if !finiteVec(o.alg.State()) {
		if err := o.alg.Reset(nil); err != nil {
			return err
		}
		return fmt.Errorf("train: event %d: %w: the state overflowed float32; no update, and the stream restarts from the zero state", o.events, ErrNonFinite)
	}
	return fmt.Errorf("train: event %d: %w (loss %v); no update", o.events, ErrNonFinite, loss)
}

// finiteVec reports whether every value of v is finite.
func finiteVec(v []float32) bool {
	for _, x := range v {
		if !finite(x) {
			return false
		}
	}
	return true
}

// update applies the accumulated gradient. A non-finite gradient is dropped (the weights
// stay as they were) and reported.
func (o *Online) update() error {
	defer o.alg.ZeroGrad()
	// A sparse model's dropped weights get no gradient and stay zero (see cell.Model.MaskGrad).
	o.model.MaskGrad(o.alg.GradCell())
	if norm, err := ClipGlobalNorm(o.grads, o.clip); err != nil {
		return fmt.Errorf("train: event %d: %w (gradient norm %v); update skipped", o.events, ErrNonFinite, norm)
	}
	for i, p := range o.params {
		copy(o.rollback[i], p)
	}
	if err := o.opt.Step(o.params, o.grads); err != nil {
		return err
	}
	o.model.EnforceMasks()
	if !allFinite(o.params) {
		for i, p := range o.params {
			copy(p, o.rollback[i])
		}
		return fmt.Errorf("train: event %d: %w: the update overflowed the weights; update skipped", o.events, ErrNonFinite)
	}
	return nil
}

// Events is the number of events observed.
func (o *Online) Events() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.events
}

// Reset starts a new stream from the zero state; the weights and optimizer state stay.
func (o *Online) Reset() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.alg.ZeroGrad()
	return o.alg.Reset(nil)
}

// Snapshot writes the current weights to path as a model file, atomically. It holds the
// learner's lock only while copying the weights, so events keep flowing while the file
// is written.
func (o *Online) Snapshot(path string) error {
	o.snapshots.Lock()
	defer o.snapshots.Unlock()
	cellCopy := make([]float32, o.model.NumParams())
	headCopy := make([]float32, o.model.Head.NumParams())
	o.mu.Lock()
	o.model.CopyParams(cellCopy)
	copy(headCopy, o.model.Head.Params())
	o.mu.Unlock()
	return o.model.SaveVectors(path, cellCopy, headCopy)
}

// onlineNames lists the registry's online algorithms.
func onlineNames() string {
	var names []string
	for _, info := range algo.List() {
		if info.Online {
			names = append(names, info.Name)
		}
	}
	return strings.Join(names, ", ")
}
