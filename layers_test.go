package chronograd_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The numeric core links no plotting, font, image or terminal package: a service or an
// ARM board that only trains pays only for arithmetic. Plotting lives in bench and the
// CLI.
func TestCoreImportsNoPlotting(t *testing.T) {
	core := []string{"kernels", "cell", "bptt", "rtrl", "diagnose", "train", "task", "reservoir"}
	forbidden := []string{
		"gonum.org/v1/plot", "codeberg.org/go-fonts", "codeberg.org/go-pdf", "codeberg.org/go-latex",
		"git.sr.ht/~sbinet/gg", "github.com/ajstarks/svgo", "github.com/golang/freetype",
		"golang.org/x/image", "golang.org/x/term", "github.com/schollz/progressbar", "github.com/mitchellh/colorstring", "github.com/rivo/uniseg",
	}
	for _, pkg := range core {
		for _, dep := range deps(t, "./"+pkg) {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, f+"/") {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}

// Imports only point down the layers of DESIGN.md: no package imports one above it.
func TestImportsPointDown(t *testing.T) {
	const mod = "github.com/chronograd/chronograd/"
	// Each package with the packages of the module it must never depend on.
	above := map[string][]string{
		"kernels":   {"cell", "bptt", "rtrl", "algo", "diagnose", "train", "task", "bench", "reservoir"},
		"cell":      {"bptt", "rtrl", "algo", "diagnose", "train", "task", "bench", "reservoir"},
		"diagnose":  {"bptt", "rtrl", "algo", "train", "task", "bench"},
		"bptt":      {"rtrl", "algo", "train", "task", "bench"},
		"rtrl":      {"bptt", "algo", "train", "task", "bench"},
		"algo":      {"train", "task", "bench"},
		"task":      {"bptt", "rtrl", "algo", "train", "bench"},
		"train":     {"bench"},
		"reservoir": {"bptt", "rtrl", "algo", "train", "bench"},
	}
	for pkg, bad := range above {
		for _, dep := range deps(t, "./"+pkg) {
			for _, b := range bad {
				if dep == mod+b {
					t.Errorf("%s depends on %s, a layer above it", pkg, b)
				}
			}
		}
	}
}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}
