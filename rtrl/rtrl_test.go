package rtrl

import (
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
)

// TestRTRLMatchesBPTT: exact RTRL's gradient equals full BPTT's (through the cell's own
// backward step) for every kind, over 50 steps with a non-zero initial state and steps
// without targets, on every kernel tier, with one and with several workers; and both
// match the float64 reference.
func TestRTRLMatchesBPTT(t *testing.T) {
	const steps = 50
	forEachTier(t, func(t *testing.T) {
		for _, cfg := range testConfigs {
			t.Run(configName(cfg), func(t *testing.T) {
				p := newProblem(t, cfg, steps, 1)
				bLoss, bCell, bHead := p.bptt()
				want := p.reference(ref.Exact)
				if e := relErr(bCell, want.Cell); e > 1e-4 {
					t.Errorf("float32 BPTT vs float64 reference: relative error %.3g", e)
				}
				for _, workers := range []int{1, 3} {
					a := mustNew(t, "rtrl", p, Workers(workers))
					loss := p.run(t, a)
					if math.Abs(loss-bLoss) > 1e-5*bLoss {
						t.Errorf("workers=%d: loss %v, BPTT's %v", workers, loss, bLoss)
					}
					if e := relErr(a.GradCell(), to64(bCell)); e > 1e-4 {
						t.Errorf("workers=%d: ∂L/∂θ relative error vs BPTT %.3g", workers, e)
					}
					if e := relErr(a.GradCell(), want.Cell); e > 1e-4 {
						t.Errorf("workers=%d: ∂L/∂θ relative error vs float64 %.3g", workers, e)
					}
					if e := relErr(a.GradHead(), to64(bHead)); e > 1e-5 {
						t.Errorf("workers=%d: ∂L/∂head relative error vs BPTT %.3g", workers, e)
					}
					a.Close()
				}
			})
		}
	})
}

// TestApproximationsMatchReference pins each approximation to its definition, computed
// independently in float64 with dense matrices: SnAp-1 is RTRL masked to Ī's pattern,
// RFLO (vanilla) and e-prop (LSTM) are RTRL with J_t replaced by its part that does not
// pass through W_hh.
func TestApproximationsMatchReference(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, cfg := range testConfigs {
			t.Run(configName(cfg), func(t *testing.T) {
				p := newProblem(t, cfg, 30, 2)
				exact := p.reference(ref.Exact)
				check := func(name string, inf ref.Influence) {
					a := mustNew(t, name, p)
					p.run(t, a)
					want := p.reference(inf)
					if e := relErr(a.GradCell(), want.Cell); e > 1e-4 {
						t.Errorf("%s: relative error vs its float64 definition %.3g", name, e)
					}
					if e := relErr(a.GradHead(), want.Head); e > 1e-5 {
						t.Errorf("%s: head gradient relative error %.3g", name, e)
					}
					// It is an approximation: on these cells it must not be the exact gradient.
					if e := relErr(a.GradCell(), exact.Cell); e < 1e-3 {
						t.Errorf("%s: equals the exact gradient (%.3g): the test problem does not exercise the approximation", name, e)
					}
				}
				check("snap1", ref.SnAp1)
				switch {
				case cfg.Kind.IsVanilla():
					check("rflo", ref.DirectOnly)
				case cfg.Kind == cell.LSTM:
					check("eprop", ref.DirectOnly)
				}
			})
		}
	})
}

// zeroSelfConnections zeroes the diagonal of every H×H block of weight_hh_l0.
func zeroSelfConnections(c cell.Cell) {
	l := c.Layout()
	h := l.Hidden
	for gate := range l.Gates {
		for u := range h {
			c.Params()[l.WeightHH+(gate*h+u)*h+u] = 0
		}
	}
}

// TestSnAp1EqualsRFLOWithoutSelfConnections: on a vanilla cell whose W_hh diagonal is
// zero, SnAp-1's kept Jacobian entry J[u][u] = α·φ'(u_u)·W_uu + (1−α) is RFLO's 1−α, so
// the two are bit-identical; with self-connections they differ.
func TestSnAp1EqualsRFLOWithoutSelfConnections(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, cfg := range testConfigs {
			if !cfg.Kind.IsVanilla() {
				continue
			}
			t.Run(configName(cfg), func(t *testing.T) {
				p := newProblem(t, cfg, 30, 4)
				grads := func() (snap, rflo []float32) {
					s, r := mustNew(t, "snap1", p), mustNew(t, "rflo", p)
					p.run(t, s)
					p.run(t, r)
					return s.GradCell(), r.GradCell()
				}
				snap, rflo := grads()
				if e := relErr(snap, to64(rflo)); e < 1e-3 {
					t.Errorf("with self-connections SnAp-1 and RFLO agree to %.3g; they should differ", e)
				}
				zeroSelfConnections(p.c)
				snap, rflo = grads()
				for i := range snap {
					if snap[i] != rflo[i] {
						t.Fatalf("without self-connections: ∂L/∂θ[%d] is %v (SnAp-1) vs %v (RFLO)", i, snap[i], rflo[i])
					}
				}
			})
		}
	})
}

