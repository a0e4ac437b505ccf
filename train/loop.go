package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/kernels"
	"github.com/chronograd/chronograd/task"
)

// Config describes a training run: the model, the algorithm that computes its
// gradients (built for that model), the optimizer, and the task that supplies sequences.
type Config struct {
	// Model is trained in place.
	Model *cell.Model
	// Algorithm computes the gradients; it must have been built for Model.
	Algorithm algo.Algorithm
	// Optimizer applies them.
	Optimizer Optimizer
	// Task supplies the training and evaluation sequences.
	Task task.Task

	// Sequences is the number of training sequences. An algorithm built for a minibatch
	// of B sequences (algo.Options.Batch) takes them B at a time, one update per
	// minibatch, so the run ends after ⌈Sequences/B⌉ minibatches; every sequence of a
	// minibatch must have the same length.
	Sequences int
	// UpdateEvery applies the optimizer every so many steps within a sequence (online
	// learning); 0 applies it once per sequence, after Finish.
	UpdateEvery int
	// ClipNorm clips the global gradient norm before every update (0: no clipping).
	ClipNorm float64
	// EvalEvery evaluates on EvalSequences fresh sequences every so many training
	// sequences and at the end (0: only at the end). EvalSequences defaults to 20.
	EvalEvery, EvalSequences int
	// Seed seeds the training data; evaluation data comes from its own fixed stream so
	// every evaluation sees the same sequences.
	Seed uint64
	// Progress, if set, is called after every training sequence.
	Progress func(Progress)
	// Checkpoint, if set, is called every CheckpointEvery sequences and at the end, with
	// weights that are known to be finite; it typically saves the model atomically.
	Checkpoint func(sequence int) error
	// CheckpointEvery is the number of sequences between checkpoints (0: only at the end).
	CheckpointEvery int
}

// Progress reports the state of a run.
type Progress struct {
	// Sequence is the number of sequences done, of Sequences in the run.
	Sequence, Sequences int
	// Loss is the mean loss per target step of the last training sequence.
	Loss float64
	// EvalLoss and EvalAccuracy are from the latest evaluation (NaN before the first;
	// accuracy only for classification tasks).
	EvalLoss, EvalAccuracy float64
	// Elapsed is the wall-clock time since the run started.
	Elapsed time.Duration
}

// Summary is the outcome of a run.
type Summary struct {
	Sequences    int           // training sequences completed
	Steps        int           // time steps fed, over all sequences
	FinalLoss    float64       // evaluation loss at the end
	FinalAcc     float64       // evaluation accuracy at the end (NaN for regression tasks)
	Elapsed      time.Duration // wall-clock time of the run
	Updates      int           // optimizer updates applied
	AlgorithmMem int64         // bytes the algorithm held at the end (Algorithm.Bytes)
}

// ErrNonFinite is returned (wrapped, naming the sequence and step) when an input, a loss
// or a gradient is NaN or infinite. The weights are then those before the update that
// would have used it. It is cell.ErrNonFinite, which the algorithms wrap when they refuse
// a non-finite input.
var ErrNonFinite = cell.ErrNonFinite

