// Command orthogonal runs issue 15's measurements of the orthogonal cell: the copy task
// with a long delay for the orthogonal cell, rnn_tanh and LSTM at matched parameter
// counts (training curves), and the credit-decay diagnosis (spectral radius, φ_k over
// k = 1..200 and its rate β) of each before and after training, on the same data.
//
//	go run ./bench/orthogonal -seed 1 -out /tmp/ortho     # one seed (minutes); seeds 1, 2, 3
//	go run ./bench/orthogonal -report -out /tmp/ortho -svg bench
//
// The first form writes /tmp/ortho/seed-1.json (keeping, from an earlier file of the seed,
// the runs of models -models does not name); the second reads every seed's file and
// prints Markdown tables (medians over the seeds, and every run) for bench/RESULTS.md,
// and writes the training curves and the decay profiles as SVG files into -svg.
//
// Training: full BPTT over minibatches of -batch sequences of the copy task (delay
// -delay, 10 symbols, T = delay + 20, softmax cross-entropy at every step), Adam with
// learning rate -lr and, for the orthogonal cell's A (weight_hh_l0), -lr-orth (expRNN
// trains its orthogonal parameters ten times slower), global-norm clipping at 1, the same
// sequences for every model of a seed. The orthogonal cell starts from expRNN's Henaff
// initialisation, rnn_tanh and LSTM from PyTorch's default.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/chronograd/chronograd/bench"
	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/diagnose"
	"github.com/chronograd/chronograd/kernels"
	"github.com/chronograd/chronograd/task"
	"github.com/chronograd/chronograd/train"
)

type config struct {
	Seed              uint64
	Delay, Batch      int
	Hidden, LSTM      int
	Updates           int
	Budget            time.Duration
	LR, LROrth        float64
	EvalEvery, Evals  int
	MaxLag            int
	Models            []string
	Kernels, Machine  string
	Date              string
	OrthMap           string
	StopAfterPerfect  int
	DiagnoseSequences int
}

// num is a float64 that JSON holds as null when it is NaN or infinite.
type num float64

func (f num) MarshalJSON() ([]byte, error) {
	if v := float64(f); math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

func (f *num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = num(math.NaN())
		return nil
	}
	var v float64
	err := json.Unmarshal(b, &v)
	*f = num(v)
	return err
}

// point is one evaluation during training.
type point struct {
	Update  int `json:"update"`
	Seconds num `json:"seconds"`
	Loss    num `json:"loss"`
	Acc     num `json:"acc"`    // every step
	Recall  num `json:"recall"` // the recall steps only
	Train   num `json:"train"`  // mean training loss per step since the last point
}

// decay is a diagnose report's figures.
type decay struct {
	Beta, SpectralRadius num
	K                    int
	Phi                  []num
}

type run struct {
	Model   string  `json:"model"`
	Hidden  int     `json:"hidden"`
	Params  int     `json:"params"`
	Curve   []point `json:"curve"`
	Before  decay   `json:"before"`
	After   decay   `json:"after"`
	Seconds float64 `json:"seconds"`
}

type result struct {
	Config config `json:"config"`
	Runs   []run  `json:"runs"`
}

