package main

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/internal/safetensors"
)

// The stacked and cross-entropy golden files (gen_stack_golden.py: L ∈ {1, 2, 3} ×
// {rnn_tanh, gru, lstm} × {squared error, cross-entropy with ignored steps} × {zero, given
// h0/c0}, T = 9, and an LSTM whose logits reach ±80; and minibatches of B = 3 with given
// [L, B, H] states and B = 4 from zeros, L ∈ {1, 2}, both losses, every kind) hold
// PyTorch's float64 gradient; every exact algorithm must reproduce it.
func TestGradStacksMatchPyTorch(t *testing.T) {
	exact := []string{"bptt", "bptt-checkpoint:3", "tbptt:9,9", "tbptt:2,9", "rtrl", "rtrl:2", "tbptt-adaptive:0.1"}
	models, err := filepath.Glob(filepath.Join("testdata", "stack", "*.model.safetensors"))
	if err != nil || len(models) != 61 {
		t.Fatalf("%d golden cases (%v), want 61 (37 single sequences, 24 minibatches)", len(models), err)
	}
	for _, model := range models {
		base := strings.TrimSuffix(model, ".model.safetensors")
		want, err := safetensors.ReadFile(base + ".grad.safetensors")
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(base)
		for _, algo := range exact {
			out := filepath.Join(t.TempDir(), "g.safetensors")
			code, stdout, stderr := runCmd(t, "grad", "-model", model, "-data", base+".data.safetensors", "-algo", algo, "-out", out)
			if code != 0 || stdout != "" || stderr != "" {
				t.Fatalf("%s %s: exit %d, stdout %q, stderr %q", name, algo, code, stdout, stderr)
			}
			got, err := safetensors.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Names(), want.Names()) {
				t.Fatalf("%s %s: tensors %v, want %v", name, algo, got.Names(), want.Names())
			}
			for _, tn := range want.Names() {
				g, w := got.Tensors[tn], want.Tensors[tn]
				if !slices.Equal(g.Shape, w.Shape) {
					t.Fatalf("%s %s: %s has shape %v, want %v", name, algo, tn, g.Shape, w.Shape)
				}
				scale := 0.0
				for _, v := range w.F32 {
					scale = max(scale, math.Abs(float64(v)))
				}
				for i := range w.F32 {
					if d := math.Abs(float64(g.F32[i] - w.F32[i])); !(d <= 1e-4*scale+1e-6) {
						t.Errorf("%s %s: %s[%d] = %.7g, PyTorch %.7g", name, algo, tn, i, g.F32[i], w.F32[i])
					}
				}
			}
		}
	}
}
