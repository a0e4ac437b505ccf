package bptt

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/diagnose"
	"github.com/chronograd/chronograd/internal/linalg"
)

// Adaptive is truncated BPTT whose window adapts to how fast credit decays, after Aicher,
// Foti & Fox, "Adaptively truncating backpropagation through time to control gradient
// bias" (UAI 2019). Instead of a lag, the user tolerates a relative gradient bias δ:
//
//	‖E[g_K] − g‖ ≤ δ·‖g‖                                               (target)
//
// and, with the per-lag norms decaying geometrically beyond τ, φ_k ≤ φ_τ·β^{k−τ}, the
// window K(δ) is the smallest K with φ_τ·β^{K−τ}/((1−β)·‖g‖) ≤ δ (package diagnose
// writes the bounds out: Bias, Window). Every ProbeEvery steps, at a step t with a target, a
// probe backpropagates ∂ℓ_t/∂s_t alone through the last KMax cached steps (VJPs only,
// no parameter gradient) and adds ‖∂ℓ_t/∂s_{t−k}‖ and the adjoint vectors themselves to
// running sums; every EstimateEvery steps β is refitted by least squares on log φ_k
// (k ≥ τ), ‖g‖ is bounded below from the summed adjoints, K is re-chosen in [KMin, KMax],
// and the sums are multiplied by Forget so that recent probes dominate.
//
// The Jacobian variant (Jacobian: true) fits the decay of the state-Jacobian products
// instead: each probe also backpropagates a random unit vector u, whose gain
// ‖(J_t⋯J_{t−k+1})ᵀu‖ estimates the products' RMS gain ‖J_t⋯J_{t−k+1}‖_F/√S whatever
// directions the loss happens to excite, and the bias model becomes φ_0 times that gain.
//
// The gradient is Truncated's with K1 = k1 and a sweep of K + k1 − 1 steps, so that
// every loss of a chunk keeps at least K lags, the window the bias bound is about. With
// KMin = KMax = K it is exactly Truncated(k1, K + k1 − 1). The ring of caches is
// Truncated's own, sized KMax + k1 − 1 (at least KMax, for the probes).
type Adaptive struct {
	tr  *Truncated // its ring, loss gradients and base; its Step/Finish are not used
	cfg adaptiveConfig
	rng *rand.Rand

	window        int     // current K
	beta, bound   float64 // latest fit: β and the lower bound on ‖g‖
	estimates     int
	sinceProbe    int
	sinceEstimate int

	// probe statistics, weighted sums (Forget discounts them at every estimate)
	weight   float64
	phiSum   []float64 // KMax+1: Σ ‖∂ℓ_t/∂s_{t−k}‖
	gainSum  []float64 // KMax+1: Σ ‖(J_t⋯J_{t−k+1})ᵀu‖ (Jacobian variant)
	adjSum   []float64 // (KMax+1)×S: Σ ∂ℓ_t/∂s_{t−k}
	probe    []float32 // S
	dir      []float32 // S (Jacobian variant)
	model    []float64 // KMax+1: the decay model the window is chosen on
	cum      []float64 // KMax+2: ‖Σ_{k<K} mean adjoint‖
	adjMean  []float64 // S scratch
	lastPhi  []float64 // KMax+1: φ of the latest estimate
	lastGain []float64 // KMax+1
}

// AdaptiveOptions set the tolerated bias and the estimator. Delta is required; a zero
// integer field takes the default in brackets, and a nil pointer field its default (both
// pointer fields accept zero as a value: new(0)).
type AdaptiveOptions struct {
	Delta      float64 // δ in (0, 1), required
	K1         int     // backpropagate every K1 steps [1]
	KMin, KMax int     // the window's range [1, max(100, KMin)]
	// Tau is τ, the lag from which the decay is taken to be geometric, 0 ≤ τ < KMax
	// [nil: max(1, KMax/10)].
	Tau *int
	// ProbeEvery: at most one probe per so many steps [10]; EstimateEvery: re-estimate
	// every so many steps [20·ProbeEvery].
	ProbeEvery, EstimateEvery int
	// Forget is the weight the probe sums keep at each estimate, in [0, 1) [nil: 0.5];
	// new(0.0) keeps nothing of the earlier probes.
	Forget *float64
	// Jacobian selects the variant that fits the Jacobian products' decay.
	Jacobian bool
	// Seed seeds the probe directions of the Jacobian variant.
	Seed uint64
	// Batch is the number of sequences stepped together (0 means 1). The window is the
	// batch's: a probe backpropagates every sequence's newest loss and counts each as
	// one probe.
	Batch int
	// Workers splits the matrix products over that many goroutines (0 means 1); the
	// gradient has the same bits for any number.
	Workers int
}

