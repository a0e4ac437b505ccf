package bptt_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/diagnose"
)

var _ algo.Algorithm = (*bptt.Adaptive)(nil)

// With KMin = KMax = K the window cannot move, and adaptive TBPTT must be exactly
// Truncated(k1, K + k1 − 1), probes and estimates notwithstanding.
func TestAdaptiveFixedWindowIsTruncated(t *testing.T) {
	for _, cfg := range testConfigs {
		p := newProblem(t, cfg, 23, 5)
		for _, k1 := range []int{1, 3} {
			for _, K := range []int{2, 5} {
				a, err := bptt.NewAdaptive(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.AdaptiveOptions{Delta: 0.1, K1: k1, KMin: K, KMax: K, ProbeEvery: 2, EstimateEvery: 3})
				if err != nil {
					t.Fatal(err)
				}
				tr, err := bptt.NewTruncated(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.TruncatedOptions{K1: k1, K2: K + k1 - 1})
				if err != nil {
					t.Fatal(err)
				}
				for range 2 { // twice: the ring and the statistics carry across sequences
					la, lt := p.stream(t, a), p.stream(t, tr)
					if la != lt {
						t.Errorf("%s k1=%d K=%d: loss %v, Truncated %v", configName(cfg), k1, K, la, lt)
					}
				}
				if a.Estimates() == 0 {
					t.Errorf("%s k1=%d K=%d: no estimate was made", configName(cfg), k1, K)
				}
				sameBits(t, configName(cfg)+" grad cell", a.GradCell(), tr.GradCell())
				sameBits(t, configName(cfg)+" grad head", a.GradHead(), tr.GradHead())
			}
		}
	}
}

// linearStream is a tanh RNN with W_hh = β·Q (Q orthogonal), zero biases, zero inputs
// and a zero start: its state stays exactly 0, every J_t is exactly β·Q (tanh'(0) = 1),
// and with a constant target every ∂ℓ_t/∂s_t is d = Wᵀ(b − y), so
// ∂ℓ_t/∂s_{t−k} = (β·Qᵀ)^k·d, φ_k = β^k·‖d‖ and ‖g‖ = ‖Σ_k (β·Qᵀ)^k·d‖, in closed form.
func linearStream(t *testing.T, beta float64, H int, seed uint64) (c cell.Cell, head *cell.Readout, x, y []float32, closedForm func(delta float64, tau int) int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	c, err := cell.New(cell.Config{Kind: cell.RNNTanh, Hidden: H, Input: 2})
	if err != nil {
		t.Fatal(err)
	}
	cell.InitOrthogonal(c, rng)
	l := c.Layout()
	q := make([]float64, H*H)
	for i := range q {
		q[i] = float64(c.Params()[l.WeightHH+i])
		c.Params()[l.WeightHH+i] = float32(beta * q[i])
	}
	clear(c.Params()[l.BiasIH:])
	head, _ = cell.NewReadout(3, H)
	head.InitDefault(rng)
	x, y = make([]float32, 2), []float32{1, -0.5, 2}
	d := make([]float64, H)
	hp := head.Params()
	for o := range 3 {
		for j := range H {
			d[j] += float64(hp[o*H+j]) * (float64(hp[3*H+o]) - float64(y[o]))
		}
	}
	sum, term := append([]float64(nil), d...), append([]float64(nil), d...)
	for range 4000 {
		next := make([]float64, H)
		for j := range H {
			for i := range H {
				next[j] += beta * q[i*H+j] * term[i]
			}
		}
		term = next
		for j := range H {
			sum[j] += term[j]
		}
	}
	var dn, gn float64
	for j := range H {
		dn += d[j] * d[j]
		gn += sum[j] * sum[j]
	}
	dn, gn = math.Sqrt(dn), math.Sqrt(gn)
	closedForm = func(delta float64, tau int) int {
		phiTau := math.Pow(beta, float64(tau)) * dn
		K := tau + int(math.Ceil(math.Log(delta*(1-beta)*gn/phiTau)/math.Log(beta)))
		return max(K, tau)
	}
	return c, head, x, y, closedForm
}

