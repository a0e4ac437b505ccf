package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/bench"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/flagx"
	"github.com/chronograd/chronograd/internal/memlimit"
	"github.com/chronograd/chronograd/kernels"
	"github.com/chronograd/chronograd/task"
)

// frontierConfig is what a frontier run sweeps.
type frontierConfig struct {
	cells             []cell.Kind
	hidden            []int
	taskName          string
	length            int
	warmup, sequences int
	seed              uint64
	initName          string
	init              func(cell.Cell, *rand.Rand)
	maxFLOP           float64
	memLimit          int64 // bench.FrontierConfig.MemLimit: algorithms over it are skipped
	minTime           time.Duration
	out               string // report directory ("": none)
}

// Limits of the frontier's sizes: beyond them a typo would run for days or exhaust memory.
const (
	frontierMaxHidden = 4096
	frontierMaxSteps  = 10_000_000 // (warm-up + measured sequences) × T
)

// runFrontier measures the cost–accuracy frontier: every online algorithm of the
// registry and truncated BPTT at several windows on the same model and stream, each
// sequence's gradient compared with full BPTT's. It prints a table (or, with -json, one
// JSON object per point per line) and writes frontier.csv, frontier.json and one SVG per
// cell and hidden size into -out.
func runFrontier(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("frontier", stdout)
	cells := fs.String("cell", "rnn_tanh,gru,lstm", "cells, comma-separated: "+cell.KindNames())
	hidden := fs.String("hidden", "32", "hidden sizes n, comma-separated")
	taskName := fs.String("task", "copy", "the stream's task: adding, copy, sine or mackey-glass")
	length := fs.Int("length", 10, "sequence length T (adding, sine, mackey-glass) or delay L (copy: T = L + 20)")
	warmup := fs.Int("warmup", 20, "sequences each algorithm runs before it is measured")
	sequences := fs.Int("sequences", 20, "measured sequences")
	seed := fs.Uint64("seed", 1, "seed of the weights, the stream and randomised algorithms")
	initName := fs.String("init", "default", "initialiser: default (PyTorch's uniform), orthogonal or identity")
	maxGFLOP := flagx.Float64Flag(fs, "max-gflop", 2, "skip algorithms whose FLOP model exceeds this many GFLOP per step (0: no limit)", flagx.AtLeast(0))
	limit := memLimitFlag(fs)
	minTime := fs.Duration("min-time", 100*time.Millisecond, "least time each algorithm's measured sequences are timed for (the fastest pass counts)")
	asJSON := fs.Bool("json", false, "print one JSON object per point per line")
	out := fs.String("out", "chronograd-frontier", "directory for frontier.csv, frontier.json and the SVG plots (\"\": none)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg := frontierConfig{taskName: *taskName, initName: *initName, length: *length, warmup: *warmup, sequences: *sequences,
		seed: *seed, maxFLOP: *maxGFLOP * 1e9, memLimit: limit.Bytes, minTime: *minTime, out: *out}
	var err error
	if cfg.init, err = initialiser(*initName); err != nil {
		return err
	}
	if cfg.cells, err = parseKinds(*cells); err != nil {
		return fmt.Errorf("-cell %w", err)
	}
	if cfg.hidden, err = parseSizes(*hidden); err != nil {
		return fmt.Errorf("-hidden %w", err)
	}
	if n := slices.Max(cfg.hidden); n > frontierMaxHidden {
		return fmt.Errorf("-hidden %d: more than the %d hidden units a frontier measures", n, frontierMaxHidden)
	}
	switch {
	case *warmup < 0 || *sequences < 1:
		return fmt.Errorf("-warmup must be at least 0 and -sequences at least 1, got %d and %d", *warmup, *sequences)
	case *warmup > frontierMaxSteps || *sequences > frontierMaxSteps:
		return fmt.Errorf("-warmup %d and -sequences %d: more than the %d steps a frontier runs", *warmup, *sequences, frontierMaxSteps)
	case *minTime < 0:
		return fmt.Errorf("-min-time must not be negative, got %v", *minTime)
	}
	tk, err := task.New(*taskName, *length)
	if err != nil {
		return fmt.Errorf("-task: %w", err)
	}
	T := taskSteps(tk, *length)
	if T < *length {
		return fmt.Errorf("-length %d: the copy task's sequences would be longer than an int counts", *length)
	}
	if steps := memlimit.Mul(int64(*warmup+*sequences), int64(T)); steps > frontierMaxSteps {
		return fmt.Errorf("-warmup %d + -sequences %d sequences of %d steps: more than the %d steps a frontier runs", *warmup, *sequences, T, frontierMaxSteps)
	}
	if err := frontierBudget(cfg, tk, T, limit); err != nil {
		return err
	}
	if cfg.out != "" {
		if err := probeReportDir(cfg.out); err != nil {
			return err
		}
	}
	return frontier(cfg, tk, *asJSON, stdout, stderr)
}

