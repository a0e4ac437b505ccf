package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/task"
	"github.com/chronograd/chronograd/train"
)

// countingCell counts the cell's work as the algorithm does it: forward steps, backward
// steps that accumulate a parameter gradient, and bare VJPs (adaptive TBPTT's probes,
// which pass no gradient buffer).
type countingCell struct {
	cell.Cell
	forward, backward, vjp int64
}

func (c *countingCell) Forward(k *cell.Cache, next, prev, x []float32) {
	c.forward++
	c.Cell.Forward(k, next, prev, x)
}

func (c *countingCell) Backward(k *cell.Cache, dPrev, dx, grad, dNext []float32) {
	if grad != nil {
		c.backward++
	} else {
		c.vjp++
	}
	c.Cell.Backward(k, dPrev, dx, grad, dNext)
}

// flops is the cell work by the FLOP model of FLOPsPerStep: F = 2·G·H·(I+H) per forward
// step, 2F per backward step with a parameter gradient, F per bare VJP (its W_hhᵀ·δ and
// W_ihᵀ·δ products, an upper bound). The readout (O·H ≪ G·H·(I+H)) is left out.
func (c *countingCell) flops() float64 {
	l := c.Layout()
	F := 2 * float64(l.Gates*l.Hidden) * float64(l.Input+l.Hidden)
	return F * (float64(c.forward) + 2*float64(c.backward) + float64(c.vjp))
}

// TestAdaptiveTBPTTTraining trains the same GRU, from the same initial weights on the same
// sequences, with fixed-window TBPTT and adaptive TBPTT, and prints a Markdown table of
// final evaluation loss against compute for bench/RESULTS.md. It takes minutes, so it
// runs only when CHRONOGRAD_ADAPTIVE_BENCH names the tasks (adding, copy or both, comma
// separated); CHRONOGRAD_ADAPTIVE_SEQS overrides the number of training sequences and
// CHRONOGRAD_ADAPTIVE_SEED the seed (initial weights and data; default 1).
func TestAdaptiveTBPTTTraining(t *testing.T) {
	which := os.Getenv("CHRONOGRAD_ADAPTIVE_BENCH")
	if which == "" {
		t.Skip("set CHRONOGRAD_ADAPTIVE_BENCH=adding,copy to run the adaptive-window training comparison (minutes)")
	}
	type setup struct {
		name string
		tk   task.Task
		T    int
		seqs int
	}
	setups := []setup{
		{"adding", task.Adding{T: 50}, 50, 3000},
		{"copy", task.Copy{Delay: 20, Symbols: 5}, 30, 3000},
	}
	if n := os.Getenv("CHRONOGRAD_ADAPTIVE_SEQS"); n != "" {
		var v int
		if _, err := fmt.Sscan(n, &v); err != nil || v < 1 {
			t.Fatalf("CHRONOGRAD_ADAPTIVE_SEQS=%q is not a positive number", n)
		}
		for i := range setups {
			setups[i].seqs = v
		}
	}
	const H, k1 = 32, 5
	seed := uint64(1)
	if v := os.Getenv("CHRONOGRAD_ADAPTIVE_SEED"); v != "" {
		if _, err := fmt.Sscan(v, &seed); err != nil {
			t.Fatalf("CHRONOGRAD_ADAPTIVE_SEED=%q is not a number", v)
		}
	}
	for _, s := range setups {
		if !slices.Contains(strings.Split(which, ","), s.name) {
			continue
		}
		var rows []string
		for _, algo := range []string{"fixed:5", "fixed:10", "fixed:20", "fixed:50", "adaptive:0.5", "adaptive:0.1", "adaptive-jac:0.5", "adaptive-jac:0.1"} {
			c, err := cell.New(cell.Config{Kind: cell.GRU, Hidden: H, Input: s.tk.InputSize()})
			if err != nil {
				t.Fatal(err)
			}
			head, _ := cell.NewReadout(s.tk.OutputSize(), H)
			rng := rand.New(rand.NewPCG(seed, 7))
			cell.InitOrthogonal(c, rng)
			head.InitDefault(rng)
			counted := &countingCell{Cell: c}

			name, param, _ := strings.Cut(algo, ":")
			var alg train.Algorithm
			var adaptive *bptt.Adaptive
			var windows []int
			if name == "fixed" {
				var K int
				fmt.Sscan(param, &K)
				alg, err = bptt.NewTruncated(counted, head, k1, K+k1-1)
			} else {
				var delta float64
				fmt.Sscan(param, &delta)
				adaptive, err = bptt.NewAdaptive(counted, head, bptt.AdaptiveConfig{
					Delta: delta, K1: k1, KMax: s.T, Jacobian: name == "adaptive-jac", Seed: seed})
				alg = adaptive
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg := train.Config{
				Cell: c, Head: head, Algorithm: alg, Optimizer: &train.Adam{LR: 3e-3}, Task: s.tk,
				Sequences: s.seqs, ClipNorm: 1, EvalSequences: 200, Seed: seed,
			}
			if adaptive != nil {
				cfg.Progress = func(train.Progress) { windows = append(windows, adaptive.Window()) }
			}
			sum, err := train.Run(context.Background(), cfg)
			if err != nil {
				t.Fatalf("%s %s: %v", s.name, algo, err)
			}
			window := fmt.Sprintf("%d", min(atoiOr(param), s.T))
			if adaptive != nil {
				window = windowSummary(windows)
			}
			acc := ""
			if s.tk.Classification() {
				acc = fmt.Sprintf(" %.3f |", sum.FinalAcc)
			}
			rows = append(rows, fmt.Sprintf("| %s | %d | %s | %.3g |%s %.2f | %.1f | %s |",
				s.name, seed, algo, sum.FinalLoss, acc, counted.flops()/1e9, sum.Elapsed.Seconds(), window))
			t.Logf("%s seed %d %s: loss %.3g, %.2f GFLOP, %v", s.name, seed, algo, sum.FinalLoss, counted.flops()/1e9, sum.Elapsed)
		}
		accHead, accRule := "", ""
		if s.tk.Classification() {
			accHead, accRule = " accuracy |", "---|"
		}
		fmt.Printf("\n%s (T = %d), GRU H = %d, %d sequences, k1 = %d, Adam 3e-3, clip 1, seed %d\n\n", s.name, s.T, H, s.seqs, k1, seed)
		fmt.Printf("| task | seed | algorithm | final eval loss |%s cell GFLOP | time (s) | window K |\n", accHead)
		fmt.Printf("|---|---|---|---|%s---|---|---|\n", accRule)
		for _, r := range rows {
			fmt.Println(r)
		}
	}
}

func atoiOr(s string) int {
	var v int
	fmt.Sscan(s, &v)
	return v
}

// windowSummary describes the adaptive window over training: after the first sequence,
// at 10%, 50% and the end, and its mean.
func windowSummary(w []int) string {
	if len(w) == 0 {
		return "-"
	}
	var sum float64
	for _, v := range w {
		sum += float64(v)
	}
	at := func(f float64) int { return w[min(len(w)-1, int(f*float64(len(w))))] }
	return fmt.Sprintf("%d → %d → %d → %d (mean %.1f)", w[0], at(0.1), at(0.5), w[len(w)-1], sum/float64(len(w)))
}
