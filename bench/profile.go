package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"gonum.org/v1/gonum/stat/distuv"
)

// Case is one measurement: an algorithm on a model of a given size over sequences of T
// steps.
type Case struct {
	// Algo is the algorithm: its name and FLOP model, and (without a Factory) its
	// constructor.
	Algo algo.Spec
	// Cell, Hidden, Input and Output are the model's cell kind and sizes.
	Cell                  cell.Kind
	Hidden, Input, Output int // hidden units n, input size I, readout outputs O
	// T is the sequence length.
	T int
	// Layers is the number of stacked layers (0 means 1).
	Layers int
	// Batch is the minibatch B stepped together (0 means 1), spread over Workers
	// goroutines (0 means 1).
	Batch, Workers int
	// Attention, unless zero, gives the model an attention component of this
	// configuration (for the algorithms that train only such models).
	Attention cell.AttentionConfig
	// Density, when in (0, 1), fixes a random mask on every layer's W_hh that keeps that
	// fraction of its entries (cell.Sparsify); 0 or 1 leaves W_hh dense.
	Density float64
}

// Factory builds the algorithm under test for a model, in place of the Case's algorithm
// specification (tests measure stand-ins this way).
type Factory func(m *cell.Model) (algo.Algorithm, error)

// Result is what one Case costs. The JSON field names are read by other tools.
type Result struct {
	Cell          string  `json:"cell"`            // the cell kind
	Hidden        int     `json:"hidden"`          // hidden units n
	Input         int     `json:"input"`           // input size I
	T             int     `json:"T"`               // sequence length
	Algo          string  `json:"algo"`            // the algorithm's specification
	NsPerStep     float64 `json:"ns_per_step"`     // median time per step, in ns
	Bytes         int64   `json:"bytes"`           // what the algorithm holds (Algorithm.Bytes)
	AllocsPerStep float64 `json:"allocs_per_step"` // heap allocations per step after warm-up
	GFLOPS        float64 `json:"gflops"`          // the FLOP model's FLOPs per ns
	// Batch is the minibatch: NsPerStep is the time of one step of all B sequences, and
	// GFLOPS counts the FLOPs of all of them.
	Batch int `json:"batch"`
	// Layers is the number of stacked layers.
	Layers int `json:"layers"`
	// Density is the case's Density, for a sparse case only (absent from the JSON of a
	// dense one); its mask keeps round(Density·n) entries of each row of W_hh.
	Density float64 `json:"density,omitempty"`
}

// Options control how long a measurement runs.
type Options struct {
	// Factory, when set, builds the algorithm instead of Case.Algo's constructor.
	Factory Factory
	// Repeats is the number of timed sequences; the median is reported (default 5).
	Repeats int
	// MinTime is the least time one repeat runs: short sequences are run several times
	// per repeat (default 20ms).
	MinTime time.Duration
	// Seed seeds the weights, the data and randomised algorithms.
	Seed uint64
	// MemLimit is the algorithm's memory limit (algo.Options.MemLimit: 0 is the default,
	// half of the memory available; negative is none).
	MemLimit int64
}

func (o Options) withDefaults() Options {
	if o.Repeats <= 0 {
		o.Repeats = 5
	}
	if o.MinTime <= 0 {
		o.MinTime = 20 * time.Millisecond
	}
	return o
}

// Label is the result's algorithm as tables show it: its specification, and for a sparse
// case the density ("snap2 (density 0.1)").
func (r Result) Label() string {
	if r.Density > 0 && r.Density < 1 {
		return fmt.Sprintf("%s (density %.3g)", r.Algo, r.Density)
	}
	return r.Algo
}

