package reservoir

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/chronograd/chronograd/internal/linalg"
	"github.com/chronograd/chronograd/kernels"
	"github.com/chronograd/chronograd/task"
)

// resMackeyGlassInputs returns the τ = 17 Mackey-Glass series scaled to [−1, 1].
func resMackeyGlassInputs(t *testing.T, n int) []float32 {
	t.Helper()
	series, err := task.DefaultMackeyGlass().Generate(n)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range series {
		lo, hi = min(lo, v), max(hi, v)
	}
	u := make([]float32, n)
	for i, v := range series {
		u[i] = float32(2*(v-lo)/(hi-lo) - 1)
	}
	return u
}

// resNRMSE is the root-mean-square error over the standard deviation of the targets.
func resNRMSE(pred, target []float32) float64 {
	var se, mean, sq float64
	for i, y := range target {
		d := float64(pred[i] - y)
		se += d * d
		mean += float64(y)
		sq += float64(y) * float64(y)
	}
	n := float64(len(target))
	mean /= n
	return math.Sqrt(se/n) / math.Sqrt(sq/n-mean*mean)
}

const (
	resWashout = 100
	resTrain   = 2000 // samples, including the washout
	resTest    = 1000 // held-out samples
)

// resOneStepNRMSE drives a reservoir with the series, trains a ridge readout (λ = ridge)
// and an RLS readout on the first resTrain steps to predict the next value from the state,
// and returns both readouts' NRMSE on the following resTest steps.
func resOneStepNRMSE(t *testing.T, cfg Config, ridge float64) (ridgeNRMSE, rlsNRMSE float64) {
	t.Helper()
	u := resMackeyGlassInputs(t, resTrain+resTest+1)
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := NewRidgeRegression(cfg.Units, 1, resWashout)
	if err != nil {
		t.Fatal(err)
	}
	rls, err := NewRecursiveLeastSquares(cfg.Units, 1, 1e-6, 1)
	if err != nil {
		t.Fatal(err)
	}
	states := kernels.NewMat(resTest, cfg.Units)
	for i := range resTrain + resTest {
		x := r.Step(u[i : i+1])
		if i < resTrain {
			rr.Add(x, u[i+1:i+2])
			if i >= resWashout {
				rls.Update(x, u[i+1:i+2])
			}
		} else {
			copy(states.Row(i-resTrain), x)
		}
	}
	readout, err := rr.Solve(ridge)
	if err != nil {
		t.Fatal(err)
	}
	target := u[resTrain+1:]
	predRidge := make([]float32, resTest)
	predRLS := make([]float32, resTest)
	for i := range resTest {
		readout.Predict(predRidge[i:i+1], states.Row(i))
		rls.Predict(predRLS[i:i+1], states.Row(i))
	}
	return resNRMSE(predRidge, target), resNRMSE(predRLS, target)
}

// The reservoirpy benchmark: one-step-ahead prediction of Mackey-Glass τ = 17 with spectral
// radius 1.25, leak 0.3, ridge 1e-5 (reservoirpy reports NRMSE ≈ 0.0045 for 100 units).
func TestReservoirMackeyGlass(t *testing.T) {
	for _, units := range []int{100, 300} {
		cfg := Config{Units: units, Inputs: 1, Density: 0.1, SpectralRadius: 1.25,
			InputScaling: 1, Leak: 0.3, Seed: 42}
		ridge, rls := resOneStepNRMSE(t, cfg, 1e-5)
		t.Logf("%d units: held-out NRMSE ridge %.4f, RLS %.4f", units, ridge, rls)
		if !(ridge < 0.01) || !(rls < 0.01) {
			t.Errorf("%d units: NRMSE ridge %.4f, RLS %.4f, want both < 0.01", units, ridge, rls)
		}
	}
}

