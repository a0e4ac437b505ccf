package rtrl

import (
	"fmt"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/algostate"
	"github.com/chronograd/chronograd/kernels"
)

// EProp is eligibility propagation (Bellec, Scherr, Subramoney, Hajek, Salaj, Legenstein
// and Maass, "A solution to the learning dilemma for recurrent networks of spiking
// neurons", Nature Communications 11:3625, 2020) for the LSTM. The paper factors the
// gradient as
//
//	dE/dW_ji = Σ_t L_j^t · e_ji^t                                          (eq. 3)
//
// with a learning signal L_j^t and an eligibility trace e_ji^t computed forward in time
// from an eligibility vector ε_ji^t of the unit's hidden (internal) state (eqs. 13–14,
// the paper's Methods):
//
//	ε_ji^t = (∂h_j^t/∂h_j^{t-1})·ε_ji^{t-1} + ∂h_j^t/∂W_ji
//	e_ji^t = (∂z_j^t/∂h_j^t)·ε_ji^t
//
// where the partial derivatives hold the observable outputs z^{t-1} (here the LSTM's
// h_{t-1}) fixed. For an LSTM unit j the hidden state is the memory cell c_j and the
// observable state is h_j, so ∂c_j^t/∂c_j^{t-1} = f_j^t and ∂h_j^t/∂c_j^t = o_j^t·(1 −
// tanh²(c_j^t)). Each weight W_ji of the input (i), forget (f) and cell (g) gates,
// reading â_i ∈ [x_t; h_{t-1}; 1], has an eligibility vector
//
//	ε_ji ← f_j·ε_ji + (∂c_j/∂a_j)·â_i     ∂c_j/∂a = g·σ'(a_i) (i), c_{t-1}·σ'(a_f) (f), i·tanh'(a_g) (g)
//	e_ji = o_j·(1 − tanh²(c_j))·ε_ji
//
// and an output-gate weight, which does not feed c, has the memoryless trace e_ji =
// tanh(c_j)·σ'(a_o)·â_i. The learning signal is the paper's symmetric e-prop one, L_j^t =
// Σ_k W_kj·(ŷ_k^t − y_k^t) = ∂E^t/∂h_j^t (the error of this step only: no future term),
// or B·e_t with a fixed random B under the FeedbackAlignment option (random e-prop).
// Equivalently, e-prop is RTRL with J_t replaced by the part of it that does not pass
// through W_hh. Memory and time per step are O(H·(H+I)).
type EProp struct {
	online
	// epsilon holds ε for the i, f and g gates: row k·H+u (k < 3) over â = [x; h; 1].
	epsilon        kernels.Mat
	aHat           []float32
	coefIH, coefHH []float32   // the cell's immediate coefficients (equal for LSTM)
	feedback       kernels.Mat // B (H×O), or empty for head.weightᵀ
	q              []float32   // L_j
}

// NewEProp builds e-prop for a model with an LSTM cell.
func NewEProp(m *cell.Model, opt FeedbackOptions) (*EProp, error) {
	if err := oneLayer("eprop", "its eligibility traces are local to one recurrent layer", m); err != nil {
		return nil, err
	}
	if m != nil && len(m.Layers) > 0 && m.Layers[0] != nil && m.Layers[0].Kind() != cell.LSTM {
		return nil, fmt.Errorf("rtrl: eprop needs an lstm cell, not %v (its eligibility traces are the LSTM's)", m.Layers[0].Kind())
	}
	base, err := newOnline("eprop", m)
	if err != nil {
		return nil, err
	}
	c, head := base.cell, base.head
	h, in, s := c.HiddenSize(), c.InputSize(), c.StateSize()
	a := &EProp{
		online:  base,
		epsilon: kernels.NewMat(3*h, in+h+1),
		aHat:    make([]float32, in+h+1),
		coefIH:  make([]float32, s*4),
		coefHH:  make([]float32, s*4),
		q:       make([]float32, h),
	}
	if opt.FeedbackAlignment {
		a.feedback = randomFeedback(h, head.OutSize(), opt.Seed)
	}
	return a, nil
}

// Reset starts a sequence from s0 (nil: zeros) with ε = 0.
func (a *EProp) Reset(s0 []float32) error {
	if err := a.resetState(s0); err != nil {
		return err
	}
	clear(a.epsilon.Data)
	return nil
}

