package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/bench"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/kernels"
	"github.com/chronograd/chronograd/task"
	"github.com/chronograd/chronograd/train"
)

// profileConfig is what the default job sweeps.
type profileConfig struct {
	cells   []cell.Kind
	hidden  []int
	input   int
	T       int   // sequence length of the BPTT family's cost cases
	onlineT int   // steps per timed sequence of the online algorithms (their cost per step does not depend on T)
	memT    []int // sequence lengths of the memory-against-T cases
	maxFLOP float64
	// sparseDensity is the W_hh density at which the algorithms whose cost falls with it
	// (algo.Info.Sparse) are swept too.
	sparseDensity float64
	opt           bench.Options
	// training comparison
	trainAlgos  []algo.Spec
	trainBudget time.Duration
	trainHidden int
	trainT      int
	out         string
}

// runProfile is the main job: it sweeps the algorithms over cells and hidden sizes,
// fits each algorithm's cost exponent in n, measures memory against T, trains a small GRU
// on the adding problem with several algorithms for the same time budget, prints the
// tables and writes CSV, JSON and SVG plots to a report directory.
func runProfile(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("profile", stdout)
	out := fs.String("out", "chronograd-report", "directory for the CSV, JSON and SVG report")
	quick := fs.Bool("quick", false, "a small sweep (n ∈ {8, 16}, short training) that finishes in seconds")
	budget := fs.Duration("train-budget", 6*time.Second, "training time per algorithm in the adding-problem comparison")
	repeats := fs.Int("repeats", 5, "timed repeats per measurement (the median is reported)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *repeats < 1 || *budget <= 0 {
		return fmt.Errorf("-repeats must be at least 1 and -train-budget positive, got %d and %v", *repeats, *budget)
	}
	cfg := profileConfig{
		cells: []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM}, hidden: []int{16, 32, 64, 128}, input: 8,
		T: 100, onlineT: 20, memT: []int{100, 300, 1000}, maxFLOP: 2e9, sparseDensity: 0.1,
		opt:         bench.Options{Repeats: *repeats, MinTime: 20 * time.Millisecond, Seed: 1},
		trainBudget: *budget,
		trainHidden: 16, trainT: 50, out: *out,
	}
	if *quick {
		cfg.hidden, cfg.T, cfg.onlineT, cfg.memT, cfg.trainT = []int{8, 16}, 20, 5, []int{20, 40}, 20
		cfg.opt.MinTime = time.Millisecond
		cfg.trainBudget = min(cfg.trainBudget, 300*time.Millisecond)
	}
	cfg.trainAlgos = algo.Race(cell.GRU)
	return profile(cfg, stdout, stderr)
}

type trainResult struct {
	Algo      string  `json:"algo"`
	Cell      string  `json:"cell"`
	Hidden    int     `json:"hidden"`
	Task      string  `json:"task"`
	T         int     `json:"T"`
	Sequences int     `json:"sequences"`
	Seconds   float64 `json:"seconds"`
	FinalLoss float64 `json:"final_loss"`
	Bytes     int64   `json:"bytes"`
}

type profileReport struct {
	Machine   string          `json:"machine"`
	Kernels   string          `json:"kernels"`
	Date      string          `json:"date"`
	Results   []bench.Result  `json:"results"`
	Exponents []bench.Scaling `json:"exponents"`
	Memory    []bench.Result  `json:"memory"`
	Training  []trainResult   `json:"training"`
}

