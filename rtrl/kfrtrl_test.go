package rtrl

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
	"github.com/chronograd/chronograd/internal/testutil"
)

// kroneckerConfigs are the cells the Kronecker-factored algorithms take: both vanilla
// kinds, with and without a leak.
var kroneckerConfigs = testConfigs[:4]

// kroneckerReference is the float64 definition of KF-RTRL (reverse: false) or reverse
// KF-RTRL, written with dense matrices from the file comment's equations: the factors are
// updated with the same signs the algorithm draws (its PCG stream, replayed), the
// estimate M̃_t is formed densely in the flat layout, and ∂L/∂θ += q_tᵀ·M̃_t.
func (p *problem) kroneckerReference(reverse bool, seed uint64) []float64 {
	h, in := p.cfg.Hidden, p.cfg.Input
	m := in + h + 2
	params := to64(p.c.Params())
	rc := &ref.Cell{Kind: p.cfg.Kind.String(), H: h, I: in, Alpha: float64(p.c.Alpha()), Params: params}
	w, b := to64(p.head.Params()[:testOut*h]), to64(p.head.Params()[testOut*h:])
	rng := rand.New(rand.NewPCG(seed, kroneckerStream))
	norm := func(v []float64) float64 {
		var s float64
		for _, x := range v {
			s += x * x
		}
		return math.Sqrt(s)
	}
	const eps = 1e-7
	bal := func(nx, ny float64) float64 { return math.Sqrt((nx + eps) / (ny + eps)) }
	// flat maps (unit i, column j of â) to the parameter's index.
	flat := func(i, j int) int {
		switch {
		case j < in:
			return i*in + j
		case j < in+h:
			return h*in + i*h + (j - in)
		case j == in+h:
			return h*(in+h) + i
		}
		return h*(in+h+1) + i
	}
	grad := make([]float64, len(params))
	// KF: unitF is K (h×h, row-major), colF is a (m). Reverse: unitF is b (h), colF is B (h×m).
	var unitF, colF []float64
	if reverse {
		unitF, colF = make([]float64, h), make([]float64, h*m)
	} else {
		unitF, colF = make([]float64, h*h), make([]float64, m)
	}
	state := to64(p.s0)
	for t, x32 := range p.xs {
		x := to64(x32)
		d := rc.Derivs(state, x)
		ext := append(append(append([]float64(nil), x...), state...), 1, 1)
		decay := make([]float64, h)
		for i := range h {
			decay[i] = d.Imm[i][flat(i, in+h)] // ∂s_t[i]/∂bias_ih[i] = α·φ'(u_t[i])
		}
		if reverse {
			jb := make([]float64, h*m) // J·B
			for k := range h {
				for j := range m {
					for l := range h {
						jb[k*m+j] += d.J[k][l] * colF[l*m+j]
					}
				}
			}
			bits := uint64(0)
			nu := make([]float64, h)
			for i := range h {
				if i%64 == 0 {
					bits = rng.Uint64()
				}
				nu[i] = float64(1 - 2*int(bits>>(i%64)&1))
			}
			p0 := bal(norm(jb), norm(unitF))
			p1 := bal(norm(decay)*norm(ext), math.Sqrt(float64(h)))
			for i := range h {
				unitF[i] = p0*unitF[i] + p1*nu[i]
			}
			for k := range h {
				for j := range m {
					colF[k*m+j] = jb[k*m+j]/p0 + nu[k]*decay[k]*ext[j]/p1
				}
			}
		} else {
			jk := make([]float64, h*h)
			for k := range h {
				for i := range h {
					for l := range h {
						jk[k*h+i] += d.J[k][l] * unitF[l*h+i]
					}
				}
			}
			bits := rng.Uint64()
			nu0, nu1 := float64(1-2*int(bits&1)), float64(1-2*int(bits>>1&1))
			p0 := bal(norm(jk), norm(colF))
			p1 := bal(norm(decay), norm(ext))
			for j := range m {
				colF[j] = nu0*p0*colF[j] + nu1*p1*ext[j]
			}
			for k := range h {
				for i := range h {
					unitF[k*h+i] = nu0 / p0 * jk[k*h+i]
				}
				unitF[k*h+k] += nu1 / p1 * decay[k]
			}
		}
		state = d.Next
		if p.ys[t] == nil {
			continue
		}
		q := make([]float64, h)
		for o := range testOut {
			e := b[o] - float64(p.ys[t][o])
			for j := range h {
				e += w[o*h+j] * state[j]
			}
			for j := range h {
				q[j] += w[o*h+j] * e
			}
		}
		for k := range h {
			for i := range h {
				for j := range m {
					var mt float64 // M̃_t[k, (i,j)]
					if reverse {
						mt = unitF[i] * colF[k*m+j]
					} else {
						mt = unitF[k*h+i] * colF[j]
					}
					grad[flat(i, j)] += q[k] * mt
				}
			}
		}
	}
	return grad
}

