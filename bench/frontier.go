package bench

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/memlimit"
	"github.com/chronograd/chronograd/task"
)

// FrontierConfig is one cost–accuracy frontier: every online algorithm of the registry
// (and truncated BPTT at several windows) on one model and one stream of sequences.
type FrontierConfig struct {
	// Cell is the model's cell kind; the task sets its input and output sizes.
	Cell cell.Kind
	// Hidden is the model's hidden units n.
	Hidden int
	// Task draws the stream's sequences; every algorithm sees the same ones.
	Task task.Task
	// Warmup sequences run through each algorithm before any is measured (a synthetic
	// gradient learns, caches fill); Sequences are then measured (defaults 20 and 20).
	Warmup, Sequences int
	// Init initialises the cell's weights (nil: cell.InitDefault, PyTorch's uniform); the
	// readout takes PyTorch's default.
	Init func(cell.Cell, *rand.Rand)
	// Seed seeds the weights, the stream and the randomised algorithms.
	Seed uint64
	// MaxFLOP skips an algorithm whose FLOP model per step exceeds it (0: no limit).
	MaxFLOP float64
	// MemLimit skips an algorithm whose memory model exceeds it, as algo.Options.MemLimit
	// would refuse it (0: the default limit, half the memory available; negative: none).
	MemLimit int64
	// MinTime is the least time the measured sequences are timed for: they are run again
	// (their gradients not compared) until it is reached, and the fastest pass counts, the
	// one least disturbed by whatever else the machine runs (default 100ms).
	MinTime time.Duration
	// Progress, when set, is called with the name of each algorithm before it runs.
	Progress func(string)
}

// FrontierPoint is one algorithm at one setting on the frontier: its cost and how close
// its gradient is to the exact one. The JSON field names are read by other tools.
type FrontierPoint struct {
	Cell   string `json:"cell"`   // the cell kind
	Hidden int    `json:"hidden"` // hidden units n
	Algo   string `json:"algo"`   // the algorithm's specification
	// NsPerStep is the time per step over the measured sequences, in the fastest of the
	// passes over them: the stepping thread's CPU time on Linux (what the step costs, not
	// what other processes on the machine made it wait), wall-clock time elsewhere.
	NsPerStep float64 `json:"ns_per_step"`
	Bytes     int64   `json:"bytes"` // what the algorithm holds (Algorithm.Bytes)
	// Cosine is the mean over the measured sequences of the cosine similarity between the
	// sequence's cell gradient and the exact one.
	Cosine float64 `json:"cosine"`
	// RelNorm is the mean of ‖g̃‖/‖g‖: 1 for a gradient of the right size.
	RelNorm float64 `json:"rel_norm"`
	// RelErr is √(mean ‖g̃ − g‖²/‖g‖²), the relative root-mean-square error: for an
	// unbiased estimator, its standard deviation relative to the gradient.
	RelErr float64 `json:"rel_err"`
	Task   string  `json:"task"`  // the stream's task
	T      int     `json:"T"`     // steps per sequence
	Count  int     `json:"count"` // measured sequences
}

// FrontierReport is a frontier's points, the reference first (full BPTT, the exact
// gradient every other is compared with), and the algorithms it skipped, each with why.
type FrontierReport struct {
	// Points are the measured algorithms, the reference first.
	Points []FrontierPoint
	// Skipped says, one line each, which algorithms MaxFLOP or MemLimit left out, and
	// which had a gradient that was not finite.
	Skipped []string
}

// FrontierReference is the algorithm whose gradient, exact, every other one's is
// compared with on the frontier.
const FrontierReference = "bptt"