// Run trains until cfg.Sequences sequences are done, ctx is cancelled, or the loss or
// gradient stops being finite. On cancellation it returns the summary so far and
// ctx.Err(); the weights are the last ones applied.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	if err := cfg.check(); err != nil {
		return Summary{}, err
	}
	if cfg.EvalSequences <= 0 {
		cfg.EvalSequences = 20
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x747261696e))
	ev := newEvaluator(cfg.Model, cfg.Task, cfg.EvalSequences)
	params := cfg.Model.ParamGroups()
	grads := cfg.Model.GradGroups(cfg.Algorithm.GradCell(), cfg.Algorithm.GradHead())
	B := algo.BatchOf(cfg.Algorithm)
	mb := newMinibatch(cfg.Task, B)
	start := time.Now()
	sum := Summary{FinalLoss: math.NaN(), FinalAcc: math.NaN()}
	prog := Progress{Sequences: cfg.Sequences, EvalLoss: math.NaN(), EvalAccuracy: math.NaN()}
	cfg.Algorithm.ZeroGrad()

	// lastGood holds the weights before the latest update, to put back if the update
	// itself overflows.
	lastGood := make([][]float32, len(params))
	for i, p := range params {
		lastGood[i] = make([]float32, len(p))
	}
	// update names where it ran only when it fails: step is -1 for the end of a
	// sequence. Formatting the place eagerly would allocate on every online step.
	update := func(seqNo, step int) error {
		where := func() string {
			if step < 0 {
				return fmt.Sprintf("sequence %d", seqNo)
			}
			return fmt.Sprintf("sequence %d step %d", seqNo, step)
		}
		// GradCell brings grads up to date: for a model with orthogonal layers it maps the
		// accumulated ∂L/∂W to the parameters into the slice grads holds. A sparse model's
		// dropped weights are not parameters: no gradient reaches them, and whatever the
		// optimizer does, they stay zero.
		cfg.Model.MaskGrad(cfg.Algorithm.GradCell())
		if norm, err := ClipGlobalNorm(grads, cfg.ClipNorm); err != nil {
			return fmt.Errorf("train: %s: %w (gradient norm %v); weights kept from before this update", where(), ErrNonFinite, norm)
		}
		for i := range params {
			copy(lastGood[i], params[i])
		}
		if err := cfg.Optimizer.Step(params, grads); err != nil {
			return err
		}
		cfg.Model.EnforceMasks()
		if !allFinite(params) {
			for i := range params {
				copy(params[i], lastGood[i])
			}
			_ = cfg.Model.ParamsChanged() // back to the weights W was derived from
			return fmt.Errorf("train: %s: %w: the update overflowed the weights; weights kept from before it", where(), ErrNonFinite)
		}
		// The parameters changed in place: an orthogonal layer re-derives its W now.
		if err := cfg.Model.ParamsChanged(); err != nil {
			for i := range params {
				copy(params[i], lastGood[i])
			}
			_ = cfg.Model.ParamsChanged()
			return fmt.Errorf("train: %s: %w; weights kept from before this update", where(), err)
		}
		cfg.Algorithm.ZeroGrad()
		sum.Updates++
		return nil
	}

	// crossed reports whether the run passed a multiple of every going from done−B to
	// done sequences (every ≤ 0: never).
	crossed := func(done, every int) bool { return every > 0 && done/every > (done-B)/every }
	for s := B; s-B < cfg.Sequences; s += B {
		if err := ctx.Err(); err != nil {
			sum.Elapsed = time.Since(start)
			return sum, err
		}
		if err := mb.fill(rng); err != nil {
			return sum, fmt.Errorf("train: sequence %d: %w", s, err)
		}
		if err := cfg.Algorithm.Reset(nil); err != nil {
			return sum, err
		}
		var loss float64
		targets := 0
		for t := 0; t < mb.T; t++ {
			x, y, scored, err := mb.step(t)
			if err != nil {
				return sum, fmt.Errorf("train: sequence %d step %d: %w", s, t, err)
			}
			l, err := cfg.Algorithm.Step(x, y)
			if err != nil {
				return sum, fmt.Errorf("train: sequence %d step %d: %w", s, t, err)
			}
			if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
				return sum, fmt.Errorf("train: sequence %d step %d: %w (loss %v); weights kept from before this update", s, t, ErrNonFinite, l)
			}
			loss += float64(l)
			targets += scored
			sum.Steps += B
			if cfg.UpdateEvery > 0 && (t+1)%cfg.UpdateEvery == 0 {
				if err := update(s, t); err != nil {
					return sum, err
				}
			}
		}
		if err := cfg.Algorithm.Finish(); err != nil {
			return sum, err
		}
		if err := update(s, -1); err != nil {
			return sum, err
		}
		sum.Sequences = s
		prog.Sequence, prog.Loss = s, loss/float64(max(targets, 1))
		last := s >= cfg.Sequences
		if last || crossed(s, cfg.EvalEvery) {
			prog.EvalLoss, prog.EvalAccuracy = ev.evaluate()
		}
		if cfg.Checkpoint != nil && (last || crossed(s, cfg.CheckpointEvery)) {
			if err := cfg.Checkpoint(s); err != nil {
				return sum, fmt.Errorf("train: checkpoint after sequence %d: %w", s, err)
			}
		}
		prog.Elapsed = time.Since(start)
		if cfg.Progress != nil {
			cfg.Progress(prog)
		}
	}
	sum.FinalLoss, sum.FinalAcc = prog.EvalLoss, prog.EvalAccuracy
	sum.Elapsed = time.Since(start)
	sum.AlgorithmMem = cfg.Algorithm.Bytes()
	return sum, nil
}

