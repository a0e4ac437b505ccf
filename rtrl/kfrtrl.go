package rtrl

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/linalg"
	"github.com/chronograd/chronograd/kernels"
)

// The Kronecker-factored approximations of RTRL, for one leaky vanilla layer
//
//	u_t = W_ih·x_t + b_ih + W_hh·s_{t−1} + b_hh,   s_t = (1−α)·s_{t−1} + α·φ(u_t)
//
// Every parameter of this cell is θ_(i,j): row i of a weight (it feeds unit i only) and
// column j of the extended input â_t = [x_t; s_{t−1}; 1; 1] (m = I+H+2 columns: weight_ih's,
// weight_hh's, bias_ih, bias_hh, the flat layout's four tensors). The immediate Jacobian is
// therefore a single Kronecker product,
//
//	Ī_t[k, (i,j)] = δ_ki·D_t[i]·â_t[j],   D_t = α·φ'(u_t),
//
// and the exact recursion M_t = J_t·M_{t−1} + Ī_t (M_t = ds_t/dθ, H × H·m) is a sum of two
// Kronecker products whenever M_{t−1} is one. Both algorithms keep M_t as one Kronecker
// product and replace the sum of two by one of random sign, so that the estimate stays a
// Kronecker product and is unbiased. That needs Ī_t to factor, which is why they are
// defined for the vanilla cell only (a gated cell's Ī_t is a sum of G such products).

// KFRTRL is Kronecker-factored RTRL (Mujika, Meier and Steger, "Approximating real-time
// recurrent learning with random Kronecker factors", NeurIPS 2018; in the notation of
// Marschall, Cho and Savin, "A unified framework of online learning algorithms for
// training recurrent neural networks", JMLR 2020) for one leaky vanilla layer (rnn_tanh or
// rnn_relu, any leak α). With θ_(i,j) the weight of unit i on column j of â_t = [x_t;
// s_{t−1}; 1; 1] and D_t = α·φ'(u_t), the immediate Jacobian is the Kronecker product
// Ī_t[k,(i,j)] = δ_ki·D_t[i]·â_t[j], and KF-RTRL keeps the influence matrix as one:
//
//	M̃_t[k,(i,j)] = K_t[k,i]·a_t[j]       (K_t: H×H over state row and unit; a_t: m = I+H+2)
//
// Each step replaces J_t·M̃_{t−1} + Ī_t, a sum of two Kronecker products, by one of them
// with two independent random signs ν0, ν1 ∈ {±1}:
//
//	a_t = ν0·p0·a_{t−1} + ν1·p1·â_t
//	K_t = (ν0/p0)·J_t·K_{t−1} + (ν1/p1)·diag(D_t)
//	p0 = √((‖J_t·K_{t−1}‖ + ε) / (‖a_{t−1}‖ + ε)),   p1 = √((‖D_t‖ + ε) / (‖â_t‖ + ε))
//
// (Frobenius norms). The terms of K_t ⊗ a_t that mix the two products carry ν0·ν1 and
// vanish in expectation, so E[M̃_t] = J_t·M̃_{t−1} + Ī_t and, from M̃_0 = 0, the estimate is
// unbiased at every step; p0 and p1 leave the mean alone and balance each factor's norm
// against the other's, which keeps the variance low. The gradient is
//
//	∂L/∂θ_(i,j) += (K_tᵀ·q_t)[i]·a_t[j],   q_t = ∂L_t/∂s_t
//
// one rank-one update per weight tensor. J_t·K_{t−1} is an H×H by H×H product, so a step
// costs O(H³) (exact RTRL's is O(H⁴)) and memory is O(H²).
type KFRTRL struct {
	kronecker
	units, next kernels.Mat // K_{t−1} (then K_t) and the J_t·K_{t−1} it is built in
	columns     []float32   // a_t
	unitSignal  []float32   // K_tᵀ·q_t
}

// KFRTRLOptions configure KF-RTRL and reverse KF-RTRL.
type KFRTRLOptions struct {
	// Seed seeds the random signs; the same seed gives the same estimates.
	Seed uint64
	// Epsilon is the small constant added to both norms of each balancing factor, so that
	// a zero factor does not divide by zero; zero means 1e-7.
	Epsilon float32
}

// kronecker is what the two Kronecker-factored algorithms share: the vanilla layer's
// J_t, D_t and â_t each step, and the random signs.
type kronecker struct {
	online
	jacobian kernels.Mat // J_t
	decay    []float32   // D_t = α·φ'(u_t)
	spare    []float32   // the second coefficient vector ImmediateCoefficients writes (equal to D_t)
	extended []float32   // â_t = [x_t; s_{t−1}; 1; 1]
	eps      float64
	rng      *rand.Rand
}

func newKronecker(name string, m *cell.Model, opt KFRTRLOptions) (kronecker, error) {
	eps := opt.Epsilon
	if eps == 0 {
		eps = 1e-7
	}
	if !(eps > 0) || math.IsInf(float64(eps), 0) {
		return kronecker{}, fmt.Errorf("rtrl: %s: Epsilon %v must be a positive finite number", name, opt.Epsilon)
	}
	if err := vanillaLayer(name, "Ī_t factors into one Kronecker product for the vanilla cell only", m); err != nil {
		return kronecker{}, err
	}
	base, err := newOnline(name, m)
	if err != nil {
		return kronecker{}, err
	}
	h, in := base.cell.HiddenSize(), base.cell.InputSize()
	return kronecker{
		online:   base,
		jacobian: kernels.NewMat(h, h),
		decay:    make([]float32, h),
		spare:    make([]float32, h),
		extended: make([]float32, in+h+2),
		eps:      float64(eps),
		rng:      rand.New(rand.NewPCG(opt.Seed, kroneckerStream)),
	}, nil
}

