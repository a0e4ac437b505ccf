package rtrl

import (
	"fmt"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/linalg"
	"github.com/chronograd/chronograd/kernels"
)

// DNI is a decoupled neural interface through time (Jaderberg, Czarnecki, Osindero,
// Vinyals, Graves, Silver and Kavukcuoglu, "Decoupled neural interfaces using synthetic
// gradients", ICML 2017, its recurrent case; as Marschall, Cho and Savin's JMLR 2020
// review runs it online). Instead of carrying the influence of the past forward, it
// predicts the credit the future will assign: a linear synthetic-gradient module A (S rows,
// S+O+1 columns) reads the state and the step's target,
//
//	ã_t = [s_t; ȳ_t; 1]                    (ȳ_t: the target values, a one-hot class, or 0)
//	ĉ_t = A·ã_t  ≈  c_t = ∂(Σ_{τ>t} ℓ_τ)/∂s_t
//
// and every step's gradient is the immediate one with that prediction added to the
// step's own loss gradient q_t = ∂ℓ_t/∂s_t:
//
//	∂L/∂θ += (q_t + ĉ_t)ᵀ·Ī_t
//
// which is what BPTT would add at step t if ĉ_t were the true future credit. The module
// learns online from its own bootstrapped target, the one-step backpropagation of the
// credit it predicts: c_{t−1} = J_tᵀ·(q_t + c_t), so one step later
//
//	c*_{t−1} = J_tᵀ·(q_t + ĉ_t)
//	A ← A − η·(A·ã_{t−1} − c*_{t−1})·ã_{t−1}ᵀ / ‖ã_{t−1}‖²
//
// a normalised least-mean-squares step on ½‖A·ã_{t−1} − c*_{t−1}‖² (η in (0, 2) keeps it
// stable whatever the scale of ã). Finish trains the sequence's last prediction toward 0,
// the credit of an empty future; a sequence's first step has nothing to train. A is kept
// across sequences (it is the module's weights); it starts at zero, where DNI's gradient is
// that of BPTT truncated to one step.
//
// J_tᵀ·(q_t + ĉ_t) and (q_t + ĉ_t)ᵀ·Ī_t are one backward step of the model, so a step costs
// about a forward and a backward step plus O(S·(S+O)) for the module; memory is the
// module's S·(S+O+1) floats. It applies to every cell kind and to stacks (s_t is the joint
// state). Its gradient is biased, by whatever the module has not learnt.
type DNI struct {
	online
	synthetic            kernels.Mat // A: S × (S+O+1)
	features, previous   []float32   // ã_t and ã_{t−1}
	prediction, signal   []float32   // A·ã (ĉ_t, then A·ã_{t−1}) and q_t + ĉ_t
	target               []float32   // c*_{t−1} = J_tᵀ·(q_t + ĉ_t)
	hasPrevious          bool
	rate                 float32 // η
	outputs, targetStart int     // O and where ȳ starts in ã
}

// DNIOptions configure DNI.
type DNIOptions struct {
	// LearningRate is η, the normalised step size of the synthetic-gradient module, in
	// (0, 2); zero means 0.1.
	LearningRate float32
}

// NewDNI builds DNI for the model: any cell kind and any number of layers.
func NewDNI(m *cell.Model, opt DNIOptions) (*DNI, error) {
	rate := opt.LearningRate
	if rate == 0 {
		rate = 0.1
	}
	if !(rate > 0 && rate < 2) {
		return nil, fmt.Errorf("rtrl: dni: LearningRate %v must be in (0, 2) (a normalised step)", opt.LearningRate)
	}
	base, err := newOnline("dni", m)
	if err != nil {
		return nil, err
	}
	s, o := m.StateSize(), m.OutSize()
	cols := s + o + 1
	return &DNI{
		online:      base,
		synthetic:   kernels.NewMat(s, cols),
		features:    make([]float32, cols),
		previous:    make([]float32, cols),
		prediction:  make([]float32, s),
		signal:      make([]float32, s),
		target:      make([]float32, s),
		rate:        rate,
		outputs:     o,
		targetStart: s,
	}, nil
}

// Reset starts a sequence from s0 (nil: zeros). The module A is kept; the last step of
// the previous sequence, if Finish did not end it, is not trained.
func (a *DNI) Reset(s0 []float32) error {
	if err := a.resetState(s0); err != nil {
		return err
	}
	a.hasPrevious = false
	return nil
}

// Step runs one online step: the gradient with the predicted future credit, then the
// module's update toward the previous step's bootstrapped target.
func (a *DNI) Step(x []float32, y cell.Target) (float32, error) {
	loss, _, err := a.forward(x, y)
	if err != nil {
		return 0, err
	}
	a.encode(y)
	kernels.MatVec(a.prediction, a.synthetic, a.features) // ĉ_t
	copy(a.signal, a.prediction)
	kernels.Axpy(1, a.dLds, a.signal) // q_t + ĉ_t
	// One backward step: the target J_tᵀ·(q_t + ĉ_t) and the gradient (q_t + ĉ_t)ᵀ·Ī_t.
	a.model.Backward(a.cache, a.target, a.gradCell, a.signal)
	if a.hasPrevious {
		a.learn(a.previous, a.target)
	}
	a.features, a.previous = a.previous, a.features
	a.hasPrevious = true
	return loss, nil
}

// Finish ends the sequence: the last step's prediction is trained toward 0, the credit
// of an empty future.
func (a *DNI) Finish() error {
	if err := a.errClosed(); err != nil {
		return err
	}
	if a.hasPrevious {
		clear(a.target)
		a.learn(a.previous, a.target)
		a.hasPrevious = false
	}
	return nil
}

// encode writes ã_t = [s_t; ȳ_t; 1] into features.
func (a *DNI) encode(y cell.Target) {
	f := a.features
	copy(f, a.state)
	yb := f[a.targetStart : a.targetStart+a.outputs]
	switch {
	case y.Values != nil:
		copy(yb, y.Values)
	default:
		clear(yb)
		if y.Classes != nil && y.Classes[0] != cell.IgnoreClass {
			yb[y.Classes[0]] = 1
		}
	}
	f[len(f)-1] = 1
}

// learn takes the normalised LMS step of A toward target on the features in.
func (a *DNI) learn(in, target []float32) {
	kernels.MatVec(a.prediction, a.synthetic, in)
	kernels.Axpy(-1, target, a.prediction) // A·ã − c*
	n := linalg.Norm32(in)
	kernels.Ger(a.synthetic, float32(-float64(a.rate)/(n*n)), a.prediction, in)
}

// Bytes counts the module A, ã_t and ã_{t−1}, the three state-sized vectors and the
// shared buffers.
func (a *DNI) Bytes() int64 {
	return a.bytes() + floats(len(a.synthetic.Data)+len(a.features)+len(a.previous)+len(a.prediction)+len(a.signal)+len(a.target))
}
