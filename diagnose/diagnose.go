// Package diagnose measures how credit decays through time in a recurrent model run over
// a data sequence: the per-lag gradient norms φ_k = E_t ‖∂L_t/∂s_{t−k}‖, the norms of the
// state-Jacobian products J_t⋯J_{t−k+1}, the largest Lyapunov exponent, the spectral
// radius of the recurrent weights, and from φ the decay rate β and the truncation window
// K that a tolerated relative gradient bias δ implies (FitDecay, Bias, Window). It is a
// measuring tool:
// it keeps every step's cache and spends O(T·Kmax) vector-Jacobian products, which is
// fine offline and is not how the streaming algorithm in package bptt does it.
package diagnose

import (
	"errors"
	"fmt"
	"math"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/linalg"
	"github.com/chronograd/chronograd/kernels"
)

// Data is what a model is run over: T steps of inputs (T×I, row-major) and targets, either
// values (T×O; the loss is L = Σ_t ½‖W·h_t + b − y_t‖²) or classes (T; the loss is the
// softmax cross-entropy, cell.IgnoreClass for no target), as in `chronograd grad`.
type Data struct {
	// T is the number of steps.
	T int
	// Inputs holds x_t in row t (T×I); Targets holds y_t in row t (T×O), or is nil when
	// Classes are given.
	Inputs, Targets []float32
	// Classes holds c_t, one per step, or is nil when Targets are given.
	Classes []int32
	// S0 is the initial state s_0 (length S: [h0; c0] for LSTM); nil means zeros.
	S0 []float32
}

// Options tune the measurement; zero values (and nil pointers) take the defaults in
// brackets. The pointer fields accept zero as a value: new(0).
type Options struct {
	// MaxLag is Kmax, the largest lag measured [min(50, T−1)]. Every origin t (0-based
	// step) with t ≥ MaxLag−1 contributes all lags 0 … MaxLag (s_{−1} is the initial
	// state), so each φ_k averages the same T−MaxLag+1 origins.
	MaxLag int
	// Tau is τ, the lag from which the decay is taken to be geometric and β is fitted
	// [nil: max(1, MaxLag/5)].
	Tau *int
	// Delta is δ, the tolerated relative bias that sets K [0.1].
	Delta float64
	// JacobianOrigins bounds the number of origins t at which the products
	// J_t⋯J_{t−k+1} are formed (each costs MaxLag S×S×S products) [32].
	JacobianOrigins int
	// PowerIterations is the number of power iterations for each spectral norm [30].
	PowerIterations int
	// LyapunovVectors is the size of the orthonormal frame propagated for the Lyapunov
	// exponents [min(S, 4)].
	LyapunovVectors int
	// LyapunovBurnIn steps are run before the Lyapunov exponents are averaged
	// [nil: min(T/10, 50)].
	LyapunovBurnIn *int
}

