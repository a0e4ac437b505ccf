package rtrl

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/algostate"
	"github.com/chronograd/chronograd/kernels"
)

// RFLO is random-feedback local online learning (Murray, "Local online learning in
// recurrent networks with random feedback", eLife 2019;8:e43299, the "RFLO learning"
// section) for the leaky vanilla cell s_t = (1−α)·s_{t-1} + α·φ(u_t), u_t = W_hh·s_{t-1}
// + W_ih·x_t + b. Murray's 1/τ is α. Dropping every path through the recurrent weights
// from RTRL leaves each weight an eligibility trace of its own, local to its synapse:
//
//	P_ij ← (1−α)·P_ij + α·φ'(u_i)·â_j,   â = [s_{t-1}; x_t; 1]
//	∂L/∂W_ij += q_i·P_ij,                 q = head.weightᵀ·e_t   (e_t = ŷ_t − y_t)
//
// or, with the FeedbackAlignment option, q = B·e_t for a fixed random B (Murray's
// random feedback). Memory and time per step are O(H·(H+I)).
type RFLO struct {
	online
	// trace is P (H × (H+I+1)): columns [0, H) are s_{t-1}, [H, H+I) x_t, H+I the bias.
	trace    kernels.Mat
	aHat     []float32   // â
	feedback kernels.Mat // B (H×O), or empty for head.weightᵀ
	q        []float32   // q_i, the learning signal
}

// FeedbackOptions configure the local learning rules RFLO and e-prop.
type FeedbackOptions struct {
	// FeedbackAlignment sends the output error e_t back through a fixed random matrix B
	// (H×O, drawn once from U(−1/√H, 1/√H), the readout's own initial scale) instead of
	// the readout's weights: q = B·e_t replaces Wᵀ·e_t (Murray 2019's random feedback;
	// Bellec et al. 2020's random e-prop).
	FeedbackAlignment bool
	// Seed seeds B.
	Seed uint64
}

// NewRFLO builds RFLO for a model with an rnn_tanh or rnn_relu cell (any leak).
func NewRFLO(m *cell.Model, opt FeedbackOptions) (*RFLO, error) {
	if err := oneLayer("rflo", "its eligibility traces are local to one recurrent layer", m); err != nil {
		return nil, err
	}
	if m != nil && len(m.Layers) > 0 && m.Layers[0] != nil && !m.Layers[0].Kind().IsVanilla() {
		return nil, fmt.Errorf("rtrl: rflo needs an rnn_tanh or rnn_relu cell, not %v (its eligibility traces are derived for the leaky vanilla RNN)", m.Layers[0].Kind())
	}
	base, err := newOnline("rflo", m)
	if err != nil {
		return nil, err
	}
	c, head := base.cell, base.head
	h, in := c.HiddenSize(), c.InputSize()
	a := &RFLO{
		online: base,
		trace:  kernels.NewMat(h, h+in+1),
		aHat:   make([]float32, h+in+1),
		q:      make([]float32, h),
	}
	if opt.FeedbackAlignment {
		a.feedback = randomFeedback(h, head.OutSize(), opt.Seed)
	}
	return a, nil
}

// randomFeedback draws B (h×out) from U(−1/√h, 1/√h), the scale of nn.Linear's default
// initialisation of the readout it stands in for.
func randomFeedback(h, out int, seed uint64) kernels.Mat {
	b := kernels.NewMat(h, out)
	rng := rand.New(rand.NewPCG(seed, 0x66656564))
	bound := 1 / math.Sqrt(float64(h))
	for i := range b.Data {
		b.Data[i] = float32((2*rng.Float64() - 1) * bound)
	}
	return b
}

// Reset starts a sequence from s0 (nil: zeros) with P = 0.
func (a *RFLO) Reset(s0 []float32) error {
	if err := a.resetState(s0); err != nil {
		return err
	}
	clear(a.trace.Data)
	return nil
}

// SaveState returns the state RFLO carries between steps (see cell.AlgorithmState): s_t as
// "state", the eligibility traces P (H × (H+I+1), row-major) as "trace" and, as a setting
// that must match, the random feedback matrix B as "feedback" (empty without
// FeedbackAlignment). The gradients are not part of it.
func (a *RFLO) SaveState() cell.AlgorithmState { return algostate.Save(a.vars()) }

// LoadState restores a state that SaveState returned from RFLO built for a model of the
// same shape with the same feedback; another state is refused, changing nothing.
func (a *RFLO) LoadState(s cell.AlgorithmState) error { return a.loadState(s, a.vars()) }

func (a *RFLO) vars() []algostate.Var {
	return a.stateVars(
		algostate.F32("trace", a.trace.Data),
		algostate.F32("feedback", a.feedback.Data).Fixed(),
	)
}

// Step runs one online step.
func (a *RFLO) Step(x []float32, y cell.Target) (float32, error) {
	loss, hasTarget, err := a.forward(x, y)
	if err != nil {
		return 0, err
	}
	h, in := a.cell.HiddenSize(), a.cell.InputSize()
	copy(a.aHat[:h], a.cache.Layer(0).Prev())
	copy(a.aHat[h:h+in], a.cache.Layer(0).Input())
	a.aHat[h+in] = 1
	alpha := a.cell.Alpha()
	decay := 1 - alpha
	for i, d := range a.cache.Layer(0).ActivationDeriv() {
		c := alpha * d // α·φ'(u_i)
		p := a.trace.Row(i)
		aHat := a.aHat[:len(p)]
		for j := range p {
			p[j] = float32(decay*p[j]) + float32(c*aHat[j]) // unfused, as in SnAp-1
		}
	}
	if !hasTarget {
		return loss, nil
	}
	if a.feedback.Rows > 0 {
		kernels.MatVec(a.q, a.feedback, a.dy)
	} else {
		copy(a.q, a.dLds) // head.weightᵀ·e_t
	}
	l := a.cell.Layout()
	g := a.gradCell
	for i, qi := range a.q {
		p := a.trace.Row(i)
		addScaled(g[l.WeightHH+i*h:l.WeightHH+(i+1)*h], qi, p[:h])
		addScaled(g[l.WeightIH+i*in:l.WeightIH+(i+1)*in], qi, p[h:h+in])
		g[l.BiasIH+i] += float32(qi * p[h+in])
		g[l.BiasHH+i] += float32(qi * p[h+in])
	}
	return loss, nil
}

// addScaled is g += q·p in plain Go without fused multiply-adds: SnAp-1 does the same
// arithmetic element by element, which makes the two bit-identical where they coincide
// (a zero W_hh diagonal).
func addScaled(g []float32, q float32, p []float32) {
	p = p[:len(g)]
	for j := range g {
		g[j] += float32(q * p[j])
	}
}

// Bytes counts P, â, B, q and the shared buffers.
func (a *RFLO) Bytes() int64 {
	return a.bytes() + floats(len(a.trace.Data)+len(a.aHat)+len(a.feedback.Data)+len(a.q))
}
