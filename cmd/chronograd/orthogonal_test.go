package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
)

// trainOrthogonal runs `train -cell orthogonal` on a short copy task and returns the
// saved model's path.
func trainOrthogonal(t *testing.T, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ortho.safetensors")
	args := append([]string{"train", "-task", "copy", "-length", "5", "-cell", "orthogonal", "-hidden", "16",
		"-sequences", "60", "-lr", "0.005", "-save", path}, extra...)
	code, out, errOut := runCmd(t, args...)
	if code != 0 || errOut != "" {
		t.Fatalf("%v: exit %d, stderr %q\n%s", args, code, errOut, out)
	}
	if !strings.Contains(out, "orthogonal n=16") || !strings.Contains(out, "final evaluation loss") {
		t.Fatalf("summary:\n%s", out)
	}
	return path
}

// writeSequence writes a sequence file of T steps for a model of in inputs and out
// outputs (squared-error targets).
func writeOrthoSequence(t *testing.T, T, in, out int) string {
	t.Helper()
	x, y := make([]float32, T*in), make([]float32, T*out)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	for i := range y {
		y[i] = float32(math.Cos(float64(i)))
	}
	path := filepath.Join(t.TempDir(), "seq.safetensors")
	f := &safetensors.File{Tensors: map[string]*safetensors.Tensor{
		"inputs":  {DType: safetensors.F32, Shape: []int{T, in}, F32: x},
		"targets": {DType: safetensors.F32, Shape: []int{T, out}, F32: y},
	}}
	if err := safetensors.WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	return path
}

// `train -cell orthogonal` saves a model that loads as one (with its map), whose
// weight_hh_l0 is skew-symmetric and whose W is orthogonal; `grad` and `diagnose` run on
// it, and diagnose reports the spectral radius of W as 1.
func TestTrainOrthogonal(t *testing.T) {
	for _, tc := range []struct {
		extra []string
		mp    cell.OrthoMap
	}{{nil, cell.OrthoExp}, {[]string{"-ortho-map", "cayley", "-init", "cayley", "-algo", "snap1", "-update-every", "1"}, cell.OrthoCayley}} {
		path := trainOrthogonal(t, tc.extra...)
		m, err := cell.LoadModel(path)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind() != cell.Orthogonal || m.OrthoMap() != tc.mp || m.HiddenSize() != 16 {
			t.Fatalf("saved model: %v %v H=%d", m.Kind(), m.OrthoMap(), m.HiddenSize())
		}
		data := writeOrthoSequence(t, 30, m.InputSize(), m.OutSize())
		out := filepath.Join(t.TempDir(), "g.safetensors")
		if code, stdout, stderr := runCmd(t, "grad", "-model", path, "-data", data, "-algo", "rtrl", "-out", out); code != 0 {
			t.Fatalf("grad: exit %d, %q %q", code, stdout, stderr)
		}
		g, err := safetensors.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if gw := g.Tensors["weight_hh_l0"].F32; gw[1] != -gw[16] || gw[1] == 0 {
			t.Errorf("the gradient of weight_hh_l0 is not skew-symmetric: [0][1] = %v, [1][0] = %v", gw[1], gw[16])
		}
		code, stdout, stderr := runCmd(t, "diagnose", "-model", path, "-data", data, "-maxlag", "20")
		if code != 0 {
			t.Fatalf("diagnose: exit %d, %q", code, stderr)
		}
		want := "spectral radius of W = exp(A): 1\n"
		if tc.mp == cell.OrthoCayley {
			want = "spectral radius of W = cayley(A): 1\n"
		}
		if !strings.Contains(stdout, want) {
			t.Errorf("diagnose does not report a spectral radius of 1:\n%s", stdout)
		}
	}
}

// A model file whose skew parameter has the wrong shape or is not skew-symmetric, or an
// orthogonal map that makes no sense, is refused by grad, diagnose and train's flags with
// one line on stderr and exit status 1.
func TestOrthogonalBadInput(t *testing.T) {
	good := trainOrthogonal(t)
	dir := t.TempDir()
	data := writeOrthoSequence(t, 10, 10, 10)
	cases := []struct {
		name string
		edit func(f *safetensors.File)
		want string
	}{
		{"not skew", func(f *safetensors.File) { f.Tensors["weight_hh_l0"].F32[3] += 0.5 },
			`tensor "weight_hh_l0" is not skew-symmetric: element [0][3]`},
		{"diagonal", func(f *safetensors.File) { f.Tensors["weight_hh_l0"].F32[17] = 1 },
			`tensor "weight_hh_l0" is not skew-symmetric: element [1][1] = 1, want 0`},
		{"shape", func(f *safetensors.File) { resize(f, "weight_hh_l0", 16, 15) },
			`tensor "weight_hh_l0" has shape [16 15]`},
		{"map", func(f *safetensors.File) { f.Metadata["orthogonal_map"] = "householder" },
			`unknown orthogonal map "householder"`},
	}
	for _, tc := range cases {
		bad := variant(t, good, filepath.Join(dir, tc.name+".safetensors"), tc.edit)
		for _, cmd := range [][]string{
			{"grad", "-model", bad, "-data", data, "-out", filepath.Join(dir, "g.safetensors")},
			{"diagnose", "-model", bad, "-data", data},
		} {
			code, stdout, stderr := runCmd(t, cmd...)
			if code != 1 || stdout != "" || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want one line containing %q", cmd[0], tc.name, code, stdout, stderr, tc.want)
			}
		}
	}
	for _, args := range [][]string{
		{"train", "-cell", "gru", "-ortho-map", "cayley", "-sequences", "1"},
		{"train", "-cell", "lstm", "-init", "henaff", "-sequences", "1"},
		{"train", "-cell", "orthogonal", "-ortho-map", "rotation", "-sequences", "1"},
	} {
		code, stdout, stderr := runCmd(t, args...)
		if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}