// Report holds the figures.
type Report struct {
	// MaxLag and Tau are the largest lag measured and the lag from which β is fitted.
	MaxLag, Tau int
	// Delta is the tolerated relative bias K is chosen for.
	Delta float64
	// Origins is the number of origins t averaged in Phi.
	Origins int

	// Phi[k] = φ_k = mean over origins t of ‖∂L_t/∂s_{t−k}‖, k = 0 … MaxLag.
	Phi []float64
	// CumGradNorm[K] = ‖Σ_{k<K} mean_t ∂L_t/∂s_{t−k}‖ (K = 0 … MaxLag+1), the size of
	// what window K keeps.
	CumGradNorm []float64
	// Beta is the fitted decay rate β of Phi over lags ≥ Tau (NaN when it cannot be
	// fitted) and GradNorm the lower bound on ‖g‖. K is the window for Delta (see
	// WindowFor): at most MaxLag+1 from the measurements, beyond that extrapolated by
	// the geometric model (KExtrapolated), and NoWindow when nothing decays.
	Beta, GradNorm float64
	// K is the window for Delta (see above).
	K int
	// KExtrapolated reports a K beyond MaxLag+1, from the geometric model.
	KExtrapolated bool

	// JacobianNorm[k] = mean over sampled origins t of the spectral norm ‖J_t⋯J_{t−k+1}‖₂
	// (by power iteration on the formed product; JacobianNorm[0] = 1), JacobianOrigins
	// the number of origins; JacobianBeta its fitted rate over lags ≥ Tau.
	JacobianNorm []float64
	// JacobianOrigins is the number of origins the products were formed at.
	JacobianOrigins int
	// JacobianBeta is the fitted decay rate of JacobianNorm over lags ≥ Tau.
	JacobianBeta float64

	// Lyapunov are the leading Lyapunov exponents per step (natural log), largest first,
	// from QR iteration along the trajectory.
	Lyapunov []float64

	// SpectralRadius is that of the recurrent block that carries the state (the largest
	// over a stack's layers): all of weight_hh_l0 for the vanilla cells, W = exp(A) (the
	// matrix the step multiplies by, cell.Cell.RecurrentWeights) for the orthogonal cell,
	// the candidate block (GRU's n, LSTM's g) for the gated ones. GateSpectralRadius
	// lists every H×H gate block of weight_hh_l0 in PyTorch's gate order.
	SpectralRadius float64
	// GateSpectralRadius lists the spectral radius of every H×H gate block.
	GateSpectralRadius []float64
}

// candidateGate is the index of the gate block whose weights carry the state's content:
// GRU's n (r, z, n) and LSTM's g (i, f, g, o) are both third. The other blocks feed
// sigmoids that scale the state by less than one, so the candidate block is the one whose
// spectral radius speaks to explosion; Report lists them all anyway.
const candidateGate = 2