func TestAdaptiveLinearWindow(t *testing.T) {
	for _, jac := range []bool{false, true} {
		for _, beta := range []float64{0.7, 0.9} {
			c, head, x, y, closedForm := linearStream(t, beta, 12, 9)
			for _, delta := range []float64{0.5, 0.1, 0.01} {
				const tau = 3
				a, err := bptt.NewAdaptive(&cell.Model{Layers: []cell.Cell{c}, Head: head}, bptt.AdaptiveOptions{Delta: delta, K1: 4, KMax: 150, Tau: new(tau), ProbeEvery: 7, EstimateEvery: 100, Jacobian: jac, Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				if err := a.Reset(nil); err != nil {
					t.Fatal(err)
				}
				for range 1500 {
					if _, err := a.Step(x, cell.Values(y)); err != nil {
						t.Fatal(err)
					}
				}
				want := closedForm(delta, tau)
				if got := a.Window(); got < want-1 || got > want+1 {
					t.Errorf("jacobian=%v β=%v δ=%v: window %d, closed form %d (β̂=%v)", jac, beta, delta, got, want, a.Beta())
				}
				if math.Abs(a.Beta()-beta) > 0.02*beta {
					t.Errorf("jacobian=%v β=%v δ=%v: β̂=%v", jac, beta, delta, a.Beta())
				}
			}
		}
	}
}

func TestAdaptiveWindowGrowsAsDeltaShrinks(t *testing.T) {
	for _, jac := range []bool{false, true} {
		p := newProblem(t, cell.Config{Kind: cell.GRU, Hidden: 8, Input: testI}, 400, 17)
		// newProblem's N(0, 0.25) weights; scale W_hh down so the decay is measurable
		l := p.c.Layout()
		for i := l.WeightHH; i < l.BiasIH; i++ {
			p.c.Params()[i] *= 0.6
		}
		prev, first := 0, 0
		deltas := []float64{0.9, 0.5, 0.1, 0.01, 0.001}
		for i, delta := range deltas {
			a, err := bptt.NewAdaptive(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.AdaptiveOptions{Delta: delta, KMax: 60, ProbeEvery: 3, EstimateEvery: 50, Jacobian: jac})
			if err != nil {
				t.Fatal(err)
			}
			p.stream(t, a)
			if a.Estimates() == 0 || !(a.Beta() > 0 && a.Beta() < 1) {
				t.Fatalf("jacobian=%v δ=%v: %d estimates, β̂=%v", jac, delta, a.Estimates(), a.Beta())
			}
			K := a.Window()
			if K < prev {
				t.Errorf("jacobian=%v: window %d at δ=%v < %d at δ=%v", jac, K, delta, prev, deltas[i-1])
			}
			if i == 0 {
				first = K
			}
			prev = K
		}
		if prev <= first {
			t.Errorf("jacobian=%v: window did not grow from δ=%v to δ=%v (%d → %d)", jac, deltas[0], deltas[len(deltas)-1], first, prev)
		}
		t.Logf("jacobian=%v: window %d at δ=%v, %d at δ=%v", jac, first, deltas[0], prev, deltas[len(deltas)-1])
	}
}

func TestAdaptiveZeroAlloc(t *testing.T) {
	for _, cfg := range testConfigs {
		for _, jac := range []bool{false, true} {
			p := newProblem(t, cfg, 40, 2)
			a, err := bptt.NewAdaptive(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.AdaptiveOptions{Delta: 0.1, K1: 2, KMax: 12, ProbeEvery: 2, EstimateEvery: 5, Jacobian: jac})
			if err != nil {
				t.Fatal(err)
			}
			p.stream(t, a) // fills the ring
			if n := testing.AllocsPerRun(10, func() { p.stream(t, a) }); n != 0 {
				t.Errorf("%s jacobian=%v: %v allocations per sequence", configName(cfg), jac, n)
			}
			if a.Estimates() == 0 {
				t.Errorf("%s: no estimate during the allocation test", configName(cfg))
			}
		}
	}
}

func TestAdaptiveBadConfig(t *testing.T) {
	p := newProblem(t, testConfigs[0], 3, 1)
	for _, cfg := range []bptt.AdaptiveOptions{
		{},
		{Delta: 1},
		{Delta: math.NaN()},
		{Delta: 0.1, K1: -1},
		{Delta: 0.1, KMin: 5, KMax: 4},
		{Delta: 0.1, KMax: 10, Tau: new(10)},
		{Delta: 0.1, Forget: new(1.0)},
		{Delta: 0.1, ProbeEvery: -2},
		{Delta: 0.1, KMax: 1 << 20},
	} {
		if _, err := bptt.NewAdaptive(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
	a, err := bptt.NewAdaptive(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.AdaptiveOptions{Delta: 0.1, KMax: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Step(make([]float32, testI+1), cell.Target{}); err == nil {
		t.Error("wrong input size: no error")
	}
	if err := a.Reset(make([]float32, 2)); err == nil {
		t.Error("wrong initial state size: no error")
	}
}

// The streaming probes must measure what package diagnose measures offline: with a probe
// at every step (all steps have targets) and one estimate at the last step, Phi, β and
// the window equal diagnose.Run's over the same sequence and the same τ.
func TestAdaptiveProbesMatchDiagnose(t *testing.T) {
	for _, cfg := range testConfigs {
		p := newProblem(t, cfg, 60, 23)
		for i := range p.ys {
			if p.ys[i] == nil {
				p.ys[i] = make([]float32, testO)
				p.targets[i] = cell.Values(p.ys[i])
			}
		}
		const K, tau, delta = 12, 2, 0.2
		a, err := bptt.NewAdaptive(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.AdaptiveOptions{Delta: delta, K1: 5, KMax: K, Tau: new(tau), ProbeEvery: 1, EstimateEvery: len(p.xs)})
		if err != nil {
			t.Fatal(err)
		}
		p.stream(t, a)
		seq := diagnose.Data{T: len(p.xs), S0: p.s0}
		for i := range p.xs {
			seq.Inputs = append(seq.Inputs, p.xs[i]...)
			seq.Targets = append(seq.Targets, p.ys[i]...)
		}
		r, err := diagnose.Run(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, seq, diagnose.Options{MaxLag: K, Tau: new(tau), Delta: delta})
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range r.Phi {
			if got := a.Phi()[k]; math.Abs(got-want) > 1e-9*want {
				t.Errorf("%s: φ_%d = %v, diagnose %v", configName(cfg), k, got, want)
			}
		}
		if math.Abs(a.Beta()-r.Beta) > 1e-9 {
			t.Errorf("%s: β̂ = %v, diagnose %v", configName(cfg), a.Beta(), r.Beta)
		}
		want := min(r.K, K) // beyond KMax adaptive clips to KMax, as it does with no decay
		if r.K == diagnose.NoWindow {
			want = K
		}
		if a.Window() != want {
			t.Errorf("%s: window %d, diagnose %d", configName(cfg), a.Window(), r.K)
		}
	}
}
