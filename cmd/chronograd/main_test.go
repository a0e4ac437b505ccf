package main

import (
	"strings"
	"testing"

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
	if !strings.Contains(out, "\nkernels: "+kernels.Impl()+"\n") {
		t.Fatalf("no line %q in:\n%s", "kernels: "+kernels.Impl(), out)
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
		{[]string{"profile", "-repeats", "0"}, 1, "-repeats must be positive"},
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

func TestProfileRuns(t *testing.T) {
	code, out, errOut := runCmd(t, "profile", "-time", "1ms", "-repeats", "1")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"kernels: ", "MatVec", "Gemm rtrl", "generic"} {
		if !strings.Contains(out, want) {
			t.Errorf("profile output lacks %q:\n%s", want, out)
		}
	}
}

func TestHelpGoesToStdout(t *testing.T) {
	code, out, errOut := runCmd(t, "profile", "-h")
	if code != 0 || errOut != "" || !strings.Contains(out, "-repeats") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
