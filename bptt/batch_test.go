package bptt_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
)

// batchProblem is a minibatch of B sequences of T steps for a two-layer model, with
// inputs and targets as B rows per step and given initial states.
type batchProblem struct {
	m  *cell.Model
	xs [][]float32
	ys []cell.Target
	s0 []float32
}

func newBatchProblem(t testing.TB, cfg cell.Config, layers, B, T int, classes bool, seed uint64) *batchProblem {
	t.Helper()
	const out = 3
	m, err := cell.NewStack(cfg, layers, out)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 41))
	m.Init(rng, cell.InitDefault)
	p := &batchProblem{m: m, s0: make([]float32, B*m.StateSize())}
	for i := range p.s0 {
		p.s0[i] = float32(0.3 * rng.NormFloat64())
	}
	for step := range T {
		x := make([]float32, B*cfg.Input)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		p.xs = append(p.xs, x)
		switch {
		case step%4 == 2:
			p.ys = append(p.ys, cell.Target{})
		case classes:
			c := make([]int32, B)
			for b := range c {
				c[b] = int32(rng.IntN(out))
			}
			c[0] = cell.IgnoreClass
			p.ys = append(p.ys, cell.Classes(c...))
		default:
			y := make([]float32, B*out)
			for i := range y {
				y[i] = float32(rng.NormFloat64())
			}
			p.ys = append(p.ys, cell.Values(y))
		}
	}
	return p
}