// Frontier measures the cost–accuracy frontier of cfg. Each sequence starts from the zero
// state; the gradient compared is the cell's (the readout's is exact for every
// algorithm). It returns an error for a bad configuration or a failed algorithm.
func Frontier(cfg FrontierConfig) (FrontierReport, error) {
	if cfg.Warmup < 0 || cfg.Sequences < 0 {
		return FrontierReport{}, fmt.Errorf("bench: frontier: %d warm-up and %d measured sequences", cfg.Warmup, cfg.Sequences)
	}
	if cfg.Warmup == 0 && cfg.Sequences == 0 {
		cfg.Warmup, cfg.Sequences = 20, 20
	}
	if cfg.Sequences == 0 {
		return FrontierReport{}, fmt.Errorf("bench: frontier: no sequence to measure")
	}
	if cfg.MinTime <= 0 {
		cfg.MinTime = 100 * time.Millisecond
	}
	if cfg.Task == nil {
		return FrontierReport{}, fmt.Errorf("bench: frontier: no task")
	}
	if !cfg.Cell.Valid() || cfg.Hidden < 1 {
		return FrontierReport{}, fmt.Errorf("bench: frontier: cell %v with %d hidden units", cfg.Cell, cfg.Hidden)
	}
	m, err := cell.NewModel(cell.Config{Kind: cfg.Cell, Hidden: cfg.Hidden, Input: cfg.Task.InputSize()}, cfg.Task.OutputSize())
	if err != nil {
		return FrontierReport{}, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x66726f6e74))
	if cfg.Init == nil {
		cfg.Init = cell.InitDefault
	}
	cfg.Init(m.Layers[0], rng)
	m.Head.InitDefault(rng)
	stream := make([]task.Sequence, cfg.Warmup+cfg.Sequences)
	for i := range stream {
		cfg.Task.Fill(&stream[i], rng)
	}
	T := stream[0].T
	dims := algo.DimsOfModel(m)
	opts := algo.Options{Steps: T, Seed: cfg.Seed, MemLimit: cfg.MemLimit}

	ref := algo.MustParse(FrontierReference)
	if cfg.Progress != nil {
		cfg.Progress(ref.String())
	}
	refPoint, exact, err := frontierRun(m, ref, opts, stream, cfg, nil)
	if err != nil {
		return FrontierReport{}, fmt.Errorf("bench: frontier: the reference %s on %v n=%d: %w", ref, cfg.Cell, cfg.Hidden, err)
	}
	rep := FrontierReport{Points: []FrontierPoint{refPoint}}
	for _, info := range algo.List() {
		if !info.Online {
			continue
		}
		for _, spec := range algo.FrontierSettings(info.Name, T) {
			if err := spec.Supports(dims); err != nil {
				continue // not defined for this cell: no point, and nothing to report
			}
			if f := spec.FLOPsPerStep(dims); cfg.MaxFLOP > 0 && f > cfg.MaxFLOP {
				rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s %v n=%d: %.2g GFLOP per step", spec, cfg.Cell, cfg.Hidden, f/1e9))
				continue
			}
			if b := spec.Bytes(dims, opts); memlimit.Check("it", b, cfg.MemLimit) != nil {
				rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s %v n=%d: would hold %s, over the memory limit", spec, cfg.Cell, cfg.Hidden, HumanBytes(b)))
				continue
			}
			if cfg.Progress != nil {
				cfg.Progress(spec.String())
			}
			pt, _, err := frontierRun(m, spec, opts, stream, cfg, exact)
			switch {
			case errors.Is(err, errNotFinite):
				rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s %v n=%d: %v", spec, cfg.Cell, cfg.Hidden, err))
				continue
			case err != nil:
				return FrontierReport{}, fmt.Errorf("bench: frontier: %s on %v n=%d: %w", spec, cfg.Cell, cfg.Hidden, err)
			}
			rep.Points = append(rep.Points, pt)
		}
	}
	return rep, nil
}

// errNotFinite marks an algorithm whose gradient held NaN or Inf on a measured sequence.
var errNotFinite = errors.New("its gradient is not finite")

