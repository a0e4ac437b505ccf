package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// frontier -json prints one object per point with the documented fields, covers every
// online algorithm that applies to the cell, and writes the CSV, JSON and SVG beside.
func TestFrontierJSON(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCmd(t, "frontier", "-json", "-cell", "rnn_tanh,gru", "-hidden", "4", "-task", "sine", "-length", "8",
		"-warmup", "1", "-sequences", "2", "-min-time", "1ms", "-out", dir)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		for _, k := range []string{"cell", "hidden", "algo", "ns_per_step", "bytes", "cosine", "rel_norm"} {
			if _, ok := obj[k]; !ok {
				t.Errorf("%q lacks %q", line, k)
			}
		}
		name, _, _ := strings.Cut(obj["algo"].(string), ":")
		seen[obj["cell"].(string)+" "+name] = true
	}
	for _, want := range []string{"rnn_tanh bptt", "rnn_tanh tbptt", "rnn_tanh kfrtrl", "rnn_tanh rkfrtrl", "rnn_tanh dni", "gru dni", "gru uoro", "gru rtrl"} {
		if !seen[want] {
			t.Errorf("no point for %s in:\n%s", want, out)
		}
	}
	if seen["gru kfrtrl"] || seen["gru rflo"] {
		t.Errorf("a vanilla-only algorithm on gru:\n%s", out)
	}
	for _, f := range []string{"frontier.csv", "frontier.json", "frontier_rnn_tanh_n4.svg", "frontier_gru_n4.svg"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// Without -json the frontier prints a table per cell; -out "" writes nothing.
func TestFrontierTable(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	code, out, errOut := runCmd(t, "frontier", "-cell", "lstm", "-hidden", "3", "-task", "copy", "-length", "1",
		"-warmup", "0", "-sequences", "1", "-min-time", "1ms", "-out", "")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"cost–accuracy frontier on copy", "eprop", "cosine", "rel. RMS error"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("-out \"\" wrote %v", entries)
	}
}

// Bad input is one line and exit 1.
func TestFrontierBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-cell", "gruu"}, "-cell "},
		{[]string{"-cell", "gru,"}, "-cell "},
		{[]string{"-cell", "gru,gru"}, "listed twice"},
		{[]string{"-hidden", "0"}, "-hidden "},
		{[]string{"-hidden", "8,x"}, `"x" is not an integer`},
		{[]string{"-hidden", "5000"}, "more than the 4096 hidden units a frontier measures"},
		{[]string{"-hidden", "100000"}, "is not in [1, "},
		{[]string{"-sequences", "0"}, "-sequences at least 1"},
		{[]string{"-warmup", "-1"}, "-warmup must be at least 0"},
		{[]string{"-task", "sorting"}, `-task: unknown task "sorting"`},
		{[]string{"-length", "0"}, "length 0 must be positive"},
		{[]string{"-length", "100000000"}, "more than the 10000000 steps a frontier runs"},
		{[]string{"-init", "zeros"}, `-init "zeros"`},
		{[]string{"-max-gflop", "-1"}, "-max-gflop"},
		{[]string{"-max-gflop", "NaN"}, "-max-gflop"},
		{[]string{"-warmup", "99999999999"}, map[int]string{64: "more than the 10000000 steps", 32: "-warmup: value out of range"}[strconv.IntSize]},
		{[]string{"-task", "copy", "-length", "9223372036854775800"}, map[int]string{64: "longer than an int counts", 32: "-length: value out of range"}[strconv.IntSize]},
		{[]string{"-hidden", "4096", "-mem-limit", "1MiB"}, "over the memory limit"},
		{[]string{"-out", "/dev/null"}, "-out /dev/null"},
		{[]string{"-min-time", "-1s"}, "-min-time"},
	} {
		code, _, errOut := runCmd(t, append([]string{"frontier"}, c.args...)...)
		if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line with %q", c.args, code, errOut, c.msg)
		}
	}
}

// KF-RTRL and reverse KF-RTRL on a gated cell: one line naming the cell, exit 1, from
// every command that takes -algo.
func TestKroneckerRefusedOnGatedCells(t *testing.T) {
	d := "testdata"
	for _, name := range []string{"kfrtrl", "rkfrtrl"} {
		for _, args := range [][]string{
			{"bench", "-algo", name, "-cell", "gru", "-hidden", "4", "-T", "3"},
			{"train", "-algo", name, "-cell", "lstm", "-hidden", "4", "-sequences", "1"},
			{"grad", "-algo", name, "-model", d + "/grad_gru.model.safetensors", "-data", d + "/grad_gru.data.safetensors", "-out", filepath.Join(t.TempDir(), "g.st")},
		} {
			code, _, errOut := runCmd(t, args...)
			if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, name+" needs an rnn_tanh or rnn_relu cell") {
				t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
			}
		}
	}
}
