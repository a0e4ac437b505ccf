package cell_test

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
)

func attentionModel(t *testing.T, kind cell.Kind, layers int, cfg cell.AttentionConfig) *cell.Model {
	t.Helper()
	m, err := cell.NewStack(cell.Config{Kind: kind, Hidden: testH, Input: testI}, layers, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddAttention(cfg); err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(8, 9)), cell.InitDefault)
	return m
}

// A model with attention saves its component (metadata attention = sab, k_att, k_top, M;
// the three tensors with their PyTorch names) and loads back the same.
func TestAttentionModelRoundTrip(t *testing.T) {
	for _, cfg := range []cell.AttentionConfig{{KAtt: 4, KTop: 2}, {KAtt: 1, KTop: 3, M: 7}} {
		m := attentionModel(t, cell.LSTM, 2, cfg)
		path := filepath.Join(t.TempDir(), "m.safetensors")
		if err := m.Save(path); err != nil {
			t.Fatal(err)
		}
		got, err := cell.LoadModel(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Attention == nil || got.Attention.Config() != cfg {
			t.Fatalf("loaded attention %+v, want %+v", got.Attention, cfg)
		}
		if !slices.Equal(got.Attention.Params(), m.Attention.Params()) {
			t.Error("attention parameters changed in the round trip")
		}
		if got.NumParams() != m.NumParams() || len(m.LayersVector(make([]float32, m.NumParams())))+m.Attention.NumParams() != m.NumParams() {
			t.Errorf("NumParams %d, loaded %d: not the layers' and the attention's", m.NumParams(), got.NumParams())
		}
		f, err := safetensors.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"attention.query.weight", "attention.query.bias", "attention.key.weight"} {
			if _, ok := f.Tensors[n]; !ok {
				t.Errorf("no tensor %s", n)
			}
		}
		if s, _ := f.Shape("attention.query.weight"); !slices.Equal(s, []int{testH, testH}) {
			t.Errorf("attention.query.weight has shape %v", s)
		}
		wantM := "inf"
		if cfg.M > 0 {
			wantM = "7"
		}
		if f.Metadata["attention"] != "sab" || f.Metadata["k_att"] != strconv.Itoa(cfg.KAtt) || f.Metadata["k_top"] != strconv.Itoa(cfg.KTop) || f.Metadata["M"] != wantM {
			t.Errorf("metadata %v", f.Metadata)
		}
		// The flat cell vector holds the attention after the layers, as Tensors says.
		flat := make([]float32, m.NumParams())
		m.CopyParams(flat)
		if !slices.Equal(m.AttentionVector(flat), m.Attention.Params()) {
			t.Error("CopyParams does not put the attention's parameters where AttentionVector reads them")
		}
		ts := m.Tensors()
		if last := ts[len(ts)-1]; last.Name != "attention.key.weight" || last.Offset+last.Size() != m.NumParams() {
			t.Errorf("last tensor %+v, want attention.key.weight ending at %d", last, m.NumParams())
		}
		if g := m.ParamGroups(); len(g) != 4 || &g[2][0] != &m.Attention.Params()[0] {
			t.Error("ParamGroups does not hold the attention's parameters between the layers' and the head's")
		}
	}
}

