package train_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/task"
	"github.com/chronograd/chronograd/train"
)

// copyRun trains an LSTM (n = 128, the forget gate's bias raised by 1 as Gers et al. and
// Jozefowicz et al. recommend) with cross-entropy on the copy task (10 symbols, delay 10,
// T = 30) in minibatches of 32 with Adam, evaluating every 250 updates on 200 held-out
// sequences, until the accuracy reaches stop or maxUpdates updates are done. It returns
// the last accuracy and the updates made.
func copyRun(t *testing.T, spec string, stop float64, maxUpdates int) (acc float64, updates int) {
	t.Helper()
	const B, n = 32, 128
	tk := task.Copy{Delay: 10, Symbols: 10}
	m, err := cell.NewModel(cell.Config{Kind: cell.LSTM, Hidden: n, Input: tk.InputSize()}, tk.OutputSize())
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 1)), cell.InitDefault)
	lay, p := m.Layers[0].Layout(), m.Layers[0].Params()
	for u := range n { // rows H … 2H−1 of the gates are the forget gate's
		p[lay.BiasIH+n+u]++
	}
	a, err := algo.MustParse(spec).New(m, algo.Options{Steps: tk.Len(), Batch: B, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	acc = -1
	sum, err := train.Run(ctx, train.Config{
		Model: m, Algorithm: a, Optimizer: &train.Adam{LR: 0.005}, Task: tk,
		Sequences: maxUpdates * B, ClipNorm: 1, EvalEvery: 250 * B, EvalSequences: 200, Seed: 7,
		Progress: func(p train.Progress) {
			if p.EvalAccuracy == p.EvalAccuracy && p.Sequence%(250*B) == 0 {
				acc = p.EvalAccuracy
				if acc >= stop {
					cancel()
				}
			}
		},
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	return acc, sum.Updates
}

// Learning (issue: the models users have): an LSTM trained with cross-entropy solves the
// copy task, delay 10, to ≥ 99% held-out accuracy with full BPTT and with truncated BPTT
// whose window covers the delay, while a window that does not cover it (K2 = 5: no
// symbol's recall is within 5 steps of it) stays near the chance accuracy, the baseline
// of predicting blank and guessing among the symbols, after as many updates as full BPTT
// needed. Lillicrap & Santoro (2019) make the point about truncation that this shows.
// Minutes of CPU: it runs in go test without -short (CI runs it once, natively); -short
// (the race detector, qemu and purego runs) skips it.
func TestCopyTaskLearnsOnlyWhenTheWindowCoversTheDelay(t *testing.T) {
	if testing.Short() {
		t.Skip("a learning test of minutes of CPU: it runs without -short")
	}
	// Full BPTT crosses 99% after 9750 to 13250 updates depending on the last bits of
	// its arithmetic (a different softmax rounding moved it from one to the other), and
	// climbs slowly there (98.3% → 99.0% over 3000 updates): the budget leaves room.
	const maxUpdates = 20000
	chance := task.Copy{Delay: 10, Symbols: 10}.Baseline().Accuracy
	acc, needed := copyRun(t, "bptt", 0.99, maxUpdates)
	t.Logf("bptt: accuracy %.4f after %d updates (chance %.4f)", acc, needed, chance)
	if acc < 0.99 {
		t.Fatalf("full BPTT reached %.4f accuracy in %d updates, want ≥ 0.99", acc, needed)
	}
	for _, c := range []struct {
		spec    string
		learns  bool
		comment string
	}{
		{"tbptt:10,40", true, "K2 = 40 covers the 20 steps from a symbol to its recall"},
		{"tbptt:5,5", false, "K2 = 5 does not"},
	} {
		// The covering window gets twice as many updates as full BPTT took; the other,
		// which cannot see the dependency at all, half as many (it is not that it learns
		// slowly: its gradient holds nothing of the symbols it must recall).
		budget := 2 * needed
		if !c.learns {
			budget = needed / 2
		}
		acc, updates := copyRun(t, c.spec, 0.99, budget)
		t.Logf("%s: accuracy %.4f after %d updates (%s)", c.spec, acc, updates, c.comment)
		switch {
		case c.learns && acc < 0.99:
			t.Errorf("%s (%s): accuracy %.4f after %d updates, want ≥ 0.99", c.spec, c.comment, acc, updates)
		case !c.learns && acc > chance+0.02:
			t.Errorf("%s (%s): accuracy %.4f after %d updates, want near the chance %.4f", c.spec, c.comment, acc, updates, chance)
		}
	}
}

// depthRun trains a GRU of the given layers and width on Mackey-Glass prediction (T = 50)
// for 1000 updates of minibatches of 16 and returns its held-out loss (200 sequences).
func depthRun(t *testing.T, layers, hidden int, seed uint64) (loss float64, params int) {
	t.Helper()
	tk, err := task.New("mackey-glass", 50)
	if err != nil {
		t.Fatal(err)
	}
	m, err := cell.NewStack(cell.Config{Kind: cell.GRU, Hidden: hidden, Input: tk.InputSize()}, layers, tk.OutputSize())
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(seed, 1)), cell.InitDefault)
	a, err := algo.MustParse("bptt").New(m, algo.Options{Steps: 50, Batch: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := train.Run(context.Background(), train.Config{
		Model: m, Algorithm: a, Optimizer: &train.Adam{LR: 0.003}, Task: tk,
		Sequences: 16000, ClipNorm: 1, EvalSequences: 20, Seed: seed,
	}); err != nil {
		t.Fatal(err)
	}
	loss, _ = train.Evaluate(m, tk, 200)
	return loss, m.NumParams() + m.Head.NumParams()
}

// Depth (issue: the models users have): on Mackey-Glass prediction, a two-layer GRU
// (n = 28, 7505 parameters) reaches a lower held-out loss than a one-layer GRU of about
// the same size (n = 48, 7393), as the median of five seeds. Seconds per run; skipped
// under -short.
func TestTwoLayerGRUBeatsOneLayerOfTheSameSize(t *testing.T) {
	if testing.Short() {
		t.Skip("a learning test of a minute of CPU: it runs without -short")
	}
	var one, two []float64
	for seed := range uint64(5) {
		l1, p1 := depthRun(t, 1, 48, seed+1)
		l2, p2 := depthRun(t, 2, 28, seed+1)
		if d := float64(p2-p1) / float64(p1); d > 0.02 || d < -0.02 {
			t.Fatalf("parameter counts %d and %d differ by more than 2%%", p1, p2)
		}
		t.Logf("seed %d: one layer %.3g, two layers %.3g", seed+1, l1, l2)
		one, two = append(one, l1), append(two, l2)
	}
	slices.Sort(one)
	slices.Sort(two)
	t.Logf("median held-out loss: one layer %.3g, two layers %.3g (ratio %.2f)", one[2], two[2], two[2]/one[2])
	if two[2] >= one[2] {
		t.Errorf("two layers' median loss %.3g is not below one layer's %.3g", two[2], one[2])
	}
}