// frontierBudget refuses, before anything is allocated, a frontier whose fixed part does
// not fit the memory limit: for its largest model, the model, the stream of sequences,
// the reference (full BPTT over one sequence) and the exact gradient of every measured
// sequence. An algorithm over the limit is skipped, not refused (bench.Frontier).
func frontierBudget(cfg frontierConfig, tk task.Task, T int, limit *memlimit.Limit) error {
	for _, kind := range cfg.cells {
		for _, n := range cfg.hidden {
			d, err := modelDims(kind, 1, n, tk.InputSize(), tk.OutputSize())
			if err != nil {
				return fmt.Errorf("-hidden %d: %w", n, err)
			}
			var b budget
			b.addModel(d, algo.MustParse(bench.FrontierReference), algo.Options{Steps: T})
			steps := memlimit.Mul(int64(cfg.warmup+cfg.sequences), int64(T))
			b.add(fmt.Sprintf("the stream of %d sequences", cfg.warmup+cfg.sequences), memlimit.Mul(steps, 4*int64(tk.InputSize()+tk.OutputSize())+1))
			b.add(fmt.Sprintf("the exact gradients of %d sequences", cfg.sequences), memlimit.Product(int64(cfg.sequences), int64(d.P), 4))
			if err := b.check(limit); err != nil {
				return fmt.Errorf("%v n=%d: %w", kind, n, err)
			}
		}
	}
	return nil
}

// initialiser is the cell initialiser -init names.
func initialiser(name string) (func(cell.Cell, *rand.Rand), error) {
	switch name {
	case "default":
		return cell.InitDefault, nil
	case "orthogonal":
		return cell.InitOrthogonal, nil
	case "identity":
		return func(c cell.Cell, r *rand.Rand) { cell.InitIdentity(c, r, 1) }, nil
	}
	return nil, fmt.Errorf("-init %q: want default, orthogonal or identity", name)
}

// taskSteps is T, the steps of one of the task's sequences.
func taskSteps(tk task.Task, length int) int {
	if c, ok := tk.(task.Copy); ok {
		return c.Len()
	}
	return length
}

// frontierReport is frontier.json.
type frontierReport struct {
	Machine string                `json:"machine"`
	Kernels string                `json:"kernels"`
	Date    string                `json:"date"`
	Task    string                `json:"task"`
	Points  []bench.FrontierPoint `json:"points"`
	Skipped []string              `json:"skipped"`
}

func frontier(cfg frontierConfig, tk task.Task, asJSON bool, stdout, stderr io.Writer) error {
	rep, err := measureFrontier(cfg, tk, stderr)
	if err != nil {
		return err
	}
	if asJSON {
		if err := bench.WriteFrontierJSONLines(stdout, rep.Points); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "chronograd frontier: %s; kernels: %s\n", rep.Machine, rep.Kernels)
		if err := printFrontier(stdout, cfg, rep); err != nil {
			return err
		}
	}
	if cfg.out == "" {
		return nil
	}
	n, err := writeFrontierFiles(cfg, rep)
	if err != nil {
		return err
	}
	if !asJSON {
		fmt.Fprintf(stdout, "\nfrontier: %s/ (%d files: CSV, JSON, SVG)\n", cfg.out, n)
	}
	return nil
}