// The threshold is not trivially met: without a reservoir, the best linear predictor from
// the current value alone is far worse.
func TestMackeyGlassNeedsMemory(t *testing.T) {
	u := resMackeyGlassInputs(t, resTrain+resTest+1)
	rr, err := NewRidgeRegression(1, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range resTrain {
		rr.Add(u[i:i+1], u[i+1:i+2])
	}
	readout, err := rr.Solve(1e-5)
	if err != nil {
		t.Fatal(err)
	}
	pred := make([]float32, resTest)
	for i := range resTest {
		readout.Predict(pred[i:i+1], u[resTrain+i:resTrain+i+1])
	}
	nrmse := resNRMSE(pred, u[resTrain+1:])
	t.Logf("linear prediction from u_t alone: NRMSE %.4f", nrmse)
	if nrmse < 0.05 {
		t.Errorf("linear AR(1) reaches NRMSE %.4f; the benchmark would not test the reservoir", nrmse)
	}
}

// Step computes exactly the documented update, checked against a float64 evaluation of
// x_t = (1−α)x_{t−1} + α·tanh(W_in u_t + W x_{t−1} + b) with the dense W.
func TestReservoirStepMatchesEquation(t *testing.T) {
	for _, tier := range []kernels.Tier{kernels.Generic, kernels.AVX2, kernels.AVX512, kernels.NEON} {
		if !kernels.Supported(tier) {
			continue
		}
		t.Run(tier.String(), func(t *testing.T) {
			restore, err := kernels.UseTier(tier)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			resCheckStepEquation(t)
		})
	}
}

func resCheckStepEquation(t *testing.T) {
	cfg := Config{Units: 23, Inputs: 3, Density: 0.3, SpectralRadius: 0.9, InputScaling: 0.5,
		BiasScaling: 0.2, Leak: 0.4, Seed: 7}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Bias == nil {
		t.Fatal("BiasScaling > 0 but no bias")
	}
	w := r.W.Dense()
	rng := rand.New(rand.NewPCG(1, 1))
	ref := make([]float64, cfg.Units)
	u := make([]float32, cfg.Inputs)
	for step := range 30 {
		for i := range u {
			u[i] = float32(rng.NormFloat64())
		}
		next := make([]float64, cfg.Units)
		for i := range cfg.Units {
			pre := float64(r.Bias[i])
			for j := range cfg.Inputs {
				pre += float64(r.WIn.At(i, j)) * float64(u[j])
			}
			for j := range cfg.Units {
				pre += float64(w.At(i, j)) * ref[j]
			}
			next[i] = (1-cfg.Leak)*ref[i] + cfg.Leak*math.Tanh(pre)
		}
		ref = next
		x := r.Step(u)
		for i := range x {
			if math.Abs(float64(x[i])-ref[i]) > 1e-5 {
				t.Fatalf("step %d unit %d: %v, want %v", step, i, x[i], ref[i])
			}
		}
	}
	r.Reset()
	for _, v := range r.State() {
		if v != 0 {
			t.Fatal("Reset left a non-zero state")
		}
	}
}

func TestReservoirConstruction(t *testing.T) {
	cfg := Config{Units: 120, Inputs: 2, Density: 0.05, SpectralRadius: 1.25, InputScaling: 0.7, Leak: 1, Seed: 3}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := denseRadius(t, a.W.Dense()); math.Abs(got-1.25) > 1e-4 {
		t.Errorf("recurrent spectral radius %v, want 1.25", got)
	}
	if nz, want := a.W.NonZeros(), 0.05*120*120; math.Abs(float64(nz)-want) > 0.25*want {
		t.Errorf("%d non-zeros, want about %v", nz, want)
	}
	for _, v := range a.WIn.Data {
		if math.Abs(float64(v)) > 0.7 {
			t.Fatalf("input weight %v outside ±0.7", v)
		}
	}
	if a.Bias != nil {
		t.Error("bias without BiasScaling")
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slicesEqual(a.W.Values, b.W.Values) || !slicesEqual(a.WIn.Data, b.WIn.Data) {
		t.Error("the same seed drew different reservoirs")
	}
	cfg.Seed = 4
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if slicesEqual(a.WIn.Data, c.WIn.Data) {
		t.Error("different seeds drew the same input weights")
	}

	good := Config{Units: 10, Inputs: 1, Density: 0.5, SpectralRadius: 1, InputScaling: 1, Leak: 0.5}
	bad := []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Units = 0 }, "Units = 0"},
		{func(c *Config) { c.Inputs = -1 }, "Inputs = -1"},
		{func(c *Config) { c.Density = 0 }, "Density = 0"},
		{func(c *Config) { c.Density = 1.5 }, "Density = 1.5"},
		{func(c *Config) { c.SpectralRadius = math.NaN() }, "SpectralRadius = NaN"},
		{func(c *Config) { c.InputScaling = 0 }, "InputScaling = 0"},
		{func(c *Config) { c.BiasScaling = math.Inf(1) }, "BiasScaling = +Inf"},
		{func(c *Config) { c.Leak = 0 }, "Leak = 0"},
		{func(c *Config) { c.Leak = 1.01 }, "Leak = 1.01"},
		// So sparse that every draw is nilpotent (at most a few non-zeros).
		{func(c *Config) { c.Units, c.Density = 3, 1e-9 }, "nilpotent"},
	}
	for _, b := range bad {
		c := good
		b.edit(&c)
		if _, err := New(c); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: error %v, want %q", c, err, b.want)
		}
	}
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReservoirStepsAllocateNothing(t *testing.T) {
	r, err := New(Config{Units: 50, Inputs: 2, Density: 0.1, SpectralRadius: 1, InputScaling: 1, BiasScaling: 0.1, Leak: 0.5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	rr, _ := NewRidgeRegression(50, 3, 2)
	rls, _ := NewRecursiveLeastSquares(50, 3, 1, 0.999)
	readout := rls.Readout()
	u := []float32{0.1, -0.2}
	y := []float32{1, 2, 3}
	checks := map[string]func(){
		"Network.Step":                  func() { r.Step(u) },
		"RidgeRegression.Add":           func() { rr.Add(r.State(), y) },
		"RecursiveLeastSquares.Update":  func() { rls.Update(r.State(), y) },
		"RecursiveLeastSquares.Predict": func() { rls.Predict(y, r.State()) },
		"Readout.Predict":               func() { readout.Predict(y, r.State()) },
	}
	for name, f := range checks {
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
}

// resRandomProblem draws samples z (T×F) and targets y = A z + b + noise (T×O).
func resRandomProblem(rng *rand.Rand, samples, features, outputs int, noise float64) (z, y kernels.Mat) {
	z = kernels.NewMat(samples, features)
	y = kernels.NewMat(samples, outputs)
	a := kernels.NewMat(outputs, features)
	for i := range a.Data {
		a.Data[i] = float32(rng.NormFloat64())
	}
	for s := range samples {
		for i := range features {
			z.Set(s, i, float32(rng.NormFloat64()))
		}
		kernels.MatVec(y.Row(s), a, z.Row(s))
		for o := range outputs {
			y.Set(s, o, y.At(s, o)+float32(0.5*float64(o)+noise*rng.NormFloat64()))
		}
	}
	return z, y
}

// Ridge regression equals the normal-equation solution computed by gonum.
func TestRidgeMatchesDenseSolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const samples, features, outputs, washout, lambda = 60, 9, 3, 5, 0.3
	z, y := resRandomProblem(rng, samples, features, outputs, 0.1)
	rr, err := NewRidgeRegression(features, outputs, washout)
	if err != nil {
		t.Fatal(err)
	}
	for s := range samples {
		rr.Add(z.Row(s), y.Row(s))
	}
	if rr.Samples() != samples-washout {
		t.Errorf("Samples() = %d, want %d", rr.Samples(), samples-washout)
	}
	got, err := rr.Solve(lambda)
	if err != nil {
		t.Fatal(err)
	}
	// Reference: W_aug = Y Zᵀ (Z Zᵀ + λI)⁻¹ with Z augmented by a row of ones.
	f := features + 1
	zm := mat.NewDense(f, samples-washout, nil)
	ym := mat.NewDense(outputs, samples-washout, nil)
	for s := washout; s < samples; s++ {
		zm.Set(0, s-washout, 1)
		for i := range features {
			zm.Set(i+1, s-washout, float64(z.At(s, i)))
		}
		for o := range outputs {
			ym.Set(o, s-washout, float64(y.At(s, o)))
		}
	}
	var gram, cross, inv, want mat.Dense
	gram.Mul(zm, zm.T())
	for i := range f {
		gram.Set(i, i, gram.At(i, i)+lambda)
	}
	cross.Mul(ym, zm.T())
	if err := inv.Inverse(&gram); err != nil {
		t.Fatal(err)
	}
	want.Mul(&cross, &inv)
	for o := range outputs {
		if d := math.Abs(float64(got.Bias[o]) - want.At(o, 0)); d > 1e-5 {
			t.Errorf("bias %d: %v, want %v", o, got.Bias[o], want.At(o, 0))
		}
		for i := range features {
			if d := math.Abs(float64(got.Weight.At(o, i)) - want.At(o, i+1)); d > 1e-5 {
				t.Errorf("weight (%d, %d): %v, want %v", o, i, got.Weight.At(o, i), want.At(o, i+1))
			}
		}
	}
}

// RLS with forgetting factor 1 and P₀ = I/δ minimises Σ‖y − W z‖² + δ‖W‖², so after the
// same samples it must equal ridge regression with λ = δ.
func TestRLSEqualsRidge(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const samples, features, outputs, delta = 200, 12, 2, 0.5
	z, y := resRandomProblem(rng, samples, features, outputs, 0.3)
	rr, _ := NewRidgeRegression(features, outputs, 0)
	rls, err := NewRecursiveLeastSquares(features, outputs, delta, 1)
	if err != nil {
		t.Fatal(err)
	}
	for s := range samples {
		rr.Add(z.Row(s), y.Row(s))
		rls.Update(z.Row(s), y.Row(s))
	}
	want, err := rr.Solve(delta)
	if err != nil {
		t.Fatal(err)
	}
	got := rls.Readout()
	for o := range outputs {
		if math.Abs(float64(got.Bias[o]-want.Bias[o])) > 1e-5 {
			t.Errorf("bias %d: RLS %v, ridge %v", o, got.Bias[o], want.Bias[o])
		}
		for i := range features {
			if math.Abs(float64(got.Weight.At(o, i)-want.Weight.At(o, i))) > 1e-5 {
				t.Errorf("weight (%d, %d): RLS %v, ridge %v", o, i, got.Weight.At(o, i), want.Weight.At(o, i))
			}
		}
	}
	// Predict uses the same weights as the snapshot.
	p1, p2 := make([]float32, outputs), make([]float32, outputs)
	rls.Predict(p1, z.Row(0))
	got.Predict(p2, z.Row(0))
	for o := range p1 {
		if math.Abs(float64(p1[o]-p2[o])) > 1e-5 {
			t.Errorf("Predict %v, snapshot %v", p1, p2)
		}
	}
}

// With forgetting, RLS tracks a target that changes: after the switch it fits the new map.
func TestRLSForgettingTracks(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	rls, _ := NewRecursiveLeastSquares(3, 1, 1e-3, 0.95)
	z := make([]float32, 3)
	y := make([]float32, 1)
	for s := range 600 {
		for i := range z {
			z[i] = float32(rng.NormFloat64())
		}
		sign := float32(1)
		if s >= 300 {
			sign = -1
		}
		y[0] = sign * (z[0] - 2*z[2])
		rls.Update(z, y)
	}
	w := rls.Readout()
	want := []float32{-1, 0, 2}
	for i, v := range want {
		if math.Abs(float64(w.Weight.At(0, i)-v)) > 1e-3 {
			t.Errorf("weight %d: %v, want %v", i, w.Weight.At(0, i), v)
		}
	}
}

func TestReadoutErrors(t *testing.T) {
	if _, err := NewRidgeRegression(0, 1, 0); err == nil {
		t.Error("zero features accepted")
	}
	if _, err := NewRidgeRegression(2, 1, -1); err == nil {
		t.Error("negative washout accepted")
	}
	rr, _ := NewRidgeRegression(4, 1, 2)
	if _, err := rr.Solve(1); err == nil || !strings.Contains(err.Error(), "no samples after a washout of 2") {
		t.Errorf("no samples: %v", err)
	}
	rr.Add([]float32{1, 2, 3, 4}, []float32{1})
	rr.Add([]float32{1, 2, 3, 4}, []float32{1})
	rr.Add([]float32{1, 2, 3, 4}, []float32{1})
	// One sample, five unknowns and no regularisation: singular.
	if _, err := rr.Solve(0); err == nil || !strings.Contains(err.Error(), "not positive definite") {
		t.Errorf("singular system: %v", err)
	}
	if _, err := rr.Solve(-1); err == nil || !strings.Contains(err.Error(), "ridge parameter -1") {
		t.Errorf("negative λ: %v", err)
	}
	if _, err := rr.Solve(1e-3); err != nil {
		t.Errorf("regularised: %v", err)
	}
	for _, c := range []struct {
		delta, forget float64
		want          string
	}{{0, 1, "δ = 0"}, {1, 0, "forgetting factor 0"}, {1, 1.5, "forgetting factor 1.5"}, {math.Inf(1), 1, "δ = +Inf"}} {
		if _, err := NewRecursiveLeastSquares(3, 1, c.delta, c.forget); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("RLS(δ=%v, λ=%v): %v, want %q", c.delta, c.forget, err, c.want)
		}
	}
}

func TestCholesky(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	const n = 13
	b := make([]float64, n*n)
	for i := range b {
		b[i] = rng.NormFloat64()
	}
	a := make([]float64, n*n) // BᵀB + I, symmetric positive definite
	for i := range n {
		for j := range n {
			for k := range n {
				a[i*n+j] += b[k*n+i] * b[k*n+j]
			}
		}
		a[i*n+i]++
	}
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i) - 6
	}
	rhs := make([]float64, n)
	for i := range n {
		rhs[i] = linalg.Dot(a[i*n:(i+1)*n], x)
	}
	l := append([]float64(nil), a...)
	if err := linalg.Cholesky(l, n); err != nil {
		t.Fatal(err)
	}
	linalg.CholeskySolve(l, n, rhs)
	for i := range x {
		if math.Abs(rhs[i]-x[i]) > 1e-9 {
			t.Fatalf("x[%d] = %v, want %v", i, rhs[i], x[i])
		}
	}
	a[0] = -1
	if err := linalg.Cholesky(a, n); err == nil {
		t.Error("indefinite matrix factorised")
	}
}
