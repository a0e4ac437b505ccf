//go:build unix

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chronograd/chronograd/internal/safetensors"
)

// mainEnv makes this test binary run the command instead of the tests (see TestMain), so
// that the tests can run chronograd as a process without building it.
const mainEnv = "CHRONOGRAD_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// hostileLimitKB is the address-space limit (ulimit -v, in KiB) the hostile invocations
// run under: 3 GiB, of which the Go runtime maps about one at start. A command that
// allocated without checking its estimate would die in the runtime with a goroutine
// dump, not exit 1 with one line.
const hostileLimitKB = 3 << 20

// selfExec is the error of running this test binary again: syscall.ENOEXEC under go test
// -exec qemu-… without binfmt_misc, where the emulator must run it.
var selfExec = sync.OnceValue(func() error { return exec.Command(os.Args[0], "-test.run=^$").Run() })

// chronograd returns a command that runs chronograd (this test binary) with args in dir.
// With limitKB > 0 on Linux it runs through sh under ulimit -v, except under an emulator,
// whose own reservations a ulimit would break.
func chronograd(t *testing.T, ctx context.Context, dir string, limitKB int, args ...string) *exec.Cmd {
	t.Helper()
	var cmd *exec.Cmd
	if err := selfExec(); errors.Is(err, syscall.ENOEXEC) {
		qemu, lookErr := exec.LookPath(map[string]string{"arm64": "qemu-aarch64-static", "arm": "qemu-arm-static"}[runtime.GOARCH])
		if lookErr != nil {
			t.Fatalf("cannot run %s (%v) and no emulator found: %v", os.Args[0], err, lookErr)
		}
		cmd = exec.CommandContext(ctx, qemu, append([]string{os.Args[0]}, args...)...)
		if limitKB > 0 {
			// No ulimit under the emulator: Go's soft limit bounds the default -mem-limit
			// instead, so an estimate over it is refused as it would be under ulimit -v.
			cmd.Env = append(os.Environ(), fmt.Sprintf("GOMEMLIMIT=%d", int64(limitKB)<<10))
		}
	} else if limitKB > 0 && runtime.GOOS == "linux" {
		cmd = exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", fmt.Sprintf(`ulimit -v %d && exec "$@"`, limitKB), "sh", os.Args[0]}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, os.Args[0], args...)
	}
	cmd.Dir = dir
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, mainEnv+"=1")
	return cmd
}

// entry is what a file in the work directory is: its type, and its content's hash (a
// regular file) or its target (a link).
type entry struct {
	mode fs.FileMode
	what string
}

