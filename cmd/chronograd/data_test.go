package main

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/internal/safetensors"
)

// readData runs `chronograd data ARGS -out FILE` and reads FILE back.
func readData(t *testing.T, args ...string) (*safetensors.File, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d.safetensors")
	code, out, errOut := runCmd(t, append(append([]string{"data"}, args...), "-out", path)...)
	if code != 0 || errOut != "" {
		t.Fatalf("data %v: exit %d, stderr %q", args, code, errOut)
	}
	if !strings.HasPrefix(out, "wrote "+path+": ") || strings.Count(out, "\n") != 1 {
		t.Errorf("data %v: stdout %q, want one line 'wrote %s: …'", args, out, path)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("data file mode %v, want 0644", st.Mode().Perm())
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f, out
}

// Sine data: inputs [T, 1] (the frequency cue) and targets [T, 1] = sin(ω·t), with ω read
// back from the cue; the same seed gives the same bytes, another seed other data.
func TestDataSine(t *testing.T) {
	f, out := readData(t, "-task", "sine", "-length", "30", "-seed", "7")
	if !strings.Contains(out, "inputs [30, 1], targets [30, 1] (task sine, 1 sequence of T=30; 30 of 30 steps scored)") {
		t.Errorf("summary %q", out)
	}
	if err := f.Require(true, safetensors.Spec{Name: "inputs", Shape: []int{30, 1}}, safetensors.Spec{Name: "targets", Shape: []int{30, 1}}); err != nil {
		t.Fatal(err)
	}
	x, y := f.Tensors["inputs"].F32, f.Tensors["targets"].F32
	omega := 0.35 + 0.25*float64(x[0])
	for tt := range 30 {
		if x[tt] != x[0] {
			t.Fatalf("cue changes at step %d", tt)
		}
		if want := math.Sin(omega * float64(tt)); math.Abs(float64(y[tt])-want) > 1e-5 {
			t.Fatalf("target %d = %v, want sin(%v·%d) = %v", tt, y[tt], omega, tt, want)
		}
	}
	again, _ := readData(t, "-task", "sine", "-length", "30", "-seed", "7")
	other, _ := readData(t, "-task", "sine", "-length", "30", "-seed", "8")
	if !slices.Equal(again.Tensors["inputs"].F32, x) || !slices.Equal(again.Tensors["targets"].F32, y) {
		t.Error("the same seed gave other data")
	}
	if slices.Equal(other.Tensors["inputs"].F32, x) {
		t.Error("another seed gave the same data")
	}
}

// Copy data: integer classes [T, B] (I64) beside one-hot inputs [T, B, 10]; in every
// column and every sequence of the stream, the class at a recall step is the symbol shown
// Delay + 10 steps before, and blank (0) elsewhere.
func TestDataCopyClassesBatch(t *testing.T) {
	const delay, symbols, B, N = 4, 10, 3, 2
	T := delay + 2*symbols
	f, out := readData(t, "-task", "copy", "-length", "4", "-batch", "3", "-sequences", "2")
	if !strings.Contains(out, "inputs [48, 3, 10], classes [48, 3] (task copy, 6 sequences of T=24; 144 of 144 steps scored)") {
		t.Errorf("summary %q", out)
	}
	if err := f.Require(true, safetensors.Spec{Name: "inputs", Shape: []int{N * T, B, 10}}, safetensors.Spec{Name: "classes", Shape: []int{N * T, B}}); err != nil {
		t.Fatal(err)
	}
	if f.Tensors["classes"].DType != safetensors.I64 {
		t.Fatalf("classes dtype %s, want I64 (PyTorch's class targets)", f.Tensors["classes"].DType)
	}
	x, c := f.Tensors["inputs"].F32, f.Tensors["classes"].I64
	argmax := func(row []float32) int64 {
		best := -1
		for i, v := range row {
			if v == 1 {
				if best >= 0 {
					t.Fatalf("input row %v is not one-hot", row)
				}
				best = i
			} else if v != 0 {
				t.Fatalf("input row %v is not one-hot", row)
			}
		}
		return int64(best)
	}
	columnsDiffer := false
	for b := range B {
		for n := range N {
			for tt := range T {
				row := (n*T+tt)*B + b
				want := int64(0)
				if tt >= symbols+delay {
					src := (n*T+tt-symbols-delay)*B + b
					want = argmax(x[src*10 : (src+1)*10])
					if want < 1 || want > 8 {
						t.Fatalf("column %d sequence %d: recalled symbol %d at step %d", b, n, want, tt)
					}
				}
				if c[row] != want {
					t.Fatalf("column %d sequence %d step %d: class %d, want %d", b, n, tt, c[row], want)
				}
				if b > 0 && c[row] != c[row-b] {
					columnsDiffer = true
				}
			}
		}
	}
	if !columnsDiffer {
		t.Error("every batch column holds the same sequence")
	}
}

// The adding problem scores only its last step: refused by default (no file written),
// and with -unscored zero written with target 0 at the other steps.
func TestDataAddingUnscored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.safetensors")
	code, out, errOut := runCmd(t, "data", "-task", "adding", "-length", "10", "-out", path)
	if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "task adding has a target at 1 of its 10 steps") || !strings.Contains(errOut, "-unscored zero") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a refused run left %s: %v", path, err)
	}
	f, summary := readData(t, "-task", "adding", "-length", "10", "-sequences", "3", "-unscored", "zero")
	if !strings.Contains(summary, "3 of 30 steps scored, the others with target 0") {
		t.Errorf("summary %q", summary)
	}
	x, y := f.Tensors["inputs"].F32, f.Tensors["targets"].F32
	for n := range 3 {
		var sum float32
		for tt := range 10 {
			step := n*10 + tt
			if x[2*step+1] == 1 {
				sum += x[2*step]
			}
			if tt < 9 && y[step] != 0 {
				t.Fatalf("sequence %d step %d: target %v, want 0", n, tt, y[step])
			}
		}
		if y[n*10+9] != sum {
			t.Fatalf("sequence %d: target %v, want the marked sum %v", n, y[n*10+9], sum)
		}
	}
}

func TestDataRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "d.safetensors")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-out", out}, "-task is required"},
		{[]string{"-task", "sine"}, "-out is required"},
		{[]string{"-task", "poetry", "-out", out}, `unknown task "poetry"`},
		{[]string{"-task", "sine", "-length", "0", "-out", out}, "length 0 must be positive"},
		{[]string{"-task", "sine", "-sequences", "0", "-out", out}, "-sequences 0 must be at least 1"},
		{[]string{"-task", "sine", "-batch", "-2", "-out", out}, "-batch -2 must not be negative"},
		{[]string{"-task", "sine", "-unscored", "maybe", "-out", out}, `-unscored "maybe": want refuse or zero`},
		{[]string{"-task", "sine", "-length", "100000", "-sequences", "100000", "-out", out}, "at most 134217728"},
		{[]string{"-task", "sine", "-length", "1000000", "-sequences", "1000000", "-batch", "1000000", "-out", out}, "at most 134217728"},
		{[]string{"-task", "sine", "-out", dir}, "is a directory"},
		{[]string{"-task", "sine", "-out", filepath.Join(dir, "no", "d.safetensors")}, "no such file or directory"},
		{[]string{"-task", "sine", "-out", out, "extra"}, `unexpected argument "extra"`},
		{[]string{"-task", "sine", "-bogus", "-out", out}, "flag provided but not defined: -bogus"},
	} {
		code, stdout, errOut := runCmd(t, append([]string{"data"}, c.args...)...)
		if code != 1 || stdout != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one line with %q", c.args, code, stdout, errOut, c.msg)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused runs left files: %v", entries)
	}
}

// A data file written by `data` feeds grad and diagnose for a model `train` saved.
func TestDataFeedsGradAndDiagnose(t *testing.T) {
	dir := t.TempDir()
	model, data, grad := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "d.safetensors"), filepath.Join(dir, "g.safetensors")
	for _, args := range [][]string{
		{"train", "-task", "sine", "-length", "20", "-cell", "gru", "-hidden", "6", "-sequences", "3", "-eval-every", "0", "-save", model},
		{"data", "-task", "sine", "-length", "20", "-sequences", "2", "-out", data},
		{"grad", "-model", model, "-data", data, "-algo", "rtrl", "-out", grad},
		{"diagnose", "-model", model, "-data", data, "-json"},
	} {
		if code, _, errOut := runCmd(t, args...); code != 0 || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	g, err := safetensors.ReadFile(grad)
	if err != nil {
		t.Fatal(err)
	}
	if l := g.Tensors["loss"]; l == nil || !(l.F32[0] > 0) {
		t.Fatalf("gradient file's loss: %+v", l)
	}
}

// Classes and a batch axis from `data` feed grad: this is the contract of the layered,
// batched grad (issues 13 and 14).
func TestDataClassesAndBatchFeedGrad(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		train []string
		data  []string
	}{
		{"copy classes", []string{"-task", "copy", "-length", "3", "-cell", "lstm"}, []string{"-task", "copy", "-length", "3"}},
		{"copy classes batch", []string{"-task", "copy", "-length", "3", "-cell", "gru"}, []string{"-task", "copy", "-length", "3", "-batch", "4"}},
		{"sine batch", []string{"-task", "sine", "-length", "12", "-cell", "rnn_tanh"}, []string{"-task", "sine", "-length", "12", "-batch", "3", "-sequences", "2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			model, data := filepath.Join(dir, c.name+".m"), filepath.Join(dir, c.name+".d")
			bptt, rtrl := filepath.Join(dir, c.name+".bptt"), filepath.Join(dir, c.name+".rtrl")
			for _, args := range [][]string{
				append([]string{"train", "-hidden", "5", "-sequences", "2", "-eval-every", "0", "-save", model}, c.train...),
				append([]string{"data", "-out", data}, c.data...),
				{"grad", "-model", model, "-data", data, "-algo", "bptt", "-out", bptt},
				{"grad", "-model", model, "-data", data, "-algo", "rtrl", "-out", rtrl},
			} {
				if code, _, errOut := runCmd(t, args...); code != 0 {
					t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
				}
			}
			fa, err := safetensors.ReadFile(bptt)
			if err != nil {
				t.Fatal(err)
			}
			fb, err := safetensors.ReadFile(rtrl)
			if err != nil {
				t.Fatal(err)
			}
			if len(fa.Tensors) != len(fb.Tensors) || fa.Tensors["loss"] == nil {
				t.Fatalf("bptt wrote %v, rtrl %v", fa.Names(), fb.Names())
			}
			for name, ta := range fa.Tensors {
				tb := fb.Tensors[name]
				for i := range ta.F32 {
					if d := math.Abs(float64(ta.F32[i] - tb.F32[i])); d > 1e-4*(1+math.Abs(float64(ta.F32[i]))) {
						t.Fatalf("%s[%d]: bptt %v, rtrl %v", name, i, ta.F32[i], tb.F32[i])
					}
				}
			}
		})
	}
}