// TestRFLOAndEPropExactForOneStep: with no history to lose (α = 1, a single step) RFLO's
// trace is the immediate Jacobian and its gradient the exact one; so is e-prop's.
func TestRFLOAndEPropExactForOneStep(t *testing.T) {
	for _, tc := range []struct {
		algo string
		cfg  cell.Config
	}{
		{"rflo", cell.Config{Kind: cell.RNNTanh, Hidden: testH, Input: testI, Alpha: 1}},
		{"rflo", cell.Config{Kind: cell.RNNReLU, Hidden: testH, Input: testI, Alpha: 1}},
		{"eprop", cell.Config{Kind: cell.LSTM, Hidden: testH, Input: testI}},
	} {
		t.Run(tc.algo+"/"+configName(tc.cfg), func(t *testing.T) {
			p := newProblem(t, tc.cfg, 1, 5)
			a := mustNew(t, tc.algo, p)
			p.run(t, a)
			exact := mustNew(t, "rtrl", p)
			p.run(t, exact)
			if e := relErr(a.GradCell(), to64(exact.GradCell())); e > 1e-6 {
				t.Errorf("one step: relative error vs exact RTRL %.3g", e)
			}
			// Two steps already lose the recurrent paths.
			p2 := newProblem(t, tc.cfg, 3, 5)
			a2, exact2 := mustNew(t, tc.algo, p2), mustNew(t, "rtrl", p2)
			p2.run(t, a2)
			p2.run(t, exact2)
			if e := relErr(a2.GradCell(), to64(exact2.GradCell())); e < 1e-3 {
				t.Errorf("three steps: equals the exact gradient (%.3g)", e)
			}
		})
	}
}

// TestUOROUnbiased: the mean of N independent UORO estimates of one sequence's gradient
// approaches the exact gradient like 1/√N; at N = 1600 the relative error is at most half
// that at N = 100 (1/4 is expected).
func TestUOROUnbiased(t *testing.T) {
	const short, long = 100, 1600
	for _, cfg := range []cell.Config{
		{Kind: cell.RNNTanh, Hidden: testH, Input: testI, Alpha: 0.6},
		{Kind: cell.GRU, Hidden: testH, Input: testI},
		{Kind: cell.LSTM, Hidden: testH, Input: testI},
	} {
		t.Run(configName(cfg), func(t *testing.T) {
			p := newProblem(t, cfg, 6, 6)
			exact := mustNew(t, "rtrl", p)
			p.run(t, exact)
			want := to64(exact.GradCell())
			a := mustNew(t, "uoro", p, Seed(42))
			sum := make([]float64, len(want))
			mean := make([]float32, len(want))
			errAt := func(n int) float64 {
				for i, s := range sum {
					mean[i] = float32(s / float64(n))
				}
				return relErr(mean, want)
			}
			var errShort float64
			for n := 1; n <= long; n++ {
				a.ZeroGrad()
				p.run(t, a)
				for i, g := range a.GradCell() {
					sum[i] += float64(g)
				}
				if n == short {
					errShort = errAt(n)
				}
			}
			errLong := errAt(long)
			t.Logf("relative error of the mean: N=%d %.4f, N=%d %.4f", short, errShort, long, errLong)
			if !(errLong <= errShort/2) {
				t.Errorf("relative error at N=%d is %.4f, more than half of %.4f at N=%d", long, errLong, errShort, short)
			}
			if errLong > 0.3 {
				t.Errorf("relative error at N=%d is %.4f: not converging to the exact gradient", long, errLong)
			}
		})
	}
}

// TestUOROSeed: the same seed gives the same estimate, another seed another one.
func TestUOROSeed(t *testing.T) {
	p := newProblem(t, testConfigs[0], 5, 7)
	grad := func(seed uint64) []float32 {
		a := mustNew(t, "uoro", p, Seed(seed))
		p.run(t, a)
		return a.GradCell()
	}
	a, b, c := grad(3), grad(3), grad(4)
	if relErr(a, to64(b)) != 0 {
		t.Error("same seed, different estimates")
	}
	if relErr(a, to64(c)) == 0 {
		t.Error("different seeds, same estimate")
	}
}