// adaptiveConfig is AdaptiveOptions with every default filled in.
type adaptiveConfig struct {
	Delta                     float64
	K1, KMin, KMax, Tau       int
	ProbeEvery, EstimateEvery int
	Forget                    float64
	Jacobian                  bool
	Seed                      uint64
}

// NewAdaptive returns adaptive TBPTT for the model. Until the first estimate the window
// is KMax.
func NewAdaptive(m *cell.Model, opt AdaptiveOptions) (*Adaptive, error) {
	if !(opt.Delta > 0 && opt.Delta < 1) {
		return nil, fmt.Errorf("bptt: adaptive TBPTT needs a tolerated relative bias δ in (0, 1), got %v", opt.Delta)
	}
	cfg := adaptiveConfig{
		Delta: opt.Delta, K1: opt.K1, KMin: opt.KMin, KMax: opt.KMax,
		ProbeEvery: opt.ProbeEvery, EstimateEvery: opt.EstimateEvery, Jacobian: opt.Jacobian, Seed: opt.Seed,
	}
	if cfg.K1 == 0 {
		cfg.K1 = 1
	}
	if cfg.KMin == 0 {
		cfg.KMin = 1
	}
	if cfg.KMax == 0 {
		cfg.KMax = max(100, cfg.KMin)
	}
	if opt.Tau != nil {
		cfg.Tau = *opt.Tau
	} else {
		cfg.Tau = max(1, cfg.KMax/10)
	}
	if cfg.ProbeEvery == 0 {
		cfg.ProbeEvery = 10
	}
	if cfg.EstimateEvery == 0 {
		cfg.EstimateEvery = 20 * cfg.ProbeEvery
	}
	if opt.Forget != nil {
		cfg.Forget = *opt.Forget
	} else {
		cfg.Forget = 0.5
	}
	switch {
	case cfg.K1 < 1:
		return nil, fmt.Errorf("bptt: adaptive TBPTT needs k1 ≥ 1, got %d", cfg.K1)
	case cfg.KMin < 1 || cfg.KMax < cfg.KMin:
		return nil, fmt.Errorf("bptt: adaptive TBPTT needs 1 ≤ KMin ≤ KMax, got KMin=%d, KMax=%d", cfg.KMin, cfg.KMax)
	case cfg.KMax > 1<<16:
		return nil, fmt.Errorf("bptt: adaptive TBPTT KMax=%d is beyond the limit %d", cfg.KMax, 1<<16)
	case cfg.Tau < 0 || cfg.Tau >= cfg.KMax:
		return nil, fmt.Errorf("bptt: adaptive TBPTT needs 0 ≤ τ < KMax, got τ=%d, KMax=%d", cfg.Tau, cfg.KMax)
	case cfg.ProbeEvery < 1 || cfg.EstimateEvery < 1:
		return nil, fmt.Errorf("bptt: adaptive TBPTT needs ProbeEvery, EstimateEvery ≥ 1, got %d, %d", cfg.ProbeEvery, cfg.EstimateEvery)
	case !(cfg.Forget >= 0 && cfg.Forget < 1):
		return nil, fmt.Errorf("bptt: adaptive TBPTT needs Forget in [0, 1), got %v", cfg.Forget)
	}
	tr, err := NewTruncated(m, TruncatedOptions{K1: cfg.K1, K2: cfg.KMax + cfg.K1 - 1, Batch: opt.Batch, Workers: opt.Workers})
	if err != nil {
		return nil, err
	}
	S, n := m.StateSize(), cfg.KMax+1
	SB := S * tr.batch
	return &Adaptive{
		tr: tr, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0xada)),
		window: cfg.KMax, beta: math.NaN(), bound: math.NaN(),
		phiSum: make([]float64, n), gainSum: make([]float64, n), adjSum: make([]float64, n*S),
		probe: make([]float32, SB), dir: make([]float32, SB),
		model: make([]float64, n), cum: make([]float64, n+1), adjMean: make([]float64, S),
		lastPhi: make([]float64, n), lastGain: make([]float64, n),
	}, nil
}

