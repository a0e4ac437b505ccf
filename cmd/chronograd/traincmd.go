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
	"syscall"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/flagx"
	"github.com/chronograd/chronograd/internal/fsx"
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
	alpha := flagx.Float32Flag(fs, "alpha", 1, "leak α of a vanilla cell, 0 < α ≤ 1", flagx.Above(0), flagx.AtMost(1))
	init := fs.String("init", "default", "initialiser: default (PyTorch's uniform; for -cell orthogonal, expRNN's henaff), orthogonal, identity, or for -cell orthogonal henaff or cayley")
	orthoMap := fs.String("ortho-map", "exp", "map from A to W of -cell orthogonal: exp (expRNN) or cayley")
	density := flagx.Float64Flag(fs, "density", 1, "fraction of each W_hh row kept by a fixed mask (1: dense); the mask is saved with the model", flagx.Above(0), flagx.AtMost(1))
	maskName := fs.String("mask", "random", "how -density's mask is chosen: random, or magnitude (the largest initial weights)")
	algoSpec := fs.String("algo", "bptt", "algorithm: "+algo.Forms())
	attention := fs.String("attention", "", "add the attention component (Sparse Attentive Backtracking's memory): `K_ATT,K_TOP[,M]` writes h every K_ATT steps, attends to the K_TOP best of M slots (default inf)")
	sequences := fs.Int("sequences", 2000, "training sequences (one optimizer update per -batch of them, unless -update-every)")
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
	lr := flagx.Float32Flag(fs, "lr", 0.01, "learning rate", flagx.Above(0))
	forgetBias := flagx.Float32Flag(fs, "forget-bias", 0, "added to an LSTM's forget-gate bias at initialisation (1 keeps the cell state early in training)")
	momentum := flagx.Float32Flag(fs, "momentum", 0.9, "momentum of sgd, in [0, 1)", flagx.AtLeast(0), flagx.Below(1))
	clip := flagx.Float64Flag(fs, "clip", 1, "global gradient-norm clip (0: none)", flagx.AtLeast(0))
	updateEvery := fs.Int("update-every", 0, "update every so many steps within a sequence (0: once per sequence)")
	evalEvery := fs.Int("eval-every", 100, "evaluate every so many sequences")
	seed := fs.Uint64("seed", 1, "seed of the weights, the data and randomised algorithms")
	save := fs.String("save", "", "model file to write (atomically) at checkpoints and at the end")
	checkpointEvery := fs.Int("checkpoint-every", 500, "save every so many sequences (with -save; SIGINT and SIGTERM save too, then exit 1)")
	batch := fs.Int("batch", 1, "minibatch: sequences stepped together, one update per minibatch")
	workers := fs.Int("workers", 1, "goroutines a minibatch is spread over")
	limit := memLimitFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	kind, err := cell.ParseKind(*cellName)
	if err != nil {
		return err
	}
	omap, err := cell.ParseOrthoMap(*orthoMap)
	if err != nil {
		return fmt.Errorf("-ortho-map: %w", err)
	}
	switch {
	case kind != cell.Orthogonal && omap != cell.OrthoExp:
		return fmt.Errorf("-ortho-map applies only to -cell orthogonal, not %s", kind)
	case kind != cell.Orthogonal && (*init == "henaff" || *init == "cayley"):
		return fmt.Errorf("-init %s is expRNN's initialisation of -cell orthogonal, not of %s", *init, kind)
	case *hidden < 1 || *sequences < 1 || *layers < 1:
		return fmt.Errorf("-hidden, -layers and -sequences must be at least 1, got %d, %d and %d", *hidden, *layers, *sequences)
	case *batch < 1 || *workers < 1:
		return fmt.Errorf("-batch and -workers must be at least 1, got %d and %d", *batch, *workers)
	case *updateEvery < 0 || *evalEvery < 0 || *checkpointEvery < 0:
		return errors.New("-update-every, -eval-every and -checkpoint-every must not be negative")
	case kind.IsVanilla() && !(*alpha > 0 && *alpha <= 1):
		return fmt.Errorf("-alpha %v out of range (0, 1]", *alpha)
	case !kind.IsVanilla() && *alpha != 1:
		return fmt.Errorf("-alpha applies only to rnn_tanh and rnn_relu, not %s", kind)
	}
	maskMethod, err := cell.ParseMaskMethod(*maskName)
	if err != nil {
		return fmt.Errorf("-mask %q: want random or magnitude", *maskName)
	}
	if *save != "" {
		// Proved writable now, not after the whole run.
		if err := fsx.ProbeOutput(*save); err != nil {
			if _, serr := os.Stat(filepath.Dir(*save)); errors.Is(serr, os.ErrNotExist) {
				return fmt.Errorf("-save %s: directory %s does not exist", *save, filepath.Dir(*save))
			}
			return fmt.Errorf("-save %w", err)
		}
	}
	tk, err := task.New(*taskName, *length)
	if err != nil {
		return err
	}
	var opt train.Optimizer
	switch *optName {
	case "adam":
		opt = &train.Adam{LR: *lr}
	case "sgd":
		opt = &train.SGD{LR: *lr, Momentum: *momentum}
	default:
		return fmt.Errorf("-optimizer %q: want adam or sgd", *optName)
	}
	spec, err := algo.Parse(*algoSpec)
	if err != nil {
		return fmt.Errorf("-algo %w", err)
	}
	seqLen := *length
	if c, ok := tk.(task.Copy); ok {
		if seqLen = c.Len(); seqLen < *length {
			return fmt.Errorf("-length %d: the copy task's sequences would be longer than an int counts", *length)
		}
	}
	var att cell.AttentionConfig
	if *attention != "" {
		if att, err = cell.ParseAttention(*attention); err != nil {
			return fmt.Errorf("-%w", err)
		}
	}
	if err := checkTrain(kind, *layers, *hidden, att, tk, seqLen, *batch, spec, *optName, limit); err != nil {
		return err
	}
	m, err := cell.NewStack(cell.Config{Kind: kind, Hidden: *hidden, Input: tk.InputSize(), Alpha: *alpha, OrthoMap: omap}, *layers, tk.OutputSize())
	if err != nil {
		return err
	}
	if *attention != "" {
		if err := m.AddAttention(att); err != nil {
			return err
		}
	}
	if err := spec.Supports(algo.DimsOfModel(m)); err != nil {
		return fmt.Errorf("-algo %w", err)
	}
	rng := rand.New(rand.NewPCG(*seed, 0x696e6974))
	initName := *init
	if initName == "default" && kind == cell.Orthogonal {
		initName = "henaff" // expRNN's default
	}
	switch initName {
	case "henaff":
		m.Init(rng, cell.InitHenaff)
	case "cayley":
		m.Init(rng, cell.InitCayley)
	case "default":
		m.Init(rng, cell.InitDefault)
	case "orthogonal":
		m.Init(rng, cell.InitOrthogonal)
	case "identity":
		m.Init(rng, func(c cell.Cell, r *rand.Rand) { cell.InitIdentity(c, r, 1) })
	default:
		return fmt.Errorf("-init %q: want default, orthogonal, identity, henaff or cayley", *init)
	}
	if *density < 1 {
		if err := m.Sparsify(*density, maskMethod, rng); err != nil {
			return err
		}
	}
	if *forgetBias != 0 {
		if err := m.AddForgetBias(*forgetBias); err != nil {
			return fmt.Errorf("-forget-bias: %w", err)
		}
	}
	opts := algo.Options{Steps: seqLen, Seed: *seed, Batch: *batch, Workers: *workers, MemLimit: limit.Bytes}
	alg, err := spec.New(m, opts)
	if err != nil {
		return err
	}
	defer alg.Close()

	// SIGINT and SIGTERM end the run after the current sequence; the model is then saved
	// (with -save) and the command exits 1.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bar := newProgressBar(stderr, (*sequences+*batch-1) / *batch, "train")
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
	if runErr != nil && ctx.Err() != nil && errors.Is(runErr, ctx.Err()) {
		stop() // a second signal ends the process at once
		return interrupted(context.Cause(ctx), m, *save, sum.Sequences, stdout)
	}
	lossName := "squared error"
	if tk.Classification() {
		lossName = "cross-entropy"
	}
	extras := ""
	if m.Attention != nil {
		extras = fmt.Sprintf(" + attention %s", m.Attention.Config())
	}
	if m.Sparse() {
		extras += fmt.Sprintf(" (W_hh density %.3g, %s mask)", m.RecurrentDensity(), maskMethod)
	}
	fmt.Fprintf(stdout, "task %s (T=%d, %s), %s n=%d × %d layer(s)%s, %s, %s lr %s", tk.Name(), seqLen, lossName, kind, *hidden, *layers, extras, *algoSpec, *optName, strconv.FormatFloat(float64(*lr), 'g', -1, 32))
	if *batch > 1 {
		fmt.Fprintf(stdout, ", minibatches of %d", *batch)
	}
	fmt.Fprintln(stdout)
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
