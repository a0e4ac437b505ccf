package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
)

// gradAlgorithm is the streaming shape every credit-assignment algorithm shares (package
// bptt's Algorithm; package rtrl has the same method set).
type gradAlgorithm interface {
	Reset(s0 []float32) error
	Step(x, y []float32) (float32, error)
	Finish() error
	GradCell() []float32
	GradHead() []float32
}

// sequencer is implemented by algorithms that do better with the whole sequence at once
// (checkpointed BPTT reads the inputs again instead of copying them).
type sequencer interface {
	Sequence(s0 []float32, xs, ys [][]float32) (float32, error)
}

// gradRun is what an algorithm's constructor may use besides the model.
type gradRun struct {
	steps int    // T, the sequence length
	seed  uint64 // for randomised algorithms (UORO)
}

// builder constructs an algorithm for a model and a run.
type builder = func(m *cell.Model, r gradRun) (gradAlgorithm, error)

// gradAlgo is one -algo choice: its name, the form of its parameters after the colon,
// and a parser that validates them before any file is read and returns the constructor.
type gradAlgo struct {
	name, params string
	parse        func(arg string) (builder, error)
}

// gradAlgos lists the algorithms of `chronograd grad`, one entry each: the rtrl package's
// constructors (same method set) plug in the same way, and a parameter of another kind
// (tbptt-adaptive:δ) needs only a parser beside intParams.
var gradAlgos = []gradAlgo{
	{"bptt", "", noParams(func(m *cell.Model, _ gradRun) (gradAlgorithm, error) { return as(bptt.NewFull(m.Cell, m.Head)) })},
	// More than T slots cannot help, and clamping keeps a huge S from allocating.
	{"bptt-checkpoint", "S", intParams("S", func(m *cell.Model, r gradRun, p []int) (gradAlgorithm, error) {
		return as(bptt.NewCheckpointed(m.Cell, m.Head, max(1, min(p[0], r.steps))))
	})},
	{"tbptt", "K1,K2", intParams("K1,K2", func(m *cell.Model, _ gradRun, p []int) (gradAlgorithm, error) {
		return as(bptt.NewTruncated(m.Cell, m.Head, p[0], p[1]))
	}, orderedK1K2)},
}

// as converts a concrete algorithm and its constructor's error.
func as[A gradAlgorithm](a A, err error) (gradAlgorithm, error) {
	if err != nil {
		return nil, err
	}
	return a, nil
}

func noParams(build builder) func(string) (builder, error) {
	return func(arg string) (builder, error) {
		if arg != "" {
			return nil, fmt.Errorf("takes no parameters, got %q", arg)
		}
		return build, nil
	}
}

// intParams parses the comma-separated positive integers named by names ("K1,K2") and
// runs the checks on them.
func intParams(names string, build func(*cell.Model, gradRun, []int) (gradAlgorithm, error), checks ...func([]int) error) func(string) (builder, error) {
	name := strings.Split(names, ",")
	return func(arg string) (builder, error) {
		fields := strings.Split(arg, ",")
		if arg == "" || len(fields) != len(name) {
			return nil, fmt.Errorf("needs %d integer parameter(s) %s, got %q", len(name), names, arg)
		}
		p := make([]int, len(name))
		for i, f := range fields {
			v, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("%s=%q is not an integer", name[i], f)
			}
			if v < 1 {
				return nil, fmt.Errorf("%s=%d must be at least 1", name[i], v)
			}
			p[i] = v
		}
		for _, check := range checks {
			if err := check(p); err != nil {
				return nil, err
			}
		}
		return func(m *cell.Model, r gradRun) (gradAlgorithm, error) { return build(m, r, p) }, nil
	}
}

func orderedK1K2(p []int) error {
	if p[1] < p[0] {
		return fmt.Errorf("K2=%d must be at least K1=%d", p[1], p[0])
	}
	return nil
}

func (a gradAlgo) form() string {
	if a.params == "" {
		return a.name
	}
	return a.name + ":" + a.params
}

// algoForms lists the -algo forms, comma-separated.
func algoForms() string {
	var forms []string
	for _, a := range gradAlgos {
		forms = append(forms, a.form())
	}
	return strings.Join(forms, ", ")
}

// parseAlgo maps NAME or NAME:PARAMS to a constructor.
func parseAlgo(spec string) (builder, error) {
	name, arg, _ := strings.Cut(spec, ":")
	for _, a := range gradAlgos {
		form := a.form()
		if a.name == name {
			build, err := a.parse(arg)
			if err != nil {
				return nil, fmt.Errorf("-algo %s: %v (the form is %s)", spec, err, form)
			}
			return build, nil
		}
	}
	return nil, fmt.Errorf("-algo %q: unknown algorithm (want one of %s)", spec, algoForms())
}