// Run runs the model over seq and measures everything in Report. A model with an
// attention component is refused: its credit also flows through the memory's skip
// connections, which the state-Jacobian products measured here leave out.
func Run(m *cell.Model, seq Data, opt Options) (*Report, error) {
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("diagnose: %w", err)
	}
	if m.Attention != nil {
		return nil, fmt.Errorf("diagnose: the model has an attention component (k_att, k_top, M = %s): its credit also flows through the memory, which the state-Jacobian products measured here leave out", m.Attention.Config())
	}
	if err := m.ParamsChanged(); err != nil {
		return nil, fmt.Errorf("diagnose: %w", err)
	}
	head := m.Head
	S, I, O := m.StateSize(), m.InputSize(), head.OutSize()
	T := seq.T
	if T < 2 {
		return nil, fmt.Errorf("diagnose: the sequence has %d steps; need at least 2", T)
	}
	if len(seq.Inputs) != T*I {
		return nil, fmt.Errorf("diagnose: inputs hold %d values, want T×I = %d×%d", len(seq.Inputs), T, I)
	}
	switch {
	case (seq.Targets == nil) == (seq.Classes == nil):
		return nil, errors.New("diagnose: give targets or classes, one of the two")
	case seq.Targets != nil && len(seq.Targets) != T*O:
		return nil, fmt.Errorf("diagnose: targets hold %d values, want T×O = %d×%d", len(seq.Targets), T, O)
	case seq.Classes != nil && len(seq.Classes) != T:
		return nil, fmt.Errorf("diagnose: %d classes for %d steps", len(seq.Classes), T)
	}
	if seq.S0 != nil && len(seq.S0) != S {
		return nil, fmt.Errorf("diagnose: initial state has %d values, the model's state has %d", len(seq.S0), S)
	}
	if i := firstNonFinite(seq.Inputs); i >= 0 {
		return nil, fmt.Errorf("diagnose: input %d of step %d is %v", i%I, i/I, seq.Inputs[i])
	}
	if i := firstNonFinite(seq.Targets); i >= 0 {
		return nil, fmt.Errorf("diagnose: target %d of step %d is %v", i%O, i/O, seq.Targets[i])
	}
	if seq.S0 != nil {
		if i := firstNonFinite(seq.S0); i >= 0 {
			return nil, fmt.Errorf("diagnose: initial state value %d is %v", i, seq.S0[i])
		}
	}
	cfg, err := opt.fill(T, S)
	if err != nil {
		return nil, err
	}
	K := cfg.MaxLag

	// Forward over the whole sequence, keeping every cache and ∂L_t/∂s_t.
	caches := make([]*cell.StepCache, T)
	dState := make([]float32, T*S) // row t: ∂L_t/∂s_t (only the top h part is non-zero)
	s := make([]float32, S)
	if seq.S0 != nil {
		copy(s, seq.S0)
	}
	top := m.StateOffset(m.NumLayers() - 1)
	yhat, dy := make([]float32, O), make([]float32, O)
	for t := range T {
		caches[t] = m.NewStepCache()
		m.Forward(caches[t], s, s, seq.Inputs[t*I:(t+1)*I])
		if !finite32(s) {
			return nil, fmt.Errorf("diagnose: the state is not finite at step %d", t)
		}
		var y cell.Target
		if seq.Targets != nil {
			y = cell.Values(seq.Targets[t*O : (t+1)*O])
		} else {
			y = cell.Classes(seq.Classes[t : t+1]...)
		}
		if err := y.Check(O, 1); err != nil {
			return nil, fmt.Errorf("diagnose: step %d: %w", t, err)
		}
		h := m.TopHidden(s)
		head.Forward(yhat, h)
		if _, has := y.Loss(dy, yhat); has {
			head.Backward(dState[t*S+top:t*S+top+len(h)], nil, h, dy)
		}
	}

	r := &Report{MaxLag: K, Tau: cfg.Tau, Delta: cfg.Delta}
	r.measurePhi(m, caches, dState, S, T)
	r.Beta = math.NaN()
	if beta, ok := FitDecay(r.Phi, r.Tau); ok {
		r.Beta = beta
	}
	r.GradNorm = GradNormLowerBound(r.CumGradNorm, r.Phi, r.Beta, r.Tau)
	r.K, r.KExtrapolated = r.WindowFor(r.Delta)

	r.measureJacobians(m, caches, S, T, cfg)
	r.JacobianBeta = math.NaN()
	if beta, ok := FitDecay(r.JacobianNorm, r.Tau); ok {
		r.JacobianBeta = beta
	}
	r.Lyapunov = lyapunov(m, caches, S, cfg.LyapunovVectors, cfg.LyapunovBurnIn)
	if err := r.spectral(m); err != nil {
		return nil, err
	}
	return r, nil
}

// NoWindow is the window when no truncation bounds the bias: the fitted β is not below
// 1 (or could not be fitted), or no positive lower bound on ‖g‖ was found.
const NoWindow = -1

// WindowFor is the window K for a tolerated relative bias δ, from the same measurements:
// the smallest K ≥ 1 whose estimated relative bias Bias(K)/GradNorm is at most δ. Up to
// MaxLag+1 the bias is read off the measured φ (and β); beyond, the geometric model is
// extrapolated in closed form and extrapolated is true. It returns NoWindow when the
// model does not decay.
func (r *Report) WindowFor(delta float64) (K int, extrapolated bool) {
	if !(r.Beta > 0 && r.Beta < 1) || !(r.GradNorm > 0) || math.IsInf(r.GradNorm, 0) {
		return NoWindow, false
	}
	last := r.MaxLag + 1
	if K := Window(r.Phi, r.Beta, r.Tau, r.GradNorm, delta, 1, last); K < last || Bias(r.Phi, r.Beta, r.Tau, last) <= delta*r.GradNorm {
		return K, false
	}
	return max(last+1, ClosedFormWindow(r.Phi[r.Tau], r.Beta, r.Tau, r.GradNorm, delta)), true
}

// config is Options with every default filled in.
type config struct {
	MaxLag, Tau                      int
	Delta                            float64
	JacobianOrigins, PowerIterations int
	LyapunovVectors, LyapunovBurnIn  int
}

