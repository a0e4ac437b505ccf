package task

import (
	"math"
	"strings"
	"testing"
)

func TestMackeyGlassDeterministic(t *testing.T) {
	c := DefaultMackeyGlass()
	a, err := c.Generate(500)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Generate(500)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d differs between two runs: %v, %v", i, a[i], b[i])
		}
	}
	c.Seed++
	d, _ := c.Generate(500)
	if a[0] == d[0] {
		t.Error("a different seed gave the same series")
	}
	// A prefix is a prefix: asking for fewer samples does not change them.
	short, _ := DefaultMackeyGlass().Generate(10)
	for i := range short {
		if short[i] != a[i] {
			t.Fatalf("sample %d depends on the series length", i)
		}
	}
}

// τ = 17 is chaotic: the series wanders over the attractor's usual range without settling.
func TestMackeyGlassChaoticRange(t *testing.T) {
	x, err := DefaultMackeyGlass().Generate(3000)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi, mean := math.Inf(1), math.Inf(-1), 0.0
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
		mean += v
	}
	mean /= float64(len(x))
	t.Logf("τ=17: min %.3f max %.3f mean %.3f", lo, hi, mean)
	if lo < 0.35 || lo > 0.5 || hi < 1.25 || hi > 1.4 || mean < 0.85 || mean > 1.0 {
		t.Errorf("τ=17 series spans [%.3f, %.3f] with mean %.3f, outside the known attractor", lo, hi, mean)
	}
}

// Below the Hopf bifurcation (τ ≈ 4.7 for these β, γ, n) the solution settles on the fixed
// point x* with β/(1+x*¹⁰) = γ, that is x* = 1.
func TestMackeyGlassFixedPoint(t *testing.T) {
	c := DefaultMackeyGlass()
	c.Tau, c.Transient = 2, 400
	x, err := c.Generate(50)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range x {
		if math.Abs(v-1) > 1e-6 {
			t.Fatalf("sample %d = %v, want the fixed point 1", i, v)
		}
	}
}

// The integration converges: a step ten times smaller changes the early trajectory (from
// the same constant history, before chaos amplifies differences) very little.
func TestMackeyGlassStepConvergence(t *testing.T) {
	coarse := DefaultMackeyGlass()
	coarse.Noise, coarse.Transient = 0, 0
	fine := coarse
	fine.Dt, fine.SampleEvery = 0.01, 100
	a, err := coarse.Generate(60)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fine.Generate(60)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i := range a {
		worst = max(worst, math.Abs(a[i]-b[i]))
	}
	t.Logf("max |x(dt=0.1) − x(dt=0.01)| over 60 time units: %.2g", worst)
	if worst > 1e-4 {
		t.Errorf("dt = 0.1 and dt = 0.01 differ by %.2g", worst)
	}
}

func TestMackeyGlassErrors(t *testing.T) {
	cases := []struct {
		edit func(*MackeyGlass)
		want string
	}{
		{func(c *MackeyGlass) { c.Dt = 0.3 }, "whole number of steps"},
		{func(c *MackeyGlass) { c.Dt = 0 }, "whole number of steps"},
		{func(c *MackeyGlass) { c.SampleEvery = 0 }, "SampleEvery = 0"},
		{func(c *MackeyGlass) { c.Beta = math.NaN() }, "non-finite"},
		{func(c *MackeyGlass) { c.N, c.X0 = 0.5, -1 }, "diverged"},
	}
	for _, tc := range cases {
		c := DefaultMackeyGlass()
		tc.edit(&c)
		if _, err := c.Generate(10); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", c, err, tc.want)
		}
	}
	if _, err := DefaultMackeyGlass().Generate(-1); err == nil {
		t.Error("negative length accepted")
	}
}