func main() {
	var cfg config
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the weights and the data")
	flag.IntVar(&cfg.Delay, "delay", 100, "copy task delay")
	flag.IntVar(&cfg.Batch, "batch", 16, "sequences per update")
	flag.IntVar(&cfg.Hidden, "n", 128, "hidden units of the orthogonal and rnn_tanh cells")
	flag.IntVar(&cfg.LSTM, "lstm", 62, "hidden units of the LSTM (62 matches n = 128's parameter count)")
	flag.IntVar(&cfg.Updates, "updates", 3000, "updates per model at most")
	flag.DurationVar(&cfg.Budget, "budget", 4*time.Minute, "wall-clock training time per model at most")
	flag.Float64Var(&cfg.LR, "lr", 1e-3, "Adam's learning rate")
	flag.Float64Var(&cfg.LROrth, "lr-orth", 1e-4, "Adam's learning rate for the orthogonal cell's A")
	flag.IntVar(&cfg.EvalEvery, "eval-every", 50, "updates between evaluations")
	flag.IntVar(&cfg.Evals, "eval", 200, "evaluation sequences")
	flag.IntVar(&cfg.MaxLag, "maxlag", 200, "largest lag diagnose measures")
	flag.StringVar(&cfg.OrthMap, "ortho-map", "exp", "the orthogonal cell's map: exp or cayley")
	flag.IntVar(&cfg.StopAfterPerfect, "stop-after", 3, "stop a model after this many evaluations in a row at ≥ 99.5% recall accuracy")
	flag.IntVar(&cfg.DiagnoseSequences, "diagnose-seqs", 5, "copy sequences concatenated into diagnose's data")
	models := flag.String("models", "orthogonal,rnn_tanh,lstm", "models to train")
	out := flag.String("out", "ortho-results", "directory of the per-seed JSON files")
	report := flag.Bool("report", false, "read the per-seed files and print the tables")
	svgDir := flag.String("svg", "", "with -report: directory for the SVG plots")
	flag.Parse()
	cfg.Models = strings.Split(*models, ",")
	if *report {
		if err := writeReport(*out, *svgDir, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "orthogonal:", err)
			os.Exit(1)
		}
		return
	}
	cfg.Kernels = kernels.Impl().String()
	cfg.Machine = kernels.CPUName()
	cfg.Date = time.Now().UTC().Format(time.RFC3339)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "orthogonal:", err)
		os.Exit(1)
	}
	res := result{Config: cfg}
	path := filepath.Join(*out, fmt.Sprintf("seed-%d.json", cfg.Seed))
	// Runs of models not trained now are kept from an earlier file of the seed.
	if b, err := os.ReadFile(path); err == nil {
		var old result
		if json.Unmarshal(b, &old) == nil {
			for _, r := range old.Runs {
				if !slices.Contains(cfg.Models, r.Model) {
					res.Runs = append(res.Runs, r)
				}
			}
		}
	}
	for _, name := range cfg.Models {
		r, err := trainOne(cfg, name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "orthogonal: %s: %v\n", name, err)
			os.Exit(1)
		}
		res.Runs = append(res.Runs, r)
	}
	order := map[string]int{"orthogonal": 0, "rnn_tanh": 1, "lstm": 2}
	slices.SortStableFunc(res.Runs, func(a, b run) int { return order[a.Model] - order[b.Model] })
	b, err := json.MarshalIndent(res, "", " ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "orthogonal:", err)
		os.Exit(1)
	}
	if err := bench.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		fmt.Fprintln(os.Stderr, "orthogonal:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "wrote %s\n", path)
}

func newModel(cfg config, name string, tk task.Copy) (*cell.Model, error) {
	kind, err := cell.ParseKind(name)
	if err != nil {
		return nil, err
	}
	h := cfg.Hidden
	c := cell.Config{Kind: kind, Input: tk.InputSize()}
	switch kind {
	case cell.LSTM:
		h = cfg.LSTM
	case cell.Orthogonal:
		if c.OrthoMap, err = cell.ParseOrthoMap(cfg.OrthMap); err != nil {
			return nil, err
		}
	}
	c.Hidden = h
	m, err := cell.NewModel(c, tk.OutputSize())
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x696e6974))
	if kind == cell.Orthogonal {
		m.Init(rng, cell.InitHenaff)
	} else {
		m.Init(rng, cell.InitDefault)
	}
	return m, nil
}

// diagnoseData is the same copy-task stream for every model of a seed: sequences
// concatenated, a class target at every step.
func diagnoseData(cfg config, tk task.Copy) diagnose.Data {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xd1a9))
	var d diagnose.Data
	var seq task.Sequence
	for range cfg.DiagnoseSequences {
		tk.Fill(&seq, rng)
		d.Inputs = append(d.Inputs, seq.Inputs...)
		d.Classes = append(d.Classes, seq.Classes...)
		d.T += seq.T
	}
	return d
}

func measure(m *cell.Model, d diagnose.Data, maxLag int) (decay, error) {
	r, err := diagnose.Run(m, d, diagnose.Options{MaxLag: maxLag})
	if err != nil {
		return decay{}, err
	}
	out := decay{Beta: num(r.Beta), SpectralRadius: num(r.SpectralRadius), K: r.K}
	for _, v := range r.Phi {
		out.Phi = append(out.Phi, num(v))
	}
	return out, nil
}

