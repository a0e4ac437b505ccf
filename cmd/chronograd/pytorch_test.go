package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/internal/safetensors"
)

// The tests in this file run PyTorch (Debian's python3-torch) against the command line.
// Without /usr/bin/python3, numpy or torch they skip, saying what is missing.

const systemPython = "/usr/bin/python3"

// pythonWithTorch returns the Python that has numpy and torch, or skips the test.
func pythonWithTorch(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(systemPython); err != nil {
		t.Skipf("skipped: %s is missing (install python3-torch to run the PyTorch round trip)", systemPython)
	}
	if out, err := exec.Command(systemPython, "-c", "import numpy, torch").CombinedOutput(); err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		t.Skipf("skipped: %s cannot import numpy and torch (%s); install python3-torch python3-numpy", systemPython, lines[len(lines)-1])
	}
	return systemPython
}

// repoPython is the absolute path of the repository's python/ directory.
func repoPython(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "python"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// pythonCmd runs py without writing bytecode caches into the repository's python/.
func pythonCmd(py string, args ...string) *exec.Cmd {
	cmd := exec.Command(py, args...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	return cmd
}

func runPython(t *testing.T, py string, args ...string) {
	t.Helper()
	cmd := pythonCmd(py, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", py, strings.Join(args, " "), err, out)
	}
}

// runReference runs torch_reference.py's jobs (argument lists) in one Python process, so
// that torch is imported once.
func runReference(t *testing.T, py string, jobs [][]string) {
	t.Helper()
	b, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jobs.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	runPython(t, py, filepath.Join(repoPython(t), "torch_reference.py"), "batch", path)
}

// The Python module's own tests.
func TestPythonModule(t *testing.T) {
	py := pythonWithTorch(t)
	runPython(t, py, filepath.Join(repoPython(t), "test_chronograd_torch.py"))
}

// compareGrad checks a chronograd gradient file against PyTorch's float64 reference: the
// same tensor names, and every tensor (and the loss) within a relative error of 1e-4 of
// the reference's largest magnitude.
func compareGrad(t *testing.T, gotPath, refPath string) {
	t.Helper()
	got, err := safetensors.ReadFile(gotPath)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := safetensors.ReadFile(refPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Names(), " ") != strings.Join(ref.Names(), " ") {
		t.Fatalf("chronograd wrote %v, PyTorch %v", got.Names(), ref.Names())
	}
	for _, name := range ref.Names() {
		g, r := got.Tensors[name], ref.Tensors[name]
		if fmt.Sprint(g.Shape) != fmt.Sprint(r.Shape) {
			t.Fatalf("%s: shape %v, PyTorch %v", name, g.Shape, r.Shape)
		}
		var scale, diff float64
		for i := range r.F32 {
			scale = max(scale, math.Abs(float64(r.F32[i])))
			diff = max(diff, math.Abs(float64(g.F32[i])-float64(r.F32[i])))
		}
		if diff > 1e-4*max(scale, 1e-6) {
			t.Errorf("%s: largest difference %.3g against a largest magnitude %.3g: relative error %.3g > 1e-4", name, diff, scale, diff/max(scale, 1e-6))
		}
	}
}

// A model and a sequence made by PyTorch give, through `chronograd grad`, PyTorch's
// autograd gradient (float64 from the float32 weights). The cases with several layers,
// classes or a batch axis exercise the layered, batched contract.
func TestPyTorchRoundTrip(t *testing.T) {
	py := pythonWithTorch(t)
	dir := t.TempDir()
	type rcase struct {
		cell          string
		layers, batch int
		classes, h0   bool
		algos         []string
	}
	exact := []string{"bptt", "rtrl", "bptt-checkpoint:3", "tbptt:7,7"}
	var cases []rcase
	for _, kind := range []string{"rnn_tanh", "rnn_relu", "gru", "lstm"} {
		cases = append(cases,
			rcase{cell: kind, layers: 1, h0: true, algos: exact},
			rcase{cell: kind, layers: 1, algos: []string{"bptt"}},
			rcase{cell: kind, layers: 2, h0: true, algos: exact},
			rcase{cell: kind, layers: 1, classes: true, algos: []string{"bptt", "rtrl"}},
			rcase{cell: kind, layers: 3, classes: true, h0: true, algos: []string{"bptt", "rtrl"}},
			rcase{cell: kind, layers: 1, batch: 3, h0: true, algos: []string{"bptt", "rtrl"}},
			rcase{cell: kind, layers: 2, batch: 3, classes: true, algos: []string{"bptt"}},
		)
	}
	files := func(i int) (model, data, want string) {
		return filepath.Join(dir, fmt.Sprint(i, ".m")), filepath.Join(dir, fmt.Sprint(i, ".d")), filepath.Join(dir, fmt.Sprint(i, ".ref"))
	}
	var jobs [][]string
	for i, c := range cases {
		model, data, want := files(i)
		args := []string{"random", "--cell", c.cell, "--layers", strconv.Itoa(c.layers), "--batch", strconv.Itoa(c.batch),
			"--seed", strconv.Itoa(i + 1), "--model", model, "--data", data}
		if c.classes {
			args = append(args, "--classes", "--output", "4")
		}
		if c.h0 {
			args = append(args, "--h0")
		}
		jobs = append(jobs, args, []string{"grad", "--model", model, "--data", data, "--out", want})
	}
	runReference(t, py, jobs)
	for i, c := range cases {
		name := fmt.Sprintf("%s/L%d", c.cell, c.layers)
		if c.classes {
			name += "/classes"
		} else {
			name += "/targets"
		}
		if c.batch > 0 {
			name += fmt.Sprintf("/B%d", c.batch)
		}
		if c.h0 {
			name += "/h0"
		}
		t.Run(name, func(t *testing.T) {
			model, data, want := files(i)
			for _, a := range c.algos {
				got := filepath.Join(dir, fmt.Sprint(i, ".", a))
				if code, _, errOut := runCmd(t, "grad", "-model", model, "-data", data, "-algo", a, "-out", got); code != 0 {
					t.Fatalf("grad -algo %s: exit %d: %s", a, code, errOut)
				}
				compareGrad(t, got, want)
			}
		})
	}
}

// A model trained by `chronograd train` loads into PyTorch with load_state_dict(strict=True)
// and computes there the loss and gradient chronograd computes (a forward pass and its
// backward pass compared); a leaky vanilla cell is refused by name.
func TestTrainedModelIntoPyTorch(t *testing.T) {
	py := pythonWithTorch(t)
	dir := t.TempDir()
	cases := []struct{ cell, task, length string }{
		{"gru", "sine", "15"},
		{"lstm", "mackey-glass", "15"},
		{"rnn_tanh", "sine", "15"},
		{"rnn_relu", "copy", "2"}, // classes: the cross-entropy contract
	}
	files := func(cell string) (model, data, want, got string) {
		return filepath.Join(dir, cell+".m"), filepath.Join(dir, cell+".d"), filepath.Join(dir, cell+".ref"), filepath.Join(dir, cell+".g")
	}
	var jobs [][]string
	trained := map[string]string{}
	for _, c := range cases {
		model, data, want, got := files(c.cell)
		for _, args := range [][]string{
			{"train", "-task", c.task, "-length", c.length, "-cell", c.cell, "-hidden", "6", "-sequences", "20", "-eval-every", "0", "-save", model},
			{"data", "-task", c.task, "-length", c.length, "-sequences", "2", "-seed", "5", "-out", data},
			{"grad", "-model", model, "-data", data, "-algo", "bptt", "-out", got},
		} {
			if code, _, errOut := runCmd(t, args...); code != 0 {
				trained[c.cell] = fmt.Sprintf("%v: exit %d: %s", args, code, errOut)
				break
			}
		}
		if trained[c.cell] == "" {
			jobs = append(jobs, []string{"grad", "--model", model, "--data", data, "--out", want})
		}
	}
	runReference(t, py, jobs)
	for _, c := range cases {
		t.Run(c.cell+"/"+c.task, func(t *testing.T) {
			if msg := trained[c.cell]; msg != "" {
				t.Fatal(msg)
			}
			_, _, want, got := files(c.cell)
			compareGrad(t, got, want)
		})
	}
	t.Run("leak refused", func(t *testing.T) {
		model := filepath.Join(dir, "leaky.m")
		if code, _, errOut := runCmd(t, "train", "-task", "sine", "-length", "5", "-cell", "rnn_tanh", "-alpha", "0.5", "-hidden", "3", "-sequences", "1", "-eval-every", "0", "-save", model); code != 0 {
			t.Fatalf("train: %s", errOut)
		}
		out, err := pythonCmd(py, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import chronograd_torch as ct; ct.load_model(sys.argv[2])", repoPython(t), model).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "alpha=0.5: a leaky vanilla cell") {
			t.Fatalf("load_model of a leaky cell: %v\n%s", err, out)
		}
	})
}

// The Python module reads what `chronograd data` writes (integer classes, a batch axis)
// value for value, and chronograd reads what the Python module writes.
func TestPythonReadsAndWritesChronogradFiles(t *testing.T) {
	py := pythonWithTorch(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "copy.safetensors")
	if code, _, errOut := runCmd(t, "data", "-task", "copy", "-length", "2", "-batch", "2", "-out", data); code != 0 {
		t.Fatal(errOut)
	}
	back := filepath.Join(dir, "back.safetensors")
	script := `import sys, json
sys.path.insert(0, sys.argv[1])
import chronograd_torch as ct
d = ct.read_data(sys.argv[2])
print(json.dumps({k: [str(v.dtype), list(v.shape), v.reshape(-1).tolist()] for k, v in d.items()}))
ct.save_data(sys.argv[3], inputs=d["inputs"], classes=d["classes"])
`
	out, err := pythonCmd(py, "-c", script, repoPython(t), data, back).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got map[string][3]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	f, err := safetensors.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%v %v", got["classes"][0], got["classes"][1]) != "int64 [22 2]" || fmt.Sprintf("%v %v", got["inputs"][0], got["inputs"][1]) != "float32 [22 2 10]" {
		t.Fatalf("Python read %v %v, %v %v", got["classes"][0], got["classes"][1], got["inputs"][0], got["inputs"][1])
	}
	for i, v := range got["classes"][2].([]any) {
		if int64(v.(float64)) != f.Tensors["classes"].I64[i] {
			t.Fatalf("class %d: Python %v, Go %d", i, v, f.Tensors["classes"].I64[i])
		}
	}
	g, err := safetensors.ReadFile(back)
	if err != nil {
		t.Fatal(err)
	}
	if g.Tensors["classes"].DType != safetensors.I64 || fmt.Sprint(g.Tensors["classes"].I64) != fmt.Sprint(f.Tensors["classes"].I64) ||
		fmt.Sprint(g.Tensors["inputs"].F32) != fmt.Sprint(f.Tensors["inputs"].F32) {
		t.Fatal("the file Python wrote back differs")
	}
}
