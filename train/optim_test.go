package train

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// The expected parameters come from PyTorch 1.13 (torch.optim.SGD / Adam, three steps of
// the gradients below from p0, float32).
var (
	p0    = []float32{0.5, -1.25, 2.0, 0.1}
	steps = [][]float32{{0.3, -0.2, 0.5, -1.0}, {0.1, 0.4, -0.3, 0.2}, {-0.6, 0.05, 0.0, 0.7}}
)

func runOptimizer(t *testing.T, o Optimizer) []float32 {
	t.Helper()
	p := append([]float32(nil), p0...)
	for _, g := range steps {
		if err := o.Step([][]float32{p}, [][]float32{append([]float32(nil), g...)}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func assertClose(t *testing.T, got, want []float32, tol float64) {
	t.Helper()
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > tol {
			t.Fatalf("got %v\nwant %v", got, want)
		}
	}
}

func TestSGDMomentumMatchesPyTorch(t *testing.T) {
	got := runOptimizer(t, &SGD{LR: 0.1, Momentum: 0.9})
	assertClose(t, got, []float32{0.45969998836517334, -1.2767999172210693, 1.9215000867843628, 0.2630000114440918}, 1e-6)
}

func TestAdamMatchesPyTorch(t *testing.T) {
	got := runOptimizer(t, &Adam{LR: 0.01})
	assertClose(t, got, []float32{0.48380470275878906, -1.2471836805343628, 1.9866046905517578, 0.1147485077381134}, 1e-6)
	got = runOptimizer(t, &Adam{LR: 0.01, Beta1: new(float32(0.8)), Beta2: new(float32(0.99)), Eps: new(float32(1e-6))})
	assertClose(t, got, []float32{0.4849584996700287, -1.2480310201644897, 1.9876735210418701, 0.11336859315633774}, 1e-6)
}

func TestClipGlobalNormMatchesPyTorch(t *testing.T) {
	g1, g2 := []float32{3, 0}, []float32{4, 0}
	norm, err := ClipGlobalNorm([][]float32{g1, g2}, 1)
	if norm != 5 || err != nil {
		t.Fatalf("norm %v, %v; want 5", norm, err)
	}
	assertClose(t, []float32{g1[0], g2[0]}, []float32{0.5999999046325684, 0.7999998331069946}, 1e-7)
	small := []float32{0.1, 0.2}
	if _, err := ClipGlobalNorm([][]float32{small}, 1); err != nil {
		t.Fatal(err)
	}
	assertClose(t, small, []float32{0.1, 0.2}, 0)
	nan := []float32{float32(math.NaN())}
	if n, err := ClipGlobalNorm([][]float32{nan}, 1); !math.IsNaN(n) || !errors.Is(err, ErrNonFinite) {
		t.Fatalf("NaN gradient gave norm %v, error %v", n, err)
	}
}

func TestOptimizerErrorsAndAllocations(t *testing.T) {
	for _, o := range []Optimizer{&SGD{LR: 0.1, Momentum: 0.9}, &Adam{LR: 0.1}} {
		p, g := make([]float32, 10), make([]float32, 10)
		if err := o.Step([][]float32{p}, [][]float32{g[:9]}); err == nil {
			t.Errorf("%T accepted a gradient of the wrong length", o)
		}
		if err := o.Step([][]float32{p}, [][]float32{g}); err != nil {
			t.Fatal(err)
		}
		if err := o.Step([][]float32{p, p}, [][]float32{g, g}); err == nil {
			t.Errorf("%T accepted a changed number of groups", o)
		}
		pg, gg := [][]float32{p}, [][]float32{g}
		if allocs := testing.AllocsPerRun(10, func() { _ = o.Step(pg, gg) }); allocs != 0 {
			t.Errorf("%T: %v allocations per step", o, allocs)
		}
	}
}

// BenchmarkAdamStep times one Adam step over P parameters in one group, as the online
// learner takes per event.
func BenchmarkAdamStep(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("P=%d", n), func(b *testing.B) {
			p, g := make([]float32, n), make([]float32, n)
			for i := range g {
				p[i] = float32(i%97) * 0.01
				g[i] = float32(i%13-6) * 1e-3
			}
			o := &Adam{LR: 1e-3}
			pg, gg := [][]float32{p}, [][]float32{g}
			if err := o.Step(pg, gg); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = o.Step(pg, gg)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/param")
		})
	}
}