// gradData is a sequence file: inputs [T, I], targets [T, O], optional h0 and c0 [H].
type gradData struct {
	xs, ys [][]float32
	s0     []float32
}

func loadGradData(path string, m *cell.Model) (*gradData, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	h, in, out := m.Cell.HiddenSize(), m.Cell.InputSize(), m.Head.OutSize()
	shape, err := f.Shape("inputs")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(shape) != 2 {
		return nil, fmt.Errorf("%s: tensor \"inputs\" has %d dimensions, want 2 ([T, I])", path, len(shape))
	}
	steps := shape[0]
	specs := []safetensors.Spec{{Name: "inputs", Shape: []int{steps, in}}, {Name: "targets", Shape: []int{steps, out}}}
	if _, ok := f.Tensors["h0"]; ok {
		specs = append(specs, safetensors.Spec{Name: "h0", Shape: []int{h}})
	}
	if _, ok := f.Tensors["c0"]; ok {
		if m.Cell.Kind() != cell.LSTM {
			return nil, fmt.Errorf("%s: tensor \"c0\" given for a %v cell, which has no cell state", path, m.Cell.Kind())
		}
		specs = append(specs, safetensors.Spec{Name: "c0", Shape: []int{h}})
	}
	if err := f.Require(true, specs...); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d := &gradData{s0: make([]float32, m.Cell.StateSize())}
	if t, ok := f.Tensors["h0"]; ok {
		copy(d.s0[:h], t.F32)
	}
	if t, ok := f.Tensors["c0"]; ok {
		copy(d.s0[h:], t.F32)
	}
	x, y := f.Tensors["inputs"].F32, f.Tensors["targets"].F32
	for t := range steps {
		d.xs = append(d.xs, x[t*in:(t+1)*in])
		d.ys = append(d.ys, y[t*out:(t+1)*out])
	}
	return d, nil
}

func runGrad(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("grad", stdout)
	modelPath := fs.String("model", "", "model `file` (safetensors: weight_ih_l0 … head.bias; metadata cell, alpha)")
	dataPath := fs.String("data", "", "sequence `file` (safetensors: inputs [T, I], targets [T, O], optional h0, c0 [H])")
	algoSpec := fs.String("algo", "bptt", "algorithm: "+algoForms())
	seed := fs.Uint64("seed", 1, "seed of randomised algorithms")
	outPath := fs.String("out", "", "gradient `file` to write (safetensors: the model's tensor names, plus loss [1])")
	if err := parse(fs, args); err != nil {
		return err
	}
	for _, f := range []struct{ name, value string }{{"model", *modelPath}, {"data", *dataPath}, {"out", *outPath}} {
		if f.value == "" {
			return fmt.Errorf("-%s is required", f.name)
		}
	}
	for _, in := range []struct{ flag, path string }{{"model", *modelPath}, {"data", *dataPath}} {
		if sameFile(in.path, *outPath) {
			return fmt.Errorf("-out %s is the -%s file; refusing to overwrite it", *outPath, in.flag)
		}
	}
	build, err := parseAlgo(*algoSpec)
	if err != nil {
		return err
	}
	m, err := cell.LoadModel(*modelPath)
	if err != nil {
		return err
	}
	data, err := loadGradData(*dataPath, m)
	if err != nil {
		return err
	}
	alg, err := build(m, gradRun{steps: len(data.xs), seed: *seed})
	if err != nil {
		return fmt.Errorf("-algo %s: %w", *algoSpec, err)
	}
	loss, err := runSequence(alg, data)
	if err != nil {
		return err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return fmt.Errorf("the loss is %v: the model diverges on this sequence; no gradient written", loss)
	}
	lossT := &safetensors.Tensor{DType: safetensors.F32, Shape: []int{1}, F32: []float32{float32(loss)}}
	return m.SaveVectors(*outPath, alg.GradCell(), alg.GradHead(), map[string]*safetensors.Tensor{"loss": lossT})
}

// sameFile reports whether both paths name one existing file.
func sameFile(a, b string) bool {
	ia, err := os.Stat(a)
	if err != nil {
		return false
	}
	ib, err := os.Stat(b)
	return err == nil && os.SameFile(ia, ib)
}

// runSequence feeds the sequence to the algorithm and returns L = Σ_t ℓ_t.
func runSequence(alg gradAlgorithm, d *gradData) (float64, error) {
	if s, ok := alg.(sequencer); ok {
		l, err := s.Sequence(d.s0, d.xs, d.ys)
		return float64(l), err
	}
	if err := alg.Reset(d.s0); err != nil {
		return 0, err
	}
	var sum float64
	for t, x := range d.xs {
		l, err := alg.Step(x, d.ys[t])
		if err != nil {
			return 0, fmt.Errorf("step %d: %w", t, err)
		}
		sum += float64(l)
	}
	return sum, alg.Finish()
}
