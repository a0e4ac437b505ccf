package main

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
)

// writeLinearModel writes a tanh RNN with W_hh = β·Q (Q orthogonal) and zero biases, and
// a T-step sequence of inputs of size 1e-3 with mean-one targets: its Jacobians are β·Q
// to float32 precision, so φ_k = β^k·φ_0, the spectral radius is β and the Lyapunov
// exponents are ln β.
func writeLinearModel(t *testing.T, dir string, beta float64, T int) (model, data string) {
	t.Helper()
	const H, I, O = 10, 2, 2
	rng := rand.New(rand.NewPCG(5, 5))
	m, err := cell.NewModel(cell.Config{Kind: cell.RNNTanh, Hidden: H, Input: I}, O)
	if err != nil {
		t.Fatal(err)
	}
	cell.InitOrthogonal(m.Layers[0], rng)
	l := m.Layers[0].Layout()
	for i := l.WeightHH; i < l.BiasIH; i++ {
		m.Layers[0].Params()[i] *= float32(beta)
	}
	clear(m.Layers[0].Params()[l.BiasIH:])
	m.Head.InitDefault(rng)
	model = filepath.Join(dir, "m.safetensors")
	if err := m.Save(model); err != nil {
		t.Fatal(err)
	}
	x, y := make([]float32, T*I), make([]float32, T*O)
	for i := range x {
		x[i] = float32(1e-3 * rng.NormFloat64())
	}
	for i := range y {
		y[i] = float32(1 + 0.3*rng.NormFloat64())
	}
	data = filepath.Join(dir, "d.safetensors")
	f := &safetensors.File{Tensors: map[string]*safetensors.Tensor{
		"inputs":  {DType: safetensors.F32, Shape: []int{T, I}, F32: x},
		"targets": {DType: safetensors.F32, Shape: []int{T, O}, F32: y},
	}}
	if err := safetensors.WriteFile(data, f); err != nil {
		t.Fatal(err)
	}
	return model, data
}

func TestDiagnoseJSONLinear(t *testing.T) {
	dir := t.TempDir()
	const beta = 0.85
	model, data := writeLinearModel(t, dir, beta, 200)
	plot := filepath.Join(dir, "phi.svg")
	code, stdout, stderr := runCmd(t, "diagnose", "-model", model, "-data", data, "-delta", "0.05", "-json", "-maxlag", "40", "-plot", plot)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if strings.Count(stdout, "\n") != 1 || !strings.HasSuffix(stdout, "}\n") {
		t.Fatalf("stdout is not one JSON line: %q", stdout)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range raw {
			if !yield(k) {
				return
			}
		}
	})
	if want := []string{"K", "beta", "lyapunov", "phi", "spectral_radius"}; !slices.Equal(keys, want) {
		t.Fatalf("fields %v, want exactly %v", keys, want)
	}
	var out struct {
		Beta, Lyapunov, SpectralRadius float64
		K                              int
		Phi                            []float64
	}
	out.SpectralRadius = math.NaN()
	if err := json.Unmarshal([]byte(strings.Replace(stdout, "spectral_radius", "SpectralRadius", 1)), &out); err != nil {
		t.Fatal(err)
	}
	if math.Abs(out.Beta-beta) > 0.02*beta {
		t.Errorf("beta %v, want %v", out.Beta, beta)
	}
	if math.Abs(out.SpectralRadius-beta) > 1e-4 || math.Abs(out.Lyapunov-math.Log(beta)) > 1e-3 {
		t.Errorf("spectral radius %v, Lyapunov %v; want %v, %v", out.SpectralRadius, out.Lyapunov, beta, math.Log(beta))
	}
	if len(out.Phi) != 41 {
		t.Fatalf("%d φ values, want 41 (lags 0 … 40)", len(out.Phi))
	}
	for k := 1; k < len(out.Phi); k++ {
		if r := out.Phi[k] / out.Phi[k-1]; math.Abs(r-beta) > 1e-3 {
			t.Errorf("φ_%d/φ_%d = %v, want β = %v", k, k-1, r, beta)
		}
	}
	if out.K < 2 || out.K > 40 {
		t.Errorf("K = %d, want a window inside the measured lags", out.K)
	}
	svg, err := os.ReadFile(plot)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(svg), "<svg") || !strings.Contains(string(svg), "</svg>") {
		t.Errorf("plot is not an SVG document: %.80q", svg)
	}
}

func TestDiagnoseText(t *testing.T) {
	code, stdout, stderr := runCmd(t, "diagnose", "-model", golden("lstm", "model"), "-data", golden("lstm", "data"))
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"model: lstm", "decay rate β", "window K for δ = 0.1", "largest Lyapunov exponent", "spectral radius of weight_hh_l0 candidate block g"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in:\n%s", want, stdout)
		}
	}
}

