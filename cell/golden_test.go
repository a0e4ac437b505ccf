package cell_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/chronograd/chronograd/cell"
)

// golden is one file written by testdata/gen_golden.py from PyTorch.
type golden struct {
	Kind    string               `json:"kind"`
	Hidden  int                  `json:"hidden"`
	Input   int                  `json:"input"`
	Steps   int                  `json:"steps"`
	Params  map[string][]float64 `json:"params"`
	Inputs  []float64            `json:"inputs"`
	Targets []float64            `json:"targets"`
	H0      []float64            `json:"h0"`
	C0      []float64            `json:"c0"`
	Outputs []float64            `json:"outputs"`
	CN      []float64            `json:"c_n"`
	Loss    float64              `json:"loss"`
	Grad    map[string][]float64 `json:"grad"`
	GradH0  []float64            `json:"grad_h0"`
	GradC0  []float64            `json:"grad_c0"`
}

func loadGolden(t *testing.T, kind string) *golden {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden_"+kind+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("golden_%s.json: %v", kind, err)
	}
	if g.Kind != kind || g.Steps <= 0 || len(g.Inputs) != g.Steps*g.Input || len(g.Outputs) != g.Steps*g.Hidden {
		t.Fatalf("golden_%s.json is inconsistent", kind)
	}
	return &g
}

func to32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// TestPyTorchGolden runs PyTorch's weights and inputs through the cells, forward and
// then backward through time (BPTT built from Backward), and compares outputs, loss and
// every gradient with what nn.RNN / nn.GRU / nn.LSTM computed.
func TestPyTorchGolden(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, kindName := range []string{"rnn_tanh", "rnn_relu", "gru", "lstm"} {
			t.Run(kindName, func(t *testing.T) {
				g := loadGolden(t, kindName)
				kind, err := cell.ParseKind(g.Kind)
				if err != nil {
					t.Fatal(err)
				}
				c, err := cell.New(cell.Config{Kind: kind, Hidden: g.Hidden, Input: g.Input})
				if err != nil {
					t.Fatal(err)
				}
				tensors := c.Layout().Tensors(0)
				for _, tn := range tensors {
					src := g.Params[tn.Name]
					if len(src) != tn.Size() {
						t.Fatalf("%s: golden has %d values, the cell wants %d", tn.Name, len(src), tn.Size())
					}
					copy(tn.Of(c.Params()), to32(src))
				}
				h, in, s, steps := g.Hidden, g.Input, c.StateSize(), g.Steps
				s0 := make([]float32, s)
				copy(s0, to32(g.H0))
				if kind == cell.LSTM {
					copy(s0[h:], to32(g.C0))
				}

				caches := make([]*cell.Cache, steps)
				states := make([][]float32, steps)
				prev := s0
				for step := range steps {
					caches[step] = c.NewCache()
					states[step] = make([]float32, s)
					c.Forward(caches[step], states[step], prev, to32(g.Inputs[step*in:(step+1)*in]))
					prev = states[step]
				}
				var outputs []float32
				for _, st := range states {
					outputs = append(outputs, st[:h]...)
				}
				closeTo(t, "outputs", outputs, g.Outputs, 1e-5, 1e-4)
				if kind == cell.LSTM {
					closeTo(t, "c_n", states[steps-1][h:], g.CN, 1e-5, 1e-4)
				}

				// L = Σ_t ½‖h_t − y_t‖²; δ_t = ∂L/∂s_t accumulates backwards in place.
				var loss float64
				grad := make([]float32, c.NumParams())
				delta := make([]float32, s)
				dh := make([]float32, h)
				for step := steps - 1; step >= 0; step-- {
					loss += float64(cell.SquaredError(dh, states[step][:h], to32(g.Targets[step*h:(step+1)*h])))
					for i := range dh {
						delta[i] += dh[i]
					}
					c.Backward(caches[step], delta, nil, grad, delta)
				}
				if d := loss - g.Loss; d > 1e-4*(1+g.Loss) || d < -1e-4*(1+g.Loss) {
					t.Errorf("loss %v, PyTorch %v", loss, g.Loss)
				}
				for _, tn := range tensors {
					closeTo(t, "grad "+tn.Name, tn.Of(grad), g.Grad[tn.Name], 1e-4, 1e-3)
				}
				closeTo(t, "grad h0", delta[:h], g.GradH0, 1e-4, 1e-3)
				if kind == cell.LSTM {
					closeTo(t, "grad c0", delta[h:], g.GradC0, 1e-4, 1e-3)
				}
			})
		}
	})
}