// snapshot lists dir recursively, hashing regular files without opening anything else.
func snapshot(t *testing.T, dir string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		e := entry{mode: d.Type()}
		switch {
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.what = fmt.Sprintf("%x", sha256.Sum256(b))
		case d.Type()&fs.ModeSymlink != 0:
			e.what, _ = os.Readlink(p)
		}
		out[rel] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeData writes a sequence file for the golden GRU model (I=3, O=2) of T steps.
func writeData(t *testing.T, path string, T int) {
	t.Helper()
	f := &safetensors.File{Tensors: map[string]*safetensors.Tensor{
		"inputs":  {DType: safetensors.F32, Shape: []int{T, 3}, F32: make([]float32, 3*T)},
		"targets": {DType: safetensors.F32, Shape: []int{T, 2}, F32: make([]float32, 2*T)},
	}}
	for i := range f.Tensors["inputs"].F32 {
		f.Tensors["inputs"].F32[i] = float32(i%7) / 7
	}
	if err := safetensors.WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
}

// hostileDir makes the work directory of the hostile invocations: a model and its data,
// a symbolic and a hard link to the model, a named pipe, a link to /dev/null, a
// directory, files that are not safetensors, a sequence of no steps and a long one.
func hostileDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	for name, src := range map[string]string{"m.st": golden("gru", "model"), "d.st": golden("gru", "data"), "main.go": "main.go"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p(name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("m.st", p("lnk.st")))
	must(os.Link(p("m.st"), p("hard.st")))
	must(syscall.Mkfifo(p("fifo"), 0o644))
	must(os.Symlink(os.DevNull, p("null")))
	must(os.Mkdir(p("sub"), 0o755))
	must(os.Mkdir(p("rep"), 0o755))
	must(syscall.Mkfifo(p("rep/report.json"), 0o644))
	must(os.WriteFile(p("garbage.st"), []byte("not a safetensors file at all"), 0o644))
	must(os.WriteFile(p("empty.st"), nil, 0o644))
	writeData(t, p("t0.st"), 0)
	writeData(t, p("long.st"), 100_000)
	return dir
}

// TestHostileInvocations runs chronograd on hostile arguments and files, each as its own
// process under ulimit -v, and checks that every one exits 1 with exactly one line on
// stderr naming the problem, within seconds, creating no file and changing no input
// (issue 18: nothing lost, nothing hangs, nothing bricked).
func TestHostileInvocations(t *testing.T) {
	dir := hostileDir(t)
	before := snapshot(t, dir)
	nullInfo, err := os.Stat(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	const (
		mem   = "over the memory limit"
		gm    = "-model=m.st"
		gd    = "-data=d.st"
		quick = "-quick"
	)
	cases := []struct {
		args []string
		want string
	}{
		// Any command.
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"cpu", "-x"}, "flag provided but not defined: -x"},
		{[]string{"cpu", "extra"}, `unexpected argument "extra"`},
		// bench: sizes refused up front (issue item 3).
		{[]string{"bench", "-T", "1000000000000"}, mem},
		{[]string{"bench", "-algo", "rtrl", "-hidden", "1024"}, mem},
		{[]string{"bench", "-repeats", "1000000000"}, "-repeats 1000000000 is more than 1000000"},
		{[]string{"bench", "-output", "1000000", "-hidden", "1000"}, mem},
		{[]string{"bench", "-input", "100000000", "-hidden", "1"}, mem},
		{[]string{"bench", "-hidden", "100000"}, "over the limit of 1073741824 (2³⁰)"},
		{[]string{"bench", "-output", "2000000000", "-hidden", "1"}, "readout of 2000000000 outputs"},
		{[]string{"bench", "-T", "100000000", "-input", "1000"}, mem},
		{[]string{"bench", "-algo", "bptt-checkpoint:1000000000000", "-T", "1000000000"}, mem},
		{[]string{"bench", "-algo", "rtrl", "-hidden", "64", "-mem-limit", "1KiB"}, mem + " of 1024 bytes"},
		{[]string{"bench", "-mem-limit", "-5"}, `invalid value "-5" for flag -mem-limit`},
		{[]string{"bench", "-T", "0"}, "-T must be at least 1"},
		{[]string{"bench", "-min-time", "-1s"}, "-min-time positive"},
		{[]string{"bench", "-cell", "elman"}, "elman"},
		{[]string{"bench", "-batch", "100000000"}, "-batch 100000000 is more than 65536"},
		{[]string{"bench", "-batch", "65536", "-algo", "rtrl", "-hidden", "64"}, mem},
		// profile, the default command: nothing created, not even the report directory.
		{[]string{quick, "-repeats", "1000000000", "-out", "report"}, "-repeats 1000000000 is more than 1000000"},
		{[]string{"-repeats", "1000000000"}, "-repeats 1000000000 is more than 1000000"},
		{[]string{quick, "-mem-limit", "64KiB", "-out", "report"}, mem},
		{[]string{"profile", quick, "-out", "m.st"}, "-out m.st is not a directory"},
		{[]string{"profile", quick, "-out", os.DevNull}, "is not a directory"},
		{[]string{"profile", quick, "-out", "m.st/report"}, "m.st is not a directory"},
		{[]string{"profile", "-train-budget", "0s"}, "-train-budget positive"},
		{[]string{"profile", quick, "-out", "rep"}, "rep/report.json is not a regular file (it is a named pipe)"},
		// frontier: sizes and the report directory refused up front.
		{[]string{"frontier", "-out", "rep"}, "rep/report.json is not a regular file (it is a named pipe)"},
		{[]string{"frontier", "-out", "m.st"}, "-out m.st is not a directory"},
		{[]string{"frontier", "-hidden", "4096", "-mem-limit", "1MiB"}, mem},
		{[]string{"frontier", "-task", "sine", "-length", "1000000000"}, "more than the 10000000 steps a frontier runs"},
		// train: sizes (item 3), float flags (item 8), -save checked before the run.
		{[]string{"train", "-length", "1000000000000"}, mem},
		{[]string{"train", "-task", "copy", "-length", "1000000000"}, mem},
		{[]string{"train", "-task", "copy", "-length", "9223372036854775800"}, "longer than an int counts"},
		{[]string{"train", "-algo", "rtrl", "-hidden", "1024"}, mem},
		{[]string{"train", "-hidden", "40000", "-task", "sine"}, "over the limit of 1073741824"},
		{[]string{"train", "-layers", "1000"}, "1000 layers"},
		{[]string{"train", "-cell", "rnn_tanh", "-alpha", "1e-46"}, "too small for float32"},
		{[]string{"train", "-cell", "rnn_tanh", "-alpha", "NaN"}, "NaN"},
		{[]string{"train", "-lr", "1e39"}, "too large for float32"},
		{[]string{"train", "-lr", "NaN"}, "NaN"},
		{[]string{"train", "-lr", "Inf"}, "flag -lr"},
		{[]string{"train", "-lr", "0"}, "must be > 0"},
		{[]string{"train", "-optimizer", "sgd", "-momentum", "NaN"}, "flag -momentum"},
		{[]string{"train", "-optimizer", "sgd", "-momentum", "1"}, "must be in [0, 1)"},
		{[]string{"train", "-clip", "NaN"}, "flag -clip"},
		{[]string{"train", "-clip", "-1"}, "must be >= 0"},
		{[]string{"train", "-save", "sub"}, "-save sub is not a regular file"},
		{[]string{"train", "-save", "null"}, "character device"},
		{[]string{"train", "-save", "fifo"}, "named pipe"},
		{[]string{"train", "-save", "nodir/m.st"}, "directory nodir does not exist"},
		{[]string{"train", "-save", "m.st/x.st"}, "-save m.st/x.st: not a directory"},
		{[]string{"train", "-save", ""}, ""}, // -save "" is no -save: refused for the other flag below
		{[]string{"train", "-sequences", "0"}, "-sequences must be at least 1"},
		{[]string{"train", "-task", "juggling"}, `unknown task "juggling"`},
		{[]string{"train", "-mem-limit", "lots"}, "flag -mem-limit"},
		{[]string{"train", "-batch", "100000"}, "-batch 100000 is more than 65536"},
		{[]string{"train", "-batch", "60000", "-length", "100000"}, mem},
		// data: the first sequence is not drawn before its size is checked.
		{[]string{"data", "-task", "adding", "-length", "1000000000000", "-out", "x.st"}, mem},
		{[]string{"data", "-task", "copy", "-length", "9223372036854775800", "-out", "x.st"}, "longer than an int counts"},
		{[]string{"data", "-task", "sine", "-out", "x.st", "-mem-limit", "1KiB"}, mem},
		{[]string{"data", "-task", "sine", "-out", "null"}, "character device"},
		{[]string{"data", "-task", "sine", "-out", "fifo"}, "named pipe"},
		{[]string{"data", "-task", "sine", "-out", "sub"}, "directory"},
		// grad: outputs never alias inputs (items 1, 7), inputs never hang (item 2),
		// clear errors (item 8), T = 0 refused, sizes checked.
		{[]string{"grad", gm, gd, "-out", "m.st"}, "-out m.st is the -model file"},
		{[]string{"grad", gm, gd, "-out", "lnk.st"}, "-out lnk.st is the -model file"},
		{[]string{"grad", gm, gd, "-out", "hard.st"}, "-out hard.st is the -model file"},
		{[]string{"grad", gm, gd, "-out", "d.st"}, "-out d.st is the -data file"},
		{[]string{"grad", "-model", "fifo", gd, "-out", "g.st"}, "fifo is not a regular file (it is a named pipe)"},
		{[]string{"grad", gm, "-data", "fifo", "-out", "g.st"}, "fifo is not a regular file (it is a named pipe)"},
		{[]string{"grad", gm, gd, "-out", "fifo"}, "named pipe"},
		{[]string{"grad", gm, gd, "-out", "null"}, "character device"},
		{[]string{"grad", gm, gd, "-out", os.DevNull}, "character device"},
		{[]string{"grad", gm, gd, "-out", "sub"}, "directory"},
		{[]string{"grad", gm, gd, "-out", "nodir/g.st"}, "no such file or directory"},
		{[]string{"grad", "-model", "sub", gd, "-out", "g.st"}, "sub is not a regular file (it is a directory)"},
		{[]string{"grad", "-model", "garbage.st", gd, "-out", "g.st"}, "garbage.st is not a safetensors file"},
		{[]string{"grad", "-model", "main.go", gd, "-out", "g.st"}, "main.go is not a safetensors file"},
		{[]string{"grad", "-model", "empty.st", gd, "-out", "g.st"}, "empty.st is not a safetensors file"},
		{[]string{"grad", "-model", "missing.st", gd, "-out", "g.st"}, "no such file or directory"},
		{[]string{"grad", "-model", "", gd, "-out", "g.st"}, "-model is required"},
		{[]string{"grad", gm, "-data", "t0.st", "-out", "g.st"}, "T = 0"},
		{[]string{"grad", gm, "-data", "long.st", "-out", "g.st", "-mem-limit", "16MiB"}, mem},
		{[]string{"grad", gm, "-data", "long.st", "-out", "g.st", "-mem-limit", "4MiB"}, mem},
		{[]string{"grad", gm, gd, "-out", "g.st", "-algo", "rtrl", "-mem-limit", "1KiB"}, mem},
		{[]string{"grad", gm, gd, "-out", "g.st", "-mem-limit", "0.5"}, "not a whole number of bytes"},
		// diagnose: -plot never destroys an input (item 1) nor a device (item 7).
		{[]string{"diagnose", gm, gd, "-plot", "m.st"}, "-plot m.st is the -model file"},
		{[]string{"diagnose", gm, gd, "-plot", "d.st"}, "-plot d.st is the -data file"},
		{[]string{"diagnose", gm, gd, "-plot", "lnk.st"}, "-plot lnk.st is the -model file"},
		{[]string{"diagnose", gm, gd, "-plot", "hard.st"}, "-plot hard.st is the -model file"},
		{[]string{"diagnose", gm, gd, "-plot", os.DevNull}, "character device"},
		{[]string{"diagnose", gm, gd, "-plot", "null"}, "character device"},
		{[]string{"diagnose", gm, gd, "-plot", "fifo"}, "named pipe"},
		{[]string{"diagnose", gm, gd, "-plot", "sub"}, "directory"},
		{[]string{"diagnose", "-model", "fifo", gd}, "named pipe"},
		{[]string{"diagnose", gm, "-data", "fifo"}, "named pipe"},
		{[]string{"diagnose", "-model", "main.go", gd}, "main.go is not a safetensors file"},
		{[]string{"diagnose", gm, "-data", "t0.st"}, "T = 0"},
		{[]string{"diagnose", gm, "-data", "long.st", "-mem-limit", "16MiB"}, mem},
		{[]string{"diagnose", gm, gd, "-delta", "NaN"}, "flag -delta"},
		{[]string{"diagnose", gm, gd, "-delta", "Inf"}, "flag -delta"},
		{[]string{"diagnose", gm, gd, "-delta", "0"}, "must be in (0, 1)"},
		{[]string{"diagnose", gm, gd, "-maxlag", "-1"}, "must not be negative"},
	}
	if runtime.GOOS == "linux" {
		// A directory nothing can create files in, even root: found before the run.
		cases = append(cases, struct {
			args []string
			want string
		}{[]string{"train", "-save", "/proc/chronograd.st"}, "-save /proc/chronograd.st cannot be written"})
	}
	if len(cases) < 60 {
		t.Fatalf("only %d hostile invocations", len(cases))
	}
	for _, c := range cases {
		args := c.args
		if len(args) == 3 && args[0] == "train" && args[1] == "-save" && args[2] == "" {
			// An empty -save means none; pair it with a bad flag so the run stays short.
			args, c.want = []string{"train", "-save", "", "-sequences", "-1"}, "-sequences must be at least 1"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := chronograd(t, ctx, dir, hostileLimitKB, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		hung := errors.Is(ctx.Err(), context.DeadlineExceeded)
		cancel()
		code := cmd.ProcessState.ExitCode()
		msg := stderr.String()
		switch {
		case hung:
			t.Errorf("%q hung (killed after 30s)", args)
		case code != 1:
			t.Errorf("%q: exit %d (%v), want 1; stderr:\n%s", args, code, err, firstLines(msg))
		case strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n"):
			t.Errorf("%q: stderr is not one line:\n%s", args, firstLines(msg))
		case !strings.Contains(msg, c.want) && !(overflowsInt(args) && (strings.Contains(msg, "value out of range") || strings.Contains(msg, "is not an integer"))):
			t.Errorf("%q: stderr %q does not say %q", args, msg, c.want)
		}
		if after := snapshot(t, dir); !maps.Equal(after, before) {
			t.Errorf("%q changed the directory: %s", args, diff(before, after))
			before = after
		}
		if st, err := os.Stat(os.DevNull); err != nil || st.Mode() != nullInfo.Mode() {
			t.Fatalf("%q: %s is now %v (%v)", args, os.DevNull, st.Mode(), err)
		}
	}
}

// firstLines keeps a crash's goroutine dump short in a failure message.
func firstLines(s string) string {
	lines := strings.SplitAfter(s, "\n")
	return strings.Join(lines[:min(len(lines), 6)], "")
}

// diff names the paths that appeared, vanished or changed between two snapshots.
func diff(a, b map[string]entry) string {
	var out []string
	for p, e := range b {
		if old, ok := a[p]; !ok {
			out = append(out, "new "+p)
		} else if old != e {
			out = append(out, "changed "+p)
		}
	}
	for p := range a {
		if _, ok := b[p]; !ok {
			out = append(out, "removed "+p)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// overflowsInt reports whether one of args holds a decimal integer past this platform's
// int: on 32-bit ARM the flag package (or a specification's parser) refuses it first,
// with its own one-line message, before the check a 64-bit run reaches.
func overflowsInt(args []string) bool {
	for _, a := range args {
		for _, f := range strings.FieldsFunc(a, func(r rune) bool { return r < '0' || r > '9' }) {
			if _, err := strconv.Atoi(f); err != nil {
				return true
			}
		}
	}
	return false
}
