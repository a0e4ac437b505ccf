package main

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
)

var goldenKinds = []string{"rnn_tanh", "rnn_relu", "gru", "lstm"}

func golden(kind, what string) string {
	return filepath.Join("testdata", "grad_"+kind+"."+what+".safetensors")
}

// The golden files hold PyTorch's gradient (gen_grad_golden.py, T = 8); every algorithm
// that computes the exact gradient must reproduce it.
func TestGradMatchesPyTorch(t *testing.T) {
	exact := []string{"bptt", "bptt-checkpoint:1", "bptt-checkpoint:3", "bptt-checkpoint:100",
		"tbptt:8,8", "tbptt:3,8", "tbptt:100,200", "tbptt:1,9", "rtrl", "rtrl:3"}
	for _, kind := range goldenKinds {
		want, err := safetensors.ReadFile(golden(kind, "grad"))
		if err != nil {
			t.Fatal(err)
		}
		for _, algo := range exact {
			out := filepath.Join(t.TempDir(), "g.safetensors")
			code, stdout, stderr := runCmd(t, "grad", "-model", golden(kind, "model"), "-data", golden(kind, "data"), "-algo", algo, "-out", out)
			if code != 0 || stdout != "" || stderr != "" {
				t.Fatalf("%s %s: exit %d, stdout %q, stderr %q", kind, algo, code, stdout, stderr)
			}
			got, err := safetensors.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Names(), want.Names()) {
				t.Fatalf("%s %s: tensors %v, want %v", kind, algo, got.Names(), want.Names())
			}
			for _, name := range want.Names() {
				g, w := got.Tensors[name], want.Tensors[name]
				if !slices.Equal(g.Shape, w.Shape) || g.DType != safetensors.F32 {
					t.Fatalf("%s %s: %s is %s %v, want F32 %v", kind, algo, name, g.DType, g.Shape, w.Shape)
				}
				for i := range w.F32 {
					if d := math.Abs(float64(g.F32[i] - w.F32[i])); d > 2e-5+1e-4*math.Abs(float64(w.F32[i])) {
						t.Errorf("%s %s: %s[%d] = %.7g, PyTorch %.7g", kind, algo, name, i, g.F32[i], w.F32[i])
					}
				}
			}
		}
	}
}