func finiteSlices(groups ...[]float32) bool {
	for _, g := range groups {
		for _, v := range g {
			if !finite(v) {
				return false
			}
		}
	}
	return true
}

// One huge gradient must not freeze Adam: before the clamp, g ≈ 3e30 made the second
// moment +Inf, every later update of that weight was m/Inf = 0, and Reset was the only
// way out. A run of gradients of 1e20 did the same once v accumulated past float32's
// range.
func TestAdamOutliers(t *testing.T) {
	const lr = 0.01
	cases := []struct {
		name    string
		outlier float32
		repeats int
	}{
		{"3e30 once", 3e30, 1},
		{"-3e30 once", -3e30, 1},
		{"1e20 x100", 1e20, 100},
		{"MaxFloat32 x3", math.MaxFloat32, 3},
		{"+Inf once", float32(math.Inf(1)), 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := &Adam{LR: lr}
			p := []float32{0.5, -0.25}
			pg := [][]float32{p}
			for range c.repeats {
				before := p[0]
				if err := o.Step(pg, [][]float32{{c.outlier, 0.1}}); err != nil {
					t.Fatal(err)
				}
				// Adam's step is scale-free: about lr, whatever the gradient's size.
				if d := math.Abs(float64(p[0] - before)); d == 0 || d > 3*lr {
					t.Fatalf("outlier step moved the weight by %g, want about %g", d, lr)
				}
			}
			if !finiteSlices(o.m[0], o.v[0], p) {
				t.Fatalf("after the outlier: m %v, v %v, p %v", o.m[0], o.v[0], p)
			}
			// The next ordinary gradient still moves the weight...
			before := p[0]
			if err := o.Step(pg, [][]float32{{0.1, 0.1}}); err != nil {
				t.Fatal(err)
			}
			if p[0] == before {
				t.Fatalf("the weight is frozen after the outlier: v = %v", o.v[0])
			}
			// ...and once v has decayed (β2 = 0.999: e^-100 after 1e5 steps) ordinary
			// gradients take ordinary steps of about lr again.
			g := [][]float32{{0.1, 0.1}}
			for range 100_000 {
				if err := o.Step(pg, g); err != nil {
					t.Fatal(err)
				}
			}
			before = p[0]
			if err := o.Step(pg, g); err != nil {
				t.Fatal(err)
			}
			if d := float64(before - p[0]); d < 0.5*lr || d > 2*lr {
				t.Fatalf("after recovery a step of gradient 0.1 moved the weight by %g, want about %g (v %v)", d, lr, o.v[0])
			}
			if !finiteSlices(o.m[0], o.v[0], p) {
				t.Fatalf("after recovery: m %v, v %v, p %v", o.m[0], o.v[0], p)
			}
		})
	}
}

// adamReference is PyTorch's float32 Adam formula with no clamp, every operation
// rounded on its own.
func adamReference(p, g, m, v []float32, lr, b1, b2, eps float64, t int) {
	c1 := 1 - math.Pow(b1, float64(t))
	c2 := float32(math.Sqrt(1 - math.Pow(b2, float64(t))))
	step := float32(lr / c1)
	for j := range p {
		m[j] = float32(float32(b1)*m[j]) + float32(float32(1-b1)*g[j])
		v[j] = float32(float32(b2)*v[j]) + float32(float32(float32(1-b2)*g[j])*g[j])
		denom := float32(float32(math.Sqrt(float64(v[j])))/c2) + float32(eps)
		p[j] -= float32(step*m[j]) / denom
	}
}

