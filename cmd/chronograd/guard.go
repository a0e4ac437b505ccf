package main

// Guards every command runs before it allocates or writes anything: the -mem-limit flag
// and memory estimates checked against it, model sizes checked without building the
// model, output paths that must not destroy an input, and report directories that are
// created only when there is something to write into them.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/bench"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/fsx"
	"github.com/chronograd/chronograd/internal/memlimit"
	"github.com/chronograd/chronograd/task"
)

// maxRepeats bounds -repeats: a million timed repeats is already days of measuring, and
// more than that is a typo that would otherwise run for years.
const maxRepeats = 1_000_000

// maxBatch is the largest minibatch package algo builds (its constructors refuse more);
// the estimates are refused with its message before they are computed.
const maxBatch = 1 << 16

// checkBatch refuses a -batch the algorithms would refuse.
func checkBatch(b int) error {
	if b > maxBatch {
		return fmt.Errorf("-batch %d is more than %d sequences", b, maxBatch)
	}
	return nil
}

// memLimitFlag registers -mem-limit on fs and returns the limit it sets; unset, the limit
// is the default (half of the memory available to the process).
func memLimitFlag(fs *flag.FlagSet) *memlimit.Limit {
	l := &memlimit.Limit{Hint: "raise it with -mem-limit"}
	fs.Func("mem-limit", fmt.Sprintf("most `bytes` the command may allocate, such as 512MiB, 8GiB or off; a larger estimate is refused before anything is allocated or written (default: half the memory available, %s here)",
		memlimit.FormatBytes(memlimit.Default())), func(s string) error {
		n, err := memlimit.ParseBytes(s)
		if err != nil {
			return err
		}
		l.Bytes = n
		return nil
	})
	return l
}

// budget adds up what a command will allocate, before it allocates it, remembering the
// largest part so that a refusal can say where the memory goes.
type budget struct {
	total   int64
	largest string
	most    int64
}

// add counts n bytes for what.
func (b *budget) add(what string, n int64) {
	if n < 0 {
		n = memlimit.Saturated
	}
	b.total = memlimit.Add(b.total, n)
	if n > b.most || b.largest == "" {
		b.largest, b.most = what, n
	}
}

// check refuses the total when it exceeds l, naming the largest part.
func (b *budget) check(l *memlimit.Limit) error {
	what := "the run"
	if b.largest != "" {
		size := memlimit.FormatBytes(b.most)
		if b.most == memlimit.Saturated {
			size = "more than an int64 counts"
		}
		what = fmt.Sprintf("the run (%s: %s)", b.largest, size)
	}
	return l.Check(what, b.total)
}

// maxParams is the cap on a model's parameters that package cell enforces (2³⁰, 4 GiB of
// float32 weights), checked here in float64 before the sizes are multiplied in int64.
const maxParams = 1 << 30

// modelDims returns the dimensions of a model of the given kind and sizes after checking,
// without building it, that its parameter counts are within the cap: every later
// estimate multiplies these sizes in int64 and must not overflow. Sizes must be
// positive.
func modelDims(kind cell.Kind, layers, hidden, input, output int) (algo.Dims, error) {
	g, h := float64(kind.Gates()), float64(hidden)
	p := g * h * (float64(input) + h + 2)
	p += float64(layers-1) * g * h * (2*h + 2)
	switch {
	case p > maxParams:
		return algo.Dims{}, fmt.Errorf("a %v model with H=%d, I=%d and %d layer(s) would have %.4g parameters, over the limit of %d (2³⁰)", kind, hidden, input, layers, p, maxParams)
	case float64(output)*(h+1) > maxParams:
		return algo.Dims{}, fmt.Errorf("a readout of %d outputs from H=%d would have %.4g parameters, over the limit of %d (2³⁰)", output, hidden, float64(output)*(h+1), maxParams)
	}
	return algo.StackDims(kind, layers, hidden, input, output), nil
}

// paramBytes is the bytes of one copy of every parameter of a model of dimensions d: the
// layers' and the readout's.
func paramBytes(d algo.Dims) int64 { return 4 * (int64(d.P) + int64(d.O)*int64(d.H+1)) }