// Both Kronecker-factored algorithms compute their definitions: the float32 gradient
// matches the float64 one drawn with the same signs, on every kernel tier.
func TestKroneckerMatchesReference(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, cfg := range kroneckerConfigs {
			t.Run(configName(cfg), func(t *testing.T) {
				p := newProblem(t, cfg, 20, 21)
				exact := p.reference(ref.Exact)
				for _, name := range []string{"kfrtrl", "rkfrtrl"} {
					a := mustNew(t, name, p, Seed(5))
					p.run(t, a)
					want := p.kroneckerReference(name == "rkfrtrl", 5)
					if e := relErr(a.GradCell(), want); e > 1e-4 {
						t.Errorf("%s: relative error vs its float64 definition %.3g", name, e)
					}
					if e := relErr(a.GradHead(), exact.Head); e > 1e-5 {
						t.Errorf("%s: head gradient relative error %.3g", name, e)
					}
					if e := relErr(a.GradCell(), exact.Cell); e < 1e-3 {
						t.Errorf("%s: one estimate equals the exact gradient (%.3g): the test does not exercise the noise", name, e)
					}
					a.Close()
				}
			})
		}
	})
}

// The Kronecker-factored estimates are unbiased: the mean of N estimates, one per noise
// seed, converges to exact RTRL's gradient as the standard error does. With σ² the sample
// variance of the estimates summed over parameters, ‖mean_N − g‖ must stay within
// 3·σ/√N (E‖mean_N − g‖² = σ²/N for an unbiased estimator): a tolerance that shrinks
// as 1/√N, which a bias would cross as N grows. N = 100, 400, … 25600.
func TestKroneckerUnbiased(t *testing.T) {
	if testing.Short() {
		t.Skip("25600 estimates per algorithm and cell")
	}
	checks := []int{100, 400, 1600, 6400, 25600}
	for _, cfg := range []cell.Config{kroneckerConfigs[0], kroneckerConfigs[1], kroneckerConfigs[3]} {
		t.Run(configName(cfg), func(t *testing.T) {
			p := newProblem(t, cfg, 8, 22)
			exact := mustNew(t, "rtrl", p)
			p.run(t, exact)
			want := to64(exact.GradCell())
			for _, name := range []string{"kfrtrl", "rkfrtrl"} {
				sum, sumSq := make([]float64, len(want)), make([]float64, len(want))
				next := 0
				for n := 1; n <= checks[len(checks)-1]; n++ {
					a := mustNew(t, name, p, Seed(uint64(1000+n)))
					p.run(t, a)
					for i, g := range a.GradCell() {
						sum[i] += float64(g)
						sumSq[i] += float64(g) * float64(g)
					}
					a.Close()
					if n != checks[next] {
						continue
					}
					next++
					var errSq, variance, norm float64
					for i, s := range sum {
						mean := s / float64(n)
						errSq += (mean - want[i]) * (mean - want[i])
						variance += (sumSq[i] - s*mean) / float64(n-1)
						norm += want[i] * want[i]
					}
					dist, tol := math.Sqrt(errSq), 3*math.Sqrt(variance/float64(n))
					t.Logf("%s N=%d: ‖mean − g‖/‖g‖ = %.4f, 3σ/√N/‖g‖ = %.4f, σ/‖g‖ = %.2f", name, n, dist/math.Sqrt(norm), tol/math.Sqrt(norm), math.Sqrt(variance/norm))
					if dist > tol {
						t.Errorf("%s N=%d: the mean of the estimates is %.4g from the exact gradient, beyond 3σ/√N = %.4g: biased", name, n, dist, tol)
					}
				}
			}
		})
	}
}

