package main

import (
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
)

// A bad density, mask method or SnAp order is one line on stderr and exit 1.
func TestSparseFlagsRejectBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"train", "-density", "0"}, `invalid value "0" for flag -density: must be in (0, 1]`},
		{[]string{"train", "-density", "1.5"}, `invalid value "1.5" for flag -density: must be in (0, 1]`},
		{[]string{"train", "-density", "-0.2"}, `invalid value "-0.2" for flag -density: must be in (0, 1]`},
		{[]string{"train", "-density", "NaN"}, `invalid value "NaN" for flag -density`},
		{[]string{"train", "-density", "0.5", "-mask", "sideways"}, `-mask "sideways": want random or magnitude`},
		{[]string{"bench", "-density", "0"}, `invalid value "0" for flag -density: must be in (0, 1]`},
		{[]string{"bench", "-density", "2"}, `invalid value "2" for flag -density: must be in (0, 1]`},
		{[]string{"train", "-algo", "snap3"}, `"snap3": unknown algorithm: snap-n is defined for n = 1 and 2 (snap1, snap2)`},
		{[]string{"train", "-algo", "snap0"}, `"snap0": unknown algorithm: snap-n is defined for n = 1 and 2`},
		{[]string{"bench", "-algo", "snap3"}, "snap-n is defined for n = 1 and 2"},
	} {
		code, _, errOut := runCmd(t, c.args...)
		if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line with %q", c.args, code, errOut, c.msg)
		}
	}
}

// train -density trains a sparse model with SnAp-2 and saves it with its mask; grad on
// it writes zeros for the dropped weights; bench -density reports the density.
func TestSparseTrainGradBench(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	code, out, errOut := runCmd(t, "train", "-task", "sine", "-length", "10", "-cell", "gru", "-hidden", "12",
		"-algo", "snap2", "-density", "0.25", "-mask", "magnitude", "-sequences", "20", "-save", path)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
	}
	if !strings.Contains(out, "W_hh density 0.25, magnitude mask") {
		t.Fatalf("the summary does not state the density:\n%s", out)
	}
	m, err := cell.LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	keep := cell.RecurrentMask(m.Layers[0])
	if keep == nil || cell.RecurrentDensity(m.Layers[0]) != 0.25 {
		t.Fatalf("the saved model's mask: %v (density %v)", keep != nil, cell.RecurrentDensity(m.Layers[0]))
	}
	lay := m.Layers[0].Layout()
	for i, kept := range keep {
		if w := m.Layers[0].Params()[lay.WeightHH+i]; !kept && w != 0 {
			t.Fatalf("dropped weight %d is %v after training", i, w)
		}
	}
	// A sequence for grad, from the model's sizes.
	rng := rand.New(rand.NewPCG(1, 1))
	const steps = 6
	xs, ys := make([]float32, steps*m.InputSize()), make([]float32, steps*m.OutSize())
	for i := range xs {
		xs[i] = float32(rng.NormFloat64())
	}
	for i := range ys {
		ys[i] = float32(rng.NormFloat64())
	}
	data := filepath.Join(dir, "d.safetensors")
	if err := safetensors.WriteFile(data, &safetensors.File{Tensors: map[string]*safetensors.Tensor{
		"inputs":  {DType: safetensors.F32, Shape: []int{steps, m.InputSize()}, F32: xs},
		"targets": {DType: safetensors.F32, Shape: []int{steps, m.OutSize()}, F32: ys},
	}}); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"bptt", "rtrl", "snap1", "snap2", "uoro"} {
		grad := filepath.Join(dir, spec+".grad.safetensors")
		if code, _, errOut := runCmd(t, "grad", "-model", path, "-data", data, "-algo", spec, "-out", grad); code != 0 {
			t.Fatalf("grad -algo %s: exit %d: %s", spec, code, errOut)
		}
		g, err := safetensors.ReadFile(grad)
		if err != nil {
			t.Fatal(err)
		}
		w := g.Tensors["weight_hh_l0"].F32
		nonzero := false
		for i, kept := range keep {
			if !kept && w[i] != 0 {
				t.Fatalf("grad -algo %s: dropped weight %d has gradient %v", spec, i, w[i])
			}
			nonzero = nonzero || w[i] != 0
		}
		if !nonzero || g.Tensors[cell.MaskTensorName(0)] == nil {
			t.Fatalf("grad -algo %s: no gradient on the kept weights, or no mask in the file", spec)
		}
	}
	code, out, errOut = runCmd(t, "bench", "-cell", "gru", "-hidden", "16", "-input", "3", "-T", "5", "-algo", "snap2", "-density", "0.1", "-json", "-repeats", "1", "-min-time", "1ms")
	if code != 0 || errOut != "" {
		t.Fatalf("bench: exit %d, stderr %q", code, errOut)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(out), &obj); err != nil || obj["density"] != 0.1 || obj["algo"] != "snap2" || obj["allocs_per_step"] != 0.0 {
		t.Fatalf("bench -json: %s (%v)", out, err)
	}
}
