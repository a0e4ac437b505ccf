package algo_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/testutil"
)

// batchProblem is B sequences of T steps for a model: inputs, targets (values or
// classes, some steps without any, and for classes some sequences' steps ignored) and
// initial states, as a minibatch's rows.
type batchProblem struct {
	B, T, in, out, S int
	classes          bool
	xs               [][]float32 // T × (B·I)
	ys               []cell.Target
	s0               []float32 // B·S
}

func newBatchProblem(m *cell.Model, B, T int, classes bool, seed uint64) *batchProblem {
	rng := rand.New(rand.NewPCG(seed, 77))
	p := &batchProblem{B: B, T: T, in: m.InputSize(), out: m.OutSize(), S: m.StateSize(), classes: classes}
	for t := range T {
		x := make([]float32, B*p.in)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		p.xs = append(p.xs, x)
		var y cell.Target
		switch {
		case t%3 == 1: // no target at this step
		case classes:
			c := make([]int32, B)
			for b := range c {
				c[b] = int32(rng.IntN(p.out))
				if rng.IntN(4) == 0 {
					c[b] = cell.IgnoreClass
				}
			}
			y = cell.Classes(c...)
		default:
			v := make([]float32, B*p.out)
			for i := range v {
				v[i] = float32(rng.NormFloat64())
			}
			y = cell.Values(v)
		}
		p.ys = append(p.ys, y)
	}
	p.s0 = make([]float32, B*p.S)
	for i := range p.s0 {
		p.s0[i] = float32(0.5 * rng.NormFloat64())
	}
	return p
}