func (cfg *Config) check() error {
	switch {
	case cfg.Model == nil || cfg.Algorithm == nil || cfg.Optimizer == nil || cfg.Task == nil:
		return errors.New("train: Model, Algorithm, Optimizer and Task are all required")
	case cfg.Model.Check() != nil:
		return fmt.Errorf("train: %w", cfg.Model.Check())
	case cfg.Algorithm.Model() != cfg.Model:
		return errors.New("train: the algorithm was built for another model")
	case cfg.Sequences <= 0:
		return fmt.Errorf("train: %d sequences; need at least one", cfg.Sequences)
	case CheckClipNorm(cfg.ClipNorm) != nil:
		return CheckClipNorm(cfg.ClipNorm)
	case validate(cfg.Optimizer) != nil:
		return validate(cfg.Optimizer)
	case cfg.UpdateEvery < 0 || cfg.EvalEvery < 0 || cfg.CheckpointEvery < 0:
		return errors.New("train: UpdateEvery, EvalEvery and CheckpointEvery must not be negative")
	case cfg.Task.InputSize() != cfg.Model.InputSize():
		return fmt.Errorf("train: task %s has %d inputs, the model %d", cfg.Task.Name(), cfg.Task.InputSize(), cfg.Model.InputSize())
	case cfg.Task.OutputSize() != cfg.Model.OutSize():
		return fmt.Errorf("train: task %s has %d outputs, the readout %d", cfg.Task.Name(), cfg.Task.OutputSize(), cfg.Model.OutSize())
	}
	return nil
}

// minibatch draws B sequences of a task and lays each step out as the algorithm takes
// it: B rows of inputs and of targets.
type minibatch struct {
	tk      task.Task
	seqs    []task.Sequence
	T       int
	x, yv   []float32 // B×I, B×O
	yc      []int32   // B
	classes bool
}

func newMinibatch(tk task.Task, B int) *minibatch {
	mb := &minibatch{tk: tk, seqs: make([]task.Sequence, B), classes: tk.Classification()}
	if B > 1 {
		mb.x = make([]float32, B*tk.InputSize())
		mb.yv = make([]float32, B*tk.OutputSize())
		mb.yc = make([]int32, B)
	}
	return mb
}

// fill draws the next B sequences.
func (mb *minibatch) fill(rng *rand.Rand) error {
	for b := range mb.seqs {
		mb.tk.Fill(&mb.seqs[b], rng)
		if b > 0 && mb.seqs[b].T != mb.T {
			return fmt.Errorf("task %s drew sequences of %d and %d steps; a minibatch needs one length", mb.tk.Name(), mb.T, mb.seqs[b].T)
		}
		mb.T = mb.seqs[b].T
	}
	return nil
}

// step returns step t's inputs and targets and how many of the batch's targets count
// toward the loss.
func (mb *minibatch) step(t int) (x []float32, y cell.Target, scored int, err error) {
	if len(mb.seqs) == 1 {
		seq := &mb.seqs[0]
		y = seq.Target(t)
		if !y.None() && (y.Classes == nil || y.Classes[0] != cell.IgnoreClass) {
			scored = 1
		}
		return seq.Input(t), y, scored, nil
	}
	in, out := mb.tk.InputSize(), mb.tk.OutputSize()
	for b := range mb.seqs {
		copy(mb.x[b*in:(b+1)*in], mb.seqs[b].Input(t))
	}
	for b := range mb.seqs {
		yb := mb.seqs[b].Target(t)
		switch {
		case mb.classes:
			mb.yc[b] = cell.IgnoreClass
			if yb.Classes != nil {
				mb.yc[b] = yb.Classes[0]
			}
			if mb.yc[b] != cell.IgnoreClass {
				scored++
			}
		case yb.None():
		default:
			copy(mb.yv[b*out:(b+1)*out], yb.Values)
			scored++
		}
	}
	switch {
	case mb.classes && scored > 0:
		y = cell.Classes(mb.yc...)
	case mb.classes || scored == 0:
	case scored == len(mb.seqs):
		y = cell.Values(mb.yv)
	default:
		return nil, y, 0, fmt.Errorf("task %s has a target at this step for %d of the minibatch's %d sequences; a minibatch of real-valued targets needs all or none", mb.tk.Name(), scored, len(mb.seqs))
	}
	return mb.x, y, scored, nil
}