// modelBytes is what building a model of dimensions d allocates: its parameters and each
// layer's step scratch.
func modelBytes(d algo.Dims) int64 {
	perLayer := 4 * (4*int64(d.G)*int64(d.H) + 2*int64(d.G)*int64(d.S/d.L))
	return paramBytes(d) + int64(d.L)*perLayer
}

// stepCacheBytes is one recorded step's caches, every layer's, with their headers.
func stepCacheBytes(d algo.Dims) int64 {
	var n int64
	for k := range d.L {
		in := d.I
		if k > 0 {
			in = d.H
		}
		n += int64(cell.LayoutOf(d.Kind, d.H, in).CacheBytes()) + 256
	}
	return n
}

// addModel counts a model of dimensions d, the two gradient accumulators its algorithm
// keeps, and the algorithm spec's own memory for sequences of o.Steps steps (and
// minibatches of o.Batch).
func (b *budget) addModel(d algo.Dims, spec algo.Spec, o algo.Options) {
	b.add("the model and its gradient", memlimit.Add(modelBytes(d), paramBytes(d)))
	what := fmt.Sprintf("%s's memory over %d steps", spec, o.Steps)
	if o.Batch > 1 {
		what += fmt.Sprintf(" for a batch of %d", o.Batch)
	}
	b.add(what, spec.Bytes(d, o))
}

// fileBytes is what reading the named files costs: a safetensors file is decoded into
// float32 (or int64) copies, at most about three times its size. Missing files count 0;
// reading them fails later with the usual message.
func fileBytes(paths ...string) int64 {
	var n int64
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			n = memlimit.Add(n, memlimit.Mul(3, st.Size()))
		}
	}
	return n
}

// input names an input file by its flag.
type input struct{ flag, path string }

// checkOutput refuses an output path that would destroy something before any work is
// done: a path that exists and is not a regular file (a directory, a device such as
// /dev/null, a named pipe), a missing directory, and a path that is one of the inputs,
// also through symbolic or hard links (compared by device and inode).
func checkOutput(flagName, out string, inputs ...input) error {
	if err := fsx.CheckOutput(out); err != nil {
		return fmt.Errorf("-%s %w", flagName, err)
	}
	for _, in := range inputs {
		if fsx.CheckOutput(out, in.path) != nil {
			return fmt.Errorf("-%s %s is the -%s file; refusing to overwrite it", flagName, out, in.flag)
		}
	}
	return nil
}

// probeReportDir refuses a report directory that could not be created or written, without
// creating it: the path, if it exists, must be a directory whose report-like files (.csv,
// .json, .svg) are regular files the report may replace, and otherwise its nearest
// existing ancestor must be a directory in which a directory can be made (proved by
// making and removing one).
func probeReportDir(dir string) error {
	if dir == "" {
		return errors.New("-out: the report directory is empty")
	}
	p := dir
	for {
		st, err := os.Stat(p)
		switch {
		case err == nil && !st.IsDir():
			if p == dir {
				return fmt.Errorf("-out %s is not a directory", dir)
			}
			return fmt.Errorf("-out %s: %s is not a directory", dir, p)
		case err == nil:
			if p == dir {
				if err := checkReportFiles(dir); err != nil {
					return err
				}
			}
			probe, err := os.MkdirTemp(p, ".chronograd-probe-")
			if err != nil {
				return fmt.Errorf("-out %s: cannot write in %s: %w", dir, p, unwrapPath(err))
			}
			return os.Remove(probe)
		case errors.Is(err, fs.ErrPermission):
			return fmt.Errorf("-out %s: %w", dir, err)
		}
		// Missing, or below a file (ENOTDIR): look further up.
		parent := filepath.Dir(p)
		if parent == p {
			return fmt.Errorf("-out %s: no existing directory above it", dir)
		}
		p = parent
	}
}

// unwrapPath drops the path a *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// benchBudget is what bench.Measure allocates for c with the given repeats: the model,
// the algorithm, the random sequence and the timings.
func benchBudget(b *budget, c bench.Case, repeats int) error {
	L, B := max(1, c.Layers), max(1, c.Batch)
	if err := checkBatch(B); err != nil {
		return err
	}
	d, err := modelDims(c.Cell, L, c.Hidden, c.Input, c.Output)
	if err != nil {
		return err
	}
	b.addModel(d, c.Algo, algo.Options{Steps: c.T, Batch: B})
	b.add(fmt.Sprintf("the random sequences of %d steps", c.T), memlimit.Product(4, int64(c.T), int64(B), int64(c.Input)+int64(c.Output)))
	b.add("the timings", memlimit.Mul(8, int64(repeats)))
	return nil
}

