package rtrl

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
	"github.com/chronograd/chronograd/kernels"
)

// dniReference is the float64 definition of DNI from its doc comment, run over the
// problem's sequence `runs` times (the module carried across, Finish after each): it
// returns the accumulated cell gradient and the module A (S × (S+O+1), row-major).
func (p *problem) dniReference(rate float64, runs int) (grad, synth []float64) {
	h, in := p.cfg.Hidden, p.cfg.Input
	s := p.c.StateSize()
	cols := s + testOut + 1
	rc := &ref.Cell{Kind: p.cfg.Kind.String(), H: h, I: in, Alpha: float64(p.c.Alpha()), Params: to64(p.c.Params())}
	w, b := to64(p.head.Params()[:testOut*h]), to64(p.head.Params()[testOut*h:])
	grad = make([]float64, p.c.NumParams())
	synth = make([]float64, s*cols)
	predict := func(f []float64) []float64 {
		out := make([]float64, s)
		for r := range s {
			for c := range cols {
				out[r] += synth[r*cols+c] * f[c]
			}
		}
		return out
	}
	learn := func(f, target []float64) {
		pred := predict(f)
		var n2 float64
		for _, v := range f {
			n2 += v * v
		}
		for r := range s {
			for c := range cols {
				synth[r*cols+c] -= rate * (pred[r] - target[r]) * f[c] / n2
			}
		}
	}
	for range runs {
		state := to64(p.s0)
		var prev []float64
		for t, x := range p.xs {
			d := rc.Derivs(state, to64(x))
			state = d.Next
			q := make([]float64, s)
			f := make([]float64, cols)
			copy(f, state)
			if y := p.ys[t]; y != nil {
				for o := range testOut {
					e := b[o] - float64(y[o])
					for j := range h {
						e += w[o*h+j] * state[j]
					}
					for j := range h {
						q[j] += w[o*h+j] * e
					}
					f[s+o] = float64(y[o])
				}
			}
			f[cols-1] = 1
			v := predict(f)
			for r := range s {
				v[r] += q[r]
			}
			for r := range s {
				for c := range grad {
					grad[c] += v[r] * d.Imm[r][c]
				}
			}
			target := make([]float64, s)
			for r := range s {
				for k := range s {
					target[k] += d.J[r][k] * v[r]
				}
			}
			if prev != nil {
				learn(prev, target)
			}
			prev = f
		}
		learn(prev, make([]float64, s))
	}
	return grad, synth
}

// DNI computes its definition: gradient and module match the float64 reference over
// three passes of a sequence (the module learning throughout), for every kind, on every
// kernel tier.
func TestDNIMatchesReference(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, cfg := range testConfigs {
			t.Run(configName(cfg), func(t *testing.T) {
				p := newProblem(t, cfg, 15, 31)
				a, err := NewDNI(p.model(), DNIOptions{LearningRate: 0.5})
				if err != nil {
					t.Fatal(err)
				}
				for range 3 {
					p.run(t, a)
				}
				grad, synth := p.dniReference(0.5, 3)
				if e := relErr(a.GradCell(), grad); e > 1e-4 {
					t.Errorf("gradient: relative error vs the float64 definition %.3g", e)
				}
				if e := relErr(a.synthetic.Data, synth); e > 1e-4 {
					t.Errorf("module: relative error vs the float64 definition %.3g", e)
				}
				if linNorm(synth) == 0 {
					t.Errorf("the module did not learn")
				}
				exact := p.reference(ref.Exact)
				for i := range exact.Head {
					exact.Head[i] *= 3 // three passes
				}
				if e := relErr(a.GradHead(), exact.Head); e > 1e-5 {
					t.Errorf("head gradient relative error %.3g", e)
				}
			})
		}
	})
}

func linNorm(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// creditStream is a fixed model and a stream of sequences whose targets are the input
// two steps back: the loss at a step depends on the state some steps earlier, so the
// future carries credit worth predicting.
type creditStream struct {
	m      *cell.Model
	rng    *rand.Rand
	steps  int
	xs, ys [][]float32
}

func newCreditStream(t *testing.T, kind cell.Kind, h, steps int) *creditStream {
	t.Helper()
	m, err := cell.NewModel(cell.Config{Kind: kind, Hidden: h, Input: 2}, 2)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(41, 42))
	cell.InitDefault(m.Layers[0], rng)
	fill(m.Layers[0].Params(), rng, 0.6/math.Sqrt(float64(h)))
	m.Head.InitDefault(rng)
	cs := &creditStream{m: m, rng: rng, steps: steps}
	for range steps {
		cs.xs = append(cs.xs, make([]float32, 2))
		cs.ys = append(cs.ys, make([]float32, 2))
	}
	return cs
}

// next draws the next sequence.
func (cs *creditStream) next() {
	for i, x := range cs.xs {
		fill(x, cs.rng, 1)
		if i >= 2 {
			copy(cs.ys[i], cs.xs[i-2])
		} else {
			clear(cs.ys[i])
		}
	}
}