func trainOne(cfg config, name string) (run, error) {
	tk := task.Copy{Delay: cfg.Delay, Symbols: 10}
	m, err := newModel(cfg, name, tk)
	if err != nil {
		return run{}, err
	}
	r := run{Model: name, Hidden: m.HiddenSize(), Params: m.NumParams() + m.Head.NumParams()}
	data := diagnoseData(cfg, tk)
	if r.Before, err = measure(m, data, cfg.MaxLag); err != nil {
		return r, err
	}
	alg, err := bptt.NewFull(m, bptt.FullOptions{Batch: cfg.Batch})
	if err != nil {
		return r, err
	}
	// Parameter groups: the orthogonal cell's A apart, with its own optimizer.
	params := m.ParamGroups()
	grads := m.GradGroups(alg.GradCell(), alg.GradHead())
	var orthP, orthG [][]float32
	if m.Kind() == cell.Orthogonal {
		l := m.Layers[0].Layout()
		p, g := params[0], grads[0]
		params = [][]float32{p[:l.WeightHH], p[l.BiasIH:], params[1]}
		grads = [][]float32{g[:l.WeightHH], g[l.BiasIH:], grads[1]}
		orthP, orthG = [][]float32{p[l.WeightHH:l.BiasIH]}, [][]float32{g[l.WeightHH:l.BiasIH]}
	}
	all := append(slices.Clone(grads), orthG...)
	opt := &train.Adam{LR: float32(cfg.LR)}
	optA := &train.Adam{LR: float32(cfg.LROrth)}

	rng := rand.New(rand.NewPCG(cfg.Seed, 0xda7a))
	seqs := make([]task.Sequence, cfg.Batch)
	T, I := tk.Len(), tk.InputSize()
	x := make([]float32, cfg.Batch*I)
	classes := make([]int32, cfg.Batch)
	evalSeqs := make([]task.Sequence, cfg.Evals)
	erng := rand.New(rand.NewPCG(0xe7a1, 0x5eed))
	for i := range evalSeqs {
		tk.Fill(&evalSeqs[i], erng)
	}
	start := time.Now()
	var trainLoss float64
	var trainSteps int
	perfect := 0
	evaluate := func(u int) {
		loss, acc, recall := evalCopy(m, tk, evalSeqs)
		p := point{Update: u, Seconds: num(time.Since(start).Seconds()), Loss: num(loss), Acc: num(acc), Recall: num(recall), Train: num(math.NaN())}
		if trainSteps > 0 {
			p.Train = num(trainLoss / float64(trainSteps))
		}
		trainLoss, trainSteps = 0, 0
		r.Curve = append(r.Curve, p)
		if recall >= 0.995 {
			perfect++
		} else {
			perfect = 0
		}
		fmt.Fprintf(os.Stderr, "seed %d %s n=%d: update %d (%.0fs) train %.4f eval %.4f acc %.4f recall %.4f\n",
			cfg.Seed, name, m.HiddenSize(), u, p.Seconds, p.Train, loss, acc, recall)
	}
	evaluate(0)
	for u := 1; u <= cfg.Updates && time.Since(start) < cfg.Budget && perfect < cfg.StopAfterPerfect; u++ {
		for j := range seqs {
			tk.Fill(&seqs[j], rng)
		}
		if err := alg.Reset(nil); err != nil {
			return r, err
		}
		for t := range T {
			for j := range seqs {
				copy(x[j*I:(j+1)*I], seqs[j].Input(t))
				classes[j] = seqs[j].Classes[t]
			}
			l, err := alg.Step(x, cell.Classes(classes...))
			if err != nil {
				return r, err
			}
			trainLoss += float64(l) / float64(cfg.Batch)
			trainSteps++
		}
		if err := alg.Finish(); err != nil {
			return r, err
		}
		alg.GradCell() // maps ∂L/∂W to A for the orthogonal cell, into grads' slices
		if _, err := train.ClipGlobalNorm(all, 1); err != nil {
			return r, fmt.Errorf("update %d: %w", u, err)
		}
		if err := opt.Step(params, grads); err != nil {
			return r, err
		}
		if orthP != nil {
			if err := optA.Step(orthP, orthG); err != nil {
				return r, err
			}
		}
		if err := m.ParamsChanged(); err != nil {
			return r, err
		}
		alg.ZeroGrad()
		if u%cfg.EvalEvery == 0 {
			evaluate(u)
		}
	}
	r.Seconds = time.Since(start).Seconds()
	if r.After, err = measure(m, data, cfg.MaxLag); err != nil {
		return r, err
	}
	return r, nil
}

