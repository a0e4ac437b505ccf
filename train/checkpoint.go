package train

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
)

// A learner's checkpoint is one safetensors file: the model file's tensors and metadata,
// so that the weights keep PyTorch's names, and beside them, under prefixes no model
// tensor has:
//
//	grad.NAME                     the gradient accumulated since the last update
//	optimizer.BUFFER.NAME         the optimizer's buffers (momentum_buffer; exp_avg, exp_avg_sq)
//	optimizer.steps               I64 [1]: the optimizer's step count
//	algorithm.VAR                 the algorithm's state (cell.AlgorithmState): F32 or I64, 1-D
//	learner.events                I64 [1]: events observed
//	learner.targets               I64 [1]: events with a target since the last update
//	learner.updates               I64 [1]: updates applied
//
// NAME is a parameter's name (weight_ih_l0, …, head.bias), each tensor of its shape. The
// metadata adds "format" (checkpointFormat), "algorithm" (the algorithm's Go type),
// "optimizer" (its kind) and, for the record, "update_every" and "clip_norm".
const (
	checkpointFormat = "chronograd-checkpoint/1"
	metaFormat       = "format"
	metaAlgorithm    = "algorithm"
	metaOptimizer    = "optimizer"
)

// Prefixes of the checkpoint's tensors that are not the model's.
const (
	prefixGrad      = "grad."
	prefixOptimizer = "optimizer."
	prefixAlgorithm = "algorithm."
	prefixLearner   = "learner."
	optimizerSteps  = "optimizer.steps"
)

var learnerCounters = []string{"events", "targets", "updates"}

// paramTensors lists, per parameter group of m (each layer, then the readout), the
// group's tensors with PyTorch's names and shapes.
func paramTensors(m *cell.Model) [][]cell.Tensor {
	out := make([][]cell.Tensor, 0, len(m.Layers)+1)
	for k, l := range m.Layers {
		out = append(out, l.Layout().Tensors(k))
	}
	return append(out, m.Head.Tensors())
}

// resumable returns the algorithm and the optimizer as what a checkpoint needs, or an
// error naming the one that is not.
func (o *Online) resumable() (algo.Resumable, ResumableOptimizer, error) {
	ra, ok := o.alg.(algo.Resumable)
	if !ok {
		return nil, nil, fmt.Errorf("train: the algorithm (%T) does not implement algo.Resumable, so its state cannot be checkpointed", o.alg)
	}
	ro, ok := o.opt.(ResumableOptimizer)
	if !ok {
		return nil, nil, fmt.Errorf("train: the optimizer (%T) does not implement train.ResumableOptimizer, so its state cannot be checkpointed", o.opt)
	}
	return ra, ro, nil
}

// Checkpoint writes the learner's whole state to path, atomically (a temporary file in
// the same directory, fsync, rename): the weights, the gradient accumulated since the
// last update, the optimizer's state (moments, step count), the algorithm's state (the
// recurrent state, its influence matrix or traces, its counters and random stream) and
// the event counts. Restore or Resume continue from it bit for bit. The file is a
// safetensors file that holds the model file's tensors under their PyTorch names, the
// rest under the prefixes grad., optimizer., algorithm. and learner. (a model-only copy
// is what Snapshot writes).
//
// Checkpoint copies the state under the learner's lock and writes the file after
// releasing it, so events keep flowing while it writes. It returns an error, writing
// nothing, when the algorithm is not algo.Resumable or the optimizer not a
// ResumableOptimizer, or when a value of the state is not finite.
func (o *Online) Checkpoint(path string) error {
	o.snapshots.Lock()
	defer o.snapshots.Unlock()
	f, err := o.checkpoint()
	if err != nil {
		return err
	}
	if err := safetensors.WriteFile(path, f); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return nil
}

