package algo_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
	"github.com/chronograd/chronograd/internal/testutil"
	"github.com/chronograd/chronograd/rtrl"
	"github.com/chronograd/chronograd/task"
	"github.com/chronograd/chronograd/train"
)

// refLoss is the problem's total loss computed by the float64 reference stack and head.
func refLoss(st *ref.Stack, head ref.Head, s0 []float64, xs [][]float64, ys []ref.Target) float64 {
	s := s0
	var sum float64
	for t, x := range xs {
		s = st.Step(s, x)
		l, _ := ys[t].Loss(ref.Linear(head.W, head.B, st.Top(s)))
		sum += l
	}
	return sum
}

// fdGrads is the problem's gradient by central differences of refLoss in float64: the
// layers' parameters (weight_hh_l{k} through W = exp or Cayley of its skew part) and the
// readout's.
func fdGrads(p *testutil.StackProblem) (cellGrad, headGrad []float64) {
	st, head := p.Ref()
	s0, xs := testutil.To64(p.S0), p.Xs64()
	loss := func() float64 { return refLoss(st, head, s0, xs, p.RefYs) }
	for _, c := range st.Layers {
		cellGrad = append(cellGrad, ref.Gradient(loss, c.Params, 1e-6)...)
	}
	headGrad = append(ref.Gradient(loss, head.W, 1e-6), ref.Gradient(loss, head.B, 1e-6)...)
	return cellGrad, headGrad
}

// orthoProblem is a problem on an orthogonal stack whose parameters (weight_hh not
// skew-symmetric) are told to the model.
func orthoProblem(t *testing.T, mp cell.OrthoMap, layers int, classes bool, seed uint64) *testutil.StackProblem {
	t.Helper()
	p := testutil.NewStackProblem(t, cell.Config{Kind: cell.Orthogonal, Hidden: 5, Input: 3, OrthoMap: mp}, layers, 3, 9, classes, seed)
	if err := p.M.ParamsChanged(); err != nil {
		t.Fatal(err)
	}
	return p
}

// Every exact algorithm of the registry, built by algo.Spec.New, returns the gradient
// with respect to the model's parameters (the orthogonal layers' weight_hh_l{k} included,
// through the adjoint of W's derivative) that central differences of a float64 reference
// give: full, checkpointed, truncated with a window covering the sequence, adaptive
// truncated (whose first window covers it), and exact RTRL; one and two layers, both
// maps, squared error and cross-entropy. Checkpointed BPTT is bit for bit full BPTT; and
// bptt.NewFull and rtrl.NewExact built directly give what the registry's do.
func TestOrthogonalExactAlgorithmsMatchFiniteDifferences(t *testing.T) {
	specs := []string{"bptt", "bptt-checkpoint:3", "tbptt:9,9", "tbptt-adaptive:0.2", "rtrl", "rtrl:2"}
	for _, mp := range []cell.OrthoMap{cell.OrthoExp, cell.OrthoCayley} {
		for _, layers := range []int{1, 2} {
			for _, classes := range []bool{false, true} {
				if mp == cell.OrthoCayley && layers == 2 {
					continue
				}
				t.Run(fmt.Sprintf("%v/L=%d/classes=%v", mp, layers, classes), func(t *testing.T) {
					p := orthoProblem(t, mp, layers, classes, uint64(layers)+7)
					wantCell, wantHead := fdGrads(p)
					var bpttGrad []float32
					for _, s := range specs {
						a, err := algo.MustParse(s).New(p.M, algo.Options{Steps: len(p.Xs), Seed: 1})
						if err != nil {
							t.Fatal(err)
						}
						p.Run(t, a)
						if d := testutil.RelErr(a.GradCell(), wantCell); d > 2e-4 {
							t.Errorf("%s: cell gradient off the float64 central differences by %.3g (relative)", s, d)
						}
						if d := testutil.RelErr(a.GradHead(), wantHead); d > 2e-4 {
							t.Errorf("%s: readout gradient off by %.3g", s, d)
						}
						switch s {
						case "bptt":
							bpttGrad = slices.Clone(a.GradCell())
						case "bptt-checkpoint:3":
							if !slices.Equal(a.GradCell(), bpttGrad) {
								t.Errorf("checkpointed BPTT is not bit for bit full BPTT")
							}
						}
						a.Close()
					}
					full, err := bptt.NewFull(p.M, bptt.FullOptions{})
					if err != nil {
						t.Fatal(err)
					}
					p.Run(t, full)
					if !slices.Equal(full.GradCell(), bpttGrad) {
						t.Errorf("bptt.NewFull built directly differs from the registry's bptt")
					}
					ex, err := rtrl.NewExact(p.M, rtrl.ExactOptions{})
					if err != nil {
						t.Fatal(err)
					}
					defer ex.Close()
					p.Run(t, ex)
					if d := testutil.RelErr(ex.GradCell(), testutil.To64(bpttGrad)); d > 1e-5 {
						t.Errorf("rtrl.NewExact built directly: %.3g from BPTT", d)
					}
				})
			}
		}
	}
}

