// Command adaptivetbptt trains the same GRU, from the same initial weights on the same
// sequences, with fixed-window TBPTT and with adaptive TBPTT (package bptt, Adaptive), and
// prints a Markdown table of final evaluation loss against compute for bench/RESULTS.md:
//
//	go run ./bench/adaptivetbptt -task adding -seed 1 -seqs 10000
//
// Every algorithm backpropagates every k1 = 5 steps; "fixed:K" is Truncated(5, K+4) and
// "adaptive:δ" sweeps K+4 steps with K re-chosen from the measured decay, so in both every
// loss keeps at least K lags. A run takes minutes.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/task"
	"github.com/chronograd/chronograd/train"
)

// countingCell counts the cell's work as the algorithm does it: forward steps, backward
// steps that accumulate a parameter gradient (BackwardBatch, or Backward with a gradient
// buffer), and bare VJPs (adaptive TBPTT's probes, which pass no gradient buffer).
type countingCell struct {
	cell.Cell
	forward, backward, vjp int64
}

func (c *countingCell) Forward(k *cell.Cache, next, prev, x []float32) {
	c.forward++
	c.Cell.Forward(k, next, prev, x)
}

func (c *countingCell) ForwardProjected(k *cell.Cache, next, prev []float32) {
	c.forward++
	c.Cell.ForwardProjected(k, next, prev)
}

func (c *countingCell) Backward(k *cell.Cache, dPrev, dx, grad, dNext []float32) {
	if grad != nil {
		c.backward++
	} else {
		c.vjp++
	}
	c.Cell.Backward(k, dPrev, dx, grad, dNext)
}

func (c *countingCell) BackwardBatch(k *cell.Cache, dPrev, dx, grad []float32, batch *cell.GradBatch, dNext []float32) {
	c.backward++
	c.Cell.BackwardBatch(k, dPrev, dx, grad, batch, dNext)
}

// flops is the cell work by the FLOP model of bench.FLOPsPerStep: F = 2·G·H·(I+H) per
// forward step, 2F per backward step with a parameter gradient, F per bare VJP (its
// W_hhᵀ·δ and W_ihᵀ·δ products, an upper bound). The readout (O·H ≪ G·H·(I+H)) is left
// out.
func (c *countingCell) flops() float64 {
	l := c.Layout()
	F := 2 * float64(l.Gates*l.Hidden) * float64(l.Input+l.Hidden)
	return F * (float64(c.forward) + 2*float64(c.backward) + float64(c.vjp))
}

const hidden, k1 = 32, 5

var algorithms = []string{"fixed:5", "fixed:10", "fixed:20", "fixed:50", "adaptive:0.5", "adaptive:0.1", "adaptive-jac:0.5", "adaptive-jac:0.1"}

func main() {
	taskName := flag.String("task", "adding", "adding (T = 50) or copy (delay 20, 5 symbols: T = 30)")
	seed := flag.Uint64("seed", 1, "seed of the initial weights and the training data")
	seqs := flag.Int("seqs", 10000, "training sequences (one update per sequence)")
	flag.Parse()
	if err := run(*taskName, *seed, *seqs); err != nil {
		fmt.Fprintln(os.Stderr, "adaptivetbptt:", err)
		os.Exit(1)
	}
}

func run(taskName string, seed uint64, seqs int) error {
	var tk task.Task
	var T int
	switch taskName {
	case "adding":
		tk, T = task.Adding{T: 50}, 50
	case "copy":
		tk, T = task.Copy{Delay: 20, Symbols: 5}, 30
	default:
		return fmt.Errorf("unknown task %q (want adding or copy)", taskName)
	}
	if seqs < 1 {
		return fmt.Errorf("-seqs %d must be positive", seqs)
	}
	accHead, accRule := "", ""
	if tk.Classification() {
		accHead, accRule = " accuracy |", "---|"
	}
	fmt.Printf("%s (T = %d), GRU H = %d, %d sequences, k1 = %d, Adam 3e-3, clip 1, seed %d\n\n", taskName, T, hidden, seqs, k1, seed)
	fmt.Printf("| task | seed | algorithm | final eval loss |%s cell GFLOP | time (s) | window K |\n", accHead)
	fmt.Printf("|---|---|---|---|%s---|---|---|\n", accRule)
	for _, algo := range algorithms {
		row, err := trainOne(tk, T, algo, seed, seqs)
		if err != nil {
			return fmt.Errorf("%s %s: %w", taskName, algo, err)
		}
		fmt.Printf("| %s | %d | %s |%s\n", taskName, seed, algo, row)
	}
	return nil
}

func trainOne(tk task.Task, T int, arm string, seed uint64, seqs int) (string, error) {
	c, err := cell.New(cell.Config{Kind: cell.GRU, Hidden: hidden, Input: tk.InputSize()})
	if err != nil {
		return "", err
	}
	head, err := cell.NewReadout(tk.OutputSize(), hidden)
	if err != nil {
		return "", err
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	cell.InitOrthogonal(c, rng)
	head.InitDefault(rng)
	counted := &countingCell{Cell: c}
	m := &cell.Model{Layers: []cell.Cell{counted}, Head: head}

	name, param, _ := strings.Cut(arm, ":")
	var alg algo.Algorithm
	var adaptive *bptt.Adaptive
	var windows []int
	window := ""
	switch name {
	case "fixed":
		K, err := strconv.Atoi(param)
		if err != nil {
			return "", err
		}
		window = fmt.Sprint(min(K, T))
		alg, err = bptt.NewTruncated(m, bptt.TruncatedOptions{K1: k1, K2: K + k1 - 1})
		if err != nil {
			return "", err
		}
	case "adaptive", "adaptive-jac":
		delta, err := strconv.ParseFloat(param, 64)
		if err != nil {
			return "", err
		}
		adaptive, err = bptt.NewAdaptive(m, bptt.AdaptiveOptions{
			Delta: delta, K1: k1, KMax: T, Jacobian: name == "adaptive-jac", Seed: seed})
		if err != nil {
			return "", err
		}
		alg = adaptive
	default:
		return "", fmt.Errorf("unknown experiment arm %q", arm)
	}
	cfg := train.Config{
		Model: m, Algorithm: alg, Optimizer: &train.Adam{LR: 3e-3}, Task: tk,
		Sequences: seqs, ClipNorm: 1, EvalSequences: 200, Seed: seed,
	}
	if adaptive != nil {
		cfg.Progress = func(train.Progress) { windows = append(windows, adaptive.Window()) }
	}
	defer alg.Close()
	sum, err := train.Run(context.Background(), cfg)
	if err != nil {
		return "", err
	}
	if adaptive != nil {
		window = windowSummary(windows)
	}
	acc := ""
	if tk.Classification() {
		acc = fmt.Sprintf(" %.3f |", sum.FinalAcc)
	}
	return fmt.Sprintf(" %.3g |%s %.2f | %.1f | %s |", sum.FinalLoss, acc, counted.flops()/1e9, sum.Elapsed.Seconds(), window), nil
}

// windowSummary describes the adaptive window over training: after the first sequence,
// at 10% and 50% of the sequences and at the end, and its mean.
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