// checkpoint copies the learner's state into a file, under the lock.
func (o *Online) checkpoint() (*safetensors.File, error) {
	ra, ro, err := o.resumable()
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	groups := paramTensors(o.model)
	f := &safetensors.File{Tensors: map[string]*safetensors.Tensor{}, Metadata: o.model.Metadata()}
	add := func(prefix string, vecs [][]float32) error {
		if len(vecs) != len(groups) {
			return fmt.Errorf("train: checkpoint: %d groups under %q, the model has %d", len(vecs), prefix, len(groups))
		}
		for i, ts := range groups {
			if len(vecs[i]) != len(o.params[i]) {
				return fmt.Errorf("train: checkpoint: group %d under %q has %d values, the model's %d", i, prefix, len(vecs[i]), len(o.params[i]))
			}
			for _, t := range ts {
				f.Tensors[prefix+t.Name] = &safetensors.Tensor{DType: safetensors.F32, Shape: t.Shape, F32: slices.Clone(t.Of(vecs[i]))}
			}
		}
		return nil
	}
	counter := func(name string, v int64) {
		f.Tensors[name] = &safetensors.Tensor{DType: safetensors.I64, Shape: []int{1}, I64: []int64{v}}
	}
	if err := add("", o.params); err != nil {
		return nil, err
	}
	if err := add(prefixGrad, o.grads); err != nil {
		return nil, err
	}
	opt := ro.SaveState()
	for name, bufs := range opt.Buffers {
		if strings.Contains(name, ".") || name == "" {
			return nil, fmt.Errorf("train: checkpoint: optimizer buffer name %q (names hold no dot)", name)
		}
		if err := add(prefixOptimizer+name+".", bufs); err != nil {
			return nil, err
		}
	}
	counter(optimizerSteps, opt.Steps)
	st := ra.SaveState()
	for name, v := range st.F32 {
		f.Tensors[prefixAlgorithm+name] = &safetensors.Tensor{DType: safetensors.F32, Shape: []int{len(v)}, F32: v}
	}
	for name, v := range st.I64 {
		if _, dup := st.F32[name]; dup {
			return nil, fmt.Errorf("train: checkpoint: the algorithm's state names %q twice", name)
		}
		f.Tensors[prefixAlgorithm+name] = &safetensors.Tensor{DType: safetensors.I64, Shape: []int{len(v)}, I64: v}
	}
	for i, v := range []int{o.events, o.targets, o.updates} {
		counter(prefixLearner+learnerCounters[i], int64(v))
	}
	f.Metadata[metaFormat] = checkpointFormat
	f.Metadata[metaAlgorithm] = fmt.Sprintf("%T", o.alg)
	f.Metadata[metaOptimizer] = opt.Kind
	f.Metadata["update_every"] = strconv.Itoa(o.every)
	f.Metadata["clip_norm"] = strconv.FormatFloat(o.clip, 'g', -1, 64)
	return f, nil
}

// Restore replaces the learner's whole state with the checkpoint at path (see
// Checkpoint), after which it continues bit for bit as the checkpointed learner would
// have. The learner must have been built alike: a model of the same shape, an algorithm
// of the same kind and options, an optimizer of the same kind (its hyperparameters are
// its own: the checkpoint holds its moments and step count, not its learning rate).
// UpdateEvery and ClipNorm stay the learner's own.
//
// A checkpoint that does not fit (another model shape, algorithm or optimizer, a missing
// or unexpected tensor, a file that is not a checkpoint) is refused with a one-line error
// that names what differs, and the learner is left as it was.
func (o *Online) Restore(path string) error {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return fmt.Errorf("train: restoring a checkpoint: %w", err)
	}
	if err := o.restore(f); err != nil {
		return fmt.Errorf("train: restoring %s: %w", path, err)
	}
	return nil
}

// restore checks the whole checkpoint against the learner and only then replaces the
// learner's state with it.
func (o *Online) restore(f *safetensors.File) error {
	ra, ro, err := o.resumable()
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "train: "))
	}
	switch format, ok := f.Metadata[metaFormat]; {
	case !ok:
		return fmt.Errorf("not a learner checkpoint (its metadata has no %q; a model file is loaded with cell.LoadModel)", metaFormat)
	case format != checkpointFormat:
		return fmt.Errorf("checkpoint format %q; this version reads %q", format, checkpointFormat)
	}
	for _, key := range []string{cell.MetaCell, cell.MetaAlpha} {
		if got, want := f.Metadata[key], o.model.Metadata()[key]; got != want {
			return fmt.Errorf("the checkpoint's model has %s %q, this learner's %q", key, got, want)
		}
	}
	if got, want := f.Metadata[metaAlgorithm], fmt.Sprintf("%T", o.alg); got != want {
		return fmt.Errorf("the checkpoint is of a learner running %s, this one runs %s", got, want)
	}
	kind := ro.SaveState().Kind
	if got := f.Metadata[metaOptimizer]; got != kind {
		return fmt.Errorf("the checkpoint's optimizer is %q, this learner's %q", got, kind)
	}

	used := map[string]bool{}
	floats := func(name string, shape []int) ([]float32, error) {
		t, ok := f.Tensors[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("tensor %q is missing", name)
		case t.DType.IsInt():
			return nil, fmt.Errorf("tensor %q holds integers (%s), want floats", name, t.DType)
		case !slices.Equal(t.Shape, shape):
			return nil, fmt.Errorf("tensor %q has shape %v, this learner's is %v", name, t.Shape, shape)
		}
		used[name] = true
		return t.F32, nil
	}
	integer := func(name string) (int64, error) {
		t, ok := f.Tensors[name]
		switch {
		case !ok:
			return 0, fmt.Errorf("tensor %q is missing", name)
		case !t.DType.IsInt() || len(t.I64) != 1 || !slices.Equal(t.Shape, []int{1}):
			return 0, fmt.Errorf("tensor %q is %s %v, want one integer (I64 [1])", name, t.DType, t.Shape)
		case t.I64[0] < 0:
			return 0, fmt.Errorf("tensor %q is %d, a negative count", name, t.I64[0])
		}
		used[name] = true
		return t.I64[0], nil
	}
	groups := paramTensors(o.model)
	gather := func(prefix string) ([][]float32, error) {
		out := make([][]float32, len(groups))
		for i, ts := range groups {
			out[i] = make([]float32, len(o.params[i]))
			for _, t := range ts {
				v, err := floats(prefix+t.Name, t.Shape)
				if err != nil {
					return nil, err
				}
				copy(t.Of(out[i]), v)
			}
		}
		return out, nil
	}
	weights, err := gather("")
	if err != nil {
		return err
	}
	grads, err := gather(prefixGrad)
	if err != nil {
		return err
	}
	opt := OptimizerState{Kind: kind, Buffers: map[string][][]float32{}}
	if opt.Steps, err = integer(optimizerSteps); err != nil {
		return err
	}
	for _, name := range f.Names() {
		rest, ok := strings.CutPrefix(name, prefixOptimizer)
		if !ok || name == optimizerSteps {
			continue
		}
		buf, _, _ := strings.Cut(rest, ".")
		if _, seen := opt.Buffers[buf]; seen {
			continue
		}
		if opt.Buffers[buf], err = gather(prefixOptimizer + buf + "."); err != nil {
			return err
		}
	}
	alg := cell.AlgorithmState{F32: map[string][]float32{}, I64: map[string][]int64{}}
	for name, t := range f.Tensors {
		rest, ok := strings.CutPrefix(name, prefixAlgorithm)
		if !ok {
			continue
		}
		used[name] = true
		if t.DType.IsInt() {
			alg.I64[rest] = t.I64
		} else {
			alg.F32[rest] = t.F32
		}
	}
	var counts [3]int64
	for i, name := range learnerCounters {
		if counts[i], err = integer(prefixLearner + name); err != nil {
			return err
		}
	}
	for _, name := range f.Names() {
		if !used[name] {
			return fmt.Errorf("unexpected tensor %q", name)
		}
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	before := ra.SaveState()
	if err := ra.LoadState(alg); err != nil {
		return err
	}
	if err := ro.LoadState(opt); err != nil {
		if rerr := ra.LoadState(before); rerr != nil {
			panic(fmt.Sprintf("train: restoring the algorithm's own state failed: %v", rerr))
		}
		return err
	}
	for i := range groups {
		copy(o.params[i], weights[i])
		copy(o.grads[i], grads[i])
	}
	o.events, o.targets, o.updates = int(counts[0]), int(counts[1]), int(counts[2])
	return nil
}

