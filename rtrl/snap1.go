package rtrl

import (
	"fmt"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/algostate"
)

// SnAp1 is the sparse n-step approximation with n = 1 (Menick, Elsen, Evci, Osindero,
// Simonyan and Graves, "Practical real time recurrent learning with a sparse
// approximation", ICLR 2021, §3). SnAp-n keeps the influence matrix only on the sparsity
// pattern that n steps of the recurrence would give it; for n = 1 that is the pattern of
// the immediate Jacobian Ī_t, and the update is RTRL's, masked:
//
//	M̃_t = (J_t·M̃_{t-1} + Ī_t) ⊙ mask(Ī)
//
// Parameter θ_p of gate row k·H+u feeds only unit u's state rows (row u; and row H+u, the
// cell state, for LSTM), so M̃ has one (two for LSTM) non-zero entries per column, and the
// masked product needs only the entries J_t[s][s'] with s, s' both unit u's rows:
//
//	m_p ← J_t[u][u]·m_p + Ī_t[u][p]                                   (vanilla, GRU)
//	[m_p^h; m_p^c] ← [J_hh J_hc; J_ch J_cc]_u · [m_p^h; m_p^c] + [Ī_t[u][p]; Ī_t[H+u][p]]   (LSTM)
//
// The gradient is Σ_t (∂L_t/∂s_t)ᵀ·M̃_t = Σ_t ∂L_t/∂h_t[u]·m_p^h. The kept entries of J_t
// come from Cell.UnitJacobian (O(S·G)), so a step costs O(P), about a forward step, and
// memory is O(P). On a vanilla cell with a zero W_hh diagonal it is RFLO exactly
// (J_t[u][u] = 1−α).
type SnAp1 struct {
	online
	// traces[k][slot·P_k + p] is M̃_t[row][p] for layer k's parameter p and the slot-th
	// state row of the unit it feeds (slot 0: h_u; slot 1: c_u for LSTM).
	traces         [][]float32
	slots          int
	unitJacobian   []float32 // per unit u, the slots×slots block of J_t on u's rows
	coefIH, coefHH []float32
	// signals[k] is ∂ℓ_t/∂s^k_t of the layers below the top (the top's is in dLds): the
	// loss reaches their h within the step, through the layers above; an LSTM's c rows
	// stay zero.
	signals [][]float32
}

// SnAp1Options configure SnAp-1; it has no settings yet, and its zero value is the
// default.
type SnAp1Options struct{}

// NewSnAp1 builds SnAp-1 for the model, any cell kind and any number of layers. On a
// stack every layer keeps its own parameters' influence on its own units (the pattern of
// the layer's immediate Jacobian), and each layer's learning signal ∂ℓ_t/∂h^k_t reaches it
// from the loss through the layers above within the step, exactly.
func NewSnAp1(m *cell.Model, _ SnAp1Options) (*SnAp1, error) {
	base, err := newOnline("snap1", m)
	if err != nil {
		return nil, err
	}
	c := base.cell
	s, g := c.StateSize(), c.Layout().Gates
	slots := c.Kind().StateFactor()
	a := &SnAp1{
		online:       base,
		slots:        slots,
		unitJacobian: make([]float32, c.HiddenSize()*slots*slots),
		coefIH:       make([]float32, s*g),
		coefHH:       make([]float32, s*g),
	}
	for k, l := range m.Layers {
		a.traces = append(a.traces, make([]float32, slots*l.NumParams()))
		if k < len(m.Layers)-1 {
			a.signals = append(a.signals, make([]float32, l.StateSize()))
		}
	}
	return a, nil
}

// Reset starts a sequence from s0 (nil: zeros) with M̃_0 = 0.
func (a *SnAp1) Reset(s0 []float32) error {
	if err := a.resetState(s0); err != nil {
		return err
	}
	for _, tr := range a.traces {
		clear(tr)
	}
	return nil
}

// SaveState returns the state SnAp-1 carries between steps (see cell.AlgorithmState): s_t
// as "state" and each layer k's traces M̃ as "trace_l{k}" (the layer's P_k parameters'
// traces on h, then, for LSTM, on c). The gradients are not part of it.
func (a *SnAp1) SaveState() cell.AlgorithmState { return algostate.Save(a.vars()) }

// LoadState restores a state that SaveState returned from SnAp-1 built for a model of the
// same shape; a state of another shape or algorithm is refused, changing nothing.
func (a *SnAp1) LoadState(s cell.AlgorithmState) error { return a.loadState(s, a.vars()) }

func (a *SnAp1) vars() []algostate.Var {
	var vars []algostate.Var
	for k, tr := range a.traces {
		vars = append(vars, algostate.F32(fmt.Sprintf("trace_l%d", k), tr))
	}
	return a.stateVars(vars...)
}

// Step runs one online step.
func (a *SnAp1) Step(x []float32, y cell.Target) (float32, error) {
	loss, hasTarget, err := a.forward(x, y)
	if err != nil {
		return 0, err
	}
	L := len(a.model.Layers)
	if hasTarget && L > 1 {
		// The layers' learning signals, top down: ∂ℓ_t/∂h^{k−1}_t = A^kᵀ·∂ℓ_t/∂s^k_t (an
		// LSTM's c^{k−1}_t does not feed layer k, so its signal is zero).
		for k := L - 1; k > 0; k-- {
			a.model.Layers[k].InputVJP(a.cache.Layer(k), a.signals[k-1][:a.model.HiddenSize()], a.layerSignal(k))
		}
	}
	for k, l := range a.model.Layers {
		q := a.layerSignal(k)
		a.layer(l, a.cache.Layer(k), a.traces[k], a.model.LayerVector(a.gradCell, k), q[:a.model.HiddenSize()], hasTarget)
	}
	return loss, nil
}