// kroneckerStream is PCG's second word for the signs, fixed so that Seed alone names the
// stream.
const kroneckerStream = 0x6b66727472

// vanillaLayer refuses what is not one leaky vanilla layer, naming the kind.
func vanillaLayer(name, why string, m *cell.Model) error {
	if err := oneLayer(name, why, m); err != nil {
		return err
	}
	if m != nil && len(m.Layers) > 0 && m.Layers[0] != nil && !m.Layers[0].Kind().IsVanilla() {
		return fmt.Errorf("rtrl: %s needs an rnn_tanh or rnn_relu cell, not %v (%s)", name, m.Layers[0].Kind(), why)
	}
	return nil
}

// derivatives fills J_t, D_t and â_t from the step just run.
func (k *kronecker) derivatives() {
	cache := k.cache.Layer(0)
	k.cell.StateJacobian(cache, k.jacobian)
	k.cell.ImmediateCoefficients(cache, k.decay, k.spare)
	in := k.cell.InputSize()
	copy(k.extended, cache.Input())
	copy(k.extended[in:], cache.Prev())
	k.extended[len(k.extended)-2], k.extended[len(k.extended)-1] = 1, 1
}

// balance is √((‖x‖ + ε) / (‖y‖ + ε)) for the norms nx and ny.
func (k *kronecker) balance(nx, ny float64) float32 {
	return float32(math.Sqrt((nx + k.eps) / (ny + k.eps)))
}

// addKronecker adds the rank-one gradient ∂L/∂θ_(i,j) += unit[i]·cols[j] into the flat
// layout: weight_ih takes columns [0, I), weight_hh [I, I+H), the biases the last two.
func (k *kronecker) addKronecker(unit, cols []float32) {
	l := k.cell.Layout()
	h, in := l.Hidden, l.Input
	g := k.gradCell
	kernels.Ger(kernels.MatOf(h, in, g[l.WeightIH:l.WeightHH]), 1, unit, cols[:in])
	kernels.Ger(kernels.MatOf(h, h, g[l.WeightHH:l.BiasIH]), 1, unit, cols[in:in+h])
	kernels.Axpy(cols[in+h], unit, g[l.BiasIH:l.BiasHH])
	kernels.Axpy(cols[in+h+1], unit, g[l.BiasHH:l.BiasHH+h])
}

// sign is +1 or −1 as bit i of bits is 0 or 1.
func sign(bits uint64, i int) float32 { return float32(1 - 2*int(bits>>i&1)) }

func (k *kronecker) bytes() int64 {
	return k.online.bytes() + floats(len(k.jacobian.Data)+len(k.decay)+len(k.spare)+len(k.extended))
}

// NewKFRTRL builds KF-RTRL for a one-layer model with an rnn_tanh or rnn_relu cell (any
// leak); it refuses gated cells and stacks, whose immediate Jacobian is not one Kronecker
// product.
func NewKFRTRL(m *cell.Model, opt KFRTRLOptions) (*KFRTRL, error) {
	base, err := newKronecker("kfrtrl", m, opt)
	if err != nil {
		return nil, err
	}
	h := base.cell.HiddenSize()
	return &KFRTRL{
		kronecker:  base,
		units:      kernels.NewMat(h, h),
		next:       kernels.NewMat(h, h),
		columns:    make([]float32, len(base.extended)),
		unitSignal: make([]float32, h),
	}, nil
}

// Reset starts a sequence from s0 (nil: zeros) with M̃_0 = 0 (K = 0, a = 0). The random
// stream continues.
func (a *KFRTRL) Reset(s0 []float32) error {
	if err := a.resetState(s0); err != nil {
		return err
	}
	clear(a.units.Data)
	clear(a.columns)
	return nil
}

// Step runs one online step.
func (a *KFRTRL) Step(x []float32, y cell.Target) (float32, error) {
	loss, hasTarget, err := a.forward(x, y)
	if err != nil {
		return 0, err
	}
	a.derivatives()
	kernels.MatMul(a.next, a.jacobian, a.units) // J_t·K_{t−1}
	bits := a.rng.Uint64()
	nu0, nu1 := sign(bits, 0), sign(bits, 1)
	p0 := a.balance(linalg.Norm32(a.next.Data), linalg.Norm32(a.columns))
	p1 := a.balance(linalg.Norm32(a.decay), linalg.Norm32(a.extended))

	kernels.Scale(nu0*p0, a.columns)
	kernels.Axpy(nu1*p1, a.extended, a.columns)
	kernels.Scale(nu0/p0, a.next.Data)
	for i, d := range a.decay {
		a.next.Data[i*a.next.Stride+i] += nu1 / p1 * d
	}
	a.units, a.next = a.next, a.units

	if hasTarget {
		clear(a.unitSignal)
		kernels.MatTVecAdd(a.unitSignal, a.units, a.dLds)
		a.addKronecker(a.unitSignal, a.columns)
	}
	return loss, nil
}

// Bytes counts K, its product buffer, a, J_t, D_t, â_t, K_tᵀ·q_t and the shared buffers.
func (a *KFRTRL) Bytes() int64 {
	return a.kronecker.bytes() + floats(len(a.units.Data)+len(a.next.Data)+len(a.columns)+len(a.unitSignal))
}