func (p *batchProblem) stream(t testing.TB, a algo.Algorithm) float32 {
	t.Helper()
	if err := a.Reset(p.s0); err != nil {
		t.Fatal(err)
	}
	var sum float32
	for i, x := range p.xs {
		l, err := a.Step(x, p.ys[i])
		if err != nil {
			t.Fatal(err)
		}
		sum += l
	}
	if err := a.Finish(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// On a minibatch, checkpointed BPTT (whole sequences and streamed, any slots and chunks)
// and truncated BPTT whose window covers the sequence give full BPTT's bits, as they do
// for one sequence: every backward step is the same operations in the same order.
func TestBatchCheckpointedAndTruncatedBitIdenticalToFull(t *testing.T) {
	for _, cfg := range testConfigs {
		for _, B := range []int{2, 5} {
			for _, T := range []int{1, 7, 13} {
				for _, classes := range []bool{false, true} {
					name := fmt.Sprintf("%s/B=%d/T=%d/classes=%v", configName(cfg), B, T, classes)
					p := newBatchProblem(t, cfg, 2, B, T, classes, uint64(B*T))
					full, err := bptt.NewFull(p.m, bptt.FullOptions{Batch: B})
					if err != nil {
						t.Fatal(err)
					}
					wantLoss := p.stream(t, full)
					check := func(what string, a algo.Algorithm, loss float32) {
						t.Helper()
						// RunSequence sums the losses in float64, a stream in float32.
						if d := float64(loss - wantLoss); d > 1e-6*float64(max(1, wantLoss)) || d < -1e-6*float64(max(1, wantLoss)) {
							t.Fatalf("%s %s: loss %v, full BPTT's %v", name, what, loss, wantLoss)
						}
						sameBits(t, name+" "+what+" GradCell", a.GradCell(), full.GradCell())
						sameBits(t, name+" "+what+" GradHead", a.GradHead(), full.GradHead())
						sameBits(t, name+" "+what+" State", a.State(), full.State())
					}
					for _, sc := range [][2]int{{1, 1}, {2, 1}, {3, 2}, {1, T}, {T, 1}} {
						ck, err := bptt.NewCheckpointed(p.m, bptt.CheckpointedOptions{Slots: sc[0], Chunk: sc[1], Batch: B})
						if err != nil {
							t.Fatal(err)
						}
						l, err := ck.RunSequence(p.s0, p.xs, p.ys)
						if err != nil {
							t.Fatal(err)
						}
						check(fmt.Sprintf("checkpoint s=%d K=%d sequence", sc[0], sc[1]), ck, l)
						ck.ZeroGrad()
						check(fmt.Sprintf("checkpoint s=%d K=%d stream", sc[0], sc[1]), ck, p.stream(t, ck))
					}
					tr, err := bptt.NewTruncated(p.m, bptt.TruncatedOptions{K1: T, K2: T, Batch: B})
					if err != nil {
						t.Fatal(err)
					}
					check("tbptt:T,T", tr, p.stream(t, tr))
				}
			}
		}
	}
}

// A steady-state step of a minibatch of 32 allocates nothing, for every BPTT algorithm.
func TestBatchSteadyStateAllocatesNothing(t *testing.T) {
	const B, T = 32, 12
	for _, cfg := range testConfigs {
		p := newBatchProblem(t, cfg, 2, B, T, cfg.Kind == cell.GRU, 3)
		full, _ := bptt.NewFull(p.m, bptt.FullOptions{Batch: B})
		ck, _ := bptt.NewCheckpointed(p.m, bptt.CheckpointedOptions{Slots: 3, Chunk: 2, Batch: B})
		tr, _ := bptt.NewTruncated(p.m, bptt.TruncatedOptions{K1: 3, K2: 5, Batch: B})
		ad, err := bptt.NewAdaptive(p.m, bptt.AdaptiveOptions{Delta: 0.1, KMax: 6, ProbeEvery: 2, EstimateEvery: 5, Batch: B})
		if err != nil {
			t.Fatal(err)
		}
		for name, a := range map[string]algo.Algorithm{"full": full, "checkpoint": ck, "tbptt": tr, "adaptive": ad} {
			p.stream(t, a)
			if n := testing.AllocsPerRun(5, func() { p.stream(t, a) }); n != 0 {
				t.Errorf("%s %s: %v allocations per minibatch", configName(cfg), name, n)
			}
		}
		ck.RunSequence(p.s0, p.xs, p.ys)
		if n := testing.AllocsPerRun(5, func() { ck.RunSequence(p.s0, p.xs, p.ys) }); n != 0 {
			t.Errorf("%s checkpoint RunSequence: %v allocations per minibatch", configName(cfg), n)
		}
	}
}

// Workers split the minibatch's products (large enough here to go through the blocked
// Gemm) and, at B = 27 (blocks of H·B = 1107 floats), the elementwise passes between
// them, and change no bit of the gradient.
func TestBatchWorkersSameBits(t *testing.T) {
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		for _, B := range []int{8, 27} {
			cfg := cell.Config{Kind: kind, Hidden: 41, Input: 30}
			p := newBatchProblem(t, cfg, 2, B, 6, kind == cell.GRU, 9)
			var ref []float32
			for _, W := range []int{1, 2, 3} {
				for name, a := range map[string]algo.Algorithm{
					"full":       must(bptt.NewFull(p.m, bptt.FullOptions{Batch: B, Workers: W})),
					"checkpoint": must(bptt.NewCheckpointed(p.m, bptt.CheckpointedOptions{Slots: 2, Chunk: 2, Batch: B, Workers: W})),
					"tbptt":      must(bptt.NewTruncated(p.m, bptt.TruncatedOptions{K1: 6, K2: 6, Batch: B, Workers: W})),
				} {
					p.stream(t, a)
					g := append(append([]float32(nil), a.GradCell()...), a.GradHead()...)
					a.Close()
					if ref == nil {
						ref = g
					}
					sameBits(t, fmt.Sprintf("%v B=%d %s W=%d", kind, B, name, W), g, ref)
				}
			}
		}
	}
}

func must[A algo.Algorithm](a A, err error) A {
	if err != nil {
		panic(err)
	}
	return a
}

// A minibatch's forward steps multiply by the weights of the sequence's first step (full
// BPTT packs them, cell.WeightPacks): if the weights change during the sequence, Finish
// refuses it with an error saying so and adds nothing, and the next sequence, its
// weights fixed, gives the gradient of a fresh run with those weights, bit for bit.
func TestBatchWeightsChangedDuringSequence(t *testing.T) {
	cfg := cell.Config{Kind: cell.GRU, Hidden: 40, Input: 9}
	const B, T = 8, 6
	p := newBatchProblem(t, cfg, 2, B, T, false, 3)
	full := must(bptt.NewFull(p.m, bptt.FullOptions{Batch: B}))
	if err := full.Reset(p.s0); err != nil {
		t.Fatal(err)
	}
	for i, x := range p.xs {
		if i == T/2 {
			p.m.Layers[1].Params()[0] += 0.125
		}
		if _, err := full.Step(x, p.ys[i]); err != nil {
			t.Fatal(err)
		}
	}
	err := full.Finish()
	if err == nil || !strings.Contains(err.Error(), "weights changed during the sequence") {
		t.Fatalf("Finish after a weight change: %v, want an error saying the weights changed", err)
	}
	for _, g := range [][]float32{full.GradCell(), full.GradHead()} {
		for _, v := range g {
			if v != 0 {
				t.Fatal("the refused sequence left a gradient")
			}
		}
	}
	p.stream(t, full)
	fresh := must(bptt.NewFull(p.m, bptt.FullOptions{Batch: B}))
	p.stream(t, fresh)
	sameBits(t, "GradCell after the refused sequence", full.GradCell(), fresh.GradCell())
	sameBits(t, "GradHead after the refused sequence", full.GradHead(), fresh.GradHead())
}

// BatchCols: one sequence keeps cell.DefaultBatchCols; a minibatch takes four times that,
// at least 256 columns when the bottom layer's weight gradient is past 1 MiB (the flush
// then reads and writes it from L3), and always a whole number of steps.
func TestBatchCols(t *testing.T) {
	layout := func(kind cell.Kind, n int) cell.Layout {
		m, err := cell.NewStack(cell.Config{Kind: kind, Hidden: n, Input: n}, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		return m.Layers[0].Layout()
	}
	lstm512, lstm128, gru512 := layout(cell.LSTM, 512), layout(cell.LSTM, 128), layout(cell.GRU, 512)
	for _, c := range []struct {
		name  string
		l     cell.Layout
		batch int
		want  int
	}{
		{"lstm n=512 B=1", lstm512, 1, cell.DefaultBatchCols(lstm512)},
		{"lstm n=512 B=32", lstm512, 32, 256},
		{"lstm n=512 B=3", lstm512, 3, 258},
		{"lstm n=512 B=300", lstm512, 300, 300},
		{"lstm n=128 B=32 (weights in L2)", lstm128, 32, 4 * cell.DefaultBatchCols(lstm128)},
		{"gru n=512 B=8", gru512, 8, 256},
	} {
		if got := bptt.BatchCols(c.l, c.batch); got != c.want {
			t.Errorf("%s: BatchCols = %d, want %d", c.name, got, c.want)
		}
	}
}