func profile(cfg profileConfig, stdout, stderr io.Writer) error {
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	rep := profileReport{
		Machine: fmt.Sprintf("%s, %s/%s, %d CPUs, %s", cpuName(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
		Kernels: kernels.Impl().String(), Date: time.Now().UTC().Format(time.RFC3339),
	}
	fmt.Fprintf(stdout, "chronograd profile: %s; kernels: %s\n", rep.Machine, rep.Kernels)

	type job struct {
		c bench.Case
	}
	var cost, memory []job
	for _, kind := range cfg.cells {
		for _, n := range cfg.hidden {
			for _, spec := range algo.Profiled(kind, cfg.T) {
				T := cfg.T
				if spec.Info().Forward {
					T = cfg.onlineT
				}
				cost = append(cost, job{bench.Case{Algo: spec, Cell: kind, Hidden: n, Input: cfg.input, Output: 1, T: T}})
				if spec.Info().Sparse {
					cost = append(cost, job{bench.Case{Algo: spec, Cell: kind, Hidden: n, Input: cfg.input, Output: 1, T: T, Density: cfg.sparseDensity}})
				}
			}
		}
		n := cfg.hidden[min(1, len(cfg.hidden)-1)]
		for _, T := range cfg.memT {
			// The memory of the reverse-mode algorithms grows with T; the others' does not.
			for _, spec := range algo.Profiled(kind, cfg.memT[0]) {
				if !spec.Info().Forward {
					memory = append(memory, job{bench.Case{Algo: spec, Cell: kind, Hidden: n, Input: cfg.input, Output: 1, T: T}})
				}
			}
		}
	}
	bar := newProgressBar(stderr, len(cost)+len(memory)+len(cfg.trainAlgos), "profile")
	var skipped []string
	measure := func(j job) (bench.Result, bool, error) {
		defer bar.Step(fmt.Sprintf("%s %s n=%d", bench.Result{Algo: j.c.Algo.String(), Density: j.c.Density}.Label(), j.c.Cell, j.c.Hidden))
		dims := algo.DimsOf(j.c.Cell, j.c.Hidden, j.c.Input, j.c.Output)
		dims.Density = j.c.Density
		flops := j.c.Algo.FLOPsPerStep(dims)
		if flops > cfg.maxFLOP {
			skipped = append(skipped, fmt.Sprintf("%s %s n=%d (%.1f GFLOP per step)", bench.Result{Algo: j.c.Algo.String(), Density: j.c.Density}.Label(), j.c.Cell, j.c.Hidden, flops/1e9))
			return bench.Result{}, false, nil
		}
		r, err := bench.Measure(j.c, cfg.opt)
		return r, err == nil, err
	}
	for _, j := range cost {
		r, ok, err := measure(j)
		if err != nil {
			bar.Done()
			return err
		}
		if ok {
			rep.Results = append(rep.Results, r)
		}
	}
	for _, j := range memory {
		r, ok, err := measure(j)
		if err != nil {
			bar.Done()
			return err
		}
		if ok {
			rep.Memory = append(rep.Memory, r)
		}
	}
	rep.Exponents = bench.Exponents(rep.Results)
	for _, spec := range cfg.trainAlgos {
		tr, err := trainForBudget(spec, cfg)
		bar.Step("training " + spec.String())
		if err != nil {
			bar.Done()
			return err
		}
		rep.Training = append(rep.Training, tr)
	}
	bar.Done()

	fmt.Fprintf(stdout, "\ncost per step (BPTT family over T=%d, online algorithms per step)\n", cfg.T)
	if err := bench.WriteTable(stdout, rep.Results); err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(stdout, "skipped: %s\n", s)
	}
	fmt.Fprintln(stdout, "\ncost exponent in n (least squares on log-log time per step)")
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "algo\tcell\texponent\tpoints\t")
	for _, e := range rep.Exponents {
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%d\t\n", e.Algo, e.Cell, e.Exponent, e.Points)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nmemory held against T")
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "algo\tcell\tn\tT\tbytes\t")
	for _, r := range rep.Memory {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t\n", r.Algo, r.Cell, r.Hidden, r.T, bench.HumanBytes(r.Bytes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\ntraining: GRU n=%d on the adding problem (T=%d), %v per algorithm, Adam lr 0.01\n", cfg.trainHidden, cfg.trainT, cfg.trainBudget)
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "algo\tsequences\tseconds\tfinal loss\tbytes\t")
	for _, r := range rep.Training {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.4g\t%s\t\n", r.Algo, r.Sequences, r.Seconds, r.FinalLoss, bench.HumanBytes(r.Bytes))
	}
	fmt.Fprintln(tw, "(predicting the mean scores about 0.083)\t\t\t\t\t")
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeProfileReport(cfg, rep, stdout)
}

func writeProfileReport(cfg profileConfig, rep profileReport, stdout io.Writer) error {
	files := map[string]func(io.Writer) error{
		"profile.csv": func(w io.Writer) error { return bench.WriteCSV(w, rep.Results) },
		"memory.csv":  func(w io.Writer) error { return bench.WriteCSV(w, rep.Memory) },
		"report.json": func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		},
	}
	for _, kind := range cfg.cells {
		name := kind.String()
		files["scaling_"+name+".svg"] = func(w io.Writer) error {
			return bench.PlotScaling(w, rep.Results, name)
		}
		n := cfg.hidden[min(1, len(cfg.hidden)-1)]
		files["memory_"+name+".svg"] = func(w io.Writer) error { return bench.PlotMemory(w, rep.Memory, name, n) }
	}
	var names []string
	for name, write := range files {
		if err := bench.WriteFileAtomic(filepath.Join(cfg.out, name), write); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		names = append(names, name)
	}
	fmt.Fprintf(stdout, "\nreport: %s/ (%d files: CSV, JSON, SVG)\n", cfg.out, len(names))
	return nil
}

// trainForBudget trains a GRU on the adding problem with one algorithm until the time
// budget runs out, then evaluates it.
func trainForBudget(spec algo.Spec, cfg profileConfig) (trainResult, error) {
	tk, err := task.New("adding", cfg.trainT)
	if err != nil {
		return trainResult{}, err
	}
	m, err := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: cfg.trainHidden, Input: tk.InputSize()}, tk.OutputSize())
	if err != nil {
		return trainResult{}, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	m.Init(rng, cell.InitDefault)
	alg, err := spec.New(m, algo.Options{Steps: cfg.trainT, Seed: 1})
	if err != nil {
		return trainResult{}, err
	}
	defer alg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.trainBudget)
	defer cancel()
	trainCfg := train.Config{Model: m, Algorithm: alg, Optimizer: &train.Adam{LR: 0.01},
		Task: tk, Sequences: math.MaxInt32, ClipNorm: 1, EvalSequences: 200, Seed: 3}
	sum, err := train.Run(ctx, trainCfg)
	if err != nil && err != context.DeadlineExceeded {
		return trainResult{}, fmt.Errorf("training with %s: %w", spec, err)
	}
	loss, _ := train.Evaluate(m, tk, 200)
	return trainResult{Algo: spec.String(), Cell: "gru", Hidden: cfg.trainHidden, Task: "adding", T: cfg.trainT,
		Sequences: sum.Sequences, Seconds: sum.Elapsed.Seconds(), FinalLoss: loss, Bytes: alg.Bytes()}, nil
}

func cpuName() string {
	if n := kernels.CPUName(); n != "" {
		return n
	}
	return runtime.GOARCH
}
