package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/bench"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/memlimit"
	"github.com/chronograd/chronograd/kernels"
	"github.com/chronograd/chronograd/task"
	"github.com/chronograd/chronograd/train"
)

// addingBaseline is the adding problem's loss when predicting the mean sum (1): half the
// variance of a sum of two U(0, 1) values, ½·(1/6) = 1/12 per target step. A model that
// does not get below it has not used the markers.
const addingBaseline = 1.0 / 12

// profileConfig is what the profile sweeps.
type profileConfig struct {
	cells  []cell.Kind
	hidden []int
	input  int
	// T is the sequence length of the reverse-mode algorithms' cost cases: their cost per
	// step and their memory depend on it.
	T int
	// onlineT is the sequence length of the forward-mode algorithms' cost cases (RTRL and
	// its approximations): their cost per step does not depend on T, so a short sequence
	// keeps exact RTRL's largest cases short.
	onlineT int
	memT    []int // the sequence lengths of the memory and time-against-T sweep
	// the minibatch sweep: exact BPTT at the largest hidden size over batch sizes
	batchHidden int
	batches     []int
	maxFLOP     float64
	// sparseDensity is the W_hh density at which the algorithms whose cost falls with it
	// (algo.Info.Sparse) are swept too, beside their dense run (0: not at all).
	sparseDensity float64
	opt           bench.Options
	// algos, when not nil, replaces the registry's profile settings: each cell is swept
	// with those of algos that apply to it.
	algos []algo.Spec
	// training race
	trainAlgos  []algo.Spec
	trainBudget time.Duration
	trainHidden int
	trainT      int
	out         string
	quick       bool
	force       bool
	limit       *memlimit.Limit // checked before anything is measured or written
}

// runProfile is the main job: it sweeps the algorithms over cells and hidden sizes,
// fits each algorithm's cost exponent in n, measures memory and time against T, trains a
// small GRU on the adding problem with several algorithms for the same time budget,
// prints the tables and writes CSV, JSON and SVG plots to a report directory.
func runProfile(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("profile", stdout)
	out := fs.String("out", "", "directory for the CSV, JSON and SVG report (default chronograd-report, or chronograd-report-quick with -quick)")
	quick := fs.Bool("quick", false, "a small sweep (n ∈ {8, 16, 32}, T ∈ {20, 40}, short training) that finishes in seconds")
	force := fs.Bool("force", false, "let a -quick run write into a directory that holds a full report")
	cells := fs.String("cells", "rnn_tanh,gru,lstm,orthogonal", "comma-separated cell kinds: "+cell.KindNames())
	hidden := fs.String("hidden", "16,32,64,128", "comma-separated hidden sizes n (the exponent fits need three or more)")
	steps := fs.String("T", "100,300,1000", "comma-separated sequence lengths: the cost table times the reverse-mode algorithms over the first; memory and time against T sweep them all")
	algos := fs.String("algos", "", "comma-separated algorithm specifications to profile, such as "+exampleSpecs()+" (default: every registered algorithm at its profile setting); forms: "+algo.Forms())
	budget := fs.Duration("train-budget", 6*time.Second, "training time per algorithm in the adding-problem race")
	repeats := fs.Int("repeats", 5, "timed repeats per measurement (the median is reported)")
	limit := memLimitFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *repeats < 1 || *budget <= 0 {
		return fmt.Errorf("-repeats must be at least 1 and -train-budget positive, got %d and %v", *repeats, *budget)
	}
	if *repeats > maxRepeats {
		return fmt.Errorf("-repeats %d is more than %d", *repeats, maxRepeats)
	}
	cfg := profileConfig{
		input: 8, maxFLOP: 2e9, batches: []int{1, 8, 32}, sparseDensity: 0.1,
		opt:         bench.Options{Repeats: *repeats, MinTime: 20 * time.Millisecond, Seed: 1, MemLimit: limit.Bytes},
		trainBudget: *budget, trainHidden: 16, trainT: 50,
		out: *out, quick: *quick, force: *force, limit: limit,
	}
	if *quick {
		// The quick sizes stand in for the defaults; flags given explicitly win.
		if !set["hidden"] {
			*hidden = "8,16,32"
		}
		if !set["T"] {
			*steps = "20,40"
		}
		cfg.trainT = 20
		cfg.batches = []int{1, 4}
		cfg.opt.MinTime = time.Millisecond
		if !set["train-budget"] {
			cfg.trainBudget = 300 * time.Millisecond
		}
	}
	if cfg.out == "" {
		cfg.out = "chronograd-report"
		if *quick {
			cfg.out = "chronograd-report-quick"
		}
	}
	var err error
	if cfg.cells, err = parseKinds(*cells); err != nil {
		return fmt.Errorf("-cells %w", err)
	}
	if cfg.hidden, err = parseSizes(*hidden); err != nil {
		return fmt.Errorf("-hidden %w", err)
	}
	if cfg.memT, err = parseSizes(*steps); err != nil {
		return fmt.Errorf("-T %w", err)
	}
	cfg.T = cfg.memT[0]
	cfg.batchHidden = slices.Max(cfg.hidden)
	cfg.onlineT = min(cfg.T, 20)
	if *algos != "" {
		if cfg.algos, err = parseSpecs(*algos, cfg.cells); err != nil {
			return fmt.Errorf("-algos %w", err)
		}
	}
	cfg.trainAlgos = algo.Race(cell.GRU)
	if cfg.algos != nil {
		cfg.trainAlgos = nil
		for _, s := range cfg.algos {
			if s.Supports(algo.DimsOf(cell.GRU, 1, 1, 1)) == nil {
				cfg.trainAlgos = append(cfg.trainAlgos, s)
			}
		}
	}
	return profile(cfg, stdout, stderr)
}