// SaveState returns the state e-prop carries between steps (see cell.AlgorithmState): s_t
// as "state", the eligibility vectors ε of the i, f and g gates (3H × (I+H+1), row-major)
// as "eligibility" and, as a setting that must match, the random feedback matrix B as
// "feedback" (empty without FeedbackAlignment). The gradients are not part of it.
func (a *EProp) SaveState() cell.AlgorithmState { return algostate.Save(a.vars()) }

// LoadState restores a state that SaveState returned from e-prop built for a model of the
// same shape with the same feedback; another state is refused, changing nothing.
func (a *EProp) LoadState(s cell.AlgorithmState) error { return a.loadState(s, a.vars()) }

func (a *EProp) vars() []algostate.Var {
	return a.stateVars(
		algostate.F32("eligibility", a.epsilon.Data),
		algostate.F32("feedback", a.feedback.Data).Fixed(),
	)
}

// Step runs one online step.
func (a *EProp) Step(x []float32, y cell.Target) (float32, error) {
	loss, hasTarget, err := a.forward(x, y)
	if err != nil {
		return 0, err
	}
	l := a.cell.Layout()
	h, in := l.Hidden, l.Input
	copy(a.aHat[:in], a.cache.Layer(0).Input())
	copy(a.aHat[in:in+h], a.cache.Layer(0).Prev()[:h])
	a.aHat[in+h] = 1
	// The c rows of the immediate coefficients are ∂c_t/∂a for gates i, f, g (and 0 for
	// o); the h rows' o entry is tanh(c_t)·σ'(a_o).
	a.cell.ImmediateCoefficients(a.cache.Layer(0), a.coefIH, a.coefHH)
	gates := a.cache.Layer(0).Gates()
	forget, out, tanhC := gates[h:2*h], gates[3*h:], a.cache.Layer(0).CellTanh()
	if hasTarget {
		if a.feedback.Rows > 0 {
			kernels.MatVec(a.q, a.feedback, a.dy)
		} else {
			copy(a.q, a.dLds[:h])
		}
	}
	g := a.gradCell
	xs, hs := a.aHat[:in], a.aHat[in:in+h]
	for gate := range 3 {
		for u := range h {
			r := gate*h + u
			c := a.coefIH[(h+u)*4+gate] // ∂c_u/∂a_{gate,u}
			f := forget[u]              // ∂c_u/∂c_u at fixed h_{t-1}
			// L_j·e_ji = L_j·(∂h_j/∂c_j)·ε_ji, summed into eq. 3 as ε is updated.
			var scale float32
			if hasTarget {
				scale = a.q[u] * out[u] * (1 - tanhC[u]*tanhC[u])
			}
			eps := a.epsilon.Row(r)
			wih, whh := l.WeightIH+r*in, l.WeightHH+r*h
			eligibilityRow(eps[:in], xs, g[wih:wih+in], f, c, scale, hasTarget)
			eligibilityRow(eps[in:in+h], hs, g[whh:whh+h], f, c, scale, hasTarget)
			eps[in+h] = f*eps[in+h] + c // the bias's input is 1
			if hasTarget {
				g[l.BiasIH+r] += scale * eps[in+h]
				g[l.BiasHH+r] += scale * eps[in+h]
			}
		}
	}
	if !hasTarget {
		return loss, nil
	}
	for u, lu := range a.q {
		// The output gate's trace is its immediate Jacobian: tanh(c_u)·σ'(a_o)·â.
		r := 3*h + u
		scale := lu * a.coefIH[u*4+3]
		kernels.Axpy(scale, xs, g[l.WeightIH+r*in:l.WeightIH+(r+1)*in])
		kernels.Axpy(scale, hs, g[l.WeightHH+r*h:l.WeightHH+(r+1)*h])
		g[l.BiasIH+r] += scale
		g[l.BiasHH+r] += scale
	}
	return loss, nil
}

// eligibilityRow is the eligibility vector's recursion ε ← f·ε + c·â over one input
// segment of a gate row, and, with a target, grad += scale·ε on the matching parameters.
func eligibilityRow(eps, aHat, grad []float32, f, c, scale float32, hasTarget bool) {
	aHat, grad = aHat[:len(eps)], grad[:len(eps)]
	for j := range eps {
		eps[j] = f*eps[j] + c*aHat[j]
		if hasTarget {
			grad[j] += scale * eps[j]
		}
	}
}

// Bytes counts ε, â, the coefficients, B, L and the shared buffers.
func (a *EProp) Bytes() int64 {
	return a.bytes() + floats(len(a.epsilon.Data)+len(a.aHat)+len(a.coefIH)+len(a.coefHH)+
		len(a.feedback.Data)+len(a.q))
}