// Below the clamp, the update is PyTorch's formula bit for bit, including gradients up
// to the bound itself.
func TestAdamBitsMatchFormulaBelowBound(t *testing.T) {
	const n = 257
	for _, cfg := range []*Adam{{LR: 1e-3}, {LR: 0.3, Beta1: new(float32(0.5)), Beta2: new(float32(0.9)), Eps: new(float32(1e-6))}} {
		o := *cfg
		b1, b2, eps := o.hyper()
		p, q := make([]float32, n), make([]float32, n)
		m, v := make([]float32, n), make([]float32, n)
		g := make([]float32, n)
		seed := uint32(1)
		rnd := func() float32 {
			seed = seed*1664525 + 1013904223
			return float32(seed>>8)/(1<<24)*2 - 1
		}
		for j := range p {
			p[j] = rnd()
			q[j] = p[j]
		}
		for step := 1; step <= 40; step++ {
			for j := range g {
				// Magnitudes from 1e-30 to the bound.
				g[j] = rnd() * float32(math.Pow(10, float64(j%50-31)))
				switch j {
				case 0:
					g[j] = 0x1p63 // the bound itself
				case 1:
					g[j] = -0x1.8p62
				}
			}
			if err := o.Step([][]float32{p}, [][]float32{g}); err != nil {
				t.Fatal(err)
			}
			adamReference(q, g, m, v, float64(o.LR), b1, b2, eps, step)
			for j := range p {
				if math.Float32bits(p[j]) != math.Float32bits(q[j]) || o.v[0][j] != v[j] || o.m[0][j] != m[j] {
					t.Fatalf("step %d, element %d (g %g): p %v, want %v", step, j, g[j], p[j], q[j])
				}
			}
		}
	}
}

func TestOptimizerValidate(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	type validator interface {
		Optimizer
		Validate() error
	}
	refused := []struct {
		o    validator
		want string
	}{
		{&Adam{}, "adam: learning rate 0 must be a positive finite number"},
		{&Adam{LR: -0.1}, "learning rate -0.1"},
		{&Adam{LR: nan}, "learning rate NaN"},
		{&Adam{LR: inf}, "learning rate +Inf"},
		{&Adam{LR: 0.1, Beta1: new(float32(1))}, "Beta1 1 must be in [0, 1)"},
		{&Adam{LR: 0.1, Beta1: new(float32(-0.5))}, "Beta1 -0.5"},
		{&Adam{LR: 0.1, Beta2: new(float32(nan))}, "Beta2 NaN"},
		{&Adam{LR: 0.1, Beta2: new(float32(1.5))}, "Beta2 1.5"},
		{&Adam{LR: 0.1, Eps: new(float32(-1e-8))}, "Eps -1e-08 must be a non-negative finite number"},
		{&Adam{LR: 0.1, Eps: new(float32(nan))}, "Eps NaN"},
		{&Adam{LR: 0.1, Eps: new(float32(inf))}, "Eps +Inf"},
		{&SGD{}, "sgd: learning rate 0 must be a positive finite number"},
		{&SGD{LR: -1}, "learning rate -1"},
		{&SGD{LR: inf}, "learning rate +Inf"},
		{&SGD{LR: 0.1, Momentum: nan}, "momentum NaN must be in [0, 1)"},
		{&SGD{LR: 0.1, Momentum: -0.1}, "momentum -0.1"},
		{&SGD{LR: 0.1, Momentum: 1}, "momentum 1"},
	}
	for _, c := range refused {
		for _, err := range []error{c.o.Validate(), c.o.Step([][]float32{{1, 2}}, [][]float32{{0.5, 0.5}})} {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%+v: error %v, want %q", c.o, err, c.want)
			}
		}
	}
	// A refused step changes nothing: no state is allocated and the weights stay.
	o := &Adam{LR: 0.1}
	p := []float32{1, 2}
	if err := o.Step([][]float32{p}, [][]float32{{0.5, 0.5}}); err != nil {
		t.Fatal(err)
	}
	o.LR = nan
	before := slices.Clone(p)
	m, v, steps := slices.Clone(o.m[0]), slices.Clone(o.v[0]), o.t
	if err := o.Step([][]float32{p}, [][]float32{{0.5, 0.5}}); err == nil {
		t.Fatal("NaN learning rate accepted after the first step")
	}
	if !slices.Equal(p, before) || !slices.Equal(o.m[0], m) || !slices.Equal(o.v[0], v) || o.t != steps {
		t.Fatal("a refused step changed the weights or the state")
	}
	// A step size that overflows float32 is refused before anything changes.
	huge := &Adam{LR: 1e38, Beta1: new(float32(0.99999994))}
	if err := huge.Step([][]float32{p}, [][]float32{{0.5, 0.5}}); err == nil || !strings.Contains(err.Error(), "overflows float32") {
		t.Errorf("overflowing step size: %v", err)
	}
	if huge.m != nil || huge.t != 0 || !slices.Equal(p, before) {
		t.Error("the refused step changed the state")
	}
	for _, ok := range []validator{&Adam{LR: 1e-3}, &Adam{LR: 1, Beta1: new(float32(0.5)), Beta2: new(float32(0.99)), Eps: new(float32(1e-6))}, &SGD{LR: 0.1}, &SGD{LR: 0.1, Momentum: 0.99}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}