// A window shorter than the sequence must give a different gradient: the golden test
// above would otherwise not notice an algorithm that ignores its window.
func TestGradTruncatedDiffers(t *testing.T) {
	out := filepath.Join(t.TempDir(), "g.safetensors")
	if code, _, stderr := runCmd(t, "grad", "-model", golden("gru", "model"), "-data", golden("gru", "data"), "-algo", "tbptt:2,3", "-out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, _ := safetensors.ReadFile(out)
	want, _ := safetensors.ReadFile(golden("gru", "grad"))
	if slices.Equal(got.Tensors["weight_hh_l0"].F32, want.Tensors["weight_hh_l0"].F32) {
		t.Error("tbptt:2,3 gave the full gradient")
	}
	if got.Tensors["loss"].F32[0] != want.Tensors["loss"].F32[0] && math.Abs(float64(got.Tensors["loss"].F32[0]-want.Tensors["loss"].F32[0])) > 1e-4 {
		t.Errorf("loss %v, want the full loss %v", got.Tensors["loss"].F32[0], want.Tensors["loss"].F32[0])
	}
}

// variant rewrites a golden file with edits applied to its tensors and metadata.
func variant(t *testing.T, src, dst string, edit func(f *safetensors.File)) string {
	t.Helper()
	f, err := safetensors.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata == nil {
		f.Metadata = map[string]string{}
	}
	edit(f)
	if err := safetensors.WriteFile(dst, f); err != nil {
		t.Fatal(err)
	}
	return dst
}

func resize(f *safetensors.File, name string, shape ...int) {
	t := f.Tensors[name]
	t.Shape = shape
	t.F32 = make([]float32, t.Len())
}

func TestGradRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	lstmM, lstmD := golden("lstm", "model"), golden("lstm", "data")
	gruM, gruD := golden("gru", "model"), golden("gru", "data")
	stackM := filepath.Join("testdata", "stack", "lstm_L3_ce_h0.model.safetensors")
	stackD := filepath.Join("testdata", "stack", "lstm_L3_ce_h0.data.safetensors")
	p := func(name string) string { return filepath.Join(dir, name) }

	// A file whose last float is NaN: the writer refuses NaN, so patch the bytes.
	nanModel := p("nan.safetensors")
	raw, _ := os.ReadFile(lstmM)
	raw = slices.Clone(raw)
	binary.LittleEndian.PutUint32(raw[len(raw)-4:], 0x7fc00000)
	os.WriteFile(nanModel, raw, 0o644)
	keep := p("keep.safetensors")
	keepBytes, _ := os.ReadFile(lstmM)
	os.WriteFile(keep, keepBytes, 0o644)
	garbage := p("garbage.safetensors")
	os.WriteFile(garbage, []byte("not a safetensors file at all"), 0o644)

	type invocation struct {
		name  string
		model string
		data  string
		algo  string
		out   string
		extra []string
		want  string
	}
	cases := []invocation{
		{name: "unknown algo", algo: "rtrl2", want: `unknown algorithm`},
		{name: "zero slots", algo: "bptt-checkpoint:0", want: "S=0 must be at least 1"},
		{name: "no slots", algo: "bptt-checkpoint", want: `needs 1 integer parameter(s) S, got ""`},
		{name: "text slots", algo: "bptt-checkpoint:many", want: `S="many" is not an integer`},
		{name: "K1 zero", algo: "tbptt:0,4", want: "K1=0 must be at least 1"},
		{name: "K2 zero", algo: "tbptt:1,0", want: "K2=0 must be at least 1"},
		{name: "K2 < K1", algo: "tbptt:5,4", want: "K2=4 must be at least K1=5"},
		{name: "one K", algo: "tbptt:5", want: "needs 2 integer parameter(s) K1,K2"},
		{name: "three K", algo: "tbptt:1,2,3", want: "needs 2 integer parameter(s)"},
		{name: "float K", algo: "tbptt:1.5,2", want: `K1="1.5" is not an integer`},
		{name: "params on bptt", algo: "bptt:3", want: `takes no parameters, got "3"`},
		{name: "zero workers", algo: "rtrl:0", want: "W=0 must be at least 1 (the form is rtrl[:W])"},
		{name: "two worker counts", algo: "rtrl:2,3", want: "needs 1 integer parameter(s) W"},
		{name: "bad seed", extra: []string{"-seed", "x"}, want: `invalid value "x" for flag -seed`},
		{name: "unknown flag", extra: []string{"-frob"}, want: "flag provided but not defined: -frob"},
		{name: "positional", extra: []string{"extra"}, want: `unexpected argument "extra"`},
		{name: "no model", model: "-", want: "-model is required"},
		{name: "no data", data: "-", want: "-data is required"},
		{name: "no out", out: "-", want: "-out is required"},
		{name: "missing model", model: p("absent.safetensors"), want: "no such file"},
		{name: "garbage model", model: garbage, want: "garbage.safetensors"},
		{name: "garbage data", data: garbage, want: "garbage.safetensors"},
		{name: "NaN model", model: nanModel, want: "is NaN"},
		{name: "unknown cell", model: variant(t, gruM, p("cell.safetensors"), func(f *safetensors.File) { f.Metadata["cell"] = "elman" }), data: gruD, want: `unknown cell kind "elman"`},
		{name: "no cell", model: variant(t, gruM, p("nocell.safetensors"), func(f *safetensors.File) { delete(f.Metadata, "cell") }), data: gruD, want: `metadata "cell" is missing`},
		{name: "alpha 0", model: variant(t, golden("rnn_tanh", "model"), p("a0.safetensors"), func(f *safetensors.File) { f.Metadata["alpha"] = "0" }), data: golden("rnn_tanh", "data"), want: `"alpha" = "0"`},
		{name: "alpha 2", model: variant(t, golden("rnn_tanh", "model"), p("a2.safetensors"), func(f *safetensors.File) { f.Metadata["alpha"] = "2" }), data: golden("rnn_tanh", "data"), want: `"alpha" = "2"`},
		{name: "model shapes", model: variant(t, gruM, p("shape.safetensors"), func(f *safetensors.File) { resize(f, "bias_hh_l0", 14) }), data: gruD, want: `"bias_hh_l0" has shape [14], want [15]`},
		{name: "missing tensor", model: variant(t, gruM, p("miss.safetensors"), func(f *safetensors.File) { delete(f.Tensors, "head.bias") }), data: gruD, want: `"head.bias" is missing`},
		{name: "input width", data: variant(t, lstmD, p("in.safetensors"), func(f *safetensors.File) { resize(f, "inputs", 8, 4) }), want: `"inputs" has shape [8 4], want [T, I] = [T, 3]`},
		{name: "target steps", data: variant(t, lstmD, p("tsteps.safetensors"), func(f *safetensors.File) { resize(f, "targets", 7, 2) }), want: `"targets" has shape [7 2], want [8 2]`},
		{name: "target width", data: variant(t, lstmD, p("twidth.safetensors"), func(f *safetensors.File) { resize(f, "targets", 8, 3) }), want: `"targets" has shape [8 3], want [8 2]`},
		{name: "no targets", data: variant(t, lstmD, p("notargets.safetensors"), func(f *safetensors.File) { delete(f.Tensors, "targets") }), want: `neither "targets" [T, O] (squared error) nor "classes" [T]`},
		{name: "1-D inputs", data: variant(t, lstmD, p("flat.safetensors"), func(f *safetensors.File) { resize(f, "inputs", 24) }), want: `"inputs" has shape [24], want [T, I]`},
		{name: "h0 length", data: variant(t, lstmD, p("h0.safetensors"), func(f *safetensors.File) { resize(f, "h0", 4) }), want: `"h0" has shape [4], want [H] = [5] or [L, H] = [1, 5]`},
		{name: "c0 for gru", model: gruM, data: variant(t, gruD, p("c0.safetensors"), func(f *safetensors.File) {
			f.Tensors["c0"] = &safetensors.Tensor{DType: safetensors.F32, Shape: []int{5}, F32: make([]float32, 5)}
		}), want: `"c0" given for a gru model`},
		{name: "extra data", data: variant(t, lstmD, p("extra.safetensors"), func(f *safetensors.File) {
			f.Tensors["mask"] = &safetensors.Tensor{DType: safetensors.F32, Shape: []int{8}, F32: make([]float32, 8)}
		}), want: `unexpected tensor "mask"`},
		{name: "out is the model", model: p("keep.safetensors"), out: p("keep.safetensors"), want: "is the -model file; refusing to overwrite it"},
		{name: "unwritable out", out: filepath.Join(dir, "no", "such", "dir", "g.safetensors"), want: "no such file or directory"},
		// Stacks and classes (issue: the models users have).
		{name: "class too large", model: stackM, data: variant(t, stackD, p("c4.safetensors"), func(f *safetensors.File) { f.Tensors["classes"].I64[0] = 4 }), want: "classes[0] = 4 is out of range [0, 4) (-100 ignores a step)"},
		{name: "class below -100", model: stackM, data: variant(t, stackD, p("cneg.safetensors"), func(f *safetensors.File) { f.Tensors["classes"].I64[2] = -101 }), want: "classes[2] = -101 is out of range"},
		{name: "class -1", model: stackM, data: variant(t, stackD, p("cm1.safetensors"), func(f *safetensors.File) { f.Tensors["classes"].I64[0] = -1 }), want: "classes[0] = -1 is out of range"},
		{name: "float classes", model: stackM, data: variant(t, stackD, p("cf.safetensors"), func(f *safetensors.File) {
			f.Tensors["classes"] = &safetensors.Tensor{DType: safetensors.F32, Shape: []int{9}, F32: make([]float32, 9)}
		}), want: `tensor "classes" has dtype F32; class targets are integers (I64 or I32)`},
		{name: "targets and classes", model: stackM, data: variant(t, stackD, p("tc.safetensors"), func(f *safetensors.File) {
			f.Tensors["targets"] = &safetensors.Tensor{DType: safetensors.F32, Shape: []int{9, 4}, F32: make([]float32, 36)}
		}), want: `both "targets" (squared error) and "classes" (cross-entropy)`},
		{name: "classes shape", model: stackM, data: variant(t, stackD, p("cs.safetensors"), func(f *safetensors.File) {
			f.Tensors["classes"] = &safetensors.Tensor{DType: safetensors.I64, Shape: []int{9, 1}, I64: make([]int64, 9)}
		}), want: `tensor "classes" has shape [9 1], want [T] = [9]`},
		{name: "layer 1 input width", model: variant(t, stackM, p("l1.safetensors"), func(f *safetensors.File) { resize(f, "weight_ih_l1", 20, 3) }), data: stackD, want: `"weight_ih_l1" has shape [20 3], want [20 5]`},
		{name: "missing layer", model: variant(t, stackM, p("gap.safetensors"), func(f *safetensors.File) {
			for _, n := range []string{"weight_ih", "weight_hh", "bias_ih", "bias_hh"} {
				f.Tensors[n+"_l3"] = f.Tensors[n+"_l2"]
				delete(f.Tensors, n+"_l1")
			}
		}), data: stackD, want: `required tensor "weight_ih_l1" is missing`},
		{name: "h0 of one layer for three", model: stackM, data: variant(t, stackD, p("h0l.safetensors"), func(f *safetensors.File) { resize(f, "h0", 5) }), want: `"h0" has shape [5], want [L, H] = [3, 5]`},
		{name: "prefixed state_dict", model: variant(t, gruM, p("prefix.safetensors"), func(f *safetensors.File) {
			for _, n := range []string{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"} {
				f.Tensors["lstm."+n] = f.Tensors[n]
				delete(f.Tensors, n)
			}
		}), data: gruD, want: "strip the module prefix lstm."},
		// Minibatches (issue: minibatches): batch axes that disagree, B = 0.
		{name: "batch of targets", data: variant(t, lstmD, p("bt.safetensors"), func(f *safetensors.File) {
			resize(f, "inputs", 8, 2, 3)
			resize(f, "targets", 8, 3, 2)
			delete(f.Tensors, "h0")
			delete(f.Tensors, "c0")
		}), want: `tensor "targets" has shape [8 3 2], want [8 2 2]: [T, B] = [8, 2] (the axes of "inputs") and O = 2`},
		{name: "batch of classes", data: variant(t, lstmD, p("bc.safetensors"), func(f *safetensors.File) {
			resize(f, "inputs", 8, 2, 3)
			delete(f.Tensors, "targets")
			f.Tensors["classes"] = &safetensors.Tensor{DType: safetensors.I64, Shape: []int{8, 3}, I64: make([]int64, 24)}
			delete(f.Tensors, "h0")
			delete(f.Tensors, "c0")
		}), want: `tensor "classes" has shape [8 3], want [T, B] = [8, 2] (the axes of "inputs")`},
		{name: "batch of h0", data: variant(t, lstmD, p("bh.safetensors"), func(f *safetensors.File) {
			resize(f, "inputs", 8, 2, 3)
			resize(f, "targets", 8, 2, 2)
			resize(f, "h0", 1, 3, 5)
			delete(f.Tensors, "c0")
		}), want: `tensor "h0" has shape [1 3 5], want [L, B, H] = [1, 2, 5] (B of "inputs") or [L, H] = [1, 5]`},
		{name: "batch of c0", data: variant(t, lstmD, p("bc0.safetensors"), func(f *safetensors.File) {
			resize(f, "inputs", 8, 2, 3)
			resize(f, "targets", 8, 2, 2)
			resize(f, "h0", 1, 2, 5)
			resize(f, "c0", 5)
		}), want: `tensor "c0" has shape [5], want [L, B, H] = [1, 2, 5]`},
		{name: "B = 0", data: variant(t, lstmD, p("b0.safetensors"), func(f *safetensors.File) {
			resize(f, "inputs", 8, 0, 3)
			resize(f, "targets", 8, 0, 2)
		}), want: "a batch of B = 0 sequences"},
		{name: "T = 0", data: variant(t, lstmD, p("t0.safetensors"), func(f *safetensors.File) {
			resize(f, "inputs", 0, 3)
			resize(f, "targets", 0, 2)
		}), want: "T = 0 steps"},
		{name: "diverging model", model: variant(t, golden("rnn_relu", "model"), p("huge.safetensors"), func(f *safetensors.File) {
			for i := range f.Tensors["weight_hh_l0"].F32 {
				f.Tensors["weight_hh_l0"].F32[i] = 3e38
			}
		}), data: golden("rnn_relu", "data"), want: "no gradient written"},
	}
	for _, c := range cases {
		model, data, algo, out := lstmM, lstmD, "bptt", p("out-"+strings.ReplaceAll(c.name, " ", "_")+".safetensors")
		if c.model != "" {
			model = c.model
		}
		if c.data != "" {
			data = c.data
		}
		if c.algo != "" {
			algo = c.algo
		}
		if c.out != "" {
			out = c.out
		}
		args := []string{"grad"}
		for _, f := range [][2]string{{"-model", model}, {"-data", data}, {"-algo", algo}, {"-out", out}} {
			if f[1] != "-" {
				args = append(args, f[0], f[1])
			}
		}
		args = append(args, c.extra...)
		code, stdout, stderr := runCmd(t, args...)
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "chronograd grad: ") || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and one line containing %q", c.name, code, stdout, stderr, c.want)
		}
		if out == keep {
			if b, _ := os.ReadFile(keep); !slices.Equal(b, keepBytes) {
				t.Errorf("%s: the model file changed", c.name)
			}
		} else if out != "-" {
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s: output file %s exists (%v)", c.name, out, err)
			}
		}
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, ".*")); len(entries) != 0 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestGradHelp(t *testing.T) {
	code, stdout, _ := runCmd(t, "grad", "-h")
	if code != 0 || !strings.Contains(stdout, "-algo") || !strings.Contains(stdout, "tbptt:K1,K2") {
		t.Errorf("exit %d, usage %q", code, stdout)
	}
}

// The model written by cell.Model.Save is what grad reads: check that the two agree on
// names by running grad on a saved model.
func TestGradReadsSavedModels(t *testing.T) {
	dir := t.TempDir()
	m, err := cell.LoadModel(golden("lstm", "model"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "g.safetensors")
	if code, _, stderr := runCmd(t, "grad", "-model", path, "-data", golden("lstm", "data"), "-out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