// TestFeedbackAlignment: with a fixed random feedback matrix RFLO and e-prop still run,
// their head gradients stay exact and their cell gradients change.
func TestFeedbackAlignment(t *testing.T) {
	for _, tc := range []struct {
		algo string
		cfg  cell.Config
	}{
		{"rflo", testConfigs[1]},
		{"eprop", testConfigs[5]},
	} {
		p := newProblem(t, tc.cfg, 10, 8)
		sym, fa := mustNew(t, tc.algo, p), mustNew(t, tc.algo, p, FeedbackAlignment(), Seed(9))
		p.run(t, sym)
		p.run(t, fa)
		if relErr(fa.GradHead(), to64(sym.GradHead())) != 0 {
			t.Errorf("%s: feedback alignment changed the head gradient", tc.algo)
		}
		if e := relErr(fa.GradCell(), to64(sym.GradCell())); e < 1e-2 {
			t.Errorf("%s: feedback alignment left the cell gradient unchanged (%.3g)", tc.algo, e)
		}
	}
}

// TestResetAndZeroGrad: Reset keeps the gradients (two runs accumulate twice one run's),
// ZeroGrad clears them, and State is the state after the last step.
func TestResetAndZeroGrad(t *testing.T) {
	for _, name := range names {
		cfg := testConfigs[1]
		if name == "eprop" {
			cfg = testConfigs[5]
		}
		p := newProblem(t, cfg, 8, 10)
		a := mustNew(t, name, p, Seed(1))
		p.run(t, a)
		once := append([]float32(nil), a.GradCell()...)
		state := append([]float32(nil), a.State()...)
		a = mustNew(t, name, p, Seed(1))
		p.run(t, a)
		if !varies[name] { // a second run draws other signs, or the module has learnt
			p.run(t, a)
			for i, g := range a.GradCell() {
				if d := math.Abs(float64(g - 2*once[i])); d > 1e-5*(1+math.Abs(float64(g))) {
					t.Fatalf("%s: after two runs ∂L/∂θ[%d] = %v, want 2×%v", name, i, g, once[i])
				}
			}
			for i, s := range a.State() {
				if s != state[i] {
					t.Fatalf("%s: State()[%d] = %v after the same sequence, want %v", name, i, s, state[i])
				}
			}
		}
		a.ZeroGrad()
		for _, g := range append(a.GradCell(), a.GradHead()...) {
			if g != 0 {
				t.Fatalf("%s: ZeroGrad left %v", name, g)
			}
		}
		if err := a.Reset(nil); err != nil {
			t.Fatal(err)
		}
		for _, s := range a.State() {
			if s != 0 {
				t.Fatalf("%s: Reset(nil) left state %v", name, s)
			}
		}
	}
}

// varies are the algorithms whose second run over a sequence gives another gradient:
// they draw random signs as they go, or (DNI) their module learns.
var varies = map[string]bool{"uoro": true, "kfrtrl": true, "rkfrtrl": true, "dni": true}

// vanillaOnly are the algorithms defined for one vanilla layer only.
var vanillaOnly = map[string]bool{"rflo": true, "kfrtrl": true, "rkfrtrl": true}

// TestRTRLWorkersParkAndWake: the worker pool gives one worker's bits whatever the
// number of helpers and however they wait — spinning between back-to-back steps, or
// parked after a pause longer than their spin — and Close stops them.
func TestRTRLWorkersParkAndWake(t *testing.T) {
	cfg := cell.Config{Kind: cell.GRU, Hidden: 24, Input: 3}
	p := newProblem(t, cfg, 12, 5)
	one := mustNew(t, "rtrl", p, Workers(1))
	p.run(t, one)
	before := runtime.NumGoroutine()
	many := mustNew(t, "rtrl", p, Workers(3)).(*Exact)
	if err := many.Reset(p.s0); err != nil {
		t.Fatal(err)
	}
	for i, x := range p.xs {
		if i%3 == 2 {
			time.Sleep(5 * time.Millisecond) // long enough for the helpers to park
		}
		if _, err := many.Step(x, cell.Values(p.ys[i])); err != nil {
			t.Fatal(err)
		}
	}
	if err := many.Finish(); err != nil {
		t.Fatal(err)
	}
	for i, g := range many.GradCell() {
		if math.Float32bits(g) != math.Float32bits(one.GradCell()[i]) {
			t.Fatalf("GradCell[%d] = %v with 3 workers, %v with one", i, g, one.GradCell()[i])
		}
	}
	many.Close()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before the pool started", n, before)
	}
}