// Evaluate runs the model forward on n sequences of the task drawn from a fixed seed (the
// same ones Run evaluates on) and returns the mean loss per target step (the task's:
// cross-entropy for a classification task, squared error otherwise) and, for
// classification tasks, the accuracy (NaN otherwise).
func Evaluate(m *cell.Model, tk task.Task, n int) (loss, accuracy float64) {
	_ = m.ParamsChanged() // an error leaves an orthogonal layer's W NaN: a NaN loss
	return newEvaluator(m, tk, n).evaluate()
}

// evaluator runs the model forward on a fixed set of sequences.
type evaluator struct {
	m       *cell.Model
	seqs    []task.Sequence
	run     *cell.Runner // the layers and, if the model has one, the attention with its memory
	y, d    []float32
	classes bool
}

func newEvaluator(m *cell.Model, tk task.Task, n int) *evaluator {
	rng := rand.New(rand.NewPCG(0xe7a1, 0x5eed))
	e := &evaluator{m: m, seqs: make([]task.Sequence, n), run: m.NewRunner(),
		y: make([]float32, m.OutSize()), d: make([]float32, m.OutSize()),
		classes: tk.Classification()}
	for i := range e.seqs {
		tk.Fill(&e.seqs[i], rng)
	}
	return e
}

// evaluate returns the mean loss per target step and, for classification tasks, the
// fraction of target steps whose largest output is the target class.
func (e *evaluator) evaluate() (loss, accuracy float64) {
	var total float64
	var targets, correct int
	for i := range e.seqs {
		seq := &e.seqs[i]
		e.run.Reset(nil)
		for t := 0; t < seq.T; t++ {
			s := e.run.Step(seq.Input(t))
			y := seq.Target(t)
			if y.None() {
				continue
			}
			e.m.Head.Forward(e.y, e.m.TopHidden(s))
			l, has := y.Loss(e.d, e.y)
			if !has {
				continue
			}
			total += float64(l)
			targets++
			if e.classes && int32(argmax(e.y)) == seq.Classes[t] {
				correct++
			}
		}
	}
	loss = total / float64(max(targets, 1))
	accuracy = math.NaN()
	if e.classes {
		accuracy = float64(correct) / float64(max(targets, 1))
	}
	return loss, accuracy
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// allFinite reports whether no element of the groups is NaN or infinite: a sum of
// float32 squares in float64 is finite exactly when every element is, and
// kernels.SumSquares computes it with SIMD.
func allFinite(groups [][]float32) bool {
	for _, g := range groups {
		if s := kernels.SumSquares(g); math.IsNaN(s) || math.IsInf(s, 0) {
			return false
		}
	}
	return true
}

// BeatsBaseline reports whether an evaluation (mean loss per target step and, for a
// classification task, accuracy; NaN otherwise) beats the task's baseline: a lower loss,
// and for a classification task a higher accuracy too. When it does not, why says so in
// numbers.
func BeatsBaseline(loss, accuracy float64, b task.Baseline) (beat bool, why string) {
	switch {
	case !(loss < b.Loss):
		return false, fmt.Sprintf("its loss %.5g is not below the baseline's %.5g", loss, b.Loss)
	case !math.IsNaN(b.Accuracy) && !(accuracy > b.Accuracy):
		return false, fmt.Sprintf("its accuracy %.1f%% is not above the chance accuracy %.1f%%", 100*accuracy, 100*b.Accuracy)
	}
	return true, ""
}