// layerSignal is ∂ℓ_t/∂s^k_t: the top layer's from dLds, a lower layer's from signals
// (for LSTM, the c rows are zero).
func (a *SnAp1) layerSignal(k int) []float32 {
	if k == len(a.model.Layers)-1 {
		return a.dLds[a.top:]
	}
	return a.signals[k]
}

// layer updates one layer's traces and adds its gradient, q being ∂ℓ_t/∂h_t of its units.
func (a *SnAp1) layer(c cell.Cell, cache *cell.Cache, trace, gradCell, q []float32, hasTarget bool) {
	c.UnitJacobian(cache, a.unitJacobian)
	c.ImmediateCoefficients(cache, a.coefIH, a.coefHH)
	l := c.Layout()
	h, in, g, p := l.Hidden, l.Input, l.Gates, len(gradCell)
	xs, hp := cache.Input(), cache.Prev()[:h]
	biasIn := cache.BiasHHInput() // bias_hh_l0's input: nil means 1
	// Gate row r = gate·H+u owns the parameters [wih, wih+I), [whh, whh+H), bih and bhh,
	// whose immediate Jacobian on state row s is coef[s·G+gate]·(x_t, h_{t-1} or 1).
	for gate := range g {
		for u := range h {
			r := gate*h + u
			wih, whh, bih, bhh := l.WeightIH+r*in, l.WeightHH+r*h, l.BiasIH+r, l.BiasHH+r
			qu := q[u] // ∂L_t/∂h_t[u]; ∂L_t/∂c_t is zero
			if a.slots == 1 {
				decay := a.unitJacobian[u]
				cih, chh := a.coefIH[u*g+gate], a.coefHH[u*g+gate]
				decayRow(trace[wih:wih+in], gradCell[wih:wih+in], xs, decay, cih, qu, hasTarget)
				decayRow(trace[whh:whh+h], gradCell[whh:whh+h], hp, decay, chh, qu, hasTarget)
				decayRow(trace[bih:bih+1], gradCell[bih:bih+1], one[:], decay, cih, qu, hasTarget)
				in := one[:]
				if biasIn != nil {
					in = biasIn[u : u+1]
				}
				decayRow(trace[bhh:bhh+1], gradCell[bhh:bhh+1], in, decay, chh, qu, hasTarget)
				continue
			}
			// LSTM: the 2×2 block of J_t on (h_u, c_u), and the h and c rows' coefficients.
			blk := (*[4]float32)(a.unitJacobian[4*u : 4*u+4])
			ih := [2]float32{a.coefIH[u*g+gate], a.coefIH[(h+u)*g+gate]}
			hh := [2]float32{a.coefHH[u*g+gate], a.coefHH[(h+u)*g+gate]}
			blockRow(trace[wih:wih+in], trace[p+wih:p+wih+in], gradCell[wih:wih+in], xs, blk, ih, qu, hasTarget)
			blockRow(trace[whh:whh+h], trace[p+whh:p+whh+h], gradCell[whh:whh+h], hp, blk, hh, qu, hasTarget)
			blockRow(trace[bih:bih+1], trace[p+bih:p+bih+1], gradCell[bih:bih+1], one[:], blk, ih, qu, hasTarget)
			blockRow(trace[bhh:bhh+1], trace[p+bhh:p+bhh+1], gradCell[bhh:bhh+1], one[:], blk, hh, qu, hasTarget)
		}
	}
}

// decayRow is m ← decay·m + c·in and then grad += q·m, for the parameters of one gate
// row whose single kept state row has J_t entry decay.
func decayRow(m, grad, in []float32, decay, c, q float32, hasTarget bool) {
	in, grad = in[:len(m)], grad[:len(m)]
	for j := range m {
		// The conversions forbid fused multiply-adds (Go spec, "Floating-point
		// operators"), which the compiler would otherwise choose differently here and in
		// RFLO on arm64: the two must round identically.
		m[j] = float32(decay*m[j]) + float32(c*in[j])
		if hasTarget {
			grad[j] += float32(q * m[j])
		}
	}
}

// blockRow is the LSTM's [m^h; m^c] ← blk·[m^h; m^c] + [c[0]; c[1]]·in, then
// grad += q·m^h.
func blockRow(mh, mc, grad, in []float32, blk *[4]float32, c [2]float32, q float32, hasTarget bool) {
	mc, grad, in = mc[:len(mh)], grad[:len(mh)], in[:len(mh)]
	for j := range mh {
		oh, oc := mh[j], mc[j]
		mh[j] = blk[0]*oh + blk[1]*oc + c[0]*in[j]
		mc[j] = blk[2]*oh + blk[3]*oc + c[1]*in[j]
		if hasTarget {
			grad[j] += q * mh[j]
		}
	}
}

// one is a bias's input.
var one = [1]float32{1}

// Bytes counts the traces, J_t's unit blocks, the coefficients, the lower layers'
// signals and the shared buffers.
func (a *SnAp1) Bytes() int64 {
	n := len(a.unitJacobian) + len(a.coefIH) + len(a.coefHH)
	for _, tr := range a.traces {
		n += len(tr)
	}
	for _, q := range a.signals {
		n += len(q)
	}
	return a.bytes() + floats(n)
}