// Window is the current window K.
func (a *Adaptive) Window() int { return a.window }

// Beta is the latest fitted decay rate β (NaN before the first estimate).
func (a *Adaptive) Beta() float64 { return a.beta }

// GradNormBound is the latest lower bound on ‖g‖ (NaN before the first estimate).
func (a *Adaptive) GradNormBound() float64 { return a.bound }

// Estimates counts the estimates made.
func (a *Adaptive) Estimates() int { return a.estimates }

// GradCell is the accumulated gradient of the cell's parameters, in its flat layout.
func (a *Adaptive) GradCell() []float32 { return a.tr.gradCell }

// GradHead is the accumulated gradient of the readout's parameters.
func (a *Adaptive) GradHead() []float32 { return a.tr.gradHead }

// ZeroGrad clears both gradients.
func (a *Adaptive) ZeroGrad() { a.tr.ZeroGrad() }

// State is the current state s_t, owned by the algorithm (for a batch, B rows).
func (a *Adaptive) State() []float32 { return a.tr.State() }

// Batch is B, the number of sequences stepped together.
func (a *Adaptive) Batch() int { return a.tr.batch }

// Reset starts a stream from s0 (nil: zeros), dropping losses not yet backpropagated;
// the gradients and the probe statistics are kept.
func (a *Adaptive) Reset(s0 []float32) error { return a.tr.Reset(s0) }

// Model is the model the algorithm was built for.
func (a *Adaptive) Model() *cell.Model { return a.tr.model }

// Close ends the algorithm's life; Reset, Step and Finish return cell.ErrClosed after it.
func (a *Adaptive) Close() error { return a.tr.Close() }

// Online is true, as for truncated BPTT: memory is bounded by KMax + K1 − 1 steps.
func (a *Adaptive) Online() bool { return true }

// Phi is φ_k (k = 0 … KMax) as of the latest estimate; the slice is reused.
func (a *Adaptive) Phi() []float64 { return a.lastPhi }

// Step runs the forward step into the ring, probes and re-estimates when due, and every
// k1 steps backpropagates the pending losses through the current window.
func (a *Adaptive) Step(x []float32, y cell.Target) (float32, error) {
	tr := a.tr
	if err := tr.checkStep(x, y); err != nil {
		return 0, err
	}
	loss, dy := tr.forward(x, y)
	a.sinceProbe++
	if tr.hasTarget[(tr.steps-1)%tr.k2] && a.sinceProbe >= a.cfg.ProbeEvery && tr.steps >= a.cfg.KMax {
		a.runProbe(dy)
		a.sinceProbe = 0
	}
	if a.sinceEstimate++; a.sinceEstimate >= a.cfg.EstimateEvery {
		a.estimate()
		a.sinceEstimate = 0
	}
	if tr.pending == tr.k1 {
		tr.backward(a.window + tr.k1 - 1)
	}
	return loss, nil
}

// Finish backpropagates the last, partial chunk and starts a new one (the probe
// statistics carry over: they describe the model, not the sequence).
func (a *Adaptive) Finish() error {
	if err := a.tr.errClosed(); err != nil {
		return err
	}
	if a.tr.pending > 0 {
		a.tr.backward(a.window + a.tr.k1 - 1)
	}
	a.tr.steps = 0
	return nil
}

