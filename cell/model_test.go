package cell_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
)

func randomModel(t *testing.T, cfg cell.Config, out int) *cell.Model {
	t.Helper()
	m, err := cell.NewModel(cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range [][]float32{m.Layers[0].Params(), m.Head.Params()} {
		for i := range p {
			p[i] = float32(rng.NormFloat64())
		}
	}
	return m
}

func TestModelRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, cfg := range testConfigs {
		m := randomModel(t, cfg, 3)
		path := filepath.Join(dir, "m.safetensors")
		if err := m.Save(path); err != nil {
			t.Fatal(err)
		}
		got, err := cell.LoadModel(path)
		if err != nil {
			t.Fatalf("%s: %v", configName(cfg), err)
		}
		if got.Layers[0].Kind() != cfg.Kind || got.Layers[0].HiddenSize() != testH || got.Layers[0].InputSize() != testI ||
			got.Layers[0].Alpha() != m.Layers[0].Alpha() || got.Head.OutSize() != 3 {
			t.Errorf("%s: loaded %v H=%d I=%d α=%v O=%d", configName(cfg), got.Layers[0].Kind(), got.Layers[0].HiddenSize(), got.Layers[0].InputSize(), got.Layers[0].Alpha(), got.Head.OutSize())
		}
		if !slices.Equal(got.Layers[0].Params(), m.Layers[0].Params()) || !slices.Equal(got.Head.Params(), m.Head.Params()) {
			t.Errorf("%s: parameters changed in the round trip", configName(cfg))
		}
		f, err := safetensors.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"bias_hh_l0", "bias_ih_l0", "head.bias", "head.weight", "weight_hh_l0", "weight_ih_l0"}
		if names := f.Names(); !slices.Equal(names, want) {
			t.Errorf("tensors %v, want %v", names, want)
		}
		if s, _ := f.Shape("weight_hh_l0"); !slices.Equal(s, []int{cfg.Kind.Gates() * testH, testH}) {
			t.Errorf("weight_hh_l0 shape %v", s)
		}
		if _, ok := f.Metadata["alpha"]; ok != cfg.Kind.IsVanilla() {
			t.Errorf("%s: alpha in metadata: %v", configName(cfg), ok)
		}
	}
}