// runBatch streams the whole batch through a and returns the summed loss.
func (p *batchProblem) runBatch(t *testing.T, a algo.Algorithm) float64 {
	t.Helper()
	if err := a.Reset(p.s0); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for i, x := range p.xs {
		l, err := a.Step(x, p.ys[i])
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		sum += float64(l)
	}
	if err := a.Finish(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// runOne streams sequence b alone through a and returns its loss.
func (p *batchProblem) runOne(t *testing.T, a algo.Algorithm, b int) float64 {
	t.Helper()
	if err := a.Reset(p.s0[b*p.S : (b+1)*p.S]); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for i, x := range p.xs {
		l, err := a.Step(x[b*p.in:(b+1)*p.in], p.ys[i].Row(b, p.out))
		if err != nil {
			t.Fatalf("sequence %d step %d: %v", b, i, err)
		}
		sum += float64(l)
	}
	if err := a.Finish(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// testAttention is the attention component given to the models of the algorithms that
// train only models with one (sab).
var testAttention = cell.AttentionConfig{KAtt: 2, KTop: 1}

// dimsFor is the dimensions of the model modelFor builds.
func dimsFor(spec algo.Spec, kind cell.Kind, layers, h, in, out int) algo.Dims {
	d := algo.StackDims(kind, layers, h, in, out)
	if spec.Info().NeedsAttention {
		d.Attention = testAttention
	}
	return d
}

// modelFor is newStack, with an attention component when the algorithm needs one.
func modelFor(t *testing.T, spec algo.Spec, kind cell.Kind, layers, h, in, out int, seed uint64) *cell.Model {
	t.Helper()
	m := newStack(t, kind, layers, h, in, out, seed)
	if spec.Info().NeedsAttention {
		if err := m.AddAttention(testAttention); err != nil {
			t.Fatal(err)
		}
		m.Attention.InitDefault(rand.New(rand.NewPCG(seed, 6)))
	}
	return m
}

func newStack(t *testing.T, kind cell.Kind, layers, h, in, out int, seed uint64) *cell.Model {
	t.Helper()
	m, err := cell.NewStack(cell.Config{Kind: kind, Hidden: h, Input: in}, layers, out)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(seed, 5)), cell.InitDefault)
	return m
}

// relDiff is ‖a − b‖/‖b‖ (‖a − b‖ when b is zero).
func relDiff(a, b []float64) float64 {
	var d, n float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		n += b[i] * b[i]
	}
	if n == 0 {
		return math.Sqrt(d)
	}
	return math.Sqrt(d / n)
}

var to64 = testutil.To64

// A minibatch's gradient, loss and final states are those of its sequences run one at a
// time and summed: every algorithm, every cell kind, one and two layers, squared error
// and cross-entropy (with ignored classes and steps without a target), from given
// initial states.
func TestBatchEqualsSumOfSingles(t *testing.T) {
	const B, T, H, I, O = 3, 11, 5, 3, 4
	for _, spec := range specs(t) {
		for _, kind := range cell.Kinds() {
			for _, L := range []int{1, 2} {
				if spec.Supports(dimsFor(spec, kind, L, H, I, O)) != nil {
					continue
				}
				for _, classes := range []bool{false, true} {
					name := fmt.Sprintf("%s/%v/L%d/classes=%v", spec, kind, L, classes)
					t.Run(name, func(t *testing.T) {
						m := modelFor(t, spec, kind, L, H, I, O, uint64(L)+7)
						p := newBatchProblem(m, B, T, classes, uint64(kind)*3+uint64(L))
						o := algo.Options{Steps: T, Seed: 11}
						wantCell, wantHead := make([]float64, m.NumParams()), make([]float64, m.Head.NumParams())
						var wantLoss float64
						wantState := make([]float32, 0, B*p.S)
						for b := range B {
							ob := o
							if spec.Info().Forward {
								ob.Seed = o.Seed + uint64(b) // a replicated batch seeds sequence b with Seed + b
							}
							a, err := spec.New(m, ob)
							if err != nil {
								t.Fatal(err)
							}
							wantLoss += p.runOne(t, a, b)
							for i, v := range a.GradCell() {
								wantCell[i] += float64(v)
							}
							for i, v := range a.GradHead() {
								wantHead[i] += float64(v)
							}
							wantState = append(wantState, a.State()...)
							a.Close()
						}
						o.Batch = B
						a, err := spec.New(m, o)
						if err != nil {
							t.Fatal(err)
						}
						defer a.Close()
						loss := p.runBatch(t, a)
						if d := math.Abs(loss-wantLoss) / math.Max(1, math.Abs(wantLoss)); d > 1e-5 {
							t.Errorf("loss %v, the sequences' sum %v", loss, wantLoss)
						}
						if d := relDiff(to64(a.GradCell()), wantCell); d > 2e-5 || math.IsNaN(d) {
							t.Errorf("cell gradient differs from the sum of single sequences' by %.2g (relative)", d)
						}
						if d := relDiff(to64(a.GradHead()), wantHead); d > 2e-5 || math.IsNaN(d) {
							t.Errorf("head gradient differs from the sum of single sequences' by %.2g (relative)", d)
						}
						if d := relDiff(to64(a.State()), to64(wantState)); d > 1e-5 {
							t.Errorf("final states differ from the single sequences' by %.2g (relative)", d)
						}
						if nz := slices.ContainsFunc(a.GradCell(), func(v float32) bool { return v != 0 }); !nz {
							t.Error("the batch's cell gradient is zero")
						}
					})
				}
			}
		}
	}
}

// Workers change who computes what, never the bits.
func TestBatchWorkersSameBits(t *testing.T) {
	const B, T = 5, 9
	for _, spec := range specs(t) {
		kind := cell.GRU
		if spec.Supports(dimsFor(spec, kind, 1, 4, 3, 2)) != nil {
			kind = cell.LSTM
			if spec.Supports(dimsFor(spec, kind, 1, 4, 3, 2)) != nil {
				kind = cell.RNNTanh
			}
		}
		m := modelFor(t, spec, kind, 1, 4, 3, 2, 3)
		p := newBatchProblem(m, B, T, false, 5)
		var ref []float32
		for _, W := range []int{1, 2, 3, 5, 8} {
			a, err := spec.New(m, algo.Options{Steps: T, Batch: B, Workers: W, Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			p.runBatch(t, a)
			g := append(slices.Clone(a.GradCell()), a.GradHead()...)
			a.Close()
			if ref == nil {
				ref = g
			} else if !slices.Equal(g, ref) {
				t.Errorf("%s on %v: %d workers give other bits than one", spec, kind, W)
			}
		}
	}
}

// A batch's bad shapes and sizes are refused with one line naming them.
func TestBatchBadInput(t *testing.T) {
	m := newStack(t, cell.GRU, 2, 4, 3, 2, 1)
	for _, spec := range specs(t) {
		if spec.Supports(algo.DimsOfModel(m)) != nil {
			continue
		}
		if _, err := spec.New(m, algo.Options{Batch: -1}); err == nil {
			t.Errorf("%s: a batch of -1 accepted", spec)
		}
		if _, err := spec.New(m, algo.Options{Batch: 2, Workers: -3}); err == nil {
			t.Errorf("%s: -3 workers accepted", spec)
		}
		a, err := spec.New(m, algo.Options{Batch: 3, Steps: 4})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Step(make([]float32, 3*3-1), cell.Target{}); err == nil {
			t.Errorf("%s: an input of 8 values for 3 sequences × 3 accepted", spec)
		}
		if _, err := a.Step(make([]float32, 9), cell.Values(make([]float32, 2))); err == nil {
			t.Errorf("%s: 2 target values for 3 sequences × 2 accepted", spec)
		}
		if _, err := a.Step(make([]float32, 9), cell.Classes(0, 1)); err == nil {
			t.Errorf("%s: 2 classes for 3 sequences accepted", spec)
		}
		if err := a.Reset(make([]float32, m.StateSize())); err == nil {
			t.Errorf("%s: one sequence's initial state accepted for 3", spec)
		}
		a.Close()
		if _, err := a.Step(make([]float32, 9), cell.Target{}); err == nil {
			t.Errorf("%s: Step after Close accepted", spec)
		}
	}
}

// A steady-state step of a minibatch of 32 allocates nothing, for every algorithm, with
// one worker and with two.
func TestBatchSteadyStateAllocatesNothing(t *testing.T) {
	const B, T = 32, 8
	for _, spec := range specs(t) {
		kind := cell.GRU
		for _, k := range []cell.Kind{cell.GRU, cell.LSTM, cell.RNNTanh} {
			if spec.Supports(dimsFor(spec, k, 1, 4, 3, 2)) == nil {
				kind = k
				break
			}
		}
		m := modelFor(t, spec, kind, 1, 4, 3, 2, 3)
		p := newBatchProblem(m, B, T, false, 5)
		for _, W := range []int{1, 2} {
			a, err := spec.New(m, algo.Options{Steps: T, Batch: B, Workers: W, Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			p.runBatch(t, a)
			a.GradCell()
			if n := testing.AllocsPerRun(3, func() {
				p.runBatch(t, a)
				a.GradCell()
				a.ZeroGrad()
			}); n != 0 {
				t.Errorf("%s on %v, %d workers: %v allocations per minibatch", spec, kind, W, n)
			}
			a.Close()
		}
	}
}

// A minibatch of an orthogonal cell on workers: the twins share the derived W, which
// Reset re-derives once after the parameters change, so that the workers only read it
// (run with -race), and the batch still gives the sum of its sequences.
func TestBatchOrthogonalOnWorkers(t *testing.T) {
	const B, T = 4, 6
	m := newStack(t, cell.Orthogonal, 1, 5, 3, 2, 9)
	p := newBatchProblem(m, B, T, false, 3)
	spec := sampleSpec(t, "snap1")
	a, err := spec.New(m, algo.Options{Steps: T, Batch: B, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for round := range 3 {
		l := m.Layers[0].Layout()
		w := m.Layers[0].Params()[l.WeightHH:l.BiasIH]
		for i := range w {
			w[i] *= 1.1 // stays skew: a skew matrix scaled
		}
		// No ZeroGrad (which would re-derive W one instance at a time): the next Reset
		// meets the changed parameters on both workers at once.
		before := slices.Clone(a.GradCell())
		p.runBatch(t, a)
		got := slices.Clone(a.GradCell())
		for i := range got {
			got[i] -= before[i]
		}
		want := make([]float64, m.NumParams())
		for b := range B {
			one, err := spec.New(m, algo.Options{Steps: T})
			if err != nil {
				t.Fatal(err)
			}
			p.runOne(t, one, b)
			for i, v := range one.GradCell() {
				want[i] += float64(v)
			}
			one.Close()
		}
		if d := relDiff(to64(got), want); d > 1e-4 {
			t.Errorf("round %d: the batch's gradient is %.2g (relative) from its sequences' sum", round, d)
		}
	}
}

// The memory model predicts Bytes for a minibatch too, packed weights included, for
// every algorithm that steps a batch itself, on one and two layers (a batched online
// algorithm runs one instance per sequence and its model is the single one's times B).
func TestBatchMemoryModel(t *testing.T) {
	const B, T = 3, 9
	// The registry's sample settings, and windows of one and two steps (a sweep of one
	// step packs no transposes).
	for _, spec := range append(specs(t), algo.MustParse("tbptt:1,1"), algo.MustParse("tbptt:2,2")) {
		for _, L := range []int{1, 2} {
			for _, kind := range []cell.Kind{cell.GRU, cell.LSTM, cell.RNNTanh} {
				if spec.Supports(dimsFor(spec, kind, L, 7, 5, 2)) != nil {
					continue
				}
				m := modelFor(t, spec, kind, L, 7, 5, 2, 3)
				p := newBatchProblem(m, B, T, false, 5)
				o := algo.Options{Steps: T, Batch: B, Seed: 2}
				a, err := spec.New(m, o)
				if err != nil {
					t.Fatal(err)
				}
				p.runBatch(t, a)
				got, want := a.Bytes(), spec.Bytes(algo.DimsOfModel(m), o)
				a.Close()
				ok := got == want
				if spec.Name() == "bptt-checkpoint" {
					ok = got <= want // its streaming tape is bounded, not predicted
				}
				if !ok {
					t.Errorf("%s %v L=%d B=%d: Bytes %d, the model says %d", spec, kind, L, B, got, want)
				}
			}
		}
	}
}