// parseKinds reads a comma-separated list of cell kinds.
func parseKinds(list string) ([]cell.Kind, error) {
	var kinds []cell.Kind
	for _, name := range strings.Split(list, ",") {
		k, err := cell.ParseKind(strings.TrimSpace(name))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", list, err)
		}
		if slices.Contains(kinds, k) {
			return nil, fmt.Errorf("%q: %s is listed twice", list, k)
		}
		kinds = append(kinds, k)
	}
	return kinds, nil
}

// maxProfileSize bounds -hidden and -T, so that a typo is an error, not hours of work.
const maxProfileSize = 1 << 16

// parseSizes reads a comma-separated list of distinct positive integers, in the order
// given.
func parseSizes(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q: %q is not an integer", list, f)
		}
		if n < 1 || n > maxProfileSize {
			return nil, fmt.Errorf("%q: %d is not in [1, %d]", list, n, maxProfileSize)
		}
		if slices.Contains(out, n) {
			return nil, fmt.Errorf("%q: %d is listed twice", list, n)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseSpecs reads comma-separated algorithm specifications. A specification's own
// parameters are comma-separated too (tbptt:5,10): a field that does not start with a
// letter continues the one before it. Every specification must apply to at least one of
// the cells.
func parseSpecs(list string, cells []cell.Kind) ([]algo.Spec, error) {
	var texts []string
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if len(texts) > 0 && f != "" && !(f[0] >= 'a' && f[0] <= 'z' || f[0] >= 'A' && f[0] <= 'Z') {
			texts[len(texts)-1] += "," + f
			continue
		}
		texts = append(texts, f)
	}
	var specs []algo.Spec
	for _, text := range texts {
		s, err := algo.Parse(text)
		if err != nil {
			return nil, err
		}
		var why error
		applies := false
		for _, k := range cells {
			if err := s.Supports(algo.DimsOf(k, 1, 1, 1)); err == nil {
				applies = true
			} else {
				why = err
			}
		}
		if !applies {
			return nil, fmt.Errorf("%s applies to none of the cells profiled: %v", text, why)
		}
		if slices.ContainsFunc(specs, func(o algo.Spec) bool { return o.String() == s.String() }) {
			return nil, fmt.Errorf("%s is listed twice", text)
		}
		specs = append(specs, s)
	}
	return specs, nil
}