// The same seed gives the same estimate, another seed another one.
func TestKroneckerSeed(t *testing.T) {
	p := newProblem(t, kroneckerConfigs[1], 6, 23)
	for _, name := range []string{"kfrtrl", "rkfrtrl"} {
		grad := func(seed uint64) []float32 {
			a := mustNew(t, name, p, Seed(seed))
			p.run(t, a)
			return a.GradCell()
		}
		a, b, c := grad(3), grad(3), grad(4)
		if relErr(a, to64(b)) != 0 {
			t.Errorf("%s: same seed, different estimates", name)
		}
		if relErr(a, to64(c)) == 0 {
			t.Errorf("%s: different seeds, same estimate", name)
		}
	}
}

// Gated cells and stacks are refused with one line naming the kind; so is a bad epsilon.
func TestKroneckerRefuses(t *testing.T) {
	for _, cfg := range testConfigs[4:] {
		p := newProblem(t, cfg, 1, 24)
		for _, name := range []string{"kfrtrl", "rkfrtrl"} {
			_, err := build(name, p.model())
			if err == nil || !strings.Contains(err.Error(), cfg.Kind.String()) || !strings.Contains(err.Error(), "rnn_tanh") || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s on %v: %v; want one line naming the kind", name, cfg.Kind, err)
			}
		}
	}
	stack, err := cell.NewStack(cell.Config{Kind: cell.RNNTanh, Hidden: 4, Input: 3}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewKFRTRL(stack, KFRTRLOptions{}); err == nil || !strings.Contains(err.Error(), "2 layers") {
		t.Errorf("kfrtrl on a stack: %v", err)
	}
	p := newProblem(t, kroneckerConfigs[0], 1, 24)
	if _, err := NewReverseKFRTRL(p.model(), KFRTRLOptions{Epsilon: float32(math.NaN())}); err == nil || !strings.Contains(err.Error(), "Epsilon") {
		t.Errorf("NaN epsilon: %v", err)
	}
	if _, err := NewKFRTRL(nil, KFRTRLOptions{}); err == nil || !strings.Contains(err.Error(), "nil model") {
		t.Errorf("nil model: %v", err)
	}
}

// KF-RTRL's estimate varies much less than UORO's on the same sequence (Mujika et al.
// report it; Marschall et al. see the same): over N seeds of each, the mean squared
// distance from the exact gradient, relative to its squared norm, is the estimator's
// relative variance (both are unbiased). Reverse KF-RTRL is logged beside them. Run with
// -v to see the numbers bench/RESULTS.md quotes (without -short: 200 seeds at n = 8, 32
// and 64; -short takes 50 at n = 8 and 32).
func TestKFRTRLVarianceBelowUORO(t *testing.T) {
	const steps = 30
	seeds, sizes := 200, []int{8, 32, 64}
	if testing.Short() {
		seeds, sizes = 50, []int{8, 32}
	}
	for _, h := range sizes {
		m, err := cell.NewModel(cell.Config{Kind: cell.RNNTanh, Hidden: h, Input: 4}, 2)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(h), 51))
		cell.InitDefault(m.Layers[0], rng)
		m.Head.InitDefault(rng)
		xs, ys := make([][]float32, steps), make([][]float32, steps)
		for i := range xs {
			xs[i], ys[i] = make([]float32, 4), make([]float32, 2)
			fill(xs[i], rng, 1)
			fill(ys[i], rng, 1)
		}
		run := func(a Algorithm) []float32 {
			testutil.Stream(t, a, nil, xs, ys)
			return a.GradCell()
		}
		exact, err := NewExact(m, ExactOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := to64(run(exact))
		variance := map[string]float64{}
		for _, name := range []string{"uoro", "kfrtrl", "rkfrtrl"} {
			var sum float64
			for s := range seeds {
				a, err := build(name, m, Seed(uint64(s+1)))
				if err != nil {
					t.Fatal(err)
				}
				e := relErr(run(a), want)
				sum += e * e
			}
			variance[name] = sum / float64(seeds)
		}
		t.Logf("rnn_tanh n=%d, T=%d, %d seeds: E‖g̃ − g‖²/‖g‖² = uoro %.3g, kfrtrl %.3g, rkfrtrl %.3g (uoro/kfrtrl %.0f×)",
			h, steps, seeds, variance["uoro"], variance["kfrtrl"], variance["rkfrtrl"], variance["uoro"]/variance["kfrtrl"])
		if !(variance["kfrtrl"] < variance["uoro"]) {
			t.Errorf("n=%d: KF-RTRL's relative variance %.3g is not below UORO's %.3g", h, variance["kfrtrl"], variance["uoro"])
		}
	}
}
