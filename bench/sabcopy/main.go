// Command sabcopy measures the attention answer of issue 16 on the copy task: it trains a
// model (optionally with the attention component) with one registry algorithm on the copy
// task (Symbols symbols, a delay, a delimiter, then the recall; optionally a delay drawn
// afresh for every sequence), evaluates the recall accuracy (the fraction of the Symbols
// recalled symbols predicted right; chance is 1/8) on fixed sequences every so often,
// and appends one CSV row per evaluation: the learning curve, with the time per training
// step and the bytes the algorithm holds.
//
//	go run ./bench/sabcopy -algo sab:10 -attention 2,5 -delay 200 -seed 1 -out curves.csv
//
// With -plot it instead reads such CSV files and draws the recall accuracy against the
// training sequences as an SVG, the median over seeds of every (algorithm, model, task)
// as a line and each seed as a thin one.
//
//	go run ./bench/sabcopy -plot curves.csv -svg copy200.svg -title "copy, delay 200"
//
// With -summary it prints a Markdown table of such files instead: per (algorithm, model,
// task), the median over seeds of the final and the best recall accuracy (each seed's in
// brackets), the sequences each seed needed to first reach 50% and 95%, the bytes held
// and the mean time per training step.
//
// scripts/sab-copy.sh runs the measurements of bench/RESULTS.md.
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/train"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sabcopy:", err)
		os.Exit(1)
	}
}