type profileReport struct {
	Machine   string                `json:"machine"`
	Kernels   string                `json:"kernels"`
	Date      string                `json:"date"`
	Quick     bool                  `json:"quick"`
	Results   []bench.Result        `json:"results"`
	Exponents []bench.Scaling       `json:"exponents"`
	Memory    []bench.Result        `json:"memory"`
	Batch     []bench.Result        `json:"batch"`
	Training  []bench.TrainingRun   `json:"training"`
	Frontier  []bench.FrontierPoint `json:"frontier"`
}

// checkReportDir refuses to let a -quick run overwrite a full report without -force.
func checkReportDir(cfg profileConfig) error {
	if !cfg.quick || cfg.force {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(cfg.out, "report.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("-out %s: %w", cfg.out, err)
	}
	var prev struct {
		Quick bool   `json:"quick"`
		Date  string `json:"date"`
	}
	if json.Unmarshal(b, &prev) == nil && prev.Quick {
		return nil
	}
	return fmt.Errorf("-out %s holds a full profile report (of %s); a -quick run would overwrite it: choose another -out or pass -force", cfg.out, prev.Date)
}

// profileJob is one measurement of the sweep.
type profileJob struct {
	c      bench.Case
	memory bool    // part of the memory and time-against-T sweep
	batch  bool    // part of the minibatch sweep
	skip   string  // why it is not measured ("": it is)
	cost   float64 // estimated milliseconds, for the progress estimate
}

func profile(cfg profileConfig, stdout, stderr io.Writer) error {
	// The report directory is made only when the report is written, so that a run that
	// fails leaves none behind; whether it can be made (and holds nothing but regular
	// files where the report goes), and the race's memory, are checked now.
	if err := probeReportDir(cfg.out); err != nil {
		return err
	}
	if err := checkReportDir(cfg); err != nil {
		return err
	}
	if err := checkProfileRace(cfg); err != nil {
		return err
	}
	rep := profileReport{
		Machine: fmt.Sprintf("%s, %s/%s, %d CPUs, %s", cpuName(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
		Kernels: kernels.Impl().String(), Date: time.Now().UTC().Format(time.RFC3339), Quick: cfg.quick,
	}
	fmt.Fprintf(stdout, "chronograd profile: %s; kernels: %s\n", rep.Machine, rep.Kernels)

	jobs := profileJobs(cfg)
	total := 0.0
	for _, j := range jobs {
		total += j.cost
	}
	total += float64(len(cfg.trainAlgos)) * float64(cfg.trainBudget.Milliseconds()+100)
	bar := newProgress(stderr, total, "profile", progressModeOf(stderr), false)
	var skipped []string
	for _, j := range jobs {
		name := fmt.Sprintf("%s %s n=%d T=%d", bench.Result{Algo: j.c.Algo.String(), Density: j.c.Density}.Label(), j.c.Cell, j.c.Hidden, j.c.T)
		if j.skip != "" {
			skipped = append(skipped, name+" ("+j.skip+")")
			bar.Advance(j.cost, name)
			continue
		}
		r, err := bench.Measure(j.c, cfg.opt)
		if err != nil {
			bar.Done()
			return err
		}
		switch {
		case j.batch:
			rep.Batch = append(rep.Batch, r)
		case j.memory:
			rep.Memory = append(rep.Memory, r)
		default:
			rep.Results = append(rep.Results, r)
		}
		bar.Advance(j.cost, name)
	}
	rep.Exponents = bench.Exponents(rep.Results)
	for _, spec := range cfg.trainAlgos {
		tr, err := trainForBudget(spec, cfg, bar)
		if err != nil {
			bar.Done()
			return err
		}
		rep.Training = append(rep.Training, tr)
	}
	bar.Done()

	if err := printProfile(stdout, cfg, rep, skipped); err != nil {
		return err
	}
	fr, err := profileFrontier(cfg, stdout, stderr)
	if err != nil {
		return err
	}
	rep.Frontier = fr.Points
	return writeProfileReport(cfg, rep, stdout)
}

// profileJobs lists the cost sweep (every algorithm on every cell and hidden size) and
// the memory and time-against-T sweep (every algorithm on every cell at one hidden size,
// over every T), each with its estimated cost.
func profileJobs(cfg profileConfig) []profileJob {
	var jobs []profileJob
	specsFor := func(kind cell.Kind, T int) []algo.Spec {
		if cfg.algos == nil {
			return algo.Profiled(kind, T)
		}
		var out []algo.Spec
		for _, s := range cfg.algos {
			if s.Supports(algo.DimsOf(kind, 1, 1, 1)) == nil {
				out = append(out, s)
			}
		}
		return out
	}
	add := func(spec algo.Spec, kind cell.Kind, n, T, B int, memory bool, density float64) {
		c := bench.Case{Algo: spec, Cell: kind, Hidden: n, Input: cfg.input, Output: 1, T: T, Batch: B, Attention: spec.ProfileAttention(T), Density: density}
		d := algo.DimsOf(kind, n, cfg.input, 1)
		d.Attention = c.Attention
		d.Density = density
		flops := spec.FLOPsPerStep(d) * float64(B)
		j := profileJob{c: c, memory: memory}
		switch need := caseBytes(c, cfg.opt.Repeats); {
		case flops > cfg.maxFLOP:
			j.skip = fmt.Sprintf("%.1f GFLOP per step", flops/1e9)
		case limitOf(cfg).Check("it", need) != nil:
			j.skip = fmt.Sprintf("needs %s, over -mem-limit", bench.HumanBytes(need))
		default:
			// A sequence at an assumed 5 GFLOP/s, run for a warm-up, three allocation
			// counts and the repeats of at least MinTime each.
			seq := flops * float64(T) / 5e6 // ms
			j.cost = 4*seq + float64(cfg.opt.Repeats)*max(seq, float64(cfg.opt.MinTime.Milliseconds()))
		}
		jobs = append(jobs, j)
	}
	for _, kind := range cfg.cells {
		for _, n := range cfg.hidden {
			for _, spec := range specsFor(kind, cfg.T) {
				T := cfg.T
				if spec.Info().Forward {
					T = cfg.onlineT
				}
				add(spec, kind, n, T, 1, false, 0)
				// An orthogonal cell's W_hh = exp(A) is dense by construction: no sparse case.
				if spec.Info().Sparse && cfg.sparseDensity > 0 && kind != cell.Orthogonal {
					add(spec, kind, n, T, 1, false, cfg.sparseDensity)
				}
			}
		}
		n := memoryHidden(cfg)
		for i, T := range cfg.memT {
			// The registry's settings for the first T, so that each line of the memory
			// plot is one algorithm setting. A forward-mode algorithm's memory and time
			// per step do not depend on T: it is measured at the first T only (exact RTRL
			// over 1000 steps would take longer than the rest of the sweep), and the
			// plots draw it flat.
			for _, spec := range specsFor(kind, cfg.memT[0]) {
				if i == 0 || !spec.Info().Forward {
					add(spec, kind, n, T, 1, true, 0)
				}
			}
		}
		// The minibatch sweep: the first exact, reverse-mode algorithm (full BPTT) at
		// every batch size, B = 1 included so that the table reads against it.
		for _, spec := range specsFor(kind, cfg.T) {
			if info := spec.Info(); info.Online || info.Forward {
				continue
			}
			for _, B := range cfg.batches {
				add(spec, kind, cfg.batchHidden, cfg.T, B, false, 0)
				jobs[len(jobs)-1].batch = true
			}
			break
		}
	}
	return jobs
}

// memoryHidden is the hidden size of the memory and time-against-T sweep: the second
// smallest of -hidden (the smallest when there is one), which keeps exact RTRL at long T
// affordable.
func memoryHidden(cfg profileConfig) int {
	h := slices.Clone(cfg.hidden)
	slices.Sort(h)
	return h[min(1, len(h)-1)]
}

func printProfile(w io.Writer, cfg profileConfig, rep profileReport, skipped []string) error {
	var online []string
	for _, r := range rep.Results {
		if r.T == cfg.onlineT && cfg.onlineT != cfg.T && !slices.Contains(online, r.Algo) {
			online = append(online, r.Algo)
		}
	}
	fmt.Fprintf(w, "\ncost per step over sequences of T=%d steps", cfg.T)
	if len(online) > 0 {
		fmt.Fprintf(w, "; %s over T=%d", strings.Join(online, ", "), cfg.onlineT)
	}
	fmt.Fprintln(w)
	if len(online) > 0 {
		fmt.Fprintf(w, "(the forward-mode algorithms' cost per step does not depend on T, and a short sequence keeps exact\n"+
			" RTRL's largest cases short; the reverse-mode algorithms' cost per step and memory do depend on T)\n")
	}
	if err := bench.WriteTable(w, rep.Results); err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(w, "skipped: %s\n", s)
	}
	fmt.Fprintln(w, "\ncost exponent in n (least squares on log-log time per step)")
	if err := bench.WriteExponentTable(w, rep.Exponents); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nmemory held and time per step against T (n=%d)\n", memoryHidden(cfg))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "algo\tcell\tn\tT\tbytes\tµs/step\t")
	for _, r := range rep.Memory {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%.2f\t\n", r.Algo, r.Cell, r.Hidden, r.T, bench.HumanBytes(r.Bytes), r.NsPerStep/1e3)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Batch) > 0 {
		fmt.Fprintf(w, "\nminibatches: B sequences stepped together (n=%d, T=%d); time per step of the whole batch, per sequence and per sample (one sequence's step)\n", cfg.batchHidden, cfg.T)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "algo\tcell\tn\tB\tµs/step\tms/sequence\tµs/sample\tGFLOP/s\t")
		for _, r := range rep.Batch {
			B := float64(max(1, r.Batch))
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%.3f\t%.2f\t%.2f\t\n", r.Algo, r.Cell, r.Hidden, r.Batch, r.NsPerStep/1e3, r.NsPerStep*float64(r.T)/B/1e6, r.NsPerStep/B/1e3, r.GFLOPS)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(rep.Training) == 0 {
		fmt.Fprintln(w, "\ntraining: no algorithm of -algos applies to the race's GRU; race skipped")
		return nil
	}
	fmt.Fprintf(w, "\ntraining: GRU n=%d on the adding problem (T=%d), %v per algorithm, Adam lr 0.01\n", cfg.trainHidden, cfg.trainT, cfg.trainBudget)
	fmt.Fprintf(w, "baseline: predicting the mean scores %.4f (½·Var of the sum = 1/12); a row that does not get below it is flagged\n", addingBaseline)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "algo\tsequences\tseconds\tfinal loss\tbytes\tbeats baseline\t")
	var failed []string
	for _, r := range rep.Training {
		beats := "yes"
		if !r.BeatsBaseline() {
			beats = "NO"
			failed = append(failed, r.Algo)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.4g\t%s\t%s\t\n", r.Algo, r.Sequences, r.Seconds, r.FinalLoss, bench.HumanBytes(r.Bytes), beats)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "warning: %s did not beat the baseline in %v: it learnt nothing the mean does not give\n", strings.Join(failed, ", "), cfg.trainBudget)
	}
	return nil
}

func writeProfileReport(cfg profileConfig, rep profileReport, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	files := map[string]func(io.Writer) error{
		"profile.csv":   func(w io.Writer) error { return bench.WriteCSV(w, rep.Results) },
		"memory.csv":    func(w io.Writer) error { return bench.WriteCSV(w, rep.Memory) },
		"batch.csv":     func(w io.Writer) error { return bench.WriteCSV(w, rep.Batch) },
		"exponents.csv": func(w io.Writer) error { return bench.WriteExponentCSV(w, rep.Exponents) },
		"report.json": func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		},
	}
	if len(rep.Training) > 0 {
		files["training.csv"] = func(w io.Writer) error { return bench.WriteTrainingCSV(w, rep.Training) }
		files["training_curve.csv"] = func(w io.Writer) error { return bench.WriteTrainingCurveCSV(w, rep.Training) }
	}
	if slices.ContainsFunc(rep.Training, func(r bench.TrainingRun) bool { return len(r.Curve) > 0 }) {
		files["training.svg"] = func(w io.Writer) error { return bench.PlotTraining(w, rep.Training) }
	}
	n := memoryHidden(cfg)
	for _, kind := range cfg.cells {
		name := kind.String()
		if hasCell(rep.Results, name) {
			files["scaling_"+name+".svg"] = func(w io.Writer) error { return bench.PlotScaling(w, rep.Results, name) }
		}
		if hasCell(rep.Memory, name) {
			files["memory_"+name+".svg"] = func(w io.Writer) error { return bench.PlotMemory(w, rep.Memory, name, n) }
			files["time_T_"+name+".svg"] = func(w io.Writer) error { return bench.PlotTimeAgainstT(w, rep.Memory, name, n) }
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := bench.WriteFileAtomic(filepath.Join(cfg.out, name), files[name]); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	fmt.Fprintf(stdout, "\nreport: %s/ (%d files: CSV, JSON, SVG)\n", cfg.out, len(names))
	return nil
}

func hasCell(rs []bench.Result, name string) bool {
	return slices.ContainsFunc(rs, func(r bench.Result) bool { return r.Cell == name })
}

// trainForBudget trains a GRU on the adding problem with one algorithm until the time
// budget runs out, recording the training loss against wall-clock time, then evaluates
// it. bar advances with the time spent.
func trainForBudget(spec algo.Spec, cfg profileConfig, bar *progressBar) (bench.TrainingRun, error) {
	tk, err := task.New("adding", cfg.trainT)
	if err != nil {
		return bench.TrainingRun{}, err
	}
	m, err := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: cfg.trainHidden, Input: tk.InputSize()}, tk.OutputSize())
	if err != nil {
		return bench.TrainingRun{}, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	m.Init(rng, cell.InitDefault)
	alg, err := spec.New(m, algo.Options{Steps: cfg.trainT, Seed: 1})
	if err != nil {
		return bench.TrainingRun{}, err
	}
	defer alg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.trainBudget)
	defer cancel()
	var samples []bench.LossPoint
	var shown time.Duration // the training time the progress bar has been told of
	what := "training " + spec.String()
	trainCfg := train.Config{Model: m, Algorithm: alg, Optimizer: &train.Adam{LR: 0.01},
		Task: tk, Sequences: math.MaxInt32, ClipNorm: 1, EvalSequences: 200, Seed: 3,
		Progress: func(p train.Progress) {
			samples = append(samples, bench.LossPoint{Seconds: p.Elapsed.Seconds(), Loss: p.Loss, Sequences: p.Sequence})
			if d := p.Elapsed - shown; d >= 100*time.Millisecond {
				bar.Advance(float64(d.Milliseconds()), what)
				shown += d.Truncate(time.Millisecond)
			}
		}}
	sum, err := train.Run(ctx, trainCfg)
	if err != nil && err != context.DeadlineExceeded {
		return bench.TrainingRun{}, fmt.Errorf("training with %s: %w", spec, err)
	}
	loss, _ := train.Evaluate(m, tk, 200)
	bar.Advance(float64((cfg.trainBudget-shown).Milliseconds()+100), what)
	return bench.TrainingRun{Algo: spec.String(), Cell: "gru", Hidden: cfg.trainHidden, Task: "adding", T: cfg.trainT,
		Sequences: sum.Sequences, Seconds: sum.Elapsed.Seconds(), FinalLoss: loss, Baseline: addingBaseline, Bytes: alg.Bytes(),
		Curve: bench.LossCurve(samples, 40, cfg.trainBudget.Seconds())}, nil
}

func cpuName() string {
	if n := kernels.CPUName(); n != "" {
		return n
	}
	return runtime.GOARCH
}

// exampleSpecs is a -algos example: the first three profiled algorithms' settings.
func exampleSpecs() string {
	var parts []string
	for _, s := range algo.Profiled(cell.GRU, 100) {
		if len(parts) == 3 {
			break
		}
		parts = append(parts, s.String())
	}
	return strings.Join(parts, ",")
}