func (o Options) fill(T, S int) (config, error) {
	c := config{MaxLag: o.MaxLag, Delta: o.Delta, JacobianOrigins: o.JacobianOrigins,
		PowerIterations: o.PowerIterations, LyapunovVectors: o.LyapunovVectors}
	if c.MaxLag == 0 {
		c.MaxLag = min(50, T-1)
	}
	if c.MaxLag < 1 || c.MaxLag >= T {
		return c, fmt.Errorf("diagnose: max lag %d must be in [1, T−1] = [1, %d]", c.MaxLag, T-1)
	}
	if o.Tau != nil {
		c.Tau = *o.Tau
	} else {
		c.Tau = max(1, c.MaxLag/5)
	}
	if c.Tau < 0 || c.Tau > c.MaxLag-1 {
		return c, fmt.Errorf("diagnose: tau %d must be in [0, max lag−1] = [0, %d]", c.Tau, c.MaxLag-1)
	}
	if c.Delta == 0 {
		c.Delta = 0.1
	}
	if !(c.Delta > 0 && c.Delta < 1) {
		return c, fmt.Errorf("diagnose: delta %v must be in (0, 1)", c.Delta)
	}
	if c.JacobianOrigins == 0 {
		c.JacobianOrigins = 32
	}
	if c.PowerIterations == 0 {
		c.PowerIterations = 30
	}
	if c.LyapunovVectors == 0 {
		c.LyapunovVectors = min(S, 4)
	}
	if o.LyapunovBurnIn != nil {
		c.LyapunovBurnIn = *o.LyapunovBurnIn
	} else {
		c.LyapunovBurnIn = min(T/10, 50)
	}
	switch {
	case c.JacobianOrigins < 1, c.PowerIterations < 1:
		return c, errors.New("diagnose: JacobianOrigins and PowerIterations must be positive")
	case c.LyapunovVectors < 1 || c.LyapunovVectors > S:
		return c, fmt.Errorf("diagnose: %d Lyapunov vectors for a state of size %d", c.LyapunovVectors, S)
	case c.LyapunovBurnIn < 0 || c.LyapunovBurnIn >= T:
		return c, fmt.Errorf("diagnose: Lyapunov burn-in %d must be in [0, T) = [0, %d)", c.LyapunovBurnIn, T)
	}
	return c, nil
}

// measurePhi backpropagates each ∂L_t/∂s_t alone, t = MaxLag−1 … T−1, through MaxLag
// cells' VJPs, accumulating the norms φ_k and the mean adjoints whose partial sums are
// the kept gradients g_K.
func (r *Report) measurePhi(m *cell.Model, caches []*cell.StepCache, dState []float32, S, T int) {
	K := r.MaxLag
	r.Phi = make([]float64, K+1)
	mean := make([]float64, (K+1)*S)
	delta := make([]float32, S)
	for t := K - 1; t < T; t++ {
		copy(delta, dState[t*S:(t+1)*S])
		for k := 0; ; k++ {
			r.Phi[k] += linalg.Norm32(delta)
			row := mean[k*S : (k+1)*S]
			for i, v := range delta {
				row[i] += float64(v)
			}
			if k == K {
				break
			}
			// delta = ∂L_t/∂s_{t−k} → ∂L_t/∂s_{t−k−1} through step t−k.
			m.Backward(caches[t-k], delta, nil, delta)
		}
	}
	r.Origins = T - K + 1
	n := float64(r.Origins)
	for k := range r.Phi {
		r.Phi[k] /= n
	}
	r.CumGradNorm = make([]float64, K+2)
	sum := make([]float64, S)
	for k := 0; k <= K; k++ {
		for i := range sum {
			sum[i] += mean[k*S+i] / n
		}
		r.CumGradNorm[k+1] = linalg.Norm(sum)
	}
}