type config struct {
	algo                     string
	attention                string
	kind                     cell.Kind
	hidden                   int
	delay, minDelay, symbols int
	sequences, batch         int
	lr, clip                 float64
	evalEvery, evalSeqs      int
	seed                     uint64
	out                      string
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sabcopy", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.algo, "algo", "sab:10", "algorithm specification (the registry's)")
	fs.StringVar(&c.attention, "attention", "", "attention component K_ATT,K_TOP[,M] (none if empty)")
	cellName := fs.String("cell", "lstm", "cell kind")
	fs.IntVar(&c.hidden, "hidden", 64, "hidden units")
	fs.IntVar(&c.delay, "delay", 200, "delay between the symbols and the recall (the largest, with -min-delay)")
	fs.IntVar(&c.minDelay, "min-delay", 0, "if positive, every sequence's delay is drawn uniformly from [min-delay, delay]")
	fs.IntVar(&c.symbols, "symbols", 10, "symbols to recall")
	fs.IntVar(&c.sequences, "sequences", 2000, "training sequences")
	fs.IntVar(&c.batch, "batch", 1, "sequences whose gradients are summed per update")
	fs.Float64Var(&c.lr, "lr", 1e-3, "Adam's learning rate")
	fs.Float64Var(&c.clip, "clip", 1, "global gradient-norm clip")
	fs.IntVar(&c.evalEvery, "eval-every", 250, "evaluate every so many training sequences")
	fs.IntVar(&c.evalSeqs, "eval", 100, "evaluation sequences")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the weights and the training data")
	fs.StringVar(&c.out, "out", "", "CSV file to append the curve to (stdout if empty)")
	plotIn := fs.String("plot", "", "comma-separated CSV files to plot instead of training")
	summary := fs.String("summary", "", "comma-separated CSV files to summarise as a Markdown table instead of training")
	svgOut := fs.String("svg", "", "SVG file the plot is written to")
	title := fs.String("title", "copy task", "plot title")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *summary != "" {
		return summarise(strings.Split(*summary, ","), stdout)
	}
	if *plotIn != "" {
		if *svgOut == "" {
			return errors.New("-plot needs -svg")
		}
		return plotCurves(strings.Split(*plotIn, ","), *svgOut, *title)
	}
	kind, err := cell.ParseKind(*cellName)
	if err != nil {
		return err
	}
	c.kind = kind
	switch {
	case c.hidden < 1 || c.delay < 1 || c.symbols < 1 || c.sequences < 1 || c.batch < 1 || c.evalEvery < 1 || c.evalSeqs < 1:
		return errors.New("sizes and counts must be at least 1")
	case c.minDelay > c.delay:
		return fmt.Errorf("-min-delay %d exceeds -delay %d", c.minDelay, c.delay)
	}
	w := stdout
	if c.out != "" {
		f, err := os.OpenFile(c.out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, _ := f.Stat(); st.Size() == 0 {
			fmt.Fprintln(f, header)
		}
		w = f
	} else {
		fmt.Fprintln(w, header)
	}
	return trainCurve(c, w)
}

const header = "algo,model,task,seed,sequences,updates,train_seconds,steps,us_per_step,bytes,recall_acc,eval_loss"

// attentionName names an attention configuration without commas (a CSV field).
func attentionName(c cell.AttentionConfig) string {
	f := strings.Split(c.String(), ",")
	return fmt.Sprintf("k_att=%s k_top=%s M=%s", f[0], f[1], f[2])
}

// copySeq is one copy-task sequence: one-hot inputs and the class of every step.
type copySeq struct {
	T       int
	inputs  []float32 // T×10
	classes []int32   // T
}

const (
	classes   = 10
	delimiter = 9
)

// fill draws a sequence: symbols from 1..8, delay blanks with the delimiter in the last
// of them, then the recall (blank inputs, the symbols as targets); blank targets before.
func (s *copySeq) fill(rng *rand.Rand, symbols, minDelay, delay int) {
	d := delay
	if minDelay > 0 {
		d = minDelay + rng.IntN(delay-minDelay+1)
	}
	T := symbols + d + symbols
	s.T = T
	if cap(s.inputs) < T*classes {
		s.inputs, s.classes = make([]float32, T*classes), make([]int32, T)
	}
	s.inputs, s.classes = s.inputs[:T*classes], s.classes[:T]
	clear(s.inputs)
	clear(s.classes)
	for t := range symbols {
		v := 1 + rng.IntN(8)
		s.inputs[t*classes+v] = 1
		s.classes[symbols+d+t] = int32(v)
	}
	for t := symbols; t < T; t++ {
		if t == symbols+d-1 {
			s.inputs[t*classes+delimiter] = 1
		} else if t < symbols+d-1 || t >= symbols+d {
			s.inputs[t*classes] = 1
		}
	}
}

func (s *copySeq) input(t int) []float32 { return s.inputs[t*classes : (t+1)*classes] }

func trainCurve(c config, w io.Writer) error {
	spec, err := algo.Parse(c.algo)
	if err != nil {
		return err
	}
	m, err := cell.NewModel(cell.Config{Kind: c.kind, Hidden: c.hidden, Input: classes}, classes)
	if err != nil {
		return err
	}
	modelName := "none"
	if c.attention != "" {
		cfg, err := cell.ParseAttention(c.attention)
		if err != nil {
			return err
		}
		if err := m.AddAttention(cfg); err != nil {
			return err
		}
		modelName = attentionName(cfg)
	}
	m.Init(rand.New(rand.NewPCG(c.seed, 0x696e6974)), cell.InitDefault)
	alg, err := spec.New(m, algo.Options{Steps: 2*c.symbols + c.delay, Seed: c.seed})
	if err != nil {
		return err
	}
	defer alg.Close()
	taskName := fmt.Sprintf("copy-%d", c.delay)
	if c.minDelay > 0 {
		taskName = fmt.Sprintf("copy-%d..%d", c.minDelay, c.delay)
	}

	// Fixed evaluation sequences.
	evalRng := rand.New(rand.NewPCG(0xe7a1, 0x5eed))
	evals := make([]copySeq, c.evalSeqs)
	for i := range evals {
		evals[i].fill(evalRng, c.symbols, c.minDelay, c.delay)
	}
	runner := m.NewRunner()
	yhat, dy := make([]float32, classes), make([]float32, classes)
	evaluate := func() (acc, loss float64) {
		var right, recalled, steps int
		for i := range evals {
			s := &evals[i]
			runner.Reset(nil)
			for t := range s.T {
				h := m.TopHidden(runner.Step(s.input(t)))
				m.Head.Forward(yhat, h)
				l, _ := cell.Classes(s.classes[t:t+1]...).Loss(dy, yhat)
				loss += float64(l)
				steps++
				if t >= s.T-c.symbols {
					recalled++
					if int32(slices.Index(yhat, slices.Max(yhat))) == s.classes[t] {
						right++
					}
				}
			}
		}
		return float64(right) / float64(recalled), loss / float64(steps)
	}

	opt := &train.Adam{LR: float32(c.lr)}
	params := m.ParamGroups()
	grads := m.GradGroups(alg.GradCell(), alg.GradHead())
	rng := rand.New(rand.NewPCG(c.seed, 0x747261696e))
	var seq copySeq
	var trainTime time.Duration
	steps, updates := 0, 0
	emit := func(done int) {
		acc, loss := evaluate()
		us := 0.0
		if steps > 0 {
			us = float64(trainTime.Microseconds()) / float64(steps)
		}
		cw := csv.NewWriter(w)
		cw.Write([]string{c.algo, modelName, taskName, strconv.FormatUint(c.seed, 10), strconv.Itoa(done), strconv.Itoa(updates),
			fmt.Sprintf("%.2f", trainTime.Seconds()), strconv.Itoa(steps), fmt.Sprintf("%.2f", us),
			strconv.FormatInt(alg.Bytes(), 10), fmt.Sprintf("%.4f", acc), fmt.Sprintf("%.5f", loss)})
		cw.Flush()
	}
	emit(0)
	alg.ZeroGrad()
	for n := 1; n <= c.sequences; n++ {
		seq.fill(rng, c.symbols, c.minDelay, c.delay)
		start := time.Now()
		if err := alg.Reset(nil); err != nil {
			return err
		}
		for t := range seq.T {
			l, err := alg.Step(seq.input(t), cell.Classes(seq.classes[t:t+1]...))
			if err != nil {
				return err
			}
			if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
				return fmt.Errorf("sequence %d step %d: the loss is %v (the largest parameters by group: %v)", n, t, l, largest(params))
			}
		}
		if err := alg.Finish(); err != nil {
			return err
		}
		steps += seq.T
		if n%c.batch == 0 {
			if _, err := train.ClipGlobalNorm(grads, c.clip); err != nil {
				return fmt.Errorf("sequence %d: %w (the largest parameters by group: %v; the largest gradients: %v)", n, err, largest(params), largest(grads))
			}
			if err := opt.Step(params, grads); err != nil {
				return err
			}
			alg.ZeroGrad()
			updates++
		}
		trainTime += time.Since(start)
		if n%c.evalEvery == 0 || n == c.sequences {
			emit(n)
		}
	}
	return nil
}

// curve is one run's evaluations.
type curve struct {
	label string
	seed  string
	x, y  []float64
}

func readCurves(paths []string) ([]curve, error) {
	byRun := map[string]*curve{}
	var order []string
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, r := range rows {
			if len(r) != 12 || r[0] == "algo" {
				continue
			}
			label := r[0] + " on " + modelLabel(r[1])
			key := label + "|" + r[2] + "|" + r[3]
			cv := byRun[key]
			if cv == nil {
				cv = &curve{label: label, seed: r[3]}
				byRun[key] = cv
				order = append(order, key)
			}
			x, _ := strconv.ParseFloat(r[4], 64)
			y, _ := strconv.ParseFloat(r[10], 64)
			cv.x, cv.y = append(cv.x, x), append(cv.y, 100*y)
		}
	}
	var out []curve
	for _, k := range order {
		out = append(out, *byRun[k])
	}
	return out, nil
}

func modelLabel(attention string) string {
	if attention == "none" {
		return "LSTM"
	}
	return "LSTM + attention " + attention
}

// median is the median of v (NaN for none).
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// largest is each vector's largest magnitude (NaN if it holds one).
func largest(groups [][]float32) []float32 {
	out := make([]float32, len(groups))
	for i, g := range groups {
		for _, v := range g {
			if v != v {
				out[i] = v
				break
			}
			out[i] = max(out[i], float32(math.Abs(float64(v))))
		}
	}
	return out
}