// -tau 0 is τ = 0 (it used to mean the default, which made τ = 0 unreachable); without
// -tau the default max(1, maxlag/5) applies.
func TestDiagnoseTauZero(t *testing.T) {
	args := []string{"diagnose", "-model", golden("gru", "model"), "-data", golden("gru", "data")}
	_, zero, _ := runCmd(t, append(args, "-tau", "0")...)
	_, def, _ := runCmd(t, args...)
	if !strings.Contains(zero, "ln φ_k, k ≥ 0)") || !strings.Contains(def, "ln φ_k, k ≥ 1)") {
		t.Fatalf("-tau 0 fitted from:\n%s\nwithout -tau:\n%s", zero, def)
	}
	if code, _, stderr := runCmd(t, append(args, "-tau", "-1")...); code != 1 || !strings.Contains(stderr, "must not be negative") {
		t.Fatalf("-tau -1: exit %d, %q", code, stderr)
	}
}

func TestDiagnoseRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	gruM, gruD := golden("gru", "model"), golden("gru", "data")
	// The writer refuses Inf, so patch the last float of the file (of "targets", which
	// sorts last) in place.
	raw, err := os.ReadFile(gruD)
	if err != nil {
		t.Fatal(err)
	}
	raw = slices.Clone(raw)
	binary.LittleEndian.PutUint32(raw[len(raw)-4:], 0x7f800000)
	nanData := filepath.Join(dir, "inf.safetensors")
	if err := os.WriteFile(nanData, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	plot := filepath.Join(dir, "never.svg")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-data", gruD}, "-model is required"},
		{[]string{"-model", gruM}, "-data is required"},
		{[]string{"-model", gruM, "-data", gruD, "-delta", "1"}, "-delta"},
		{[]string{"-model", gruM, "-data", gruD, "-delta", "x"}, "invalid value"},
		{[]string{"-model", gruM, "-data", gruD, "-maxlag", "8"}, "max lag 8"},
		{[]string{"-model", gruM, "-data", gruD, "-maxlag", "-1"}, "must not be negative"},
		{[]string{"-model", gruM, "-data", gruD, "-tau", "7"}, "tau 7"},
		{[]string{"-model", filepath.Join(dir, "missing"), "-data", gruD}, "missing"},
		{[]string{"-model", gruD, "-data", gruD}, "cell"},
		{[]string{"-model", gruM, "-data", golden("lstm", "data")}, "c0"},
		{[]string{"-model", gruM, "-data", nanData, "-plot", plot}, "targets"},
		{[]string{"-model", gruM, "-data", gruD, "extra"}, "unexpected argument"},
	} {
		code, stdout, stderr := runCmd(t, append([]string{"diagnose"}, c.args...)...)
		if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q (want one line containing %q)", c.args, code, stdout, stderr, c.msg)
		}
	}
	if _, err := os.Stat(plot); !os.IsNotExist(err) {
		t.Errorf("a failed run wrote the plot (%v)", err)
	}
	code, stdout, _ := runCmd(t, "diagnose", "-h")
	if code != 0 || !strings.Contains(stdout, "-delta") {
		t.Errorf("-h: exit %d, %q", code, stdout)
	}
}

// On the 8-step golden sequences the adaptive window starts at T and no estimate is due,
// so tbptt-adaptive is full BPTT and must match PyTorch's gradient.
func TestGradAdaptive(t *testing.T) {
	for _, kind := range goldenKinds {
		want, err := safetensors.ReadFile(golden(kind, "grad"))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "g.safetensors")
		code, _, stderr := runCmd(t, "grad", "-model", golden(kind, "model"), "-data", golden(kind, "data"), "-algo", "tbptt-adaptive:0.1", "-out", out)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", kind, code, stderr)
		}
		got, err := safetensors.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range want.Names() {
			for i, w := range want.Tensors[name].F32 {
				if g := got.Tensors[name].F32[i]; math.Abs(float64(g-w)) > 2e-5+1e-4*math.Abs(float64(w)) {
					t.Errorf("%s: %s[%d] = %.7g, PyTorch %.7g", kind, name, i, g, w)
				}
			}
		}
	}
	for _, bad := range []string{"tbptt-adaptive", "tbptt-adaptive:0", "tbptt-adaptive:1", "tbptt-adaptive:x", "tbptt-adaptive:NaN"} {
		code, _, stderr := runCmd(t, "grad", "-model", golden("gru", "model"), "-data", golden("gru", "data"), "-algo", bad, "-out", filepath.Join(t.TempDir(), "g"))
		if code != 1 || !strings.Contains(stderr, "δ") {
			t.Errorf("-algo %s: exit %d, stderr %q", bad, code, stderr)
		}
	}
}

// A growing linear model (β = 1.05) has no window: K is null in JSON, "none" in text.
func TestDiagnoseNoDecay(t *testing.T) {
	model, data := writeLinearModel(t, t.TempDir(), 1.05, 60)
	code, stdout, stderr := runCmd(t, "diagnose", "-model", model, "-data", data, "-maxlag", "30", "-json")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var out struct {
		Beta float64
		K    *int
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.K != nil || math.Abs(out.Beta-1.05) > 0.02*1.05 {
		t.Errorf("beta %v, K %v; want 1.05 and null in %s", out.Beta, out.K, stdout)
	}
	if _, stdout, _ := runCmd(t, "diagnose", "-model", model, "-data", data, "-maxlag", "30"); !strings.Contains(stdout, "window K for δ = 0.1: none") {
		t.Errorf("text output does not say there is no window:\n%s", stdout)
	}
}