// On a one-step sequence SnAp-1's influence is the immediate Jacobian itself, so its
// gradient is exact there: equal to BPTT's, modReLU's bias (bias_hh_l0, whose input is
// sign(z)) included. On longer sequences it is an approximation; UORO's is unbiased: its
// mean over many seeds approaches the exact gradient.
func TestOrthogonalApproximations(t *testing.T) {
	p := orthoProblem(t, cell.OrthoExp, 1, false, 3)
	p.Xs, p.Ys, p.RefYs = p.Xs[:1], p.Ys[:1], p.RefYs[:1]
	p.Ys[0] = cell.Values([]float32{0.5, -1, 2})
	p.RefYs[0] = ref.Target{Values: []float64{0.5, -1, 2}}
	want, _ := fdGrads(p)
	for _, s := range []string{"bptt", "snap1"} {
		a, err := algo.MustParse(s).New(p.M, algo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		p.Run(t, a)
		if d := testutil.RelErr(a.GradCell(), want); d > 2e-4 {
			t.Errorf("%s on one step: %.3g from central differences", s, d)
		}
	}
	// UORO: the mean over seeds of a 4-step sequence's gradient tends to the exact one.
	q := orthoProblem(t, cell.OrthoExp, 1, false, 4)
	q.Xs, q.Ys, q.RefYs = q.Xs[:4], q.Ys[:4], q.RefYs[:4]
	exact, _ := fdGrads(q)
	mean := make([]float64, len(exact))
	const seeds = 3000
	for seed := range uint64(seeds) {
		a, err := algo.MustParse("uoro").New(q.M, algo.Options{Seed: seed + 1})
		if err != nil {
			t.Fatal(err)
		}
		q.Run(t, a)
		for i, v := range a.GradCell() {
			mean[i] += float64(v) / seeds
		}
	}
	if d := relErr64(mean, exact); d > 0.25 {
		t.Errorf("UORO's mean over %d seeds is %.3g (relative) from the exact gradient", seeds, d)
	}
	one, _ := algo.MustParse("uoro").New(q.M, algo.Options{Seed: 1})
	q.Run(t, one)
	single := testutil.To64(one.GradCell())
	if d, dm := relErr64(single, exact), relErr64(mean, exact); !(dm < d/3) {
		t.Errorf("UORO's mean (%.3g from exact) is not much closer than one seed's (%.3g)", dm, d)
	}
}

func relErr64(got, want []float64) float64 {
	var num, den float64
	for i := range got {
		num += (got[i] - want[i]) * (got[i] - want[i])
		den += want[i] * want[i]
	}
	return math.Sqrt(num / den)
}

// A minibatch of three sequences through full BPTT gives the sum of the three
// sequences' gradients (each mapped to the parameters: the map is linear).
func TestOrthogonalBatchOfThree(t *testing.T) {
	m, err := cell.NewModel(cell.Config{Kind: cell.Orthogonal, Hidden: 6, Input: 3}, 2)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(8, 8))
	m.Init(rng, cell.InitHenaff)
	const b, T = 3, 7
	xs := make([][][]float32, b)
	ys := make([][][]float32, b)
	for j := range b {
		for range T {
			x, y := make([]float32, 3), make([]float32, 2)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			for i := range y {
				y[i] = float32(rng.NormFloat64())
			}
			xs[j], ys[j] = append(xs[j], x), append(ys[j], y)
		}
	}
	batch, err := bptt.NewFull(m, bptt.FullOptions{Batch: b})
	if err != nil {
		t.Fatal(err)
	}
	if err := batch.Reset(nil); err != nil {
		t.Fatal(err)
	}
	for step := range T {
		var x, y []float32
		for j := range b {
			x, y = append(x, xs[j][step]...), append(y, ys[j][step]...)
		}
		if _, err := batch.Step(x, cell.Values(y)); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Finish(); err != nil {
		t.Fatal(err)
	}
	want := make([]float64, m.NumParams())
	for j := range b {
		one, err := bptt.NewFull(m, bptt.FullOptions{})
		if err != nil {
			t.Fatal(err)
		}
		testutil.Stream(t, one, nil, xs[j], ys[j])
		for i, v := range one.GradCell() {
			want[i] += float64(v)
		}
	}
	if d := testutil.RelErr(batch.GradCell(), want); d > 1e-5 {
		t.Errorf("B = 3: %.3g (relative) from the sum of the three sequences", d)
	}
}

// The algorithms keep W = the derivation of the current parameters: after parameters are
// written in place, the next Reset (or ZeroGrad) re-derives it, for every algorithm of the
// registry, so the loss of the next sequence is a fresh model's.
func TestOrthogonalAlgorithmsResync(t *testing.T) {
	for _, info := range algo.List() {
		spec := sampleSpec(t, info.Name)
		d := algo.DimsOf(cell.Orthogonal, 5, 3, 3)
		if spec.Supports(d) != nil {
			continue
		}
		for _, via := range []string{"Reset", "ZeroGrad"} {
			p := orthoProblem(t, cell.OrthoExp, 1, false, 11)
			a, err := spec.New(p.M, algo.Options{Steps: len(p.Xs), Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			p.Run(t, a)
			l := p.M.Layers[0].Layout()
			w := p.M.Layers[0].Params()[l.WeightHH:l.BiasIH]
			for i := range w {
				w[i] *= 1.5
			}
			if via == "ZeroGrad" {
				a.ZeroGrad()
			}
			got := p.Run(t, a)
			fresh := orthoProblem(t, cell.OrthoExp, 1, false, 11)
			copy(fresh.M.Layers[0].Params(), p.M.Layers[0].Params())
			b, err := spec.New(fresh.M, algo.Options{Steps: len(p.Xs), Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			if want := fresh.Run(t, b); got != want {
				t.Errorf("%s after %s: loss %v, a fresh model's %v", spec, via, got, want)
			}
			a.Close()
			b.Close()
		}
	}
}

// Every algorithm the issue lists trains the orthogonal cell: with each, Adam and a few
// hundred sequences of a short copy task (delay 3) take the evaluation loss below the
// input-blind baseline (it starts far above it), and W stays the exact derivation of the
// parameters.
func TestOrthogonalEveryAlgorithmTrains(t *testing.T) {
	tk := task.Copy{Delay: 3, Symbols: 2}
	for _, s := range []string{"bptt", "bptt-checkpoint:3", "tbptt:7,7", "rtrl", "snap1", "uoro"} {
		m, err := cell.NewModel(cell.Config{Kind: cell.Orthogonal, Hidden: 12, Input: tk.InputSize()}, tk.OutputSize())
		if err != nil {
			t.Fatal(err)
		}
		m.Init(rand.New(rand.NewPCG(1, 2)), cell.InitHenaff)
		before, _ := train.Evaluate(m, tk, 50)
		a, err := algo.MustParse(s).New(m, algo.Options{Steps: tk.Len(), Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		cfg := train.Config{Model: m, Algorithm: a, Optimizer: &train.Adam{LR: 0.01}, Task: tk, Sequences: 400, ClipNorm: 1, Seed: 3}
		if s == "uoro" { // a noisier gradient: a smaller step, more of them
			cfg.Optimizer, cfg.Sequences = &train.Adam{LR: 0.002}, 1500
		}
		if a.Online() && s != "tbptt:7,7" {
			cfg.UpdateEvery = 1
		}
		if _, err := train.Run(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		after, _ := train.Evaluate(m, tk, 50)
		if base := tk.Baseline().Loss; !(after < base) {
			t.Errorf("%s: evaluation loss %.4g → %.4g, not below the input-blind baseline %.4g", s, before, after, base)
		}
		fresh, _ := cell.NewModel(cell.Config{Kind: cell.Orthogonal, Hidden: 12, Input: tk.InputSize()}, tk.OutputSize())
		copy(fresh.Layers[0].Params(), m.Layers[0].Params())
		if err := fresh.ParamsChanged(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(fresh.Layers[0].RecurrentWeights().Data, m.Layers[0].RecurrentWeights().Data) {
			t.Errorf("%s: after training W is not the derivation of the parameters", s)
		}
		a.Close()
	}
}