// Resume builds a learner from the checkpoint at path (see Checkpoint): the model it
// holds, the algorithm that newAlgorithm builds for that model (of the checkpointed
// learner's kind and options; for a registry algorithm, spec.New), opt (of the
// checkpointed optimizer's kind, and not serving another learner) and cfg, and then
// restores the rest of the learner's state as Restore does. The learner continues bit
// for bit as the checkpointed one would have. A checkpoint that does not fit is refused
// with a one-line error, and the algorithm built for it is closed.
func Resume(path string, newAlgorithm func(m *cell.Model) (algo.Algorithm, error), opt Optimizer, cfg OnlineConfig) (*Online, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: resuming from a checkpoint: %w", err)
	}
	m, err := checkpointModel(f)
	if err != nil {
		return nil, fmt.Errorf("train: resuming from %s: %w", path, err)
	}
	if newAlgorithm == nil {
		return nil, errors.New("train: Resume needs a function that builds the algorithm")
	}
	alg, err := newAlgorithm(m)
	if err != nil {
		return nil, fmt.Errorf("train: resuming from %s: %w", path, err)
	}
	o, err := NewOnline(m, alg, opt, cfg)
	if err == nil {
		err = o.restore(f)
	}
	if err != nil {
		alg.Close()
		return nil, fmt.Errorf("train: resuming from %s: %s", path, strings.TrimPrefix(err.Error(), "train: "))
	}
	return o, nil
}

// checkpointModel reads the model a checkpoint holds: its tensors without a learner
// prefix and the model file's metadata, validated as cell.ReadModel validates a model
// file.
func checkpointModel(f *safetensors.File) (*cell.Model, error) {
	if _, ok := f.Metadata[metaFormat]; !ok {
		return nil, fmt.Errorf("not a learner checkpoint (its metadata has no %q; a model file is loaded with cell.LoadModel)", metaFormat)
	}
	mf := &safetensors.File{Tensors: map[string]*safetensors.Tensor{}, Metadata: map[string]string{}}
	for name, t := range f.Tensors {
		if !strings.HasPrefix(name, prefixGrad) && !strings.HasPrefix(name, prefixOptimizer) &&
			!strings.HasPrefix(name, prefixAlgorithm) && !strings.HasPrefix(name, prefixLearner) {
			mf.Tensors[name] = t
		}
	}
	for _, key := range []string{cell.MetaCell, cell.MetaAlpha} {
		if v, ok := f.Metadata[key]; ok {
			mf.Metadata[key] = v
		}
	}
	var buf bytes.Buffer
	if err := safetensors.Encode(&buf, mf); err != nil {
		return nil, err
	}
	return cell.ReadModel(&buf)
}
