package rtrl

import (
	"github.com/chronograd/chronograd/cell"
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
	// trace[slot·P + p] is M̃_t[row][p] for the slot-th state row parameter p feeds
	// (slot 0: h_u; slot 1: c_u for LSTM).
	trace          []float32
	slots          int
	layout         cell.Layout // sizes, read once: row runs G·H·4 times per step
	unitJacobian   []float32   // per unit u, the slots×slots block of J_t on u's rows
	coefIH, coefHH []float32
}

// SnAp1Options configure SnAp-1; it has no settings yet, and its zero value is the
// default.
type SnAp1Options struct{}

// NewSnAp1 builds SnAp-1 for the model, any cell kind.
func NewSnAp1(m *cell.Model, _ SnAp1Options) (*SnAp1, error) {
	base, err := newOnline("snap1", m)
	if err != nil {
		return nil, err
	}
	c := base.cell
	s, g := c.StateSize(), c.Layout().Gates
	slots := c.Kind().StateFactor()
	return &SnAp1{
		online:       base,
		trace:        make([]float32, slots*c.NumParams()),
		slots:        slots,
		layout:       c.Layout(),
		unitJacobian: make([]float32, c.HiddenSize()*slots*slots),
		coefIH:       make([]float32, s*g),
		coefHH:       make([]float32, s*g),
	}, nil
}

// Reset starts a sequence from s0 (nil: zeros) with M̃_0 = 0.
func (a *SnAp1) Reset(s0 []float32) error {
	if err := a.resetState(s0); err != nil {
		return err
	}
	clear(a.trace)
	return nil
}

// Step runs one online step.
func (a *SnAp1) Step(x, y []float32) (float32, error) {
	loss, hasTarget, err := a.forward(x, y)
	if err != nil {
		return 0, err
	}
	a.cell.UnitJacobian(a.cache, a.unitJacobian)
	a.cell.ImmediateCoefficients(a.cache, a.coefIH, a.coefHH)
	l := a.layout
	h, in, g, p := l.Hidden, l.Input, l.Gates, len(a.gradCell)
	xs, hp := a.cache.Input(), a.cache.Prev()[:h]
	// Gate row r = gate·H+u owns the parameters [wih, wih+I), [whh, whh+H), bih and bhh,
	// whose immediate Jacobian on state row s is coef[s·G+gate]·(x_t, h_{t-1} or 1).
	for gate := range g {
		for u := range h {
			r := gate*h + u
			wih, whh, bih, bhh := l.WeightIH+r*in, l.WeightHH+r*h, l.BiasIH+r, l.BiasHH+r
			q := a.dLds[u] // ∂L_t/∂h_t[u]; ∂L_t/∂c_t is zero
			if a.slots == 1 {
				decay := a.unitJacobian[u]
				cih, chh := a.coefIH[u*g+gate], a.coefHH[u*g+gate]
				decayRow(a.trace[wih:wih+in], a.gradCell[wih:wih+in], xs, decay, cih, q, hasTarget)
				decayRow(a.trace[whh:whh+h], a.gradCell[whh:whh+h], hp, decay, chh, q, hasTarget)
				decayRow(a.trace[bih:bih+1], a.gradCell[bih:bih+1], one[:], decay, cih, q, hasTarget)
				decayRow(a.trace[bhh:bhh+1], a.gradCell[bhh:bhh+1], one[:], decay, chh, q, hasTarget)
				continue
			}
			// LSTM: the 2×2 block of J_t on (h_u, c_u), and the h and c rows' coefficients.
			blk := (*[4]float32)(a.unitJacobian[4*u : 4*u+4])
			ih := [2]float32{a.coefIH[u*g+gate], a.coefIH[(h+u)*g+gate]}
			hh := [2]float32{a.coefHH[u*g+gate], a.coefHH[(h+u)*g+gate]}
			blockRow(a.trace[wih:wih+in], a.trace[p+wih:p+wih+in], a.gradCell[wih:wih+in], xs, blk, ih, q, hasTarget)
			blockRow(a.trace[whh:whh+h], a.trace[p+whh:p+whh+h], a.gradCell[whh:whh+h], hp, blk, hh, q, hasTarget)
			blockRow(a.trace[bih:bih+1], a.trace[p+bih:p+bih+1], a.gradCell[bih:bih+1], one[:], blk, ih, q, hasTarget)
			blockRow(a.trace[bhh:bhh+1], a.trace[p+bhh:p+bhh+1], a.gradCell[bhh:bhh+1], one[:], blk, hh, q, hasTarget)
		}
	}
	return loss, nil
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

// Bytes counts the traces, J_t's unit blocks, the coefficients and the shared buffers.
func (a *SnAp1) Bytes() int64 {
	return a.bytes() + floats(len(a.trace)+len(a.unitJacobian)+len(a.coefIH)+len(a.coefHH))
}
