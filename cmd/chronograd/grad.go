package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
)

// gradData is a sequence file: inputs [T, I]; float targets [T, O] (squared error) or
// integer classes [T] (cross-entropy, cell.IgnoreClass for none); optional h0 and c0 [H]
// (one layer) or [L, H].
type gradData struct {
	xs [][]float32
	ys []cell.Target
	s0 []float32
}

// dataTensors are the tensors a sequence file may hold.
var dataTensors = "inputs, targets or classes, h0, c0"

func loadGradData(path string, m *cell.Model) (*gradData, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d, err := gradDataFrom(f, m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

func gradDataFrom(f *safetensors.File, m *cell.Model) (*gradData, error) {
	h, in, out, layers := m.HiddenSize(), m.InputSize(), m.OutSize(), m.NumLayers()
	shape, err := f.Shape("inputs")
	if err != nil {
		return nil, err
	}
	if len(shape) != 2 {
		return nil, fmt.Errorf("tensor \"inputs\" has shape %v, want [T, I] = [T, %d]", shape, in)
	}
	steps := shape[0]
	if steps == 0 {
		return nil, errors.New("tensor \"inputs\" has T = 0 steps: there is no loss to differentiate")
	}
	if f.Tensors["inputs"].DType.IsInt() {
		return nil, fmt.Errorf("tensor \"inputs\" has dtype %s; inputs are floating point", f.Tensors["inputs"].DType)
	}
	specs := []safetensors.Spec{{Name: "inputs", Shape: []int{steps, in}}}
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
		specs = append(specs, safetensors.Spec{Name: "targets", Shape: []int{steps, out}})
	case hasClasses:
		if !classes.DType.IsInt() {
			return nil, fmt.Errorf("tensor \"classes\" has dtype %s; class targets are integers (I64 or I32)", classes.DType)
		}
		if !slices.Equal(classes.Shape, []int{steps}) {
			return nil, fmt.Errorf("tensor \"classes\" has shape %v, want [T] = [%d]", classes.Shape, steps)
		}
	}
	stateShape := []int{h}
	if layers > 1 {
		stateShape = []int{layers, h}
	}
	for _, name := range []string{"h0", "c0"} {
		t, ok := f.Tensors[name]
		if !ok {
			continue
		}
		if name == "c0" && m.Kind() != cell.LSTM {
			return nil, fmt.Errorf("tensor \"c0\" given for a %v model, which has no cell state", m.Kind())
		}
		if layers == 1 && slices.Equal(t.Shape, []int{1, h}) {
			stateShape = []int{1, h} // PyTorch's [num_layers, H]
		}
		specs = append(specs, safetensors.Spec{Name: name, Shape: stateShape})
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
	d := &gradData{s0: make([]float32, m.StateSize())}
	for k := range layers {
		off := m.StateOffset(k)
		if t, ok := f.Tensors["h0"]; ok {
			copy(d.s0[off:off+h], t.F32[k*h:(k+1)*h])
		}
		if t, ok := f.Tensors["c0"]; ok {
			copy(d.s0[off+h:off+2*h], t.F32[k*h:(k+1)*h])
		}
	}
	x := f.Tensors["inputs"].F32
	var c []int32
	if hasClasses {
		c = make([]int32, steps)
		for t, v := range classes.I64 {
			if v != cell.IgnoreClass && (v < 0 || v >= int64(out)) {
				return nil, fmt.Errorf("classes[%d] = %d is out of range [0, %d) (%d ignores a step)", t, v, out, cell.IgnoreClass)
			}
			c[t] = int32(v)
		}
	}
	for t := range steps {
		d.xs = append(d.xs, x[t*in:(t+1)*in])
		if hasClasses {
			d.ys = append(d.ys, cell.Classes(c[t:t+1]...))
		} else {
			d.ys = append(d.ys, cell.Values(targets.F32[t*out:(t+1)*out]))
		}
	}
	return d, nil
}

// loadModelAndData reads a model file and a sequence file for it.
func loadModelAndData(modelPath, dataPath string) (*cell.Model, *gradData, error) {
	m, err := cell.LoadModel(modelPath)
	if err != nil {
		return nil, nil, err
	}
	data, err := loadGradData(dataPath, m)
	if err != nil {
		return nil, nil, err
	}
	return m, data, nil
}

func runGrad(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("grad", stdout)
	modelPath := fs.String("model", "", "model `file` (safetensors: weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} for each layer k, optional weight_hh_l{k}_mask, head.weight, head.bias; metadata cell, alpha)")
	dataPath := fs.String("data", "", "sequence `file` (safetensors: inputs [T, I]; float targets [T, O] for the squared error or integer classes [T] for the cross-entropy, -100 ignored; optional h0, c0 [H] or [L, H])")
	algoSpec := fs.String("algo", "bptt", "algorithm: "+algo.Forms())
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
	spec, err := algo.Parse(*algoSpec)
	if err != nil {
		return fmt.Errorf("-algo %w", err)
	}
	m, data, err := loadModelAndData(*modelPath, *dataPath)
	if err != nil {
		return err
	}
	alg, err := spec.New(m, algo.Options{Steps: len(data.xs), Seed: *seed})
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
