package diagnose

import "math"

// The decay model and the window it implies, after Aicher, Foti & Fox, "Adaptively
// truncating backpropagation through time to control gradient bias" (UAI 2019,
// arXiv:1905.07473). Notation:
//
//	φ_k = E_t ‖∂L_t/∂s_{t−k}‖                 per-lag gradient norm, k = 0, 1, …
//	φ_k ≤ φ_τ·β^{k−τ}  for k ≥ τ               geometric decay beyond a burn-in lag τ
//	g_K = Σ_{k<K} E_t[∂L_t/∂s_{t−k}]            what TBPTT with window K keeps
//	‖g − g_K‖ ≤ Σ_{k≥K} φ_k = φ_τ·β^{K−τ}/(1−β)  (K ≥ τ)   its absolute bias
//	K(δ) = min{K : φ_τ·β^{K−τ}/((1−β)·‖g‖) ≤ δ}             the window for relative bias δ
//
// "Window K" means K backward steps per loss: ∂L_t/∂θ through the immediate Jacobians
// of steps t, t−1, …, t−K+1, i.e. lags k = 0 … K−1 (TBPTT's k2 = K). ‖g‖ is unknown; as
// in the paper's estimator it is replaced by the lower bound max_K (‖g_K‖ − bias(K)),
// which holds whenever the bias bound does. The paper's text was not reachable in full
// from here, so the bounds follow the authors' reference implementation
// (github.com/aicherc/adaptive_tbptt, tbptt/adaptive_truncation.py: OLS on log φ_k for
// the rate, the tail sum for the absolute bias, the lower bound for ‖g‖), with one
// correction: for K < τ the bias is Σ_{K≤k<τ} φ_k + φ_τ/(1−β) (the reference counts φ_τ
// twice there). Every function here is allocation-free, so the streaming algorithm in
// package bptt can call them every re-estimation.

// underflowRatio: lags whose φ_k fell below this fraction of the largest φ are left out
// of the fit; float32 products of many contracting Jacobians reach denormals and zero,
// and their logarithms say nothing about the rate.
const underflowRatio = 1e-30

// FitDecay fits log φ_k = a + k·log β by ordinary least squares over the lags
// k = tau … len(phi)−1 and returns β = e^slope. ok is false when fewer than two usable
// lags remain (non-positive, non-finite or underflowed values are skipped).
func FitDecay(phi []float64, tau int) (beta float64, ok bool) {
	if tau < 0 {
		tau = 0
	}
	var peak float64
	for _, v := range phi {
		if v > peak && !math.IsInf(v, 0) {
			peak = v
		}
	}
	floor := peak * underflowRatio
	var n, sx, sy float64
	for k := tau; k < len(phi); k++ {
		if v := phi[k]; v > floor && v > 0 && !math.IsInf(v, 0) {
			n++
			sx += float64(k)
			sy += math.Log(v)
		}
	}
	if n < 2 {
		return math.NaN(), false
	}
	mx, my := sx/n, sy/n
	var sxx, sxy float64
	for k := tau; k < len(phi); k++ {
		if v := phi[k]; v > floor && v > 0 && !math.IsInf(v, 0) {
			dx := float64(k) - mx
			sxx += dx * dx
			sxy += dx * (math.Log(v) - my)
		}
	}
	return math.Exp(sxy / sxx), true
}

// Bias is the estimated absolute bias Σ_{k≥K} φ_k of window K under the geometric model:
// φ_τ·β^{K−τ}/(1−β) for K ≥ τ, and the measured φ_K … φ_{τ−1} plus φ_τ/(1−β) below τ.
// It is +Inf when β ≥ 1 (no decay: no window bounds the bias) or β is NaN.
func Bias(phi []float64, beta float64, tau, K int) float64 {
	if !(beta < 1) || beta < 0 || tau >= len(phi) || K < 0 {
		return math.Inf(1)
	}
	tail := phi[tau] / (1 - beta)
	if K >= tau {
		return tail * math.Pow(beta, float64(K-tau))
	}
	for k := K; k < tau; k++ {
		tail += phi[k]
	}
	return tail
}

// GradNormLowerBound is max_K (‖g_K‖ − Bias(K)) over the windows K = 1 … len(cum)−1,
// where cum[K] = ‖g_K‖ = ‖Σ_{k<K} E_t[∂L_t/∂s_{t−k}]‖ (cum[0] is unused). It is the
// paper's stand-in for the unknown ‖g‖; a result ≤ 0 means no bound was found.
func GradNormLowerBound(cum, phi []float64, beta float64, tau int) float64 {
	best := math.Inf(-1)
	for K := 1; K < len(cum); K++ {
		if b := cum[K] - Bias(phi, beta, tau, K); b > best {
			best = b
		}
	}
	return best
}

// Window returns the smallest K in [kmin, kmax] whose relative bias
// Bias(K)/gradNorm is at most delta, or kmax when none is (no decay, or no usable
// bound on ‖g‖). It needs 1 ≤ kmin ≤ kmax.
func Window(phi []float64, beta float64, tau int, gradNorm, delta float64, kmin, kmax int) int {
	if !(gradNorm > 0) || math.IsInf(gradNorm, 0) {
		return kmax
	}
	for K := kmin; K <= kmax; K++ {
		if Bias(phi, beta, tau, K) <= delta*gradNorm {
			return K
		}
	}
	return kmax
}

// ClosedFormWindow is K(δ) for exactly geometric φ_k = φ_τ·β^{k−τ} (k ≥ τ) and a known
// ‖g‖: the smallest K ≥ τ with φ_τ·β^{K−τ}/((1−β)·‖g‖) ≤ δ,
//
//	K = τ + ⌈log(δ·(1−β)·‖g‖/φ_τ) / log β⌉, and τ when that is below τ.
//
// It is what Window computes when the model holds, written out for tests and reports.
func ClosedFormWindow(phiTau, beta float64, tau int, gradNorm, delta float64) int {
	if !(beta > 0 && beta < 1) {
		return math.MaxInt
	}
	x := math.Log(delta*(1-beta)*gradNorm/phiTau) / math.Log(beta)
	if x <= 0 {
		return tau
	}
	return tau + int(math.Ceil(x-1e-12))
}
