package rtrl

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
)

// sparsify fixes a random mask of the given density on the problem's cell.
func (p *problem) sparsify(t testing.TB, density float64, seed uint64) {
	t.Helper()
	if err := cell.Sparsify(p.c, density, cell.MaskRandom, rand.New(rand.NewPCG(seed, 9))); err != nil {
		t.Fatal(err)
	}
}

// snap2Reference is SnAp-2 by its definition, in float64 with dense matrices: RTRL's
// recursion M_t = (J_t·M_{t-1} + Ī_t) ⊙ pattern, the pattern keeping entry (state row s,
// parameter p) when p is a parameter (not a weight the mask drops) of a gate row of unit
// u and the unit of s is u or reads h_u through some gate row's kept W_hh entry.
func (p *problem) snap2Reference() ref.Grads {
	c := p.c
	lay := c.Layout()
	h, g := lay.Hidden, lay.Gates
	keep := cell.RecurrentMask(c)
	reads := func(v, u int) bool { // unit v reads h_u
		if v == u {
			return true
		}
		for k := range g {
			if keep == nil || keep[(k*h+v)*h+u] {
				return true
			}
		}
		return false
	}
	rc := &ref.Cell{Kind: p.cfg.Kind.String(), H: h, I: c.InputSize(), Alpha: float64(c.Alpha()), Params: to64(c.Params())}
	hp := to64(p.head.Params())
	head := ref.Head{W: hp[:testOut*h], B: hp[testOut*h:]}
	s, np := c.StateSize(), c.NumParams()
	grads := ref.Grads{Cell: make([]float64, np), Head: make([]float64, len(hp))}
	m := make([][]float64, s)
	for i := range m {
		m[i] = make([]float64, np)
	}
	state := to64(p.s0)
	for t, x := range p.xs {
		d := rc.Derivs(state, to64(x))
		state = d.Next
		next := make([][]float64, s)
		for row := range s {
			next[row] = make([]float64, np)
			for col := range np {
				u := lay.GateRow(col) % h
				dropped := col >= lay.WeightHH && col < lay.BiasIH && keep != nil && !keep[col-lay.WeightHH]
				if dropped || !reads(row%h, u) {
					continue
				}
				v := d.Imm[row][col]
				for k := range s {
					v += d.J[row][k] * m[k][col]
				}
				next[row][col] = v
			}
		}
		m = next
		if p.ys[t] == nil {
			continue
		}
		yhat := ref.Linear(head.W, head.B, state[:h])
		grads.Loss += ref.SquaredError(yhat, to64(p.ys[t]))
		dLdh := make([]float64, h)
		for o := range testOut {
			e := yhat[o] - float64(p.ys[t][o])
			for j := range h {
				grads.Head[o*h+j] += e * state[j]
				dLdh[j] += head.W[o*h+j] * e
			}
			grads.Head[testOut*h+o] += e
		}
		for row := range h {
			for col := range np {
				grads.Cell[col] += dLdh[row] * m[row][col]
			}
		}
	}
	return grads
}

// On a dense W_hh every unit reaches every other in one step, so SnAp-2 keeps the whole
// influence matrix and is exact RTRL at every step.
func TestSnAp2DenseIsExact(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, cfg := range testConfigs {
			t.Run(configName(cfg), func(t *testing.T) {
				p := newProblem(t, cfg, 30, 4)
				exact := mustNew(t, "rtrl", p)
				lossExact := p.run(t, exact)
				a := mustNew(t, "snap2", p)
				if l := p.run(t, a); l != lossExact {
					t.Errorf("loss %v, exact RTRL's %v", l, lossExact)
				}
				if e := relErr(a.GradCell(), to64(exact.GradCell())); e > 1e-5 {
					t.Errorf("relative difference from exact RTRL %.3g", e)
				}
				if e := relErr(a.GradHead(), to64(exact.GradHead())); e > 1e-6 {
					t.Errorf("head gradient relative difference %.3g", e)
				}
			})
		}
	})
}

// On a sparse W_hh SnAp-2 computes its definition (the float64 masked recursion), is
// exact for the first two steps, and is an approximation after them.
func TestSnAp2SparseMatchesDefinition(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, cfg := range testConfigs {
			cfg.Hidden = 11
			t.Run(configName(cfg), func(t *testing.T) {
				for _, density := range []float64{0.1, 0.3, 0.6} {
					p := newProblem(t, cfg, 25, 5)
					p.sparsify(t, density, 3)
					a := mustNew(t, "snap2", p)
					p.run(t, a)
					want := p.snap2Reference()
					if e := relErr(a.GradCell(), want.Cell); e > 1e-4 {
						t.Errorf("density %v: relative error vs its float64 definition %.3g", density, e)
					}
					if e := relErr(a.GradHead(), want.Head); e > 1e-5 {
						t.Errorf("density %v: head gradient relative error %.3g", density, e)
					}
					exact := mustNew(t, "rtrl", p)
					p.run(t, exact)
					p.model().MaskGrad(exact.GradCell())
					// Unless every unit reaches every other (an LSTM's four gates at 60% leave
					// few pairs unconnected), SnAp-2 drops influence that exact RTRL keeps.
					everyUnit := len(a.(*SnAp2).layers[0].reach) == cfg.Hidden*cfg.Hidden
					if e := relErr(a.GradCell(), to64(exact.GradCell())); e < 1e-3 && !everyUnit {
						t.Errorf("density %v: SnAp-2 equals exact RTRL (%.3g) over 25 steps: the problem does not exercise the approximation", density, e)
					}
					// The dropped weights get no gradient.
					lay := p.c.Layout()
					for i, kept := range cell.RecurrentMask(p.c) {
						if g := a.GradCell()[lay.WeightHH+i]; !kept && g != 0 {
							t.Fatalf("density %v: dropped weight %d has gradient %v", density, i, g)
						}
					}
				}
			})
		}
	})
}