// checkBench refuses a bench case whose estimate exceeds the limit.
func checkBench(c bench.Case, repeats int, l *memlimit.Limit) error {
	var b budget
	if err := benchBudget(&b, c, repeats); err != nil {
		return err
	}
	return b.check(l)
}

// evalSequences is how many sequences train holds for evaluation at most at once: the
// run's 20 and the final evaluation's 200.
const evalSequences = 20 + 200

// checkTrain refuses a training run whose estimate exceeds the limit: the model, the
// algorithm over minibatches of B sequences of T steps, the optimizer's state and the
// kept copy of the weights, the sequences generated for training and evaluation, and a
// checkpoint's encoding.
func checkTrain(kind cell.Kind, layers, hidden int, tk task.Task, T, B int, spec algo.Spec, optimizer string, l *memlimit.Limit) error {
	if err := checkBatch(B); err != nil {
		return err
	}
	d, err := modelDims(kind, layers, hidden, tk.InputSize(), tk.OutputSize())
	if err != nil {
		return err
	}
	if err := spec.Supports(d); err != nil {
		return fmt.Errorf("-algo %s: %w", spec, err)
	}
	var b budget
	b.addModel(d, spec, algo.Options{Steps: T, Batch: B})
	copies := int64(2) // the weights before an update, and a checkpoint's encoding
	if optimizer == "adam" {
		copies += 2 // first and second moments
	} else {
		copies++ // momentum
	}
	b.add("the optimizer's state and copies of the weights", memlimit.Mul(copies, paramBytes(d)))
	perStep := 4*int64(tk.InputSize()+tk.OutputSize()) + 1
	if tk.Classification() {
		perStep += 4
	}
	seqs := memlimit.Add(evalSequences, int64(B))
	b.add(fmt.Sprintf("%d sequences of %d steps for training and evaluation", seqs, T), memlimit.Product(seqs, int64(T), perStep))
	return b.check(l)
}

// interrupted ends a run stopped by a signal: it saves the model (with -save) and returns
// the error that makes the command exit 1, naming the signal and what was saved.
func interrupted(cause error, m *cell.Model, save string, sequences int, stdout io.Writer) error {
	if save == "" {
		return fmt.Errorf("%v after %d sequences; nothing saved (no -save)", cause, sequences)
	}
	if err := m.Save(save); err != nil {
		return fmt.Errorf("%v after %d sequences; saving the model failed: %w", cause, sequences, err)
	}
	fmt.Fprintf(stdout, "saved %s after %d sequences\n", save, sequences)
	return fmt.Errorf("%v after %d sequences; the model so far is saved in %s", cause, sequences, save)
}

// checkFiles refuses input files whose decoding alone would exceed the limit.
func checkFiles(l *memlimit.Limit, paths ...string) error {
	var b budget
	b.add("reading the input files", fileBytes(paths...))
	return b.check(l)
}

// dataBytes is what a sequence of T steps of B sequences costs once read, besides the
// decoded files (counted by fileBytes): per step an input view and a target, and B
// classes and B initial states' worth of headers.
func dataBytes(T, B int) int64 {
	return memlimit.Mul(int64(T), memlimit.Add(24+int64(targetBytes), memlimit.Mul(4, int64(B))))
}

// targetBytes is the size of a cell.Target: two slice headers.
const targetBytes = 48

// checkGrad refuses a grad run whose estimate for m and T steps exceeds the limit.
func checkGrad(m *cell.Model, T, B int, spec algo.Spec, l *memlimit.Limit, files ...string) error {
	d := algo.DimsOfModel(m)
	if err := spec.Supports(d); err != nil {
		return fmt.Errorf("-algo %s: %w", spec, err)
	}
	var b budget
	b.add("the input files", fileBytes(files...))
	b.add(fmt.Sprintf("the %d steps' views", T), dataBytes(T, B))
	b.addModel(d, spec, algo.Options{Steps: T, Batch: B})
	b.add("the gradient file's encoding", paramBytes(d))
	return b.check(l)
}

