package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/chronograd/chronograd/cell"

	"github.com/chronograd/chronograd/kernels"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCPUNamesTheTier(t *testing.T) {
	code, out, errOut := runCmd(t, "cpu")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "\nkernels: "+kernels.Impl().String()+"\n") {
		t.Fatalf("no line %q in:\n%s", "kernels: "+kernels.Impl().String(), out)
	}
	for _, tier := range kernels.Tiers() {
		if !strings.Contains(out, tier.String()) {
			t.Errorf("supported tier %s missing from:\n%s", tier, out)
		}
	}
}

func TestBadInvocations(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"frobnicate"}, 1, `unknown command "frobnicate"`},
		{[]string{"cpu", "-nope"}, 1, "flag provided but not defined: -nope"},
		{[]string{"cpu", "extra"}, 1, `unexpected argument "extra"`},
		{[]string{"profile", "-repeats", "0"}, 1, "-repeats must be at least 1"},
	} {
		code, _, errOut := runCmd(t, c.args...)
		if strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: stderr is not one line: %q", c.args, errOut)
		}
		if code != c.code || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d stderr %q, want exit %d and %q", c.args, code, errOut, c.code, c.msg)
		}
	}
}

func TestProfileQuick(t *testing.T) {
	dir := t.TempDir()
	args, frontierSVG := []string{"-quick", "-repeats", "1", "-out", dir}, "frontier_gru_n16.svg"
	if testing.Short() {
		frontierSVG = "frontier_gru_n8.svg" // the frontier runs at the second size
		// -short (race, purego and emulated runs): smaller sizes, the same sections. An
		// emulator spends most of -quick's default sizes in exact RTRL's products.
		args = append(args, "-hidden", "4,8,12")
	}
	code, out, errOut := runCmd(t, args...)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"kernels: ", "cost per step", "cost exponent", "memory held", "training: GRU", "rtrl", "snap1", "uoro", "rflo", "eprop", "bptt-checkpoint", "cost–accuracy frontier", "kfrtrl", "dni"} {
		if !strings.Contains(out, want) {
			t.Errorf("profile output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"profile.csv", "memory.csv", "report.json", "scaling_gru.svg", "memory_lstm.svg", "frontier.csv", frontierSVG} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("report file %s: %v", f, err)
		}
	}
}

func TestBenchJSONFields(t *testing.T) {
	code, out, errOut := runCmd(t, "bench", "-cell", "rnn_tanh", "-hidden", "8", "-input", "3", "-T", "10", "-algo", "snap1", "-json", "-repeats", "1", "-min-time", "1ms")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	want := []string{"cell", "hidden", "input", "T", "algo", "ns_per_step", "bytes", "allocs_per_step", "gflops", "batch", "layers"}
	if len(obj) != len(want) {
		t.Fatalf("fields %v, want exactly %v", obj, want)
	}
	for _, k := range want {
		if _, ok := obj[k]; !ok {
			t.Fatalf("field %q missing: %s", k, out)
		}
	}
	if obj["cell"] != "rnn_tanh" || obj["algo"] != "snap1" || obj["hidden"] != 8.0 || obj["allocs_per_step"] != 0.0 {
		t.Fatalf("unexpected values: %s", out)
	}
}

// -steps, the old name of -sequences, still works and warns once on stderr.
func TestTrainStepsIsADeprecatedAlias(t *testing.T) {
	code, out, errOut := runCmd(t, "train", "-task", "sine", "-length", "10", "-hidden", "4", "-steps", "3", "-steps", "4", "-eval-every", "0")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if errOut != "chronograd train: -steps is deprecated: it counts sequences; use -sequences\n" {
		t.Fatalf("stderr %q, want one deprecation line", errOut)
	}
	if !strings.Contains(out, "sequences 4,") {
		t.Fatalf("-steps 4 did not train 4 sequences:\n%s", out)
	}
}

func TestTrainSavesALoadableModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	code, out, errOut := runCmd(t, "train", "-task", "sine", "-length", "20", "-cell", "rnn_tanh", "-alpha", "0.5", "-hidden", "8",
		"-algo", "rflo", "-sequences", "50", "-save", path)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
	}
	if !strings.Contains(out, "final evaluation loss") || !strings.Contains(out, "saved "+path) {
		t.Fatalf("summary lacks the loss or the save:\n%s", out)
	}
	// The learning rate as given, not its float32 widened back (0.009999999776482582).
	if !strings.Contains(out, ", rflo, adam lr 0.01\n") {
		t.Errorf("summary does not state the learning rate as given:\n%s", out)
	}
	m, err := cell.LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Layers[0].Kind() != cell.RNNTanh || m.Layers[0].Alpha() != 0.5 || m.Layers[0].HiddenSize() != 8 {
		t.Fatalf("saved model is %v α=%v H=%d", m.Layers[0].Kind(), m.Layers[0].Alpha(), m.Layers[0].HiddenSize())
	}
}

func TestTrainAndBenchRejectBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"train", "-task", "juggling"}, `unknown task "juggling"`},
		{[]string{"train", "-cell", "gru", "-algo", "rflo"}, "rflo needs an rnn_tanh or rnn_relu cell"},
		{[]string{"train", "-cell", "rnn_tanh", "-algo", "eprop"}, "eprop"},
		{[]string{"train", "-cell", "gru", "-alpha", "0.5"}, "-alpha applies only to rnn_tanh and rnn_relu"},
		{[]string{"train", "-cell", "rnn_tanh", "-alpha", "1.5"}, `invalid value "1.5" for flag -alpha: must be in (0, 1]`},
		{[]string{"train", "-lr", "-1"}, `invalid value "-1" for flag -lr: must be > 0`},
		{[]string{"train", "-sequences", "0"}, "-sequences must be at least 1"},
		{[]string{"train", "-save", filepath.Join(dir, "missing", "m.safetensors")}, "does not exist"},
		{[]string{"train", "-algo", "tbptt:5,2"}, "K2=2 must be at least K1=5"},
		{[]string{"bench", "-cell", "elman"}, "elman"},
		{[]string{"bench", "-algo", "bptt-checkpoint:x"}, "is not an integer"},
		{[]string{"bench", "-T", "0"}, "-T must be at least 1"},
	} {
		code, _, errOut := runCmd(t, c.args...)
		if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line with %q", c.args, code, errOut, c.msg)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed command left files: %v", entries)
	}
}

func TestHelpGoesToStdout(t *testing.T) {
	code, out, errOut := runCmd(t, "profile", "-h")
	if code != 0 || errOut != "" || !strings.Contains(out, "-repeats") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestBadKernelsEnvReportedOnce runs this test binary again with a bad
// CHRONOGRAD_KERNELS: the kernels package keeps the error, and the command prints it
// once, as one line, before doing its work.
func TestBadKernelsEnvReportedOnce(t *testing.T) {
	if os.Getenv("CHRONOGRAD_MAIN_CHILD") == "1" {
		code, out, errOut := runCmd(t, "cpu")
		os.Stdout.WriteString(strconv.Itoa(code) + "\n" + errOut)
		if !strings.Contains(out, "\nkernels: ") {
			os.Stdout.WriteString("cpu printed no kernels line\n")
		}
		return
	}
	args := []string{"-test.run=^TestBadKernelsEnvReportedOnce$", "-test.count=1"}
	cmd := exec.Command(os.Args[0], args...)
	if err := exec.Command(os.Args[0], "-test.run=^$").Run(); errors.Is(err, syscall.ENOEXEC) {
		// Under go test -exec qemu-…-static without binfmt_misc the kernel cannot run a
		// foreign binary; the emulated process can still run the host's emulator.
		qemu, lookErr := exec.LookPath(map[string]string{"arm64": "qemu-aarch64-static", "arm": "qemu-arm-static"}[runtime.GOARCH])
		if lookErr != nil {
			t.Fatalf("cannot run %s again (%v) and no emulator found: %v", os.Args[0], err, lookErr)
		}
		cmd = exec.Command(qemu, append([]string{os.Args[0]}, args...)...)
	}
	cmd.Env = append(os.Environ(), "CHRONOGRAD_MAIN_CHILD=1", kernels.EnvVar+"=sse9")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	// The child's lines: its exit code, then its stderr, then the test framework's PASS.
	want := "chronograd: " + kernels.EnvVar + "=sse9 ignored: kernels: unknown tier \"sse9\""
	if len(lines) < 2 || lines[0] != "0" || !strings.HasPrefix(lines[1], want) || strings.Count(string(out), kernels.EnvVar) != 1 {
		t.Fatalf("want exit 0 and one stderr line starting %q, got:\n%s", want, out)
	}
}
