// Package reservoir holds echo-state networks (Jaeger 2001; Lukoševičius 2012, "A
// practical guide to applying echo state networks"): a fixed random recurrent network
// with a sparse recurrent matrix scaled to a chosen spectral radius, whose states a linear
// readout maps to outputs. The readout is trained in closed form by ridge regression
// (RidgeRegression) or online by recursive least squares (RecursiveLeastSquares); nothing
// is backpropagated through time, so these are the baseline the trained cells of package
// cell are measured against.
package reservoir

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/chronograd/chronograd/kernels"
)

// Config describes an echo-state network reservoir.
type Config struct {
	Units  int // reservoir size N
	Inputs int // input size I
	// Density is the probability that a recurrent weight is non-zero, in (0, 1].
	Density float64
	// SpectralRadius is the target spectral radius of the recurrent matrix W (> 0).
	SpectralRadius float64
	// InputScaling s draws every input weight from U(−s, s) (> 0).
	InputScaling float64
	// BiasScaling b draws every bias from U(−b, b); 0 means no bias.
	BiasScaling float64
	// Leak α in (0, 1]: x_t = (1−α)·x_{t−1} + α·tanh(W_in·u_t + W·x_{t−1} + b).
	Leak float64
	// Seed makes the random weights reproducible.
	Seed uint64
}

// Network is an echo-state network: a fixed random recurrent network whose states a
// trained linear readout (RidgeRegression, RecursiveLeastSquares) maps to outputs. W is
// sparse (CSR), so a step costs O(non-zeros + N·I) and allocates nothing.
type Network struct {
	cfg   Config
	W     *SparseMat  // N×N recurrent weights, scaled to cfg.SpectralRadius
	WIn   kernels.Mat // N×I input weights
	Bias  []float32   // nil without bias
	state []float32
	pre   []float32 // pre-activation scratch
}

// New draws a reservoir from cfg.
func New(cfg Config) (*Network, error) {
	switch {
	case cfg.Units <= 0:
		return nil, fmt.Errorf("reservoir: Units = %d, want > 0", cfg.Units)
	case cfg.Inputs <= 0:
		return nil, fmt.Errorf("reservoir: Inputs = %d, want > 0", cfg.Inputs)
	case !(cfg.Density > 0 && cfg.Density <= 1):
		return nil, fmt.Errorf("reservoir: Density = %v, want in (0, 1]", cfg.Density)
	case !(cfg.SpectralRadius > 0) || math.IsInf(cfg.SpectralRadius, 0):
		return nil, fmt.Errorf("reservoir: SpectralRadius = %v, want a positive finite number", cfg.SpectralRadius)
	case !(cfg.InputScaling > 0) || math.IsInf(cfg.InputScaling, 0):
		return nil, fmt.Errorf("reservoir: InputScaling = %v, want a positive finite number", cfg.InputScaling)
	case !(cfg.BiasScaling >= 0) || math.IsInf(cfg.BiasScaling, 0):
		return nil, fmt.Errorf("reservoir: BiasScaling = %v, want a non-negative finite number", cfg.BiasScaling)
	case !(cfg.Leak > 0 && cfg.Leak <= 1):
		return nil, fmt.Errorf("reservoir: Leak = %v, want in (0, 1]", cfg.Leak)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7e5e7401))
	var w *SparseMat
	// A sparse draw can be nilpotent (for example strictly triangular) when it has very
	// few non-zeros; redraw a few times before giving up.
	for attempt := 0; ; attempt++ {
		var err error
		if w, err = randomSparse(cfg.Units, cfg.Density, rng); err != nil {
			return nil, err
		}
		err = w.ScaleToSpectralRadius(cfg.SpectralRadius)
		if err == nil {
			break
		}
		if attempt == 9 {
			return nil, fmt.Errorf("reservoir: %w (density %v is too low for %d units)", err, cfg.Density, cfg.Units)
		}
	}
	r := &Network{
		cfg:   cfg,
		W:     w,
		WIn:   kernels.NewMat(cfg.Units, cfg.Inputs),
		state: make([]float32, cfg.Units),
		pre:   make([]float32, cfg.Units),
	}
	for i := range r.WIn.Data {
		r.WIn.Data[i] = float32(cfg.InputScaling * (2*rng.Float64() - 1))
	}
	if cfg.BiasScaling > 0 {
		r.Bias = make([]float32, cfg.Units)
		for i := range r.Bias {
			r.Bias[i] = float32(cfg.BiasScaling * (2*rng.Float64() - 1))
		}
	}
	return r, nil
}

// Config returns the configuration the reservoir was drawn from.
func (r *Network) Config() Config { return r.cfg }

// State returns the current state x_t. The slice is the reservoir's own and changes with
// every Step.
func (r *Network) State() []float32 { return r.state }

// Reset sets the state to zero.
func (r *Network) Reset() {
	for i := range r.state {
		r.state[i] = 0
	}
}

// Step advances the state with input u and returns it (the reservoir's own slice):
//
//	x_t = (1−α)·x_{t−1} + α·tanh(W_in·u_t + W·x_{t−1} + b)
//
// It panics, naming the sizes, when len(u) != Inputs.
func (r *Network) Step(u []float32) []float32 {
	if len(u) != r.cfg.Inputs {
		panic(fmt.Sprintf("reservoir: Network.Step: len(u) = %d, want %d", len(u), r.cfg.Inputs))
	}
	kernels.MatVec(r.pre, r.WIn, u)
	if r.Bias != nil {
		kernels.Add(r.pre, r.pre, r.Bias)
	}
	r.W.resMulAdd(r.pre, r.state)
	alpha := float32(r.cfg.Leak)
	for i, p := range r.pre {
		r.state[i] = (1-alpha)*r.state[i] + alpha*float32(math.Tanh(float64(p)))
	}
	return r.state
}