// measureJacobians forms P_k = J_t⋯J_{t−k+1} = P_{k−1}·J_{t−k+1} at up to
// JacobianOrigins evenly spaced origins and averages their spectral norms.
func (r *Report) measureJacobians(m *cell.Model, caches []*cell.StepCache, S, T int, opt config) {
	K := r.MaxLag
	r.JacobianNorm = make([]float64, K+1)
	stride := max(1, (T-K+1+opt.JacobianOrigins-1)/opt.JacobianOrigins)
	jac, prod, next := kernels.NewMat(S, S), kernels.NewMat(S, S), kernels.NewMat(S, S)
	v, w := make([]float64, S), make([]float64, S)
	n := 0
	for t := K - 1; t < T; t += stride {
		n++
		r.JacobianNorm[0]++
		m.StateJacobian(caches[t], prod)
		r.JacobianNorm[1] += linalg.SpectralNorm(prod.Rows, prod.Cols, prod.Stride, prod.Data, v, w, opt.PowerIterations)
		for k := 2; k <= K; k++ {
			m.StateJacobian(caches[t-k+1], jac)
			clear(next.Data)
			kernels.Gemm(next, prod, jac)
			prod, next = next, prod
			r.JacobianNorm[k] += linalg.SpectralNorm(prod.Rows, prod.Cols, prod.Stride, prod.Data, v, w, opt.PowerIterations)
		}
	}
	r.JacobianOrigins = n
	for k := range r.JacobianNorm {
		r.JacobianNorm[k] /= float64(n)
	}
}

// lyapunov propagates an orthonormal frame Q (S×p) through the state Jacobians,
// Q ← qr(J_t·Q), and averages log |R_ii| after the burn-in (Benettin et al. 1980;
// Shimada & Nagashima 1979): the p leading Lyapunov exponents per step.
func lyapunov(m *cell.Model, caches []*cell.StepCache, S, p, burnIn int) []float64 {
	frame := make([][]float32, p)
	col := make([]float64, S)
	for j := range frame {
		frame[j] = make([]float32, S)
		frame[j][j] = 1
	}
	sums := make([]float64, p)
	q := make([][]float64, p)
	for j := range q {
		q[j] = make([]float64, S)
	}
	for t, k := range caches {
		for j := range frame {
			m.StateJVP(k, frame[j], frame[j])
		}
		// Modified Gram–Schmidt in float64: frame = Q·R.
		for j := range frame {
			for i, x := range frame[j] {
				col[i] = float64(x)
			}
			for m := range j {
				d := linalg.Dot(q[m], col)
				for i := range col {
					col[i] -= d * q[m][i]
				}
			}
			rjj := linalg.Normalize(col)
			copy(q[j], col)
			if t >= burnIn {
				sums[j] += math.Log(rjj)
			}
			for i, x := range col {
				frame[j][i] = float32(x)
			}
		}
	}
	n := float64(len(caches) - burnIn)
	for j := range sums {
		sums[j] /= n
	}
	return sums
}

func (r *Report) spectral(m *cell.Model) error {
	l := m.Layers[0].Layout()
	h := l.Hidden
	r.GateSpectralRadius = make([]float64, l.Gates)
	// A stack's joint Jacobian is block triangular, so its spectrum is the union of the
	// layers': each gate block reports its largest radius over the layers.
	for k, layer := range m.Layers {
		whh := layer.RecurrentWeights().Data // the orthogonal cell's W, not its parameter A
		for g := range l.Gates {
			rho, err := cell.SpectralRadius(kernels.MatOf(h, h, whh[g*h*h:(g+1)*h*h]))
			if err != nil {
				return fmt.Errorf("diagnose: spectral radius of weight_hh_l%d gate block %d: %w", k, g, err)
			}
			r.GateSpectralRadius[g] = max(r.GateSpectralRadius[g], rho)
		}
	}
	if l.Gates == 1 {
		r.SpectralRadius = r.GateSpectralRadius[0]
	} else {
		r.SpectralRadius = r.GateSpectralRadius[candidateGate]
	}
	return nil
}

func finite32(x []float32) bool { return firstNonFinite(x) < 0 }

// firstNonFinite is the index of the first NaN or ±Inf in x, or −1.
func firstNonFinite(x []float32) int {
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return i
		}
	}
	return -1
}