// measureFrontier runs the frontier of every cell and hidden size of cfg, with a
// progress bar on stderr.
func measureFrontier(cfg frontierConfig, tk task.Task, stderr io.Writer) (frontierReport, error) {
	rep := frontierReport{
		Machine: fmt.Sprintf("%s, %s/%s, %d CPUs, %s", cpuName(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
		Kernels: kernels.Impl().String(), Date: time.Now().UTC().Format(time.RFC3339),
		Task:    fmt.Sprintf("%s (length %d), %s initialisation", tk.Name(), cfg.length, cfg.initName),
		Skipped: []string{},
	}
	bar := newProgressBar(stderr, len(cfg.cells)*len(cfg.hidden), "frontier")
	defer bar.Done()
	for _, kind := range cfg.cells {
		for _, n := range cfg.hidden {
			r, err := bench.Frontier(bench.FrontierConfig{
				Cell: kind, Hidden: n, Task: tk, Warmup: cfg.warmup, Sequences: cfg.sequences,
				Init: cfg.init, Seed: cfg.seed, MaxFLOP: cfg.maxFLOP, MemLimit: cfg.memLimit, MinTime: cfg.minTime,
			})
			bar.Step(fmt.Sprintf("%v n=%d", kind, n))
			if err != nil {
				return frontierReport{}, err
			}
			rep.Points = append(rep.Points, r.Points...)
			rep.Skipped = append(rep.Skipped, r.Skipped...)
		}
	}
	return rep, nil
}

// printFrontier prints one table per cell and hidden size, and what was skipped.
func printFrontier(w io.Writer, cfg frontierConfig, rep frontierReport) error {
	fmt.Fprintf(w, "\ncost–accuracy frontier on %s: each algorithm's cell gradient over a sequence against full BPTT's (the first row), mean over %d sequences after %d of warm-up\n", rep.Task, cfg.sequences, cfg.warmup)
	for _, kind := range cfg.cells {
		for _, n := range cfg.hidden {
			var pts []bench.FrontierPoint
			for _, p := range rep.Points {
				if p.Cell == kind.String() && p.Hidden == n {
					pts = append(pts, p)
				}
			}
			fmt.Fprintln(w)
			if err := bench.WriteFrontierTable(w, pts); err != nil {
				return err
			}
		}
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "skipped: %s\n", s)
	}
	return nil
}

// writeFrontierFiles writes frontier.csv, frontier.json and frontier_<cell>_n<n>.svg into
// cfg.out and returns how many files it wrote.
func writeFrontierFiles(cfg frontierConfig, rep frontierReport) (int, error) {
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return 0, fmt.Errorf("report directory: %w", err)
	}
	files := map[string]func(io.Writer) error{
		"frontier.csv": func(w io.Writer) error { return bench.WriteFrontierCSV(w, rep.Points) },
		"frontier.json": func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		},
	}
	for _, kind := range cfg.cells {
		for _, n := range cfg.hidden {
			name, h := kind.String(), n
			files[fmt.Sprintf("frontier_%s_n%d.svg", name, n)] = func(w io.Writer) error {
				return bench.PlotFrontier(w, rep.Points, name, h)
			}
		}
	}
	for name, write := range files {
		if err := bench.WriteFileAtomic(filepath.Join(cfg.out, name), write); err != nil {
			return 0, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return len(files), nil
}

// profileFrontier is the default profile's frontier section: every cell the profile
// sweeps at its second hidden size, on the copy task (delay 10) from PyTorch's default
// initialisation (20 warm-up and 20 measured sequences, 2 and 2 with -quick), printed and
// written into the report directory beside the profile. A profile restricted with -algos
// has no frontier section: the frontier is every online algorithm's.
func profileFrontier(cfg profileConfig, stdout, stderr io.Writer) (frontierReport, error) {
	if cfg.algos != nil {
		return frontierReport{}, nil
	}
	const delay = 10
	tk, err := task.New("copy", delay)
	if err != nil {
		return frontierReport{}, err
	}
	fc := frontierConfig{
		cells: cfg.cells, hidden: []int{cfg.hidden[min(1, len(cfg.hidden)-1)]},
		taskName: "copy", length: delay, warmup: 20, sequences: 20,
		seed: 1, initName: "default", init: cell.InitDefault, maxFLOP: cfg.maxFLOP, memLimit: limitOf(cfg).Bytes,
		minTime: 100 * time.Millisecond, out: cfg.out,
	}
	if cfg.quick {
		fc.warmup, fc.sequences, fc.minTime = 2, 2, cfg.opt.MinTime
	}
	rep, err := measureFrontier(fc, tk, stderr)
	if err != nil {
		return frontierReport{}, err
	}
	if err := printFrontier(stdout, fc, rep); err != nil {
		return frontierReport{}, err
	}
	if _, err := writeFrontierFiles(fc, rep); err != nil {
		return frontierReport{}, err
	}
	return rep, nil
}