// checkDiagnose refuses a diagnose run whose estimate for m and T steps exceeds the
// limit: the sequence copied for package diagnose, a cache and ∂L_t/∂s_t per step, the
// mean adjoints over the lags, and the S×S Jacobian products.
func checkDiagnose(m *cell.Model, T, B, maxLag int, l *memlimit.Limit, files ...string) error {
	d := algo.DimsOfModel(m)
	S := int64(d.S)
	lags := int64(maxLag)
	if lags <= 0 || lags >= int64(T) {
		lags = int64(min(50, T-1))
	}
	var b budget
	b.add("the input files", fileBytes(files...))
	b.add(fmt.Sprintf("the %d steps' views", T), dataBytes(T, B))
	b.add("the model", modelBytes(d))
	perStep := stepCacheBytes(d) + 4*S + 8*int64(d.I+d.O+1) + 8
	b.add(fmt.Sprintf("the caches of %d steps", T), memlimit.Mul(int64(T), perStep))
	b.add(fmt.Sprintf("the mean adjoints over %d lags", lags), memlimit.Product(8, lags+2, S))
	b.add(fmt.Sprintf("the %d×%d Jacobian products", S, S), memlimit.Product(3*4, S, S))
	return b.check(l)
}

// checkReportFiles refuses a report directory holding something that is not a regular
// file under a name of the report's kinds (.csv, .json, .svg): writing the report would
// fail there after the whole sweep.
func checkReportFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("-out %s: %w", dir, unwrapPath(err))
	}
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".csv", ".json", ".svg":
			if err := fsx.CheckOutput(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("-out %s: %w", dir, err)
			}
		}
	}
	return nil
}

// limitOf is the profile's memory limit (the default when none is set).
func limitOf(cfg profileConfig) memlimit.Limit {
	if cfg.limit == nil {
		return memlimit.Limit{}
	}
	return *cfg.limit
}

// caseBytes is the estimate of one bench.Measure of c with the given repeats, or
// memlimit.Saturated when its sizes are over the parameter cap.
func caseBytes(c bench.Case, repeats int) int64 {
	var b budget
	if benchBudget(&b, c, repeats) != nil {
		return memlimit.Saturated
	}
	return b.total
}

// checkProfileRace refuses a profile whose training race would exceed the memory limit
// (the sweep's measurements over it are skipped instead, each with a note).
func checkProfileRace(cfg profileConfig) error {
	limit := limitOf(cfg)
	tk, err := task.New("adding", cfg.trainT)
	if err != nil {
		return err
	}
	for _, spec := range cfg.trainAlgos {
		if err := checkTrain(cell.GRU, 1, cfg.trainHidden, tk, cfg.trainT, 1, spec, "adam", &limit); err != nil {
			return fmt.Errorf("training with %s: %w", spec, err)
		}
	}
	return nil
}

// checkData refuses a data file whose sequences, tensors and encoding would exceed the
// limit, before the first sequence is drawn (a length of 10¹² would be allocated by it).
func checkData(tk task.Task, length, sequences, batch int, l *memlimit.Limit) error {
	T := length
	if c, ok := tk.(task.Copy); ok {
		if T = c.Len(); T < length {
			return fmt.Errorf("-length %d: the copy task's sequences would be longer than an int counts", length)
		}
	}
	perStep := 4*int64(tk.InputSize()+tk.OutputSize()) + 2 // one drawn sequence: values and masks
	values := 4 * int64(tk.InputSize()+tk.OutputSize())    // the file's tensors per step and sequence
	if tk.Classification() {
		values = 4*int64(tk.InputSize()) + 8
	}
	var b budget
	b.add(fmt.Sprintf("a sequence of %d steps", T), memlimit.Mul(int64(T), perStep))
	// The tensors, and their encoding for the file; more values than a data file may hold
	// are refused, with that reason, once the first sequence is drawn.
	if n := memlimit.Product(int64(T), int64(sequences), int64(max(batch, 1))); n <= maxDataValues {
		b.add("the file's tensors and their encoding", memlimit.Product(2, n, values))
	}
	return b.check(l)
}
