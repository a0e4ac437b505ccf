package task

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// MackeyGlass describes a sampled solution of the Mackey-Glass delay differential equation
//
//	dx/dt = Beta·x(t−Tau) / (1 + x(t−Tau)^N) − Gamma·x(t),
//
// chaotic for Tau = 17 with the usual Beta = 0.2, Gamma = 0.1, N = 10.
//
// Integration: classical fourth-order Runge-Kutta with step Dt (Tau/Dt must be a whole
// number of steps). The delayed term is read from the stored trajectory: at the step's
// start and end it is a stored point, at the midpoint the mean of the two neighbouring
// points (linear interpolation, second order, well below the sampling error of a series
// sampled every time unit). The history on [−Tau, 0] is seeded: x = X0 + Noise·(U − 0.5),
// U uniform on [0, 1) drawn independently at every step from a PCG generator seeded with
// Seed, so a given configuration always produces the same series. Every SampleEvery-th step is kept, after
// Transient samples are discarded so the series starts on the attractor.
type MackeyGlass struct {
	// Tau, Beta, Gamma and N are the delay τ and the coefficients β, γ and n of
	// dx/dt = β·x(t−τ)/(1 + x(t−τ)^n) − γ·x(t).
	Tau, Beta, Gamma, N float64
	Dt                  float64 // integration step
	SampleEvery         int     // integration steps per sample
	Transient           int     // samples discarded from the start
	X0                  float64 // centre of the initial history
	Noise               float64 // width of the uniform noise on the initial history
	Seed                uint64  // seed of the initial history's noise
}

// DefaultMackeyGlass is the benchmark configuration: τ = 17, β = 0.2, γ = 0.1, n = 10,
// RK4 with Dt = 0.1, one sample per time unit (SampleEvery = 10), history 1.2 ± 0.1,
// 1000 samples of transient discarded.
func DefaultMackeyGlass() MackeyGlass {
	return MackeyGlass{Tau: 17, Beta: 0.2, Gamma: 0.1, N: 10, Dt: 0.1, SampleEvery: 10, Transient: 1000, X0: 1.2, Noise: 0.2, Seed: 1}
}

// Generate returns n samples of the series.
func (c MackeyGlass) Generate(n int) ([]float64, error) {
	delaySteps := c.Tau / c.Dt
	d := int(math.Round(delaySteps))
	switch {
	case n < 0:
		return nil, fmt.Errorf("task: Mackey-Glass: %d samples", n)
	case !(c.Dt > 0) || !(c.Tau > 0) || d < 1 || math.Abs(delaySteps-float64(d)) > 1e-9*delaySteps:
		return nil, fmt.Errorf("task: Mackey-Glass: Tau = %v must be a positive whole number of steps Dt = %v", c.Tau, c.Dt)
	case c.SampleEvery < 1 || c.Transient < 0:
		return nil, fmt.Errorf("task: Mackey-Glass: SampleEvery = %d, Transient = %d", c.SampleEvery, c.Transient)
	case math.IsNaN(c.Beta+c.Gamma+c.N+c.X0+c.Noise) || math.IsInf(c.Beta+c.Gamma+c.N+c.X0+c.Noise, 0):
		return nil, fmt.Errorf("task: Mackey-Glass: non-finite parameter in %+v", c)
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x6d61636b))
	// ring holds x at the last d+1 steps: ring[k%(d+1)] = x(k·Dt), so x(t−Tau) at step k
	// is ring[(k−d)%(d+1)], the slot about to be overwritten by step k+1.
	ring := make([]float64, d+1)
	for i := range ring {
		ring[i] = c.X0 + c.Noise*(rng.Float64()-0.5)
	}
	f := func(x, delayed float64) float64 {
		return c.Beta*delayed/(1+math.Pow(delayed, c.N)) - c.Gamma*x
	}
	out := make([]float64, 0, n)
	x := ring[d%(d+1)] // step k = d is "time 0", the last history point
	for k := d; len(out) < n; k++ {
		sample := k - d
		if sample%c.SampleEvery == 0 && sample/c.SampleEvery >= c.Transient {
			out = append(out, x)
		}
		lag0 := ring[(k-d)%(d+1)]
		lag1 := ring[(k-d+1)%(d+1)]
		lagMid := (lag0 + lag1) / 2
		h := c.Dt
		k1 := f(x, lag0)
		k2 := f(x+h/2*k1, lagMid)
		k3 := f(x+h/2*k2, lagMid)
		k4 := f(x+h*k3, lag1)
		x += h / 6 * (k1 + 2*k2 + 2*k3 + k4)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("task: Mackey-Glass: the solution diverged at t = %g (parameters %+v)", float64(k+1-d)*h, c)
		}
		ring[(k+1)%(d+1)] = x
	}
	return out, nil
}