// A bad attention in a model file is one line naming the key or tensor at fault.
func TestAttentionModelValidation(t *testing.T) {
	valid := func(t *testing.T) *safetensors.File {
		m := attentionModel(t, cell.GRU, 1, cell.AttentionConfig{KAtt: 3, KTop: 2, M: 5})
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		f, err := safetensors.ReadStream(&buf, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	setShape := func(name string, shape ...int) func(f *safetensors.File) {
		return func(f *safetensors.File) {
			tt := f.Tensors[name]
			tt.Shape = shape
			tt.F32 = make([]float32, tt.Len())
		}
	}
	for _, c := range []struct {
		name string
		edit func(f *safetensors.File)
		want string
	}{
		{"k_top 0", func(f *safetensors.File) { f.Metadata["k_top"] = "0" }, "k_top=0 must be at least 1"},
		{"k_att 0", func(f *safetensors.File) { f.Metadata["k_att"] = "0" }, "k_att=0 must be at least 1"},
		{"M below k_top", func(f *safetensors.File) { f.Metadata["M"] = "1" }, "M=1 must be at least k_top=2"},
		{"M text", func(f *safetensors.File) { f.Metadata["M"] = "many" }, `"M": the slot count M="many" is not an integer or inf`},
		{"k_att text", func(f *safetensors.File) { f.Metadata["k_att"] = "x" }, `"k_att" = "x" is not an integer`},
		{"no k_top", func(f *safetensors.File) { delete(f.Metadata, "k_top") }, `metadata "k_top" is missing`},
		{"unknown attention", func(f *safetensors.File) { f.Metadata["attention"] = "softmax" }, `"attention" = "softmax"`},
		{"stray k_att", func(f *safetensors.File) { delete(f.Metadata, "attention") }, `metadata "k_att" without "attention" = "sab"`},
		{"query shape", setShape("attention.query.weight", testH, testH+1), `"attention.query.weight" has shape [7 8], want [7 7]`},
		{"key shape", setShape("attention.key.weight", testH), `"attention.key.weight" has shape [7], want [7 7]`},
		{"bias shape", setShape("attention.query.bias", testH+2), `"attention.query.bias" has shape [9], want [7]`},
		{"missing key", func(f *safetensors.File) { delete(f.Tensors, "attention.key.weight") }, `"attention.key.weight" is missing`},
		{"tensors without metadata", func(f *safetensors.File) {
			for _, k := range []string{"attention", "k_att", "k_top", "M"} {
				delete(f.Metadata, k)
			}
		}, `unexpected tensor "attention.`},
	} {
		f := valid(t)
		c.edit(f)
		_, err := cell.ReadModel(bytes.NewReader(rawFile(f)))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line with %q", c.name, err, c.want)
		}
	}
}

// ParseAttention reads the command line's K_ATT,K_TOP[,M] and names the value at fault.
func TestParseAttention(t *testing.T) {
	for in, want := range map[string]cell.AttentionConfig{
		"4,2": {KAtt: 4, KTop: 2}, "4,2,inf": {KAtt: 4, KTop: 2}, "10,5,30": {KAtt: 10, KTop: 5, M: 30}, "1,1,1": {KAtt: 1, KTop: 1, M: 1},
	} {
		got, err := cell.ParseAttention(in)
		if err != nil || got != want {
			t.Errorf("ParseAttention(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"0,2":     "k_att=0 must be at least 1",
		"4,0":     "k_top=0 must be at least 1",
		"4,-1":    "k_top=-1 must be at least 1",
		"4,3,2":   "M=2 must be at least k_top=3",
		"4,3,0":   "M=0 must be at least 1",
		"4":       "want K_ATT,K_TOP or K_ATT,K_TOP,M",
		"a,2":     `k_att="a" is not an integer`,
		"4,2,1,1": "want K_ATT,K_TOP",
		"4,9999":  "k_top=9999 is more than 4096",
	} {
		_, err := cell.ParseAttention(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseAttention(%q): %v, want %q", in, err, want)
		}
	}
}

// A Runner steps a model without attention exactly as Model.Forward does.
func TestRunnerWithoutAttentionIsForward(t *testing.T) {
	m := randomModel(t, cell.Config{Kind: cell.GRU, Hidden: testH, Input: testI}, 2)
	r := m.NewRunner()
	r.Reset(nil)
	k := m.NewStepCache()
	s := make([]float32, m.StateSize())
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, testI)
	for range 5 {
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		m.Forward(k, s, s, x)
		if got := r.Step(x); !slices.Equal(got, s) {
			t.Fatalf("runner state %v, Forward %v", got, s)
		}
	}
}