func TestBind(t *testing.T) {
	type learner struct{ name string }
	a, b := &learner{"a"}, &learner{"b"}
	for _, o := range []Binder{&Adam{LR: 0.1}, &SGD{LR: 0.1}} {
		if err := o.Bind(a); err != nil {
			t.Fatal(err)
		}
		if err := o.Bind(a); err != nil {
			t.Errorf("%T: binding the same owner again: %v", o, err)
		}
		if err := o.Bind(b); err == nil || !strings.Contains(err.Error(), "already belongs to another learner") {
			t.Errorf("%T: a second owner: %v", o, err)
		}
		// Reset keeps the binding: it forgets state, not ownership.
		o.(Optimizer).Reset()
		if err := o.Bind(b); err == nil {
			t.Errorf("%T: Reset released the binding", o)
		}
		// A value of another type is another owner, and comparing it must not panic.
		if err := o.Bind("a"); err == nil {
			t.Errorf("%T: a string owner was taken for the learner", o)
		}
	}
	for _, bad := range []any{nil, []int{1}, map[string]int{}} {
		if err := (&Adam{LR: 0.1}).Bind(bad); err == nil {
			t.Errorf("Bind(%v) accepted", bad)
		}
	}
	// Two learners built at once: exactly one wins.
	for range 100 {
		o := &Adam{LR: 0.1}
		errs := make(chan error, 2)
		for _, l := range []*learner{a, b} {
			go func() { errs <- o.Bind(l) }()
		}
		if e1, e2 := <-errs, <-errs; (e1 == nil) == (e2 == nil) {
			t.Fatalf("concurrent binds: %v and %v", e1, e2)
		}
	}
}

func TestClipGlobalNormRefuses(t *testing.T) {
	for _, maxNorm := range []float64{math.NaN(), -1, math.Inf(1), math.Inf(-1)} {
		g := []float32{3, 4}
		if _, err := ClipGlobalNorm([][]float32{g}, maxNorm); err == nil || !strings.Contains(err.Error(), "must be 0 (no clipping) or a positive finite number") {
			t.Errorf("maxNorm %v: error %v", maxNorm, err)
		}
		if !slices.Equal(g, []float32{3, 4}) {
			t.Errorf("maxNorm %v changed the gradient to %v", maxNorm, g)
		}
		if err := CheckClipNorm(maxNorm); err == nil {
			t.Errorf("CheckClipNorm(%v) accepted", maxNorm)
		}
	}
	g := []float32{3, 4}
	if n, err := ClipGlobalNorm([][]float32{g}, 0); n != 5 || err != nil || !slices.Equal(g, []float32{3, 4}) {
		t.Errorf("maxNorm 0: %v, %v, %v", n, err, g)
	}
	inf := []float32{1, float32(math.Inf(-1))}
	if n, err := ClipGlobalNorm([][]float32{inf}, 1); !math.IsInf(n, 1) || !errors.Is(err, ErrNonFinite) || inf[0] != 1 {
		t.Errorf("infinite gradient: %v, %v, %v", n, err, inf)
	}
	// A huge gradient clipped to a tiny norm keeps its direction instead of rounding to 0.
	big := []float32{3e38, -3e38, 3e38, 1}
	n, err := ClipGlobalNorm([][]float32{big}, 1e-6)
	if err != nil || n < 5e38 {
		t.Fatalf("huge gradient: %v, %v", n, err)
	}
	if after := GlobalNorm([][]float32{big}); math.Abs(after-1e-6) > 1e-9 || big[0] <= 0 || big[1] >= 0 {
		t.Errorf("clipped to norm %g (%v), want 1e-6", after, big)
	}
}
