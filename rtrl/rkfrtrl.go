package rtrl

import (
	"math"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/linalg"
	"github.com/chronograd/chronograd/kernels"
)

// ReverseKFRTRL is reverse Kronecker-factored RTRL (R-KF-RTRL; Marschall, Cho and Savin,
// "A unified framework of online learning algorithms for training recurrent neural
// networks", JMLR 2020) for one leaky vanilla layer. It factors the influence matrix the
// other way round from KF-RTRL: a vector over the unit a parameter feeds, and a matrix
// over the state row and the parameter's column of â_t = [x_t; s_{t−1}; 1; 1]:
//
//	M̃_t[k,(i,j)] = b_t[i]·B_t[k,j]        (b_t: H; B_t: H×m, m = I+H+2)
//
// With D_t = α·φ'(u_t) and a vector ν ∈ {±1}^H of independent random signs drawn each step,
// the immediate Jacobian Ī_t[k,(i,j)] = δ_ki·D_t[i]·â_t[j] = E[ν_i·ν_k]·D_t[k]·â_t[j] is
// folded in through its projection on ν:
//
//	b_t = p0·b_{t−1} + p1·ν
//	B_t = (1/p0)·J_t·B_{t−1} + (1/p1)·(ν ⊙ D_t)·â_tᵀ
//	p0 = √((‖J_t·B_{t−1}‖ + ε) / (‖b_{t−1}‖ + ε)),   p1 = √((‖D_t‖·‖â_t‖ + ε) / (√H + ε))
//
// E[b_t ⊗ B_t] = b_{t−1} ⊗ J_t·B_{t−1} + Ī_t, since the cross terms are odd in ν and p1
// does not depend on ν's signs: unbiased from M̃_0 = 0, as UORO is, with the state-side
// factor widened from a vector to the H×m matrix B. The gradient is
//
//	∂L/∂θ_(i,j) += b_t[i]·(B_tᵀ·q_t)[j],   q_t = ∂L_t/∂s_t
//
// J_t·B_{t−1} is an H×H by H×m product, O(H²·(H+I)) per step; memory is O(H·(H+I)), about
// P.
type ReverseKFRTRL struct {
	kronecker
	units        []float32   // b_t
	inputs, next kernels.Mat // B_{t−1} (then B_t) and the J_t·B_{t−1} it is built in
	nu, nuDecay  []float32   // ν and ν ⊙ D_t
	columnSignal []float32   // B_tᵀ·q_t
	normNu       float64     // ‖ν‖ = √H
}

// NewReverseKFRTRL builds reverse KF-RTRL for a one-layer model with an rnn_tanh or
// rnn_relu cell (any leak); it refuses gated cells and stacks, whose immediate Jacobian is
// not one Kronecker product.
func NewReverseKFRTRL(m *cell.Model, opt KFRTRLOptions) (*ReverseKFRTRL, error) {
	base, err := newKronecker("rkfrtrl", m, opt)
	if err != nil {
		return nil, err
	}
	h, cols := base.cell.HiddenSize(), len(base.extended)
	return &ReverseKFRTRL{
		kronecker:    base,
		units:        make([]float32, h),
		inputs:       kernels.NewMat(h, cols),
		next:         kernels.NewMat(h, cols),
		nu:           make([]float32, h),
		nuDecay:      make([]float32, h),
		columnSignal: make([]float32, cols),
		normNu:       math.Sqrt(float64(h)),
	}, nil
}

// Reset starts a sequence from s0 (nil: zeros) with M̃_0 = 0 (b = 0, B = 0). The random
// stream continues.
func (a *ReverseKFRTRL) Reset(s0 []float32) error {
	if err := a.resetState(s0); err != nil {
		return err
	}
	clear(a.units)
	clear(a.inputs.Data)
	return nil
}

// Step runs one online step.
func (a *ReverseKFRTRL) Step(x []float32, y cell.Target) (float32, error) {
	loss, hasTarget, err := a.forward(x, y)
	if err != nil {
		return 0, err
	}
	a.derivatives()
	kernels.MatMul(a.next, a.jacobian, a.inputs) // J_t·B_{t−1}
	var bits uint64
	for i, d := range a.decay {
		if i%64 == 0 {
			bits = a.rng.Uint64()
		}
		a.nu[i] = sign(bits, i%64)
		a.nuDecay[i] = a.nu[i] * d
	}
	p0 := a.balance(linalg.Norm32(a.next.Data), linalg.Norm32(a.units))
	p1 := a.balance(linalg.Norm32(a.decay)*linalg.Norm32(a.extended), a.normNu)

	kernels.Scale(p0, a.units)
	kernels.Axpy(p1, a.nu, a.units)
	kernels.Scale(1/p0, a.next.Data)
	kernels.Ger(a.next, 1/p1, a.nuDecay, a.extended)
	a.inputs, a.next = a.next, a.inputs

	if hasTarget {
		clear(a.columnSignal)
		kernels.MatTVecAdd(a.columnSignal, a.inputs, a.dLds)
		a.addKronecker(a.units, a.columnSignal)
	}
	return loss, nil
}

// Bytes counts b, B, its product buffer, ν, ν ⊙ D_t, B_tᵀ·q_t, J_t, D_t, â_t and the shared
// buffers.
func (a *ReverseKFRTRL) Bytes() int64 {
	return a.kronecker.bytes() + floats(len(a.units)+len(a.inputs.Data)+len(a.next.Data)+len(a.nu)+len(a.nuDecay)+len(a.columnSignal))
}
