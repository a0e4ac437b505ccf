package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/internal/fsx"
)

// WriteTable prints results as an aligned text table.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "algo\tcell\tn\tT\tµs/step\tbytes\tallocs/step\tGFLOP/s\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f\t%s\t%.2g\t%.2f\t\n",
			r.Label(), r.Cell, r.Hidden, r.T, r.NsPerStep/1e3, HumanBytes(r.Bytes), r.AllocsPerStep, r.GFLOPS)
	}
	return tw.Flush()
}

// HumanBytes formats a byte count with a binary unit.
func HumanBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

var csvHeader = []string{"cell", "hidden", "input", "T", "algo", "ns_per_step", "bytes", "allocs_per_step", "gflops", "batch", "layers"}

// WriteCSV writes results with a header row; the columns are Result's JSON names, with
// the algo column holding Result.Label (a sparse case's density in parentheses) and no
// density column.
func WriteCSV(w io.Writer, results []Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, r := range results {
		row := []string{r.Cell, strconv.Itoa(r.Hidden), strconv.Itoa(r.Input), strconv.Itoa(r.T), r.Label(),
			f(r.NsPerStep), strconv.FormatInt(r.Bytes, 10), f(r.AllocsPerStep), f(r.GFLOPS), strconv.Itoa(max(1, r.Batch)), strconv.Itoa(max(1, r.Layers))}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSONLines writes one JSON object per result per line.
func WriteJSONLines(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	for _, r := range results {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// Scaling is one algorithm's fitted cost exponent in n on one cell at one T, with the
// fit's quality and the exponent the algorithm's cost model predicts.
type Scaling struct {
	Algo     string  `json:"algo"`     // the algorithm's specification (Result.Label)
	Cell     string  `json:"cell"`     // the cell kind
	T        int     `json:"T"`        // the sequence length
	Exponent float64 `json:"exponent"` // the fitted exponent of n in the time per step
	Points   int     `json:"points"`   // the hidden sizes fitted
	// R2 is the fit's coefficient of determination on log-log axes (1 for two points,
	// which says nothing about the fit).
	R2 float64 `json:"r2"`
	// CI95 is the half-width of the exponent's 95% confidence interval; nil (and
	// omitted) for two points, which leave no residual to estimate it from.
	CI95 *float64 `json:"ci95,omitempty"`
	// Expected is the exponent of n in the algorithm's stated time per step (see
	// ExpectedExponent), the slope the fit approaches for large n; 0 (and omitted) when
	// the registry's cost does not give one.
	Expected float64 `json:"expected,omitempty"`
}

// ExpectedExponent reads the exponent of n from a cost in O-notation, as the algorithm
// registry states them ("O(P)", "O(S²·P) ≈ n⁴", "O(P + S²)", "O(P·K2/K1)"): P, the
// parameter count G·n·(n+I+1), grows as n²; S, the state size, and n as n; the sequence
// length, the input and output sizes and the algorithms' own parameters (K, K1, K2, W)
// do not grow with n. A product adds its factors' exponents, a quotient subtracts them,
// a sum takes the largest, and an explicit "≈ nᵏ" is taken as stated. ok is false when
// the cost names something else.
func ExpectedExponent(cost string) (exponent float64, ok bool) {
	if i := strings.Index(cost, "≈ n"); i >= 0 {
		if e, ok := superscript(cost[i+len("≈ n"):]); ok {
			return float64(e), true
		}
	}
	open := strings.Index(cost, "O(")
	if open < 0 {
		return 0, false
	}
	inner := cost[open+2:]
	depth, end := 1, -1
	for i, r := range inner {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth == 0 {
			end = i
			break
		}
	}
	if end < 0 {
		return 0, false
	}
	best := math.Inf(-1)
	for _, term := range strings.Split(inner[:end], "+") {
		e, ok := termExponent(term)
		if !ok {
			return 0, false
		}
		best = max(best, e)
	}
	if math.IsInf(best, -1) {
		return 0, false
	}
	return best, true
}

// termExponent is the exponent of n in one product such as "S²·P" or "P·K2/K1": the
// factors after a "/" are divided by.
func termExponent(term string) (float64, bool) {
	var e float64
	sign := 1.0
	rest := strings.TrimSpace(term)
	for rest != "" {
		if r, size := utf8.DecodeRuneInString(rest); r == '·' || r == '*' || r == '/' {
			sign = 1
			if r == '/' {
				sign = -1
			}
			rest = strings.TrimSpace(rest[size:])
			continue
		}
		j := strings.IndexFunc(rest, func(r rune) bool { return r == '·' || r == '*' || r == '/' || r == ' ' })
		if j < 0 {
			j = len(rest)
		}
		factor := rest[:j]
		rest = strings.TrimSpace(rest[j:])
		sym, pow := factor, 1
		if k := strings.IndexFunc(factor, isSuperscript); k >= 0 {
			p, ok := superscript(factor[k:])
			if !ok {
				return 0, false
			}
			sym, pow = factor[:k], p
		}
		var base float64
		switch sym {
		case "P":
			base = 2
		case "S", "n", "H":
			base = 1
		case "T", "I", "O", "G", "K", "K1", "K2", "W", "1":
			base = 0
		default:
			return 0, false
		}
		e += sign * base * float64(pow)
	}
	return e, true
}

const superscripts = "⁰¹²³⁴⁵⁶⁷⁸⁹"

func isSuperscript(r rune) bool { return strings.ContainsRune(superscripts, r) }

// superscript reads the superscript digits at the start of s ("⁴" is 4).
func superscript(s string) (int, bool) {
	n, digits := 0, 0
	for _, r := range s {
		i := strings.IndexRune(superscripts, r)
		if i < 0 {
			break
		}
		n = 10*n + utf8.RuneCountInString(superscripts[:i])
		digits++
	}
	return n, digits > 0
}

// expectedFor is ExpectedExponent of a specification's registered time per step (for a
// sparse case's label, "snap2 (density 0.1)", its specification's).
func expectedFor(spec string) (float64, bool) {
	spec, _, _ = strings.Cut(spec, " (density ")
	s, err := algo.Parse(spec)
	if err != nil {
		return 0, false
	}
	return ExpectedExponent(s.Info().Time)
}

// WriteExponentTable prints the fitted exponents beside the expected ones, with each
// fit's quality, and flags the fits that have only two points.
func WriteExponentTable(w io.Writer, exps []Scaling) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "algo\tcell\tT\tfitted\texpected\tR²\t95% CI\tpoints\t")
	twoPoints := false
	for _, e := range exps {
		expected, ci, note := "?", "-", ""
		if e.Expected != 0 {
			expected = strconv.FormatFloat(e.Expected, 'f', 0, 64)
		}
		if e.CI95 != nil {
			ci = fmt.Sprintf("±%.2f", *e.CI95)
		}
		if e.Points == 2 {
			note, twoPoints = " (2!)", true
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%s\t%.3f\t%s\t%d%s\t\n", e.Algo, e.Cell, e.T, e.Exponent, expected, e.R2, ci, e.Points, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "expected: the exponent of n in the algorithm's stated time per step (P ≈ G·n² parameters, S ∝ n state);")
	fmt.Fprintln(w, "  a fit approaches it only once n is large enough for the lower-order terms (input, readout, gates) to fade.")
	if twoPoints {
		fmt.Fprintln(w, "warning: fits marked (2!) have two hidden sizes only: a line through two points has R² = 1 and no")
		fmt.Fprintln(w, "  confidence interval, so nothing says the cost follows a power law; sweep three or more with -hidden.")
	}
	return nil
}

// WriteExponentCSV writes the fits with a header row; the columns are Scaling's JSON
// names (ci95 and expected empty when undefined).
func WriteExponentCSV(w io.Writer, exps []Scaling) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"algo", "cell", "T", "exponent", "points", "r2", "ci95", "expected"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	opt := func(v float64) string {
		if v == 0 {
			return ""
		}
		return f(v)
	}
	for _, e := range exps {
		ci := ""
		if e.CI95 != nil {
			ci = f(*e.CI95)
		}
		cw.Write([]string{e.Algo, e.Cell, strconv.Itoa(e.T), f(e.Exponent), strconv.Itoa(e.Points), f(e.R2), ci, opt(e.Expected)})
	}
	cw.Flush()
	return cw.Error()
}

// LossPoint is one point of a training run's loss against wall-clock time.
type LossPoint struct {
	Seconds   float64 `json:"seconds"`   // wall-clock time since the run started
	Loss      float64 `json:"loss"`      // the mean training loss of the sequences it stands for
	Sequences int     `json:"sequences"` // training sequences done by then
}

// TrainingRun is one algorithm's run in a training race: every algorithm trains the same
// model on the same task for the same wall-clock budget. The JSON and CSV field names are
// read by other tools.
type TrainingRun struct {
	Algo      string  `json:"algo"`       // the algorithm's specification
	Cell      string  `json:"cell"`       // the cell kind
	Hidden    int     `json:"hidden"`     // hidden units n
	Task      string  `json:"task"`       // the task's name
	T         int     `json:"T"`          // sequence length
	Sequences int     `json:"sequences"`  // training sequences done in the budget
	Seconds   float64 `json:"seconds"`    // wall-clock time taken
	FinalLoss float64 `json:"final_loss"` // evaluation loss at the end
	// Baseline is the loss a model that learnt nothing useful reaches (for the adding
	// problem, predicting the mean: 1/12).
	Baseline float64 `json:"baseline"`
	Bytes    int64   `json:"bytes"` // what the algorithm holds (Algorithm.Bytes)
	// Curve is the training loss against wall-clock time (see LossCurve).
	Curve []LossPoint `json:"curve"`
}

// BeatsBaseline reports whether the run ended below its baseline loss.
func (r TrainingRun) BeatsBaseline() bool { return r.FinalLoss < r.Baseline }

// LossCurve averages per-sequence training losses into buckets of equal wall-clock time
// over [0, span] seconds: each point is the mean loss of the sequences that ended in its
// bucket, at the bucket's end (empty buckets are left out), and the sequences done by
// then. samples are (end time, loss, sequences done) of every training sequence.
func LossCurve(samples []LossPoint, buckets int, span float64) []LossPoint {
	if buckets < 1 || !(span > 0) {
		return nil
	}
	sum := make([]float64, buckets)
	count := make([]int, buckets)
	done := make([]int, buckets)
	for _, s := range samples {
		if math.IsNaN(s.Loss) || math.IsInf(s.Loss, 0) {
			continue
		}
		b := min(max(int(s.Seconds/span*float64(buckets)), 0), buckets-1)
		sum[b] += s.Loss
		count[b]++
		done[b] = max(done[b], s.Sequences)
	}
	var out []LossPoint
	for b := range buckets {
		if count[b] > 0 {
			out = append(out, LossPoint{Seconds: span * float64(b+1) / float64(buckets), Loss: sum[b] / float64(count[b]), Sequences: done[b]})
		}
	}
	return out
}

var trainingHeader = []string{"algo", "cell", "hidden", "task", "T", "sequences", "seconds", "final_loss", "baseline", "beats_baseline", "bytes"}

// WriteTrainingCSV writes one row per training run with a header row: the columns are
// TrainingRun's JSON names (without the curve) and beats_baseline (true or false).
func WriteTrainingCSV(w io.Writer, runs []TrainingRun) error {
	cw := csv.NewWriter(w)
	cw.Write(trainingHeader)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, r := range runs {
		cw.Write([]string{r.Algo, r.Cell, strconv.Itoa(r.Hidden), r.Task, strconv.Itoa(r.T), strconv.Itoa(r.Sequences),
			f(r.Seconds), f(r.FinalLoss), f(r.Baseline), strconv.FormatBool(r.BeatsBaseline()), strconv.FormatInt(r.Bytes, 10)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteTrainingCurveCSV writes every run's loss curve, one point per row: algo, seconds,
// loss, sequences.
func WriteTrainingCurveCSV(w io.Writer, runs []TrainingRun) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"algo", "seconds", "loss", "sequences"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, r := range runs {
		for _, p := range r.Curve {
			cw.Write([]string{r.Algo, f(p.Seconds), f(p.Loss), strconv.Itoa(p.Sequences)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// Series groups results by (algo, cell, T), each sorted by hidden size; a sparse case's
// algo is its Label, so the same algorithm on a sparse and a dense network makes two
// series.
func Series(results []Result) map[[3]string][]Result {
	m := map[[3]string][]Result{}
	for _, r := range results {
		k := [3]string{r.Label(), r.Cell, strconv.Itoa(r.T)}
		m[k] = append(m[k], r)
	}
	for _, rs := range m {
		slices.SortFunc(rs, func(a, b Result) int { return a.Hidden - b.Hidden })
	}
	return m
}

// Exponents fits the time-per-step exponent in n of every (algo, cell, T) series with at
// least two hidden sizes, with the fit's quality and the expected exponent, sorted by
// algorithm then cell.
func Exponents(results []Result) []Scaling {
	var out []Scaling
	for k, rs := range Series(results) {
		var x, y []float64
		for _, r := range rs {
			x = append(x, float64(r.Hidden))
			y = append(y, r.NsPerStep)
		}
		fit, err := FitExponent(x, y)
		if err != nil {
			continue
		}
		T, _ := strconv.Atoi(k[2])
		sc := Scaling{Algo: k[0], Cell: k[1], T: T, Exponent: fit.Exponent, Points: fit.Points, R2: fit.R2}
		if !math.IsNaN(fit.CI95) {
			sc.CI95 = &fit.CI95
		}
		if e, ok := expectedFor(k[0]); ok {
			sc.Expected = e
		}
		out = append(out, sc)
	}
	slices.SortFunc(out, func(a, b Scaling) int {
		if a.Algo != b.Algo {
			return cmpString(a.Algo, b.Algo)
		}
		if a.Cell != b.Cell {
			return cmpString(a.Cell, b.Cell)
		}
		return a.T - b.T
	})
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// WriteFileAtomic writes path through a temporary file in its directory, with permissions
// 0644 whatever the umask, so a reader never sees a half-written report and a failure
// leaves an existing file as it was. A symbolic link is written through (its target is
// replaced); a target that exists and is not a regular file (a directory, /dev/null) is
// refused.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	return fsx.WriteAtomic(path, 0o644, write)
}
