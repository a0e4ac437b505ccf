package bptt

import (
	"fmt"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/algostate"
)

// SaveState returns the state truncated BPTT carries between steps (see
// cell.AlgorithmState): the running state s_t as "state" (feature-major for a batch), the
// ring of the last K2 steps' caches as "ring" (the cache of every layer of slot 0, then of
// slot 1, …: cell.Cache.Data of each) with its ∂ℓ/∂ŷ as "ring_dy" and its targets as
// "ring_has_target", the number of slots the ring has filled as "ring_slots", the
// counters "steps", "pending" and "pending_targets", and, as settings that must match,
// "k1", "k2" and "batch". The gradients are not part of it.
func (tr *Truncated) SaveState() cell.AlgorithmState {
	return algostate.Save(tr.vars(len(tr.caches), new(int)))
}

// LoadState restores a state that SaveState returned from truncated BPTT with the same
// K1, K2 and batch, built for a model of the same shape; another state is refused,
// changing nothing (but the ring, which it may allocate as far as the saved one had
// filled).
func (tr *Truncated) LoadState(s cell.AlgorithmState) error {
	return tr.loadState("bptt: truncated BPTT", s, nil)
}

// loadState grows the ring to the saved slots, then checks and restores tr's state and
// the extra variables together.
func (tr *Truncated) loadState(who string, s cell.AlgorithmState, extra []algostate.Var) error {
	if err := tr.errClosed(); err != nil {
		return err
	}
	slots := 0
	if v, ok := s.I64["ring_slots"]; ok && len(v) == 1 {
		if v[0] < 0 || v[0] > int64(tr.k2) {
			return fmt.Errorf("%s: state \"ring_slots\" is %d, outside [0, K2=%d]", who, v[0], tr.k2)
		}
		slots = int(v[0])
	}
	for len(tr.caches) < slots {
		tr.grow()
	}
	return algostate.Load(who, s, append(tr.vars(slots, new(int)), extra...))
}

// vars lists the state with the ring's first slots slots; the saved slot count is
// written to (and read from) *count.
func (tr *Truncated) vars(slots int, count *int) []algostate.Var {
	*count = slots
	parts := make([][]float32, 0, slots*tr.model.NumLayers())
	for _, c := range tr.caches[:slots] {
		for k := range tr.model.NumLayers() {
			parts = append(parts, c.Layer(k).Data())
		}
	}
	o := tr.out * tr.batch
	k1, k2, batch := tr.k1, tr.k2, tr.batch
	return []algostate.Var{
		algostate.F32("state", tr.state),
		algostate.F32s("ring", parts),
		algostate.F32("ring_dy", tr.dy[:slots*o]),
		algostate.Bools("ring_has_target", tr.hasTarget[:slots]),
		algostate.Int("ring_slots", count),
		algostate.Int("steps", &tr.steps),
		algostate.Int("pending", &tr.pending),
		algostate.Int("pending_targets", &tr.pendingTargets),
		algostate.Int("k1", &k1).Fixed(),
		algostate.Int("k2", &k2).Fixed(),
		algostate.Int("batch", &batch).Fixed(),
	}
}

// SaveState returns the state adaptive TBPTT carries between steps (see
// cell.AlgorithmState): truncated BPTT's (its ring holds KMax + K1 − 1 steps), the
// window "window", the estimator's counters "estimates", "since_probe" and
// "since_estimate", its probe sums "probe_weight", "phi_sum", "gain_sum" and "adj_sum",
// the latest fit "beta", "bound", "last_phi" and "last_gain" (float64 values as their
// bits), the random stream of the probe directions "rng" (the two words of its
// math/rand/v2 PCG), and, as settings that must match, "delta", "k_min", "k_max", "tau",
// "probe_every", "estimate_every", "forget" and "jacobian". The gradients are not part
// of it.
func (a *Adaptive) SaveState() cell.AlgorithmState {
	return algostate.Save(append(a.tr.vars(len(a.tr.caches), new(int)), a.vars()...))
}

// LoadState restores a state that SaveState returned from adaptive TBPTT with the same
// options, built for a model of the same shape; another state is refused, changing
// nothing (but the ring, which it may allocate as far as the saved one had filled).
func (a *Adaptive) LoadState(s cell.AlgorithmState) error {
	return a.tr.loadState("bptt: adaptive TBPTT", s, a.vars())
}

func (a *Adaptive) vars() []algostate.Var {
	c := a.cfg
	return []algostate.Var{
		algostate.Int("window", &a.window),
		algostate.Int("estimates", &a.estimates),
		algostate.Int("since_probe", &a.sinceProbe),
		algostate.Int("since_estimate", &a.sinceEstimate),
		algostate.Float("probe_weight", &a.weight),
		algostate.F64("phi_sum", a.phiSum),
		algostate.F64("gain_sum", a.gainSum),
		algostate.F64("adj_sum", a.adjSum),
		algostate.Float("beta", &a.beta),
		algostate.Float("bound", &a.bound),
		algostate.F64("last_phi", a.lastPhi),
		algostate.F64("last_gain", a.lastGain),
		algostate.PCG("rng", a.pcg),
		algostate.Float("delta", &c.Delta).Fixed(),
		algostate.Int("k_min", &c.KMin).Fixed(),
		algostate.Int("k_max", &c.KMax).Fixed(),
		algostate.Int("tau", &c.Tau).Fixed(),
		algostate.Int("probe_every", &c.ProbeEvery).Fixed(),
		algostate.Int("estimate_every", &c.EstimateEvery).Fixed(),
		algostate.Float("forget", &c.Forget).Fixed(),
		algostate.Bool("jacobian", &c.Jacobian).Fixed(),
	}
}
