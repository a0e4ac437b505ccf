// Package testutil holds the helpers that the cell, bptt and rtrl tests share.
package testutil

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
	"github.com/chronograd/chronograd/kernels"
)

// ForEachTier runs f as a subtest under every kernel tier this CPU and build support,
// restoring the active tier afterwards.
func ForEachTier(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, tier := range kernels.Tiers() {
		t.Run("tier="+tier.String(), func(t *testing.T) {
			restore, err := kernels.UseTier(tier)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			f(t)
		})
	}
}

// ConfigName names a cell configuration for a subtest: kind and leak.
func ConfigName(cfg cell.Config) string {
	a := cfg.Alpha
	if a == 0 {
		a = 1
	}
	return fmt.Sprintf("%v/alpha=%g", cfg.Kind, a)
}

// Streamer is the part of algo.Algorithm that Stream uses (this package cannot import
// algo, which the algorithm packages' internal tests would then import in a cycle).
type Streamer interface {
	Reset(s0 []float32) error
	Step(x []float32, y cell.Target) (float32, error)
	Finish() error
}

// Stream feeds one sequence through a streaming algorithm (Reset from s0, a Step per
// input, Finish) and returns the sum of the step losses, added in float64.
func Stream(t testing.TB, a Streamer, s0 []float32, xs, ys [][]float32) float64 {
	t.Helper()
	targets := make([]cell.Target, len(ys))
	for i, y := range ys {
		targets[i] = cell.Values(y)
	}
	return StreamTargets(t, a, s0, xs, targets)
}

// StreamTargets is Stream with any targets (values, classes or none).
func StreamTargets(t testing.TB, a Streamer, s0 []float32, xs [][]float32, ys []cell.Target) float64 {
	t.Helper()
	if err := a.Reset(s0); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for i, x := range xs {
		l, err := a.Step(x, ys[i])
		if err != nil {
			t.Fatal(err)
		}
		sum += float64(l)
	}
	if err := a.Finish(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// Config is the config of a model's layers (layer 0's input size).
func Config(m *cell.Model) cell.Config {
	return cell.Config{Kind: m.Kind(), Hidden: m.HiddenSize(), Input: m.InputSize(), Alpha: m.Alpha()}
}

// StackProblem is a stacked model with seeded random parameters, a non-zero joint initial
// state and a sequence whose every fourth step (from the second) has no target; with
// classes the targets are classes, some of them ignored (cell.IgnoreClass). RefYs are the
// same targets for the float64 references.
type StackProblem struct {
	M       *cell.Model
	S0      []float32
	Xs      [][]float32
	Ys      []cell.Target
	RefYs   []ref.Target
	Classes bool
}

// NewStackProblem draws a problem for a model of the given layers and outputs.
func NewStackProblem(t testing.TB, cfg cell.Config, layers, out, steps int, classes bool, seed uint64) *StackProblem {
	t.Helper()
	m, err := cell.NewStack(cfg, layers, out)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 31))
	fill := func(v []float32, scale float64) {
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
	}
	for _, l := range m.Layers {
		fill(l.Params(), 0.45)
	}
	fill(m.Head.Params(), 0.5)
	p := &StackProblem{M: m, S0: make([]float32, m.StateSize()), Classes: classes}
	fill(p.S0, 0.5)
	for i := range steps {
		x := make([]float32, cfg.Input)
		fill(x, 1)
		p.Xs = append(p.Xs, x)
		var y cell.Target
		var ry ref.Target
		switch {
		case i%4 == 1:
		case classes:
			c := int32(rng.IntN(out))
			if i%8 == 3 {
				c = cell.IgnoreClass
			}
			y = cell.Classes(c)
			ry = ref.Target{Class: int(c), HasClass: true}
		default:
			v := make([]float32, out)
			fill(v, 1)
			y, ry = cell.Values(v), ref.Target{Values: To64(v)}
		}
		p.Ys = append(p.Ys, y)
		p.RefYs = append(p.RefYs, ry)
	}
	return p
}

// Name names the problem for a subtest: kind, leak, layers and loss.
func (p *StackProblem) Name() string {
	loss := "squared error"
	if p.Classes {
		loss = "cross-entropy"
	}
	return fmt.Sprintf("%s/L=%d/%s", ConfigName(Config(p.M)), p.M.NumLayers(), loss)
}

// Ref is the problem's model as a float64 reference stack and head.
func (p *StackProblem) Ref() (*ref.Stack, ref.Head) {
	st := &ref.Stack{}
	for _, l := range p.M.Layers {
		st.Layers = append(st.Layers, &ref.Cell{Kind: l.Kind().String(), H: l.HiddenSize(), I: l.InputSize(), Alpha: float64(l.Alpha()), Params: To64(l.Params()),
			Cayley: l.OrthoMap() == cell.OrthoCayley})
	}
	hp := To64(p.M.Head.Params())
	n := p.M.OutSize() * p.M.HiddenSize()
	return st, ref.Head{W: hp[:n], B: hp[n:]}
}

// Xs64 is the inputs in float64.
func (p *StackProblem) Xs64() [][]float64 {
	xs := make([][]float64, len(p.Xs))
	for i, x := range p.Xs {
		xs[i] = To64(x)
	}
	return xs
}

// Reference is the float64 full-BPTT gradient of the problem.
func (p *StackProblem) Reference() ref.Grads {
	st, head := p.Ref()
	return ref.StackBPTT(st, head, To64(p.S0), p.Xs64(), p.RefYs)
}

// Run streams the sequence through a from S0 and returns the summed loss.
func (p *StackProblem) Run(t testing.TB, a Streamer) float64 {
	t.Helper()
	return StreamTargets(t, a, p.S0, p.Xs, p.Ys)
}

// To64 converts to float64.
func To64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// RelErr is the normwise relative error ‖got − want‖ / ‖want‖.
func RelErr(got []float32, want []float64) float64 {
	if len(got) != len(want) {
		panic(fmt.Sprintf("testutil.RelErr: lengths %d and %d", len(got), len(want)))
	}
	var num, den float64
	for i, g := range got {
		d := float64(g) - want[i]
		num += d * d
		den += want[i] * want[i]
	}
	return math.Sqrt(num / den)
}