// validFile is a model's file content, to be broken one thing at a time.
func validFile(t *testing.T, kind cell.Kind) *safetensors.File {
	m := randomModel(t, cell.Config{Kind: kind, Hidden: testH, Input: testI}, 2)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestModelValidation(t *testing.T) {
	type edit func(f *safetensors.File)
	setShape := func(name string, shape ...int) edit {
		return func(f *safetensors.File) {
			tt := f.Tensors[name]
			tt.Shape = shape
			tt.F32 = make([]float32, tt.Len())
		}
	}
	for _, c := range []struct {
		name string
		kind cell.Kind
		edit edit
		want string
	}{
		{"no cell", cell.LSTM, func(f *safetensors.File) { delete(f.Metadata, "cell") }, `metadata "cell" is missing`},
		{"unknown cell", cell.LSTM, func(f *safetensors.File) { f.Metadata["cell"] = "transformer" }, `unknown cell kind "transformer"`},
		{"alpha 0", cell.RNNTanh, func(f *safetensors.File) { f.Metadata["alpha"] = "0" }, `"alpha" = "0" is not a number in (0, 1]`},
		{"alpha 1.5", cell.RNNTanh, func(f *safetensors.File) { f.Metadata["alpha"] = "1.5" }, `"alpha" = "1.5"`},
		{"alpha NaN", cell.RNNReLU, func(f *safetensors.File) { f.Metadata["alpha"] = "NaN" }, `"alpha" = "NaN"`},
		{"alpha text", cell.RNNTanh, func(f *safetensors.File) { f.Metadata["alpha"] = "half" }, `"alpha" = "half"`},
		{"alpha on gru", cell.GRU, func(f *safetensors.File) { f.Metadata["alpha"] = "0.5" }, "which has no leak"},
		{"missing weight_hh", cell.GRU, func(f *safetensors.File) { delete(f.Tensors, "weight_hh_l0") }, `"weight_hh_l0" is missing`},
		{"missing weight_ih", cell.GRU, func(f *safetensors.File) { delete(f.Tensors, "weight_ih_l0") }, `"weight_ih_l0" is missing`},
		{"missing bias_hh", cell.GRU, func(f *safetensors.File) { delete(f.Tensors, "bias_hh_l0") }, `"bias_hh_l0" is missing`},
		{"missing head.bias", cell.GRU, func(f *safetensors.File) { delete(f.Tensors, "head.bias") }, `"head.bias" is missing`},
		{"missing head.weight", cell.GRU, func(f *safetensors.File) { delete(f.Tensors, "head.weight") }, `"head.weight" is missing`},
		{"gate blocks", cell.LSTM, setShape("weight_hh_l0", 3*testH, testH), `"weight_hh_l0" has shape [21 7], want [28 7]`},
		{"1-D weight", cell.LSTM, setShape("weight_hh_l0", 20), `"weight_hh_l0" has 1 dimensions, want 2`},
		{"weight_ih rows", cell.GRU, setShape("weight_ih_l0", 3*testH+1, testI), `"weight_ih_l0" has shape [22 5], want [21 5]`},
		{"bias length", cell.GRU, setShape("bias_ih_l0", 3*testH-1), `"bias_ih_l0" has shape [20], want [21]`},
		{"head width", cell.RNNTanh, setShape("head.weight", 2, testH+1), `"head.weight" has shape [2 8], want [2 7]`},
		{"head bias", cell.RNNTanh, setShape("head.bias", 3), `"head.bias" has shape [3], want [2]`},
		{"empty input", cell.RNNTanh, setShape("weight_ih_l0", testH, 0), "empty dimension"},
		{"extra tensor", cell.LSTM, func(f *safetensors.File) { f.Tensors["encoder.bias"] = f.Tensors["bias_ih_l0"] }, `unexpected tensor "encoder.bias"`},
		{"half a layer", cell.LSTM, func(f *safetensors.File) { f.Tensors["weight_hh_l1"] = f.Tensors["weight_hh_l0"] }, `"weight_ih_l1" is missing`},
		{"layer gap", cell.GRU, func(f *safetensors.File) {
			for _, n := range []string{"weight_ih", "weight_hh", "bias_ih", "bias_hh"} {
				f.Tensors[n+"_l2"] = f.Tensors[n+"_l0"]
			}
		}, `"weight_ih_l1" is missing`},
		{"prefix", cell.GRU, func(f *safetensors.File) {
			for _, n := range []string{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"} {
				f.Tensors["rnn."+n] = f.Tensors[n]
				delete(f.Tensors, n)
			}
		}, `strip the module prefix rnn.`},
		{"NaN", cell.LSTM, func(f *safetensors.File) { f.Tensors["bias_hh_l0"].F32[4] = float32(math.NaN()) }, `"bias_hh_l0": element 4 is NaN`},
		{"Inf", cell.LSTM, func(f *safetensors.File) { f.Tensors["head.weight"].F32[1] = float32(math.Inf(-1)) }, `"head.weight": element 1 is -Inf`},
	} {
		f := validFile(t, c.kind)
		c.edit(f)
		_, err := cell.ReadModel(bytes.NewReader(rawFile(f)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

func TestLoadModelNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.safetensors")
	m := randomModel(t, testConfigs[0], 1)
	f := &safetensors.File{Tensors: map[string]*safetensors.Tensor{}, Metadata: map[string]string{"cell": "lstm"}}
	for _, tt := range m.Layers[0].Layout().Tensors(0) {
		f.Tensors[tt.Name] = &safetensors.Tensor{DType: safetensors.F32, Shape: tt.Shape, F32: tt.Of(m.Layers[0].Params())}
	}
	if err := safetensors.WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	_, err := cell.LoadModel(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "weight_hh_l0") {
		t.Errorf("error %v should name %s and weight_hh_l0", err, path)
	}
	if _, err := cell.LoadModel(filepath.Join(dir, "absent")); err == nil {
		t.Error("loading a missing file succeeded")
	}
}

func TestSaveRefusesNonFiniteAndKeepsTheOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	m := randomModel(t, testConfigs[4], 2)
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	m.Layers[0].Params()[3] = float32(math.NaN())
	if err := m.Save(path); err == nil {
		t.Fatal("saving NaN weights succeeded")
	}
	after, _ := os.ReadFile(path)
	if !slices.Equal(before, after) {
		t.Error("a failed save changed the file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("a failed save left %d files", len(entries))
	}
}

// rawFile encodes f as safetensors bytes without the writer's checks (it refuses NaN), so
// that the reader's and the model's validation can be tested on any content.
func rawFile(f *safetensors.File) []byte {
	type record struct {
		DType   string `json:"dtype"`
		Shape   []int  `json:"shape"`
		Offsets [2]int `json:"data_offsets"`
	}
	header := map[string]any{"__metadata__": f.Metadata}
	var data []byte
	for _, name := range f.Names() {
		t := f.Tensors[name]
		begin := len(data)
		for _, v := range t.F32 {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
		header[name] = record{DType: "F32", Shape: t.Shape, Offsets: [2]int{begin, len(data)}}
	}
	h, err := json.Marshal(header)
	if err != nil {
		panic(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), data...)
}

// A model written to an io.Writer is the file Save writes, and reads back from an
// io.Reader with the same parameters.
func TestModelWriteToReadModel(t *testing.T) {
	for _, cfg := range testConfigs {
		m := randomModel(t, cfg, 4)
		var buf bytes.Buffer
		n, err := m.WriteTo(&buf)
		if err != nil || n != int64(buf.Len()) {
			t.Fatalf("%s: WriteTo: %d bytes, %v (buffer holds %d)", configName(cfg), n, err, buf.Len())
		}
		path := filepath.Join(t.TempDir(), "m.safetensors")
		if err := m.Save(path); err != nil {
			t.Fatal(err)
		}
		saved, _ := os.ReadFile(path)
		if !bytes.Equal(saved, buf.Bytes()) {
			t.Errorf("%s: WriteTo's bytes differ from Save's", configName(cfg))
		}
		back, err := cell.ReadModel(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if back.Layers[0].Kind() != cfg.Kind || !slices.Equal(back.Layers[0].Params(), m.Layers[0].Params()) || !slices.Equal(back.Head.Params(), m.Head.Params()) {
			t.Errorf("%s: the model read back differs", configName(cfg))
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("%s: the model file's mode is %v (%v), want 0644", configName(cfg), st.Mode().Perm(), err)
		}
	}
	if _, err := cell.ReadModel(strings.NewReader("package main\n\nfunc main() {}\n")); err == nil || !strings.Contains(err.Error(), "not a safetensors file") {
		t.Errorf("a Go file read as a model: %v", err)
	}
	var nilModel *cell.Model
	if err := nilModel.Save(filepath.Join(t.TempDir(), "x")); err == nil {
		t.Error("saving a nil model succeeded")
	}
}

// A twin shares its model's parameters (a write to one is the other's) and steps on its
// own scratch: the two, stepped by two goroutines at once (run with -race), agree with
// the model stepped alone, for a stack with an attention component too.
func TestTwinSharesParametersNotScratch(t *testing.T) {
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		m, err := cell.NewStack(cell.Config{Kind: kind, Hidden: 6, Input: 4}, 2, 3)
		if err != nil {
			t.Fatal(err)
		}
		m.Init(rand.New(rand.NewPCG(uint64(kind), 1)), cell.InitDefault)
		if err := m.AddAttention(cell.AttentionConfig{KAtt: 2, KTop: 1}); err != nil {
			t.Fatal(err)
		}
		tw, err := m.Twin()
		if err != nil {
			t.Fatal(err)
		}
		for k := range m.Layers {
			m.Layers[k].Params()[0] += 1
			if tw.Layers[k].Params()[0] != m.Layers[k].Params()[0] {
				t.Fatalf("%v layer %d: the twin does not see the model's parameter write", kind, k)
			}
		}
		m.Head.Params()[0] += 1
		m.Attention.Params()[0] += 1
		if tw.Head.Params()[0] != m.Head.Params()[0] || tw.Attention.Params()[0] != m.Attention.Params()[0] {
			t.Fatalf("%v: the twin's readout or attention does not share the model's parameters", kind)
		}
		x := []float32{0.3, -0.2, 0.5, 1}
		run := func(mm *cell.Model) []float32 {
			k := mm.NewStepCache()
			s := make([]float32, mm.StateSize())
			for range 20 {
				mm.Forward(k, s, s, x)
			}
			return s
		}
		want := run(m)
		var got [2][]float32
		var wg sync.WaitGroup
		for i, mm := range []*cell.Model{m, tw} {
			wg.Add(1)
			go func() { defer wg.Done(); got[i] = run(mm) }()
		}
		wg.Wait()
		for i := range got {
			if !slices.Equal(got[i], want) {
				t.Errorf("%v: stepped at once, model %d gives other states than the model alone", kind, i)
			}
		}
	}
}