// SnAp-n is exact for its first n steps whatever the sparsity: M_1 = Ī_1 and M_2 =
// J_2·Ī_1 + Ī_2 lie on the pattern of two steps.
func TestSnAp2ExactForTwoSteps(t *testing.T) {
	for _, cfg := range testConfigs {
		cfg.Hidden = 13
		p := newProblem(t, cfg, 3, 6)
		p.ys[1] = p.ys[0] // the problem leaves step 1 without a target
		p.sparsify(t, 0.15, 4)
		full := p.xs
		for steps, exactWanted := range map[int]bool{2: true, 3: false} {
			p.xs = full[:steps]
			a, exact := mustNew(t, "snap2", p), mustNew(t, "rtrl", p)
			p.run(t, a)
			p.run(t, exact)
			// Exact RTRL's gradient has values at the dropped weights, which are no
			// parameters.
			p.model().MaskGrad(exact.GradCell())
			e := relErr(a.GradCell(), to64(exact.GradCell()))
			if exactWanted && e > 1e-5 {
				t.Errorf("%s: after two steps SnAp-2 differs from exact RTRL by %.3g", configName(cfg), e)
			}
			if !exactWanted && e < 1e-4 {
				t.Errorf("%s: after three steps SnAp-2 still equals exact RTRL (%.3g): the test proves nothing", configName(cfg), e)
			}
		}
		p.xs = full
	}
}

// With a mask that keeps only each unit's own column in every gate block, a unit reaches
// no other: SnAp-2 keeps SnAp-1's pattern and gives its gradient, on one layer and on a
// stack (where the learning signals run down the layers as SnAp-1's do).
func TestSnAp2OnSelfConnectionsIsSnAp1(t *testing.T) {
	diagonal := func(c cell.Cell) []bool {
		lay := c.Layout()
		keep := make([]bool, lay.Gates*lay.Hidden*lay.Hidden)
		for r := range lay.Gates * lay.Hidden {
			keep[r*lay.Hidden+r%lay.Hidden] = true
		}
		return keep
	}
	for _, cfg := range testConfigs {
		for _, layers := range []int{1, 3} {
			p := newStackProblem(t, cfg, layers, 20, false, 7)
			for _, l := range p.M.Layers {
				if err := cell.SetRecurrentMask(l, diagonal(l)); err != nil {
					t.Fatal(err)
				}
			}
			s1, err := NewSnAp1(p.M, SnAp1Options{})
			if err != nil {
				t.Fatal(err)
			}
			s2, err := NewSnAp2(p.M, SnAp2Options{})
			if err != nil {
				t.Fatal(err)
			}
			p.Run(t, s1)
			p.Run(t, s2)
			p.M.MaskGrad(s1.GradCell()) // SnAp-1 has values at the dropped weights
			if e := relErr(s2.GradCell(), to64(s1.GradCell())); e > 1e-5 {
				t.Errorf("%s, %d layers: SnAp-2 differs from SnAp-1 by %.3g", configName(cfg), layers, e)
			}
			if slices.Max(s2.GradCell()) == 0 {
				t.Errorf("%s: zero gradient", configName(cfg))
			}
		}
	}
}

// Every way of computing J_u·B_u is exercised (rows of terms, a gathered J_u, J_t
// itself), and a step allocates nothing in any of them.
func TestSnAp2ProductsAndAllocations(t *testing.T) {
	for _, c := range []struct {
		density float64
		want    uint8
	}{{0, snap2Whole}, {0.05, snap2Terms}, {0.5, snap2Gather}} {
		for _, cfg := range testConfigs {
			cfg.Hidden = 24
			p := newProblem(t, cfg, 2, 8)
			if c.density > 0 {
				p.sparsify(t, c.density, 2)
			}
			a := mustNew(t, "snap2", p).(*SnAp2)
			counts := map[uint8]int{}
			for _, pr := range a.layers[0].product {
				counts[pr]++
			}
			if counts[c.want] == 0 {
				t.Errorf("%s density %v: no unit uses product %d (%v)", configName(cfg), c.density, c.want, counts)
			}
			if _, err := a.Step(p.xs[0], cell.Values(p.ys[0])); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(20, func() {
				if _, err := a.Step(p.xs[0], cell.Values(p.ys[0])); err != nil {
					t.Fatal(err)
				}
				if _, err := a.Step(p.xs[1], cell.Target{}); err != nil {
					t.Fatal(err)
				}
				if err := a.Reset(p.s0); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s density %v: %v allocations per step", configName(cfg), c.density, allocs)
			}
		}
	}
}