// evalCopy returns the mean cross-entropy per step, the accuracy over every step and the
// accuracy over the recall steps (the last Symbols of each sequence).
func evalCopy(m *cell.Model, tk task.Copy, seqs []task.Sequence) (loss, acc, recall float64) {
	k := m.NewStepCache()
	s := make([]float32, m.StateSize())
	y, d := make([]float32, m.OutSize()), make([]float32, m.OutSize())
	var steps, correct, rsteps, rcorrect int
	for i := range seqs {
		seq := &seqs[i]
		clear(s)
		for t := range seq.T {
			m.Forward(k, s, s, seq.Input(t))
			m.Head.Forward(y, m.TopHidden(s))
			l, _ := seq.Target(t).Loss(d, y)
			loss += float64(l)
			best := 0
			for o, v := range y {
				if v > y[best] {
					best = o
				}
			}
			ok := int32(best) == seq.Classes[t]
			steps++
			if ok {
				correct++
			}
			if t >= seq.T-tk.Symbols {
				rsteps++
				if ok {
					rcorrect++
				}
			}
		}
	}
	return loss / float64(steps), float64(correct) / float64(steps), float64(rcorrect) / float64(rsteps)
}

// writeReport reads every seed's file and prints the tables; with svgDir it writes the
// plots there.
func writeReport(dir, svgDir string, w io.Writer) error {
	files, err := filepath.Glob(filepath.Join(dir, "seed-*.json"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no seed-*.json in %s", dir)
	}
	sort.Strings(files)
	var results []result
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var r result
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		results = append(results, r)
	}
	c := results[0].Config
	fmt.Fprintf(w, "Copy task, delay %d (T = %d), batch %d, Adam lr %g (A: %g), clip 1; %d seeds: %s; evaluation on %d fixed sequences.\n\n",
		c.Delay, c.Delay+20, c.Batch, c.LR, c.LROrth, len(results), seedList(results), c.Evals)
	fmt.Fprintln(w, "| seed | model | n | params | updates | time (s) | final loss | final accuracy | final recall | first update at ≥ 99% accuracy | first at ≥ 99% recall | β before | β after | spectral radius before → after | K(0.1) before → after |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
	type agg struct{ loss, acc, recall, to99, rec99, betaB, betaA, rhoB, rhoA []float64 }
	by := map[string]*agg{}
	var order []string
	for _, res := range results {
		for _, r := range res.Runs {
			last := r.Curve[len(r.Curve)-1]
			to99, rec99 := math.NaN(), math.NaN()
			for _, p := range r.Curve {
				if float64(p.Acc) >= 0.99 && math.IsNaN(to99) {
					to99 = float64(p.Update)
				}
				if float64(p.Recall) >= 0.99 && math.IsNaN(rec99) {
					rec99 = float64(p.Update)
				}
			}
			fmt.Fprintf(w, "| %d | %s | %d | %d | %d | %.0f | %.4g | %.2f%% | %.2f%% | %s | %s | %.5g | %.5g | %.7f → %.7f | %s → %s |\n",
				res.Config.Seed, r.Model, r.Hidden, r.Params, last.Update, r.Seconds, last.Loss, 100*last.Acc, 100*last.Recall,
				orDash(to99), orDash(rec99), r.Before.Beta, r.After.Beta, r.Before.SpectralRadius, r.After.SpectralRadius, kText(r.Before.K), kText(r.After.K))
			a := by[r.Model]
			if a == nil {
				a = &agg{}
				by[r.Model] = a
				order = append(order, r.Model)
			}
			a.loss, a.acc, a.recall = append(a.loss, float64(last.Loss)), append(a.acc, float64(last.Acc)), append(a.recall, float64(last.Recall))
			a.to99, a.rec99 = append(a.to99, to99), append(a.rec99, rec99)
			a.betaB, a.betaA = append(a.betaB, float64(r.Before.Beta)), append(a.betaA, float64(r.After.Beta))
			a.rhoB, a.rhoA = append(a.rhoB, float64(r.Before.SpectralRadius)), append(a.rhoA, float64(r.After.SpectralRadius))
		}
	}
	fmt.Fprintln(w, "\nMedians over the seeds:")
	fmt.Fprintln(w, "\n| model | final loss | final accuracy | final recall | updates to ≥ 99% accuracy | to ≥ 99% recall | β before training | β after | spectral radius before | after |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, name := range order {
		a := by[name]
		fmt.Fprintf(w, "| %s | %.4g | %.2f%% | %.2f%% | %s | %s | %.5g | %.5g | %.7f | %.7f |\n", name, median(a.loss), 100*median(a.acc), 100*median(a.recall),
			orDash(median(a.to99)), orDash(median(a.rec99)), median(a.betaB), median(a.betaA), median(a.rhoB), median(a.rhoA))
	}
	if svgDir == "" {
		return nil
	}
	var errCurves, lossCurves, phiCurves []bench.Curve
	for si, res := range results {
		for mi, r := range res.Runs {
			var x, errRate, loss []float64
			for _, p := range r.Curve {
				x, errRate, loss = append(x, float64(p.Update)), append(errRate, 1-float64(p.Acc)), append(loss, float64(p.Loss))
			}
			label := ""
			if si == 0 {
				label = fmt.Sprintf("%s (n = %d)", r.Model, r.Hidden)
			}
			errCurves = append(errCurves, bench.Curve{Label: label, X: x, Y: errRate, Style: mi})
			lossCurves = append(lossCurves, bench.Curve{Label: label, X: x, Y: loss, Style: mi})
			if si == 0 {
				for _, when := range []struct {
					d    decay
					name string
					st   int
				}{{r.Before, "before", 2 * mi}, {r.After, "after", 2*mi + 1}} {
					var k, phi []float64
					for lag, v := range when.d.Phi {
						k, phi = append(k, float64(lag)), append(phi, float64(v))
					}
					phiCurves = append(phiCurves, bench.Curve{Label: fmt.Sprintf("%s %s training (β = %.4g)", r.Model, when.name, float64(when.d.Beta)), X: k, Y: phi, Style: when.st})
				}
			}
		}
	}
	base := task.Copy{Delay: c.Delay, Symbols: 10}.Baseline()
	x1 := 0.0
	for _, cv := range errCurves {
		x1 = max(x1, cv.X[len(cv.X)-1])
	}
	errCurves = append(errCurves, bench.Curve{Label: fmt.Sprintf("chance (accuracy %.1f%%)", 100*base.Accuracy), X: []float64{0, x1}, Y: []float64{1 - base.Accuracy, 1 - base.Accuracy}, Style: 6})
	lossCurves = append(lossCurves, bench.Curve{Label: "input-blind baseline", X: []float64{0, x1}, Y: []float64{base.Loss, base.Loss}, Style: 6})
	plots := []struct {
		file string
		o    bench.CurveOptions
		cs   []bench.Curve
	}{
		{"orthogonal-copy-error.svg", bench.CurveOptions{Title: fmt.Sprintf("copy task, delay %d: error rate (1 − accuracy, every step), %d seeds", c.Delay, len(results)),
			XLabel: "updates (batches of " + fmt.Sprint(c.Batch) + ")", YLabel: "1 − evaluation accuracy", LogY: true, LegendBottom: true}, errCurves},
		{"orthogonal-copy-loss.svg", bench.CurveOptions{Title: fmt.Sprintf("copy task, delay %d: cross-entropy per step, %d seeds", c.Delay, len(results)),
			XLabel: "updates (batches of " + fmt.Sprint(c.Batch) + ")", YLabel: "evaluation loss", LogY: true, LegendBottom: true}, lossCurves},
		{"orthogonal-decay.svg", bench.CurveOptions{Title: fmt.Sprintf("credit decay on copy-task data (seed %d): φ_k = mean_t ‖∂L_t/∂s_(t−k)‖", results[0].Config.Seed),
			XLabel: "lag k", YLabel: "φ_k", LogY: true, LegendBottom: true, LegendLeft: true}, phiCurves},
	}
	for _, p := range plots {
		var buf bytes.Buffer
		if err := bench.PlotCurves(&buf, p.o, p.cs); err != nil {
			return err
		}
		name := strings.Replace(p.file, "orthogonal-", fmt.Sprintf("orthogonal-d%d-", c.Delay), 1)
		if err := bench.WriteFileAtomic(filepath.Join(svgDir, name), func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
			return err
		}
	}
	return nil
}

func seedList(rs []result) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmt.Sprint(r.Config.Seed))
	}
	return strings.Join(s, ", ")
}

func kText(k int) string {
	if k == diagnose.NoWindow {
		return "none"
	}
	return fmt.Sprint(k)
}

func orDash(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprint(int(v))
}

// median of the values; NaN counts as larger than any number (a run that never got
// there), so the median is NaN when most are.
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.SortFunc(s, func(a, b float64) int {
		switch {
		case math.IsNaN(a) && math.IsNaN(b):
			return 0
		case math.IsNaN(a):
			return 1
		case math.IsNaN(b):
			return -1
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	return s[len(s)/2]
}
