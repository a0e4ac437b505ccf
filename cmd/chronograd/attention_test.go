package main

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
)

// train -attention K_ATT,K_TOP[,M] -algo sab:K trains a model with the attention
// component and saves it with its tensors and metadata; bptt takes the flag too.
func TestTrainWithAttention(t *testing.T) {
	dir := t.TempDir()
	for _, algoSpec := range []string{"sab:5", "bptt"} {
		path := filepath.Join(dir, strings.ReplaceAll(algoSpec, ":", "")+".safetensors")
		code, out, errOut := runCmd(t, "train", "-task", "copy", "-length", "10", "-cell", "lstm", "-hidden", "8",
			"-attention", "4,2", "-algo", algoSpec, "-sequences", "5", "-eval-every", "0", "-save", path)
		if code != 0 || errOut != "" {
			t.Fatalf("%s: exit %d, stderr %q\n%s", algoSpec, code, errOut, out)
		}
		if !strings.Contains(out, "+ attention 4,2,inf") {
			t.Errorf("%s: the summary does not name the attention:\n%s", algoSpec, out)
		}
		m, err := cell.LoadModel(path)
		if err != nil {
			t.Fatal(err)
		}
		if m.Attention == nil || m.Attention.Config() != (cell.AttentionConfig{KAtt: 4, KTop: 2}) {
			t.Fatalf("%s: saved model's attention %+v", algoSpec, m.Attention)
		}
	}
}

// Bad attention input is one line naming the value, exit 1: k_top, k_att, k_trunc < 1,
// M < k_top, sab without attention, an algorithm that cannot train an attention model,
// attention tensors of the wrong shape, diagnose on an attention model.
func TestAttentionBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"train", "-attention", "4,0", "-algo", "sab:5"}, "k_top=0 must be at least 1"},
		{[]string{"train", "-attention", "0,2", "-algo", "sab:5"}, "k_att=0 must be at least 1"},
		{[]string{"train", "-attention", "4,3,2", "-algo", "sab:5"}, "M=2 must be at least k_top=3"},
		{[]string{"train", "-attention", "4,2", "-algo", "sab:0"}, "K_TRUNC=0 must be at least 1"},
		{[]string{"train", "-attention", "4", "-algo", "sab:5"}, "want K_ATT,K_TOP or K_ATT,K_TOP,M"},
		{[]string{"train", "-cell", "gru", "-algo", "sab:5"}, "sab needs a model with an attention component"},
		{[]string{"train", "-attention", "4,2", "-algo", "tbptt:5,5"}, "tbptt does not train a gru model with an attention component"},
		{[]string{"train", "-attention", "4,2", "-algo", "rtrl"}, "rtrl does not train"},
		{[]string{"bench", "-algo", "sab:5"}, "sab needs a model with an attention component"},
		{[]string{"bench", "-algo", "sab:5", "-attention", "2,0"}, "k_top=0 must be at least 1"},
	} {
		code, _, errOut := runCmd(t, c.args...)
		if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line with %q", c.args, code, errOut, c.msg)
		}
	}

	// A model file with an attention tensor of the wrong shape; diagnose on a good one.
	m, err := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: 3, Input: 2}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddAttention(cell.AttentionConfig{KAtt: 2, KTop: 1}); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.safetensors")
	if err := m.Save(good); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	f.Tensors["attention.key.weight"].Shape = []int{3, 2}
	f.Tensors["attention.key.weight"].F32 = make([]float32, 6)
	bad := filepath.Join(dir, "bad.safetensors")
	if err := safetensors.WriteFile(bad, f); err != nil {
		t.Fatal(err)
	}
	data := writeSequence(t, dir, 6, 2, 2)
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"grad", "-model", bad, "-data", data, "-out", filepath.Join(dir, "g.safetensors")}, `"attention.key.weight" has shape [3 2], want [3 3]`},
		{[]string{"grad", "-model", good, "-data", data, "-algo", "uoro", "-out", filepath.Join(dir, "g.safetensors")}, "uoro does not train"},
		{[]string{"diagnose", "-model", good, "-data", data}, "attention component"},
	} {
		code, _, errOut := runCmd(t, c.args...)
		if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line with %q", c.args[0], code, errOut, c.msg)
		}
	}
}

// grad on an attention model: -algo bptt is the exact gradient and writes the attention
// gradients under the model's tensor names; sab with k_trunc ≥ T gives the same bits.
func TestGradWithAttention(t *testing.T) {
	dir := t.TempDir()
	m, err := cell.NewModel(cell.Config{Kind: cell.LSTM, Hidden: 4, Input: 2}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddAttention(cell.AttentionConfig{KAtt: 1, KTop: 2, M: 3}); err != nil {
		t.Fatal(err)
	}
	for i, p := range m.ParamGroups() {
		for j := range p {
			p[j] = float32(math.Sin(float64(7*i+j))) * 0.6
		}
	}
	model := filepath.Join(dir, "m.safetensors")
	if err := m.Save(model); err != nil {
		t.Fatal(err)
	}
	data := writeSequence(t, dir, 9, 2, 2)
	outs := map[string]*safetensors.File{}
	for _, a := range []string{"bptt", "sab:9", "sab:2"} {
		out := filepath.Join(dir, strings.ReplaceAll(a, ":", "")+".g.safetensors")
		if code, _, errOut := runCmd(t, "grad", "-model", model, "-data", data, "-algo", a, "-out", out); code != 0 {
			t.Fatalf("grad -algo %s: exit %d: %s", a, code, errOut)
		}
		f, err := safetensors.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		outs[a] = f
	}
	for _, name := range []string{"attention.query.weight", "attention.query.bias", "attention.key.weight", "weight_hh_l0", "head.weight"} {
		full, cover := outs["bptt"].Tensors[name], outs["sab:9"].Tensors[name]
		if full == nil || cover == nil {
			t.Fatalf("no gradient tensor %s", name)
		}
		for i := range full.F32 {
			if math.Float32bits(full.F32[i]) != math.Float32bits(cover.F32[i]) {
				t.Fatalf("%s[%d]: bptt %v, sab:9 %v; want the same bits", name, i, full.F32[i], cover.F32[i])
			}
		}
	}
	if slices.Equal(outs["bptt"].Tensors["weight_hh_l0"].F32, outs["sab:2"].Tensors["weight_hh_l0"].F32) {
		t.Error("sab:2 gives full BPTT's gradient on 9 steps: the truncation cut nothing")
	}
}

// writeSequence writes a sequence file of T steps, I inputs and O float targets.
func writeSequence(t *testing.T, dir string, T, in, out int) string {
	t.Helper()
	x, y := make([]float32, T*in), make([]float32, T*out)
	for i := range x {
		x[i] = float32(math.Cos(float64(3 * i)))
	}
	for i := range y {
		y[i] = float32(math.Sin(float64(5 * i)))
	}
	path := filepath.Join(dir, "seq.safetensors")
	f := &safetensors.File{Tensors: map[string]*safetensors.Tensor{
		"inputs":  {DType: safetensors.F32, Shape: []int{T, in}, F32: x},
		"targets": {DType: safetensors.F32, Shape: []int{T, out}, F32: y},
	}}
	if err := safetensors.WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	return path
}