// Measure runs c: it builds a seeded model, feeds random sequences through the algorithm
// (Reset, T Steps, Finish, GradCell, ZeroGrad), and reports the median time per step, the bytes the
// algorithm holds, the allocations per step after a warm-up sequence, and the GFLOP/s
// implied by the FLOP model. It closes the algorithm before it returns.
func Measure(c Case, opt Options) (Result, error) {
	opt = opt.withDefaults()
	if !c.Algo.Valid() {
		return Result{}, fmt.Errorf("bench: case without an algorithm")
	}
	if c.Hidden <= 0 || c.Input <= 0 || c.Output <= 0 || c.T <= 0 {
		return Result{}, fmt.Errorf("bench: case %s %v n=%d: sizes (%d inputs, %d outputs) and T=%d must be positive", c.Algo, c.Cell, c.Hidden, c.Input, c.Output, c.T)
	}
	if c.Density != 0 && c.Density != 1 {
		if err := cell.CheckDensity(c.Density); err != nil {
			return Result{}, fmt.Errorf("bench: case %s %v n=%d: %w", c.Algo, c.Cell, c.Hidden, err)
		}
	}
	L, B := max(1, c.Layers), max(1, c.Batch)
	dims := algo.StackDims(c.Cell, L, c.Hidden, c.Input, c.Output)
	dims.Attention = c.Attention
	m, err := cell.NewStack(cell.Config{Kind: c.Cell, Hidden: c.Hidden, Input: c.Input}, L, c.Output)
	if err != nil {
		return Result{}, err
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x62656e6368))
	for _, l := range m.Layers {
		cell.InitDefault(l, rng)
	}
	m.Head.InitDefault(rng)
	if c.Attention.KAtt > 0 {
		if err := m.AddAttention(c.Attention); err != nil {
			return Result{}, err
		}
		m.Attention.InitDefault(rng)
	}
	var density float64
	if c.Density > 0 && c.Density < 1 {
		// The mask has its own stream, so a dense case's weights and data stay as they were.
		if err := m.Sparsify(c.Density, cell.MaskRandom, rand.New(rand.NewPCG(opt.Seed, 0x6d61736b))); err != nil {
			return Result{}, err
		}
		density = c.Density
		dims.Density = m.RecurrentDensity()
	}
	flops := float64(B) * c.Algo.FLOPsPerStep(dims)
	var alg algo.Algorithm
	if opt.Factory != nil {
		alg, err = opt.Factory(m)
	} else {
		alg, err = c.Algo.New(m, algo.Options{Steps: c.T, Seed: opt.Seed, Batch: B, Workers: c.Workers, MemLimit: opt.MemLimit})
	}
	if err != nil {
		return Result{}, err
	}
	defer alg.Close()
	in, out := c.Input*B, c.Output*B
	xs := make([]float32, c.T*in)
	ys := make([]float32, c.T*out)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64())
	}
	for i := range ys {
		ys[i] = float32(rng.NormFloat64())
	}
	sequence := func() error {
		if err := alg.Reset(nil); err != nil {
			return err
		}
		for t := 0; t < c.T; t++ {
			if _, err := alg.Step(xs[t*in:(t+1)*in], cell.Values(ys[t*out:(t+1)*out])); err != nil {
				return err
			}
		}
		if err := alg.Finish(); err != nil {
			return err
		}
		// Read the gradient, as a trainer does: for an orthogonal cell this maps ∂L/∂W to
		// the parameters (the adjoint of W's derivative), once per sequence.
		alg.GradCell()
		alg.ZeroGrad()
		return nil
	}
	if err := sequence(); err != nil { // warm-up: first-use buffers are allocated here
		return Result{}, err
	}
	// Allocations are counted like testing.AllocsPerRun: on one P, so that no other
	// goroutine's allocations land in the count, and the fewest of three sequences, so
	// that a stray runtime allocation does not either.
	mallocs := uint64(math.MaxUint64)
	prevProcs := runtime.GOMAXPROCS(1)
	for range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := sequence()
		runtime.ReadMemStats(&after)
		if err != nil {
			runtime.GOMAXPROCS(prevProcs)
			return Result{}, err
		}
		mallocs = min(mallocs, after.Mallocs-before.Mallocs)
	}
	runtime.GOMAXPROCS(prevProcs)

	per := make([]float64, opt.Repeats)
	for r := range per {
		runs := 0
		start := time.Now()
		for runs == 0 || time.Since(start) < opt.MinTime {
			if err := sequence(); err != nil {
				return Result{}, err
			}
			runs++
		}
		per[r] = float64(time.Since(start).Nanoseconds()) / float64(runs*c.T)
	}
	slices.Sort(per)
	ns := per[len(per)/2]
	return Result{
		Cell: c.Cell.String(), Hidden: c.Hidden, Input: c.Input, T: c.T, Algo: c.Algo.String(),
		NsPerStep:     ns,
		Bytes:         alg.Bytes(),
		AllocsPerStep: float64(mallocs) / float64(c.T),
		GFLOPS:        flops / ns,
		Batch:         B,
		Layers:        L,
		Density:       density,
	}, nil
}

// Fit is a least-squares line log(y) = Exponent·log(x) + log(Scale), with its quality.
type Fit struct {
	Exponent, Scale float64 // y ≈ Scale·x^Exponent
	Points          int     // the number of points fitted
	// R2 is the coefficient of determination of the line on the log-log points: 1 is a
	// perfect power law. Two points always give 1, which says nothing.
	R2 float64
	// CI95 is the half-width of the 95% confidence interval of Exponent (Student's t with
	// Points−2 degrees of freedom times the slope's standard error); NaN for two points,
	// which leave no residual to estimate it from.
	CI95 float64
}

// FitExponent fits y ≈ Scale·x^Exponent on log-log axes by least squares. It needs two or
// more distinct positive x.
func FitExponent(x, y []float64) (Fit, error) {
	if len(x) != len(y) || len(x) < 2 {
		return Fit{}, fmt.Errorf("bench: need two or more points to fit an exponent, have %d", len(x))
	}
	var sx, sy, sxx, sxy float64
	for i := range x {
		if !(x[i] > 0 && y[i] > 0) {
			return Fit{}, fmt.Errorf("bench: cannot fit log-log through (%v, %v)", x[i], y[i])
		}
		lx, ly := math.Log(x[i]), math.Log(y[i])
		sx, sy, sxx, sxy = sx+lx, sy+ly, sxx+lx*lx, sxy+lx*ly
	}
	if slices.Min(x) == slices.Max(x) {
		return Fit{}, fmt.Errorf("bench: all x are equal; no exponent to fit")
	}
	n := float64(len(x))
	// The explicit conversions keep the compiler from fusing these into multiply-adds
	// (it does on arm64), which would make the result depend on the architecture.
	den := float64(n*sxx) - float64(sx*sx)
	slope := (float64(n*sxy) - float64(sx*sy)) / den
	intercept := (sy - float64(slope*sx)) / n
	fit := Fit{Exponent: slope, Scale: math.Exp(intercept), Points: len(x), R2: 1, CI95: math.NaN()}
	// Residuals about the means, computed directly rather than from the sums above,
	// which cancel badly when the points are close together.
	mx, my := sx/n, sy/n
	var ssRes, ssTot, sxxc float64
	for i := range x {
		lx, ly := math.Log(x[i]), math.Log(y[i])
		r := ly - float64(intercept+float64(slope*lx))
		ssRes += float64(r * r)
		ssTot += float64((ly - my) * (ly - my))
		sxxc += float64((lx - mx) * (lx - mx))
	}
	if ssTot > 0 {
		fit.R2 = 1 - ssRes/ssTot
	}
	if len(x) > 2 {
		se := math.Sqrt(ssRes / (n - 2) / sxxc)
		fit.CI95 = distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 2}.Quantile(0.975) * se
	}
	return fit, nil
}
