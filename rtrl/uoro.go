package rtrl

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/algostate"
	"github.com/chronograd/chronograd/internal/linalg"
	"github.com/chronograd/chronograd/kernels"
)

// UORO is unbiased online recurrent optimization (Tallec and Ollivier, "Unbiased online
// recurrent optimization", ICLR 2018 / arXiv:1702.05043, §3 and Algorithm 1). It keeps a
// rank-one stand-in s̃_t·θ̃_tᵀ for the influence matrix M_t whose expectation over random
// signs is M_t. With ν a vector of independent ±1 signs drawn each step:
//
//	s̃_t = ρ0·J_t·s̃_{t-1} + ρ1·ν
//	θ̃_t = θ̃_{t-1}/ρ0 + (νᵀ·Ī_t)/ρ1
//	ρ0 = sqrt((‖θ̃_{t-1}‖ + ε) / (‖J_t·s̃_{t-1}‖ + ε)),  ρ1 = sqrt((‖νᵀ·Ī_t‖ + ε) / (‖ν‖ + ε))
//
// E[s̃_t·θ̃_tᵀ] = J_t·s̃_{t-1}·θ̃_{t-1}ᵀ + E[ν·νᵀ]·Ī_t (the cross terms are odd in ν, and
// ρ1 is even in ν), which by induction is M_t; ρ0 and ρ1 balance the two factors' norms
// to minimise the variance. The gradient estimate is (∂L_t/∂s_t·s̃_t)·θ̃_t. J_t·s̃ is the
// cell's Jacobian-vector product (O(G·H²), J_t is never formed) and νᵀ·Ī_t its immediate
// VJP (O(P)), so a step costs about two forward steps and memory is O(S + P).
type UORO struct {
	online
	stateTilde, paramTilde []float32 // s̃, θ̃
	jacTilde               []float32 // J_t·s̃_{t-1}
	nu                     []float32 // ν
	nuImm                  []float32 // νᵀ·Ī_t
	eps                    float64
	pcg                    *rand.PCG // rng's source, whose state a checkpoint saves
	rng                    *rand.Rand
}

// UOROOptions configure UORO.
type UOROOptions struct {
	// Seed seeds the random signs ν; the same seed gives the same estimates.
	Seed uint64
	// Epsilon is the small constant added to both norms of each balancing factor, so that
	// a zero tangent does not divide by zero; zero means 1e-7.
	Epsilon float32
}

// NewUORO builds UORO for the model, any cell kind and any number of layers (the tangent
// s̃ spans the joint state, J_t·s̃ and νᵀ·Ī_t are the stack's: see cell.Model.StateJVP and
// AddImmediateVJP).
func NewUORO(m *cell.Model, opt UOROOptions) (*UORO, error) {
	eps := opt.Epsilon
	if eps == 0 {
		eps = 1e-7
	}
	if !(eps > 0) || math.IsInf(float64(eps), 0) {
		return nil, fmt.Errorf("rtrl: uoro: Epsilon %v must be a positive finite number", opt.Epsilon)
	}
	base, err := newOnline("uoro", m)
	if err != nil {
		return nil, err
	}
	s, p := m.StateSize(), m.NumParams()
	pcg := rand.NewPCG(opt.Seed, 0x756f726f)
	return &UORO{
		online:     base,
		stateTilde: make([]float32, s),
		paramTilde: make([]float32, p),
		jacTilde:   make([]float32, s),
		nu:         make([]float32, s),
		nuImm:      make([]float32, p),
		eps:        float64(eps),
		// PCG's second word is fixed so that Seed alone names the stream.
		pcg: pcg,
		rng: rand.New(pcg),
	}, nil
}

// Reset starts a sequence from s0 (nil: zeros) with s̃ = 0, θ̃ = 0. The random stream
// continues.
func (a *UORO) Reset(s0 []float32) error {
	if err := a.resetState(s0); err != nil {
		return err
	}
	clear(a.stateTilde)
	clear(a.paramTilde)
	return nil
}

// SaveState returns the state UORO carries between steps (see cell.AlgorithmState): s_t as
// "state", the tangents s̃ and θ̃ as "state_tilde" and "param_tilde", the random
// stream's position as "rng" (the two words of its math/rand/v2 PCG) and, as a setting
// that must match, ε as "epsilon" (float64 bits). The gradients are not part of it.
func (a *UORO) SaveState() cell.AlgorithmState { return algostate.Save(a.vars()) }

// LoadState restores a state that SaveState returned from UORO built for a model of the
// same shape with the same Epsilon (the seed need not match: the random stream continues
// from the saved position); another state is refused, changing nothing.
func (a *UORO) LoadState(s cell.AlgorithmState) error { return a.loadState(s, a.vars()) }

func (a *UORO) vars() []algostate.Var {
	return a.stateVars(
		algostate.F32("state_tilde", a.stateTilde),
		algostate.F32("param_tilde", a.paramTilde),
		algostate.PCG("rng", a.pcg),
		algostate.Float("epsilon", &a.eps).Fixed(),
	)
}

// Step runs one online step.
func (a *UORO) Step(x []float32, y cell.Target) (float32, error) {
	loss, hasTarget, err := a.forward(x, y)
	if err != nil {
		return 0, err
	}
	a.model.StateJVP(a.cache, a.jacTilde, a.stateTilde)
	a.drawSigns()
	clear(a.nuImm)
	a.model.AddImmediateVJP(a.cache, a.nuImm, a.nu)

	rho0 := float32(math.Sqrt((linalg.Norm32(a.paramTilde) + a.eps) / (linalg.Norm32(a.jacTilde) + a.eps)))
	rho1 := float32(math.Sqrt((linalg.Norm32(a.nuImm) + a.eps) / (math.Sqrt(float64(len(a.nu))) + a.eps)))
	for i, js := range a.jacTilde {
		a.stateTilde[i] = rho0*js + rho1*a.nu[i]
	}
	kernels.Scale(1/rho0, a.paramTilde)
	kernels.Axpy(1/rho1, a.nuImm, a.paramTilde)

	if hasTarget {
		kernels.Axpy(kernels.Dot(a.dLds, a.stateTilde), a.paramTilde, a.gradCell)
	}
	return loss, nil
}

// drawSigns fills ν with independent ±1, 64 signs per random word.
func (a *UORO) drawSigns() {
	var bits uint64
	for i := range a.nu {
		if i%64 == 0 {
			bits = a.rng.Uint64()
		}
		a.nu[i] = float32(1 - 2*int(bits&1))
		bits >>= 1
	}
}

// Bytes counts s̃, θ̃, the scratch vectors and the shared buffers.
func (a *UORO) Bytes() int64 {
	return a.bytes() + floats(len(a.stateTilde)+len(a.paramTilde)+len(a.jacTilde)+len(a.nu)+len(a.nuImm))
}
