package main

import (
	"fmt"
	"io"
	"math"
	"os"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
)

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
	modelPath := fs.String("model", "", "model `file` (safetensors: weight_ih_l0 … head.bias; metadata cell, alpha)")
	dataPath := fs.String("data", "", "sequence `file` (safetensors: inputs [T, I], targets [T, O], optional h0, c0 [H])")
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
