package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/task"
	"github.com/chronograd/chronograd/train"
)

// runTrain trains a model on a built-in task and saves it atomically.
func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", stdout)
	taskName := fs.String("task", "adding", "task: adding, copy, sine or mackey-glass")
	length := fs.Int("length", 50, "sequence length T (adding, sine, mackey-glass) or delay L (copy)")
	cellName := fs.String("cell", "gru", "cell: "+cell.KindNames())
	hidden := fs.Int("hidden", 32, "hidden units")
	layers := fs.Int("layers", 1, "stacked layers (layer k > 0 reads layer k−1's h)")
	alpha := fs.Float64("alpha", 1, "leak α of a vanilla cell, 0 < α ≤ 1")
	init := fs.String("init", "default", "initialiser: default (PyTorch's uniform), orthogonal or identity")
	density := fs.Float64("density", 1, "fraction of each W_hh row kept by a fixed mask, 0 < d ≤ 1 (1: dense); the mask is saved with the model")
	maskName := fs.String("mask", "random", "how -density's mask is chosen: random, or magnitude (the largest initial weights)")
	algoSpec := fs.String("algo", "bptt", "algorithm: "+algo.Forms())
	sequences := fs.Int("sequences", 2000, "training sequences (one optimizer update each, unless -update-every)")
	// -steps was this flag's old name; it counted sequences, not time steps.
	warned := false
	fs.Func("steps", "deprecated: the old name of -sequences", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("not an integer: %q", v)
		}
		if !warned {
			fmt.Fprintln(stderr, "chronograd train: -steps is deprecated: it counts sequences; use -sequences")
			warned = true
		}
		*sequences = n
		return nil
	})
	optName := fs.String("optimizer", "adam", "optimizer: adam or sgd")
	lr := fs.Float64("lr", 0.01, "learning rate")
	momentum := fs.Float64("momentum", 0.9, "momentum of sgd")
	clip := fs.Float64("clip", 1, "global gradient-norm clip (0: none)")
	updateEvery := fs.Int("update-every", 0, "update every so many steps within a sequence (0: once per sequence)")
	evalEvery := fs.Int("eval-every", 100, "evaluate every so many sequences")
	seed := fs.Uint64("seed", 1, "seed of the weights, the data and randomised algorithms")
	save := fs.String("save", "", "model file to write (atomically) at checkpoints and at the end")
	checkpointEvery := fs.Int("checkpoint-every", 500, "save every so many sequences (with -save)")
	if err := parse(fs, args); err != nil {
		return err
	}
	kind, err := cell.ParseKind(*cellName)
	if err != nil {
		return err
	}
	switch {
	case *hidden < 1 || *sequences < 1 || *layers < 1:
		return fmt.Errorf("-hidden, -layers and -sequences must be at least 1, got %d, %d and %d", *hidden, *layers, *sequences)
	case !(*lr > 0) || math.IsInf(*lr, 0):
		return fmt.Errorf("-lr %v must be a positive number", *lr)
	case *clip < 0 || *updateEvery < 0 || *evalEvery < 0 || *checkpointEvery < 0:
		return errors.New("-clip, -update-every, -eval-every and -checkpoint-every must not be negative")
	case kind.IsVanilla() && !(*alpha > 0 && *alpha <= 1):
		return fmt.Errorf("-alpha %v out of range (0, 1]", *alpha)
	case !kind.IsVanilla() && *alpha != 1:
		return fmt.Errorf("-alpha applies only to rnn_tanh and rnn_relu, not %s", kind)
	case cell.CheckDensity(*density) != nil:
		return fmt.Errorf("-density %v out of range (0, 1]", *density)
	}
	maskMethod, err := cell.ParseMaskMethod(*maskName)
	if err != nil {
		return fmt.Errorf("-mask %q: want random or magnitude", *maskName)
	}
	if *save != "" {
		if st, err := os.Stat(filepath.Dir(*save)); err != nil || !st.IsDir() {
			return fmt.Errorf("-save %s: directory %s does not exist", *save, filepath.Dir(*save))
		}
	}
	tk, err := task.New(*taskName, *length)
	if err != nil {
		return err
	}
	var opt train.Optimizer
	switch *optName {
	case "adam":
		opt = &train.Adam{LR: float32(*lr)}
	case "sgd":
		opt = &train.SGD{LR: float32(*lr), Momentum: float32(*momentum)}
	default:
		return fmt.Errorf("-optimizer %q: want adam or sgd", *optName)
	}
	spec, err := algo.Parse(*algoSpec)
	if err != nil {
		return fmt.Errorf("-algo %w", err)
	}
	m, err := cell.NewStack(cell.Config{Kind: kind, Hidden: *hidden, Input: tk.InputSize(), Alpha: float32(*alpha)}, *layers, tk.OutputSize())
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(*seed, 0x696e6974))
	switch *init {
	case "default":
		m.Init(rng, cell.InitDefault)
	case "orthogonal":
		m.Init(rng, cell.InitOrthogonal)
	case "identity":
		m.Init(rng, func(c cell.Cell, r *rand.Rand) { cell.InitIdentity(c, r, 1) })
	default:
		return fmt.Errorf("-init %q: want default, orthogonal or identity", *init)
	}
	if *density < 1 {
		if err := m.Sparsify(*density, maskMethod, rng); err != nil {
			return err
		}
	}
	seqLen := *length
	if c, ok := tk.(task.Copy); ok {
		seqLen = c.Len()
	}
	alg, err := spec.New(m, algo.Options{Steps: seqLen, Seed: *seed})
	if err != nil {
		return err
	}
	defer alg.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bar := newProgressBar(stderr, *sequences, "train")
	cfg := train.Config{
		Model: m, Algorithm: alg, Optimizer: opt, Task: tk,
		Sequences: *sequences, UpdateEvery: *updateEvery, ClipNorm: *clip, EvalEvery: *evalEvery, Seed: *seed,
		Progress: func(p train.Progress) {
			bar.Step(fmt.Sprintf("loss %.4g eval %.4g", p.Loss, p.EvalLoss))
		},
	}
	if *save != "" {
		cfg.Checkpoint = func(int) error { return m.Save(*save) }
		cfg.CheckpointEvery = *checkpointEvery
	}
	sum, runErr := train.Run(ctx, cfg)
	bar.Done()
	lossName := "squared error"
	if tk.Classification() {
		lossName = "cross-entropy"
	}
	sparsity := ""
	if m.Sparse() {
		sparsity = fmt.Sprintf(" (W_hh density %.3g, %s mask)", m.RecurrentDensity(), maskMethod)
	}
	fmt.Fprintf(stdout, "task %s (T=%d, %s), %s n=%d × %d layer(s)%s, %s, %s lr %g\n", tk.Name(), seqLen, lossName, kind, *hidden, *layers, sparsity, *algoSpec, *optName, *lr)
	fmt.Fprintf(stdout, "sequences %d, steps %d, updates %d, %.1fs, algorithm holds %d bytes\n",
		sum.Sequences, sum.Steps, sum.Updates, sum.Elapsed.Seconds(), alg.Bytes())
	if runErr != nil {
		if *save != "" && errors.Is(runErr, train.ErrNonFinite) {
			fmt.Fprintf(stdout, "the last saved model in %s holds finite weights\n", *save)
		}
		return runErr
	}
	loss, acc := train.Evaluate(m, tk, 200)
	base := tk.Baseline()
	if math.IsNaN(acc) {
		fmt.Fprintf(stdout, "baseline (%s): loss %.5g\n", base.What, base.Loss)
	} else {
		fmt.Fprintf(stdout, "baseline (%s): loss %.5g, accuracy %.1f%%\n", base.What, base.Loss, 100*base.Accuracy)
	}
	fmt.Fprintf(stdout, "final evaluation loss %.5g", loss)
	if !math.IsNaN(acc) {
		fmt.Fprintf(stdout, ", accuracy %.1f%%", 100*acc)
	}
	fmt.Fprintln(stdout)
	if beat, why := train.BeatsBaseline(loss, acc, base); !beat {
		fmt.Fprintf(stdout, "the model did NOT beat the baseline: %s\n", why)
	}
	if *save != "" {
		fmt.Fprintf(stdout, "saved %s\n", *save)
	}
	return nil
}