// runProbe backpropagates the newest step's ∂ℓ_t/∂s_t = [Wᵀ·dy_t; 0] alone through
// the last KMax steps, adding ‖∂ℓ_t/∂s_{t−k}‖ and the adjoints into the sums; the
// Jacobian variant also sends a random unit vector down the same steps.
func (a *Adaptive) runProbe(dy []float32) {
	tr := a.tr
	clear(a.probe)
	tr.head.Backward(tr.topHidden(a.probe), nil, tr.topHidden(tr.state), dy)
	B := tr.batch
	if a.cfg.Jacobian {
		// One unit vector per sequence, drawn sequence by sequence.
		for b := range B {
			var n float64
			for i := b; i < len(a.dir); i += B {
				v := a.rng.NormFloat64()
				a.dir[i] = float32(v)
				n += v * v
			}
			inv := float32(1 / math.Sqrt(n))
			for i := b; i < len(a.dir); i += B {
				a.dir[i] *= inv
			}
		}
	}
	S := len(a.probe) / B
	for k := 0; ; k++ {
		a.phiSum[k] += columnNorms(a.probe, B)
		row := a.adjSum[k*S : (k+1)*S]
		for i := range row {
			for _, v := range a.probe[i*B : (i+1)*B] {
				row[i] += float64(v)
			}
		}
		if a.cfg.Jacobian {
			a.gainSum[k] += columnNorms(a.dir, B)
		}
		if k == a.cfg.KMax {
			break
		}
		cache := tr.caches[(tr.steps-1-k)%tr.k2] // step t−k
		tr.model.Backward(cache, a.probe, nil, a.probe)
		if a.cfg.Jacobian {
			tr.model.Backward(cache, a.dir, nil, a.dir)
		}
	}
	a.weight += float64(B)
}

// columnNorms is Σ_b ‖v_b‖ over the B columns of the feature-major v.
func columnNorms(v []float32, B int) float64 {
	if B == 1 {
		return linalg.Norm32(v)
	}
	var sum float64
	for b := range B {
		var s float64
		for i := b; i < len(v); i += B {
			s += float64(v[i]) * float64(v[i])
		}
		sum += math.Sqrt(s)
	}
	return sum
}

// estimate refits β and re-chooses the window from the probe sums, then discounts them.
func (a *Adaptive) estimate() {
	if a.weight < 1 { // not one probe's worth of evidence yet
		return
	}
	S := len(a.adjMean)
	for k := range a.phiSum {
		a.lastPhi[k] = a.phiSum[k] / a.weight
		a.lastGain[k] = a.gainSum[k] / a.weight
	}
	clear(a.adjMean)
	a.cum[0] = 0
	for k := range a.phiSum {
		var ss float64
		for i := range a.adjMean {
			a.adjMean[i] += a.adjSum[k*S+i] / a.weight
			ss += a.adjMean[i] * a.adjMean[i]
		}
		a.cum[k+1] = math.Sqrt(ss)
	}
	copy(a.model, a.lastPhi)
	if a.cfg.Jacobian && a.lastGain[0] > 0 {
		for k := range a.model {
			a.model[k] = a.lastPhi[0] * a.lastGain[k] / a.lastGain[0]
		}
	}
	beta, ok := diagnose.FitDecay(a.model, a.cfg.Tau)
	if !ok {
		beta = math.NaN()
	}
	a.beta = beta
	a.bound = diagnose.GradNormLowerBound(a.cum, a.model, beta, a.cfg.Tau)
	a.window = diagnose.Window(a.model, beta, a.cfg.Tau, a.bound, a.cfg.Delta, a.cfg.KMin, a.cfg.KMax)
	a.estimates++
	f := a.cfg.Forget
	a.weight *= f
	for k := range a.phiSum {
		a.phiSum[k] *= f
		a.gainSum[k] *= f
	}
	for i := range a.adjSum {
		a.adjSum[i] *= f
	}
}

// Bytes counts Truncated's ring and scratch and the probe statistics.
func (a *Adaptive) Bytes() int64 {
	f64 := len(a.phiSum) + len(a.gainSum) + len(a.adjSum) + len(a.model) + len(a.cum) +
		len(a.adjMean) + len(a.lastPhi) + len(a.lastGain)
	return a.tr.Bytes() + 8*int64(f64) + 4*int64(len(a.probe)+len(a.dir))
}
