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

// Online is a learner for services that see one event at a time. Each Observe feeds an
// input (and, when known, its target) through the model, writes the prediction, returns
// the loss and learns with an online algorithm (exact RTRL, SnAp-1, UORO, RFLO, e-prop,
// or truncated BPTT with UpdateEvery = K1): the algorithm adds the event's gradient, and
// after every UpdateEvery events with a target the optimizer applies what has
// accumulated. An event without a target only advances the recurrent state and what the
// algorithm carries (its influence matrix, traces or cached steps); the optimizer does not
// run. Once the optimizer has made its first update, Observe allocates nothing.
//
// Every method may be called from any goroutine: Observe, ObserveTarget, Reset, Restore,
// CopyWeights, Events and Updates are serialised by one mutex, and Snapshot and
// Checkpoint copy what they save under it and write their file after releasing it. The
// learner owns the model it was built with: while events flow, read the weights only
// through CopyWeights, Snapshot or Checkpoint, never from the model (Observe updates it in
// place), and do not step the algorithm yourself.
//
// Snapshot saves the weights as a model file; Checkpoint saves everything the learner
// needs to continue bit for bit (Restore, Resume).
type Online struct {
	mu        sync.Mutex
	model     *cell.Model
	alg       algo.Algorithm
	opt       Optimizer
	every     int
	clip      float64
	events    int         // events observed
	targets   int         // events with a target since the last update
	updates   int         // optimizer updates applied
	params    [][]float32 // the model's parameter groups: every layer's, then the readout's
	grads     [][]float32 // the algorithm's gradients, grouped as params
	rollback  [][]float32 // params before the latest update, to put back if it overflows
	snapshots sync.Mutex  // one snapshot file write at a time
}

// OnlineConfig configures an Online learner.
type OnlineConfig struct {
	// UpdateEvery applies the optimizer after every UpdateEvery events that have a target
	// (default 1), to the gradient summed over them; events without a target do not
	// count. The algorithm's step is paid on every event and the update once per
	// UpdateEvery, so a larger value makes events cheaper and the weights move less often
	// (the package documentation has measured costs). For truncated BPTT set it to K1, the
	// steps between its gradients.
	UpdateEvery int
	// ClipNorm clips the global norm of the accumulated gradient before each update (0: no
	// clipping).
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
// size and y, unless nil, its output size; non-finite values are refused. It writes the
// model's prediction for this event into pred (which must have the output size) and
// returns the loss ½‖ŷ−y‖². A refused event changes nothing. An event whose loss or state
// is not finite in float32 (a target far out of range) is returned with an error wrapping
// ErrNonFinite and updates nothing.
//
// With y nil (no target known) Observe only predicts and advances: the recurrent state
// and the algorithm's influence matrix, traces or cached steps move on exactly as they
// would with a target, but no loss gradient is added (DNI still adds its prediction of
// the future's credit), the event does not count toward UpdateEvery and the optimizer does
// not run; the loss is 0. Such an event costs the
// algorithm's step alone, less than an event with a target that updates the weights.
func (o *Online) Observe(pred, x, y []float32) (loss float32, err error) {
	return o.ObserveTarget(pred, x, cell.Values(y))
}

// ObserveTarget is Observe with any target: values (squared error), a class
// (cross-entropy), or none (the zero Target, or the class cell.IgnoreClass), which
// predicts and advances without learning as Observe does with a nil target.
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
	if !hasTarget(y) {
		// Nothing to learn from: the algorithm has advanced its state and traces, and its
		// gradient holds nothing new, so the optimizer is not run (Adam's momentum alone
		// would move the weights).
		return loss, nil
	}
	if o.targets++; o.targets >= o.every {
		if err := o.update(); err != nil {
			return loss, err
		}
	}
	return loss, nil
}

// hasTarget reports whether y gives the event a loss: values, or a class that is not
// cell.IgnoreClass.
func hasTarget(y cell.Target) bool {
	return y.Values != nil || (y.Classes != nil && y.Classes[0] != cell.IgnoreClass)
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
	o.targets = 0
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
	o.targets = 0
	defer o.alg.ZeroGrad()
	// GradCell brings grads up to date: for a model with orthogonal layers it maps the
	// accumulated ∂L/∂W to the parameters into the slice grads holds. A sparse model's
	// dropped weights get no gradient and stay zero (see cell.Model.MaskGrad).
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
		_ = o.model.ParamsChanged() // back to the weights W was derived from
		return fmt.Errorf("train: event %d: %w: the update overflowed the weights; update skipped", o.events, ErrNonFinite)
	}
	// The parameters changed in place: an orthogonal layer re-derives its W now.
	if err := o.model.ParamsChanged(); err != nil {
		for i, p := range o.params {
			copy(p, o.rollback[i])
		}
		_ = o.model.ParamsChanged()
		return fmt.Errorf("train: event %d: %w; update skipped", o.events, err)
	}
	o.updates++
	return nil
}

// Events is the number of events observed (refused events are not counted).
func (o *Online) Events() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.events
}

// Updates is the number of optimizer updates applied to the weights (a skipped update,
// whose gradient or result was not finite, is not counted).
func (o *Online) Updates() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.updates
}

// Reset starts a new stream from the zero state, dropping the gradient accumulated since
// the last update and what the algorithm carries (influence matrix, traces, cached
// steps), so that the next update comes after UpdateEvery new events with a target; the
// weights, the optimizer's state, Events and Updates stay.
func (o *Online) Reset() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.alg.ZeroGrad()
	o.targets = 0
	return o.alg.Reset(nil)
}

// Snapshot writes the current weights to path as a model file (cell.LoadModel reads it),
// atomically. It holds the learner's lock only while copying the weights, so events keep
// flowing while the file is written. It keeps no optimizer or algorithm state: to
// continue learning where the learner is, use Checkpoint.
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

// CopyWeights copies the learner's current weights into dst, a model of the same shape
// (the same cell kind, leak, number of layers and sizes, typically built with the same
// cell.Config). It holds the learner's lock only while copying, so dst receives the
// weights as they are between two events, never half an update.
//
// It is how another goroutine serves predictions while this learner learns: that
// goroutine owns dst (with its own state and cell.StepCache, stepping it with
// cell.Model.Forward and reading it with the readout), refreshes it with CopyWeights
// between requests as often as it likes, and never touches the learner's own model.
func (o *Online) CopyWeights(dst *cell.Model) error {
	if err := dst.Check(); err != nil {
		return fmt.Errorf("train: CopyWeights: %w", err)
	}
	m := o.model
	if dst.Kind() != m.Kind() || dst.Alpha() != m.Alpha() || dst.NumLayers() != m.NumLayers() ||
		dst.HiddenSize() != m.HiddenSize() || dst.InputSize() != m.InputSize() || dst.OutSize() != m.OutSize() {
		return fmt.Errorf("train: CopyWeights: the destination is %d layers of %v (H=%d, I=%d, O=%d, α=%v), the learner's model %d layers of %v (H=%d, I=%d, O=%d, α=%v)",
			dst.NumLayers(), dst.Kind(), dst.HiddenSize(), dst.InputSize(), dst.OutSize(), dst.Alpha(),
			m.NumLayers(), m.Kind(), m.HiddenSize(), m.InputSize(), m.OutSize(), m.Alpha())
	}
	if dst == m {
		return errors.New("train: CopyWeights: the destination is the learner's own model")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, l := range dst.Layers {
		copy(l.Params(), o.params[k])
	}
	copy(dst.Head.Params(), o.params[len(dst.Layers)])
	return nil
}
