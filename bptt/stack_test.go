package bptt_test

import (
	"slices"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/testutil"
)

func forEachStackProblem(t *testing.T, steps int, f func(t *testing.T, p *testutil.StackProblem)) {
	for _, cfg := range testConfigs {
		for _, layers := range []int{2, 3} {
			for _, classes := range []bool{false, true} {
				p := testutil.NewStackProblem(t, cfg, layers, testO, steps, classes, uint64(layers))
				t.Run(p.Name(), func(t *testing.T) { f(t, p) })
			}
		}
	}
}

// On stacks, with either loss: full BPTT is the float64 reference's exact gradient;
// checkpointed BPTT (streamed and whole-sequence, single steps and chunks) is full BPTT's
// bit for bit; truncated BPTT whose window covers the sequence is too.
func TestStackedBPTT(t *testing.T) {
	testutil.ForEachTier(t, func(t *testing.T) {
		forEachStackProblem(t, 23, func(t *testing.T, p *testutil.StackProblem) {
			want := p.Reference()
			full, err := bptt.NewFull(p.M, bptt.FullOptions{})
			if err != nil {
				t.Fatal(err)
			}
			loss := p.Run(t, full)
			if d := loss - want.Loss; d > 1e-5*want.Loss || -d > 1e-5*want.Loss {
				t.Errorf("loss %v, reference %v", loss, want.Loss)
			}
			if e := testutil.RelErr(full.GradCell(), want.Cell); e > 1e-4 {
				t.Errorf("∂L/∂θ relative error vs float64 %.3g", e)
			}
			if e := testutil.RelErr(full.GradHead(), want.Head); e > 1e-5 {
				t.Errorf("∂L/∂head relative error vs float64 %.3g", e)
			}
			same := func(name string, a algo.Algorithm) {
				t.Helper()
				if !slices.Equal(a.GradCell(), full.GradCell()) || !slices.Equal(a.GradHead(), full.GradHead()) {
					t.Errorf("%s: not bit-identical to full BPTT", name)
				}
			}
			for _, opt := range []bptt.CheckpointedOptions{{Slots: 3}, {Slots: 2, Chunk: 4}} {
				ck, err := bptt.NewCheckpointed(p.M, opt)
				if err != nil {
					t.Fatal(err)
				}
				p.Run(t, ck)
				same("checkpointed, streamed", ck)
				ck.ZeroGrad()
				if _, err := ck.RunSequence(p.S0, p.Xs, p.Ys); err != nil {
					t.Fatal(err)
				}
				same("checkpointed, whole sequence", ck)
			}
			tr, err := bptt.NewTruncated(p.M, bptt.TruncatedOptions{K1: len(p.Xs)})
			if err != nil {
				t.Fatal(err)
			}
			p.Run(t, tr)
			same("tbptt:T,T", tr)
		})
	})
}

// A stacked step of every BPTT algorithm allocates nothing.
func TestStackedSteadyStateAllocatesNothing(t *testing.T) {
	p := testutil.NewStackProblem(t, cell.Config{Kind: cell.LSTM, Hidden: testH, Input: testI}, 3, testO, 12, true, 5)
	full, _ := bptt.NewFull(p.M, bptt.FullOptions{})
	ck, _ := bptt.NewCheckpointed(p.M, bptt.CheckpointedOptions{Slots: 3})
	tr, _ := bptt.NewTruncated(p.M, bptt.TruncatedOptions{K1: 3, K2: 5})
	ad, _ := bptt.NewAdaptive(p.M, bptt.AdaptiveOptions{Delta: 0.1, KMax: 6, ProbeEvery: 2, EstimateEvery: 4})
	for name, a := range map[string]algo.Algorithm{"full": full, "checkpoint": ck, "tbptt": tr, "adaptive": ad} {
		p.Run(t, a)
		if n := testing.AllocsPerRun(10, func() { p.Run(t, a) }); n != 0 {
			t.Errorf("%s: %v allocations per sequence", name, n)
		}
	}
}
