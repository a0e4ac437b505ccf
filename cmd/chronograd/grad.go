package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
)

// gradData is a sequence file: inputs [T, I]; float targets [T, O] (squared error) or
// integer classes [T] (cross-entropy, cell.IgnoreClass for none); optional h0 and c0 [H]
// (one layer) or [L, H]. With a batch axis, PyTorch's sequence-first layout: inputs
// [T, B, I], targets [T, B, O] or classes [T, B], h0 and c0 [L, B, H] (or [L, H], the
// same for every sequence); the loss and the gradient are sums over t and b.
type gradData struct {
	batch int // B; 1 without a batch axis
	xs    [][]float32
	ys    []cell.Target
	s0    []float32 // B rows of S
}

// dataTensors are the tensors a sequence file may hold.
var dataTensors = "inputs, targets or classes, h0, c0"

func loadGradData(path string, m *cell.Model, fits fitsFunc) (*gradData, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d, err := gradDataFrom(f, m, fits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// fitsFunc is asked, once a sequence file's sizes are known to be consistent, whether the
// command's memory for the model, T steps and B sequences fits.
type fitsFunc func(m *cell.Model, T, B int) error

// gradDataFrom checks the sequence file's tensors against m and, when fits is not nil,
// asks it whether the command's memory fits before it builds the per-step views.
func gradDataFrom(f *safetensors.File, m *cell.Model, fits fitsFunc) (*gradData, error) {
	h, in, out, layers := m.HiddenSize(), m.InputSize(), m.OutSize(), m.NumLayers()
	shape, err := f.Shape("inputs")
	if err != nil {
		return nil, err
	}
	var steps, B int
	batched := len(shape) == 3
	switch {
	case len(shape) == 2:
		steps, B = shape[0], 1
	case batched:
		steps, B = shape[0], shape[1]
	default:
		return nil, fmt.Errorf("tensor \"inputs\" has shape %v, want [T, I] = [T, %d] or [T, B, I] = [T, B, %d]", shape, in, in)
	}
	if shape[len(shape)-1] != in {
		if batched {
			return nil, fmt.Errorf("tensor \"inputs\" has shape %v, want [T, B, I] = [T, B, %d]", shape, in)
		}
		return nil, fmt.Errorf("tensor \"inputs\" has shape %v, want [T, I] = [T, %d]", shape, in)
	}
	if steps == 0 {
		return nil, errors.New("tensor \"inputs\" has T = 0 steps: there is no loss to differentiate")
	}
	if B == 0 {
		return nil, fmt.Errorf("tensor \"inputs\" has shape %v: a batch of B = 0 sequences", shape)
	}
	if f.Tensors["inputs"].DType.IsInt() {
		return nil, fmt.Errorf("tensor \"inputs\" has dtype %s; inputs are floating point", f.Tensors["inputs"].DType)
	}
	// lead is the shape's leading axes: [T] or [T, B]; named says what they are.
	lead, named := []int{steps}, fmt.Sprintf("[T] = [%d]", steps)
	if batched {
		lead, named = []int{steps, B}, fmt.Sprintf("[T, B] = [%d, %d] (the axes of \"inputs\")", steps, B)
	}
	with := func(last ...int) []int { return append(slices.Clone(lead), last...) }
	specs := []safetensors.Spec{{Name: "inputs", Shape: shape}}
	targets, hasTargets := f.Tensors["targets"]
	classes, hasClasses := f.Tensors["classes"]
	switch {
	case hasTargets && hasClasses:
		return nil, errors.New("the file holds both \"targets\" (squared error) and \"classes\" (cross-entropy); give one")
	case !hasTargets && !hasClasses:
		return nil, fmt.Errorf("the file holds neither \"targets\" [T, O] (squared error) nor \"classes\" [T] (cross-entropy); it holds %s", strings.Join(f.Names(), ", "))
	case hasTargets:
		if targets.DType.IsInt() {
			return nil, fmt.Errorf("tensor \"targets\" has dtype %s; squared-error targets are floating point (integer class targets go in \"classes\")", targets.DType)
		}
		if want := with(out); !slices.Equal(targets.Shape, want) {
			return nil, fmt.Errorf("tensor \"targets\" has shape %v, want %v: %s and O = %d", targets.Shape, want, named, out)
		}
	case hasClasses:
		if !classes.DType.IsInt() {
			return nil, fmt.Errorf("tensor \"classes\" has dtype %s; class targets are integers (I64 or I32)", classes.DType)
		}
		if !slices.Equal(classes.Shape, lead) {
			return nil, fmt.Errorf("tensor \"classes\" has shape %v, want %s", classes.Shape, named)
		}
	}
	// States: [H] or [1, H] for one layer, [L, H]; with a batch axis [L, B, H] or [L, H]
	// (broadcast over the batch).
	broadcast := map[string]bool{}
	for _, name := range []string{"h0", "c0"} {
		t, ok := f.Tensors[name]
		if !ok {
			continue
		}
		if name == "c0" && m.Kind() != cell.LSTM {
			return nil, fmt.Errorf("tensor \"c0\" given for a %v model, which has no cell state", m.Kind())
		}
		ok = slices.Equal(t.Shape, []int{layers, h}) || (layers == 1 && !batched && slices.Equal(t.Shape, []int{h}))
		broadcast[name] = ok && batched
		if batched && slices.Equal(t.Shape, []int{layers, B, h}) {
			ok = true
		}
		if !ok {
			want := fmt.Sprintf("[L, H] = [%d, %d]", layers, h)
			switch {
			case batched:
				want = fmt.Sprintf("[L, B, H] = [%d, %d, %d] (B of \"inputs\") or [L, H] = [%d, %d]", layers, B, h, layers, h)
			case layers == 1:
				want = fmt.Sprintf("[H] = [%d] or [L, H] = [1, %d]", h, h)
			}
			return nil, fmt.Errorf("tensor %q has shape %v, want %s", name, t.Shape, want)
		}
		if t.DType.IsInt() {
			return nil, fmt.Errorf("tensor %q has dtype %s; states are floating point", name, t.DType)
		}
	}
	var extra []string
	for _, name := range f.Names() {
		switch name {
		case "inputs", "targets", "classes", "h0", "c0":
		default:
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		return nil, fmt.Errorf("unexpected tensor %q (a sequence file holds %s)", extra[0], dataTensors)
	}
	if err := f.Require(false, specs...); err != nil {
		return nil, err
	}
	if fits != nil {
		if err := fits(m, steps, B); err != nil {
			return nil, err
		}
	}
	S := m.StateSize()
	d := &gradData{batch: B, s0: make([]float32, B*S)}
	for name, part := range map[string]int{"h0": 0, "c0": h} {
		t, ok := f.Tensors[name]
		if !ok {
			continue
		}
		for b := range B {
			for k := range layers {
				src := (k*B + b) * h // [L, B, H]
				if !batched || broadcast[name] {
					src = k * h
				}
				off := b*S + m.StateOffset(k) + part
				copy(d.s0[off:off+h], t.F32[src:src+h])
			}
		}
	}
	x := f.Tensors["inputs"].F32
	var c []int32
	if hasClasses {
		c = make([]int32, steps*B)
		for i, v := range classes.I64 {
			if v != cell.IgnoreClass && (v < 0 || v >= int64(out)) {
				at := fmt.Sprint(i)
				if batched {
					at = fmt.Sprintf("%d, %d", i/B, i%B)
				}
				return nil, fmt.Errorf("classes[%s] = %d is out of range [0, %d) (%d ignores a step)", at, v, out, cell.IgnoreClass)
			}
			c[i] = int32(v)
		}
	}
	for t := range steps {
		d.xs = append(d.xs, x[t*B*in:(t+1)*B*in])
		if hasClasses {
			d.ys = append(d.ys, cell.Classes(c[t*B:(t+1)*B]...))
		} else {
			d.ys = append(d.ys, cell.Values(targets.F32[t*B*out:(t+1)*B*out]))
		}
	}
	return d, nil
}

// loadModelAndData reads a model file and a sequence file for it. fits, when not nil, is
// asked whether the command's memory fits once both files are read and before anything
// per step is built.
func loadModelAndData(modelPath, dataPath string, fits fitsFunc) (*cell.Model, *gradData, error) {
	m, err := cell.LoadModel(modelPath)
	if err != nil {
		return nil, nil, err
	}
	data, err := loadGradData(dataPath, m, fits)
	if err != nil {
		return nil, nil, err
	}
	return m, data, nil
}

func runGrad(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("grad", stdout)
	modelPath := fs.String("model", "", "model `file` (safetensors: weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} for each layer k, optional weight_hh_l{k}_mask, head.weight, head.bias; metadata cell, alpha; a model with the attention component adds metadata attention, k_att, k_top, M and tensors attention.query.weight, attention.query.bias, attention.key.weight)")
	dataPath := fs.String("data", "", "sequence `file` (safetensors: inputs [T, I]; float targets [T, O] for the squared error or integer classes [T] for the cross-entropy, -100 ignored; optional h0, c0 [H] or [L, H]; with a batch axis inputs [T, B, I], targets [T, B, O] or classes [T, B], h0, c0 [L, B, H]: loss and gradient are sums over the batch)")
	algoSpec := fs.String("algo", "bptt", "algorithm: "+algo.Forms())
	seed := fs.Uint64("seed", 1, "seed of randomised algorithms")
	outPath := fs.String("out", "", "gradient `file` to write (safetensors: the model's tensor names, plus loss [1])")
	limit := memLimitFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	for _, f := range []struct{ name, value string }{{"model", *modelPath}, {"data", *dataPath}, {"out", *outPath}} {
		if f.value == "" {
			return fmt.Errorf("-%s is required", f.name)
		}
	}
	if err := checkOutput("out", *outPath, input{"model", *modelPath}, input{"data", *dataPath}); err != nil {
		return err
	}
	spec, err := algo.Parse(*algoSpec)
	if err != nil {
		return fmt.Errorf("-algo %w", err)
	}
	if err := checkFiles(limit, *modelPath, *dataPath); err != nil {
		return err
	}
	m, data, err := loadModelAndData(*modelPath, *dataPath, func(m *cell.Model, T, B int) error {
		return checkGrad(m, T, B, spec, limit, *modelPath, *dataPath)
	})
	if err != nil {
		return err
	}
	opts := algo.Options{Steps: len(data.xs), Seed: *seed, Batch: data.batch, MemLimit: limit.Bytes}
	alg, err := spec.New(m, opts)
	if err != nil {
		return fmt.Errorf("-algo %s: %w", *algoSpec, err)
	}
	defer alg.Close()
	loss, err := runSequence(alg, data)
	if err != nil {
		return err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return fmt.Errorf("the loss is %v: the model diverges on this sequence; no gradient written", loss)
	}
	// A sparse model's dropped weights are no parameters: their gradient is zero.
	m.MaskGrad(alg.GradCell())
	return m.SaveVectors(*outPath, alg.GradCell(), alg.GradHead(), cell.Vector{Name: "loss", Shape: []int{1}, Data: []float32{float32(loss)}})
}

// runSequence feeds the sequence to the algorithm and returns L = Σ_t ℓ_t.
func runSequence(alg algo.Algorithm, d *gradData) (float64, error) {
	if s, ok := alg.(algo.Sequencer); ok {
		l, err := s.RunSequence(d.s0, d.xs, d.ys)
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
