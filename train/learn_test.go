package train_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/task"
	"github.com/chronograd/chronograd/train"
)

// copyRun trains an LSTM (n = 128, the forget gate's bias raised by 1 as Gers et al. and
// Jozefowicz et al. recommend) with cross-entropy on the copy task (10 symbols, delay 10,
// T = 30) in minibatches of 32 with Adam on the given number of workers (the same bits
// for any number), evaluating every 250 updates on 200 held-out sequences, until the
// accuracy reaches stop, maxUpdates updates are done, or (when limit is not nil) the
// updates reach a limit set to a positive value while it runs. It returns the accuracy
// of the last evaluation and the updates made.
func copyRun(spec string, stop float64, maxUpdates, workers int, limit *atomic.Int64) (acc float64, updates int, err error) {
	const B, n = 32, 128
	tk := task.Copy{Delay: 10, Symbols: 10}
	m, err := cell.NewModel(cell.Config{Kind: cell.LSTM, Hidden: n, Input: tk.InputSize()}, tk.OutputSize())
	if err != nil {
		return 0, 0, err
	}
	m.Init(rand.New(rand.NewPCG(1, 1)), cell.InitDefault)
	lay, p := m.Layers[0].Layout(), m.Layers[0].Params()
	for u := range n { // rows H … 2H−1 of the gates are the forget gate's
		p[lay.BiasIH+n+u]++
	}
	a, err := algo.MustParse(spec).New(m, algo.Options{Steps: tk.Len(), Batch: B, Workers: workers})
	if err != nil {
		return 0, 0, err
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
			if limit != nil {
				if l := limit.Load(); l > 0 && int64(p.Sequence/B) >= l {
					cancel()
				}
			}
		},
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return 0, 0, err
	}
	return acc, sum.Updates, nil
}

// Learning (issue: the models users have): an LSTM trained with cross-entropy solves the
// copy task, delay 10, to ≥ 99% held-out accuracy with full BPTT and with truncated BPTT
// whose window covers the delay, while a window that does not cover it (K2 = 5: no
// symbol's recall is within 5 steps of it) stays near the chance accuracy, the baseline
// of predicting blank and guessing among the symbols, after as many updates as full BPTT
// needed. Lillicrap & Santoro (2019) make the point about truncation that this shows.
// Minutes of CPU: it runs in go test without -short (CI runs it once, natively); -short
// (the race detector, qemu and purego runs) skips it.
//
// Full BPTT and the covering window train side by side, one worker each (two workers
// each, one run after the other, kept both cores busy with less: truncated BPTT's small
// products parallelise poorly); the window's budget, twice the updates full BPTT needed,
// is set when full BPTT is done. The other window's budget, half of them, is known only
// then, so it runs last, on two workers.
func TestCopyTaskLearnsOnlyWhenTheWindowCoversTheDelay(t *testing.T) {
	if testing.Short() {
		t.Skip("a learning test of minutes of CPU: it runs without -short")
	}
	// Full BPTT crosses 99% after 9750 to 13250 updates depending on the last bits of
	// its arithmetic (a different softmax rounding moved it from one to the other), and
	// climbs slowly there (98.3% → 99.0% over 3000 updates): the budget leaves room.
	const maxUpdates = 20000
	chance := task.Copy{Delay: 10, Symbols: 10}.Baseline().Accuracy
	type result struct {
		acc     float64
		updates int
		err     error
	}
	var limit atomic.Int64
	covering := make(chan result, 1)
	go func() {
		var r result
		r.acc, r.updates, r.err = copyRun("tbptt:10,40", 0.99, 2*maxUpdates, 1, &limit)
		covering <- r
	}()
	acc, needed, err := copyRun("bptt", 0.99, maxUpdates, 1, nil)
	if err != nil {
		limit.Store(1)
		<-covering
		t.Fatal(err)
	}
	limit.Store(int64(2 * needed))
	t.Logf("bptt: accuracy %.4f after %d updates (chance %.4f)", acc, needed, chance)
	if acc < 0.99 {
		<-covering
		t.Fatalf("full BPTT reached %.4f accuracy in %d updates, want ≥ 0.99", acc, needed)
	}
	// K2 = 40 covers the 20 steps from a symbol to its recall: it must reach 99% within
	// twice the updates full BPTT took (it stops at the first evaluation that does).
	r := <-covering
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Logf("tbptt:10,40: accuracy %.4f after %d updates (K2 = 40 covers the 20 steps from a symbol to its recall)", r.acc, r.updates)
	if r.acc < 0.99 || r.updates > 2*needed {
		t.Errorf("tbptt:10,40 (K2 = 40 covers the delay): accuracy %.4f after %d updates, want ≥ 0.99 within %d", r.acc, r.updates, 2*needed)
	}
	// K2 = 5 does not: half as many updates as full BPTT took (it is not that it learns
	// slowly: its gradient holds nothing of the symbols it must recall).
	acc, updates, err := copyRun("tbptt:5,5", 0.99, needed/2, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tbptt:5,5: accuracy %.4f after %d updates (K2 = 5 does not)", acc, updates)
	if acc > chance+0.02 {
		t.Errorf("tbptt:5,5 (K2 = 5 does not cover the delay): accuracy %.4f after %d updates, want near the chance %.4f", acc, updates, chance)
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