// frontierRun runs one algorithm over the stream: the warm-up, the measured sequences
// (timed, each gradient compared with exact, or kept when exact is nil: the reference's
// own run), then more timed passes over the measured sequences until cfg.MinTime.
func frontierRun(m *cell.Model, spec algo.Spec, opts algo.Options, stream []task.Sequence, cfg FrontierConfig, exact [][]float32) (FrontierPoint, [][]float32, error) {
	a, err := spec.New(m, opts)
	if err != nil {
		return FrontierPoint{}, nil, err
	}
	defer a.Close()
	run := func(seq *task.Sequence) error {
		a.ZeroGrad()
		if err := a.Reset(nil); err != nil {
			return err
		}
		for t := range seq.T {
			if _, err := a.Step(seq.Input(t), seq.Target(t)); err != nil {
				return err
			}
		}
		return a.Finish()
	}
	// The time of a pass is the stepping thread's CPU time where the system gives it (Linux),
	// else wall-clock time.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	clock := func() time.Duration {
		if d, ok := threadCPUTime(); ok {
			return d
		}
		return time.Duration(time.Now().UnixNano())
	}
	for i := range cfg.Warmup {
		if err := run(&stream[i]); err != nil {
			return FrontierPoint{}, nil, err
		}
	}
	measured := stream[cfg.Warmup:]
	T := stream[0].T
	var keep [][]float32
	var cos, relNorm, sqErr float64
	compared := 0 // sequences whose exact gradient is not zero
	var elapsed time.Duration
	wall := time.Now()
	for i := range measured {
		start := clock()
		if err := run(&measured[i]); err != nil {
			return FrontierPoint{}, nil, err
		}
		elapsed += clock() - start
		g := a.GradCell()
		for _, x := range g {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return FrontierPoint{}, nil, fmt.Errorf("%w on measured sequence %d", errNotFinite, i)
			}
		}
		ref := g // the reference's own run compares with itself
		if exact == nil {
			keep = append(keep, slices.Clone(g))
		} else {
			ref = exact[i]
		}
		c, r, e, ok := compareGradients(g, ref)
		if ok {
			cos, relNorm, sqErr, compared = cos+c, relNorm+r, sqErr+e*e, compared+1
		}
	}
	passes := []float64{float64(elapsed.Nanoseconds()) / float64(len(measured)*T)}
	for time.Since(wall) < cfg.MinTime {
		start := clock()
		for i := range measured {
			if err := run(&measured[i]); err != nil {
				return FrontierPoint{}, nil, err
			}
		}
		passes = append(passes, float64((clock()-start).Nanoseconds())/float64(len(measured)*T))
	}
	if compared == 0 {
		return FrontierPoint{}, nil, fmt.Errorf("the exact gradient is zero on every measured sequence: nothing to compare with")
	}
	n := float64(compared)
	return FrontierPoint{
		Cell: cfg.Cell.String(), Hidden: cfg.Hidden, Algo: spec.String(),
		NsPerStep: slices.Min(passes), Bytes: a.Bytes(),
		Cosine: cos / n, RelNorm: relNorm / n, RelErr: math.Sqrt(sqErr / n),
		Task: cfg.Task.Name(), T: T, Count: compared,
	}, keep, nil
}

// compareGradients returns the cosine of the angle between g and the exact gradient,
// ‖g‖/‖exact‖ and ‖g − exact‖/‖exact‖, in float64; ok is false when the exact gradient
// is zero (there is no direction to compare with).
func compareGradients(g, exact []float32) (cos, relNorm, relErr float64, ok bool) {
	var gg, ee, ge, dd float64
	for i, x := range g {
		y := float64(exact[i])
		gx := float64(x)
		gg += gx * gx
		ee += y * y
		ge += gx * y
		dd += (gx - y) * (gx - y)
	}
	if ee == 0 {
		return 0, 0, 0, false
	}
	if gg > 0 {
		cos = ge / math.Sqrt(gg*ee)
	}
	return cos, math.Sqrt(gg / ee), math.Sqrt(dd / ee), true
}

// WriteFrontierTable prints frontier points as an aligned text table.
func WriteFrontierTable(w io.Writer, points []FrontierPoint) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "algo\tcell\tn\tµs/step\tbytes\tcosine\t‖g̃‖/‖g‖\trel. RMS error\t")
	for _, p := range points {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%s\t%.3f\t%.3f\t%.3g\t\n",
			p.Algo, p.Cell, p.Hidden, p.NsPerStep/1e3, HumanBytes(p.Bytes), p.Cosine, p.RelNorm, p.RelErr)
	}
	return tw.Flush()
}

var frontierHeader = []string{"cell", "hidden", "algo", "ns_per_step", "bytes", "cosine", "rel_norm", "rel_err", "task", "T", "count"}

// WriteFrontierCSV writes frontier points with a header row; the columns are
// FrontierPoint's JSON names.
func WriteFrontierCSV(w io.Writer, points []FrontierPoint) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(frontierHeader); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, p := range points {
		row := []string{p.Cell, strconv.Itoa(p.Hidden), p.Algo, f(p.NsPerStep), strconv.FormatInt(p.Bytes, 10),
			f(p.Cosine), f(p.RelNorm), f(p.RelErr), p.Task, strconv.Itoa(p.T), strconv.Itoa(p.Count)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteFrontierJSONLines writes one JSON object per frontier point per line.
func WriteFrontierJSONLines(w io.Writer, points []FrontierPoint) error {
	enc := json.NewEncoder(w)
	for _, p := range points {
		if err := enc.Encode(p); err != nil {
			return err
		}
	}
	return nil
}