// truth runs the sequence with full BPTT: the exact gradient, BPTT truncated to one step
// (Σ q_tᵀ·Ī_t), and each step's true future credit c_t = ∂(Σ_{τ>t} ℓ_τ)/∂s_t.
func (cs *creditStream) truth() (exact, oneStep []float32, future [][]float32) {
	c, head := cs.m.Layers[0], cs.m.Head
	s, h := c.StateSize(), c.HiddenSize()
	caches := make([]*cell.Cache, cs.steps)
	states := make([][]float32, cs.steps)
	prev := make([]float32, s)
	for i, x := range cs.xs {
		caches[i], states[i] = c.NewCache(), make([]float32, s)
		c.Forward(caches[i], states[i], prev, x)
		prev = states[i]
	}
	exact, oneStep = make([]float32, c.NumParams()), make([]float32, c.NumParams())
	future = make([][]float32, cs.steps)
	delta, q, scratch := make([]float32, s), make([]float32, s), make([]float32, s)
	yhat, dy, gh := make([]float32, 2), make([]float32, 2), make([]float32, head.NumParams())
	for i := cs.steps - 1; i >= 0; i-- {
		future[i] = append([]float32(nil), delta...) // J_{t+1}ᵀ·δ_{t+1}
		head.Forward(yhat, states[i][:h])
		cell.SquaredError(dy, yhat, cs.ys[i])
		clear(q)
		head.Backward(q[:h], gh, states[i][:h], dy)
		c.Backward(caches[i], scratch, nil, oneStep, q)
		kernels.Axpy(1, q, delta)
		c.Backward(caches[i], delta, nil, exact, delta)
	}
	return exact, oneStep, future
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// The module learns the future credit: on a stream where the loss depends on earlier
// states, after 300 sequences its predictions are much closer to the true future credit
// than zero (DNI's start), and DNI's gradient points closer to the exact one than BPTT
// truncated to one step, which is DNI without its module.
func TestDNILearnsFutureCredit(t *testing.T) {
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		t.Run(kind.String(), func(t *testing.T) {
			const sequences, measured, steps = 400, 100, 20
			cs := newCreditStream(t, kind, 12, steps)
			a, err := NewDNI(cs.m, DNIOptions{})
			if err != nil {
				t.Fatal(err)
			}
			pred := make([]float32, cs.m.StateSize())
			var errSq, normSq, cosDNI, cosOne float64
			for n := range sequences {
				cs.next()
				exact, oneStep, future := cs.truth()
				a.ZeroGrad()
				if err := a.Reset(nil); err != nil {
					t.Fatal(err)
				}
				for i, x := range cs.xs {
					if _, err := a.Step(x, cell.Values(cs.ys[i])); err != nil {
						t.Fatal(err)
					}
					if n >= sequences-measured {
						kernels.MatVec(pred, a.synthetic, a.previous) // ĉ_t (ã_t is now the previous features)
						for j, c := range future[i] {
							errSq += float64(pred[j]-c) * float64(pred[j]-c)
							normSq += float64(c) * float64(c)
						}
					}
				}
				if err := a.Finish(); err != nil {
					t.Fatal(err)
				}
				if n >= sequences-measured {
					cosDNI += cosine(a.GradCell(), exact) / measured
					cosOne += cosine(oneStep, exact) / measured
				}
			}
			rel := errSq / normSq
			t.Logf("‖ĉ − c‖²/‖c‖² = %.3f; cosine to the exact gradient: DNI %.3f, one-step BPTT %.3f", rel, cosDNI, cosOne)
			if rel > 0.65 {
				t.Errorf("the module's predictions are %.2f of the future credit's square away from it: not learning", rel)
			}
			if cosDNI < cosOne+0.02 {
				t.Errorf("DNI's gradient has cosine %.3f to the exact one, one-step BPTT's %.3f: the module does not help", cosDNI, cosOne)
			}
		})
	}
}

// A learning rate outside (0, 2) is refused with one line.
func TestDNIRefuses(t *testing.T) {
	p := newProblem(t, testConfigs[4], 1, 32)
	for _, r := range []float32{-1, 2, float32(math.NaN()), float32(math.Inf(1))} {
		if _, err := NewDNI(p.model(), DNIOptions{LearningRate: r}); err == nil || !strings.Contains(err.Error(), "LearningRate") {
			t.Errorf("LearningRate %v: %v", r, err)
		}
	}
	if _, err := NewDNI(nil, DNIOptions{}); err == nil || !strings.Contains(err.Error(), "nil model") {
		t.Errorf("nil model: %v", err)
	}
}

// On a stack, for both losses, DNI whose module cannot move (a learning rate of 1e-30)
// adds exactly the one-step gradient Σ_t q_tᵀ·Ī_t of the joint state, computed here step
// by step through the model's own backward step: the synthetic gradient reaches every
// layer's parameters through the joint immediate Jacobian.
func TestStackedDNIOneStep(t *testing.T) {
	forEachStackProblem(t, 12, func(t *testing.T, p *stackProblem) {
		a, err := NewDNI(p.M, DNIOptions{LearningRate: 1e-30})
		if err != nil {
			t.Fatal(err)
		}
		p.Run(t, a)
		m := p.M
		want := make([]float32, m.NumParams())
		cache := m.NewStepCache()
		state := slices.Clone(p.S0)
		yhat, dy := make([]float32, m.OutSize()), make([]float32, m.OutSize())
		q, scratch := make([]float32, m.StateSize()), make([]float32, m.StateSize())
		for i, x := range p.Xs {
			m.Forward(cache, state, state, x)
			h := m.TopHidden(state)
			m.Head.Forward(yhat, h)
			clear(q)
			if _, has := p.Ys[i].Loss(dy, yhat); has {
				m.Head.Backward(m.TopHidden(q), make([]float32, m.Head.NumParams()), h, dy)
			}
			m.Backward(cache, scratch, want, q)
		}
		if e := relErr(a.GradCell(), to64(want)); e > 1e-5 {
			t.Errorf("relative error vs the one-step gradient %.3g", e)
		}
	})
}
