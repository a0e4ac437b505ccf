// Package cell holds the recurrent cells every credit-assignment algorithm differentiates:
// the vanilla RNN (tanh or ReLU, with an optional leak α), GRU and LSTM, with exactly
// PyTorch's equations, gate order and parameter names, so weights move between chronograd
// and nn.RNN / nn.GRU / nn.LSTM untouched; and expRNN's orthogonal cell (kind Orthogonal),
// whose recurrent matrix W = exp(A) (or A's Cayley transform) stays orthogonal because it
// is derived from a skew-symmetric A. It also holds the initialisers, the linear readout,
// the losses, and the attention component of Sparse Attentive Backtracking (Attention,
// with its Memory of past states and a forward-only Runner).
//
// A cell exposes what reverse-mode (BPTT) and forward-mode (RTRL and its approximations)
// algorithms need: a forward step that records what the backward step needs into a
// caller-owned Cache, a vector-Jacobian product, the state Jacobian ∂s_t/∂s_{t-1}, and the
// immediate parameter Jacobian ∂s_t/∂θ in its sparse, factored form.
package cell

import (
	"fmt"

	"github.com/chronograd/chronograd/kernels"
)

// Cell is one recurrent layer: s_t = F(s_{t-1}, x_t; θ).
//
// S = StateSize() is H for the vanilla and GRU cells and 2H for LSTM, whose state is the
// concatenation [h; c]. θ = Params() is one flat vector of NumParams() floats, laid out as
// PyTorch's weight_ih_l0 [G·H, I], weight_hh_l0 [G·H, H], bias_ih_l0 [G·H], bias_hh_l0
// [G·H], in that order (see Layout). Gradient buffers use the same layout.
//
// Sizes are fixed at construction (New returns an error for bad ones); the per-step
// methods below panic, naming the sizes, when a slice has the wrong length: that is a
// programmer error, and callers that take vectors from users check them first (see
// CheckInput). A cell holds scratch space, so one Cell must not be used by several
// goroutines at once. No per-step method allocates.
//
// Backward and the Jacobian methods read θ when called: use them before changing Params
// (an optimizer step) after the Forward whose cache they are given.
type Cell interface {
	Kind() Kind
	HiddenSize() int // H
	StateSize() int  // S: H, or 2H for LSTM
	InputSize() int  // I
	NumParams() int  // P = G·H·(I+H+2)
	// Alpha is the leak α of a vanilla cell (1 for GRU and LSTM).
	Alpha() float32
	// Params is θ, owned by the cell; update it in place (an optimizer step).
	Params() []float32
	Layout() Layout

	// RecurrentWeights is the G·H×H matrix the step multiplies h_{t-1} by: weight_hh_l0
	// itself for every kind but the orthogonal cell, whose W the cell derives from
	// weight_hh_l0 (see ParamsChanged) and holds apart from Params.
	RecurrentWeights() kernels.Mat
	// ParamsChanged tells the cell that Params was written in place. The orthogonal cell
	// then re-derives W from weight_hh_l0 (an O(H³) map) if weight_hh_l0 differs from
	// what W was derived from; every other kind has nothing to do. Every algorithm calls
	// it when it is built, at Reset and at ZeroGrad, and package train after every
	// optimizer step; call it yourself after writing an orthogonal cell's parameters
	// before the next Forward. The error reports a weight_hh_l0 that has no usable W (a
	// NaN or infinity, or a norm so large that W has no correct digit); W is then NaN.
	ParamsChanged() error
	// ParamGrad writes into dst (length P) the gradient with respect to Params, given
	// weightGrad, the gradient the per-step methods accumulated (Backward,
	// AddImmediateVJP, …: their weight_hh_l0 part is ∂L/∂W of RecurrentWeights). For every
	// kind but the orthogonal cell it copies weightGrad; the orthogonal cell maps the
	// weight_hh_l0 part through the adjoint of the derivative of W at the parameters W
	// was last derived from (see the orthogonal kind's documentation). dst may be
	// weightGrad.
	ParamGrad(dst, weightGrad []float32)
	// OrthoMap is the orthogonal cell's map from A to W (OrthoExp for every other kind).
	OrthoMap() OrthoMap

	// NewCache allocates a cache for one sequence; reuse it across steps.
	NewCache() *Cache
	// NewBatchCache allocates a cache for a minibatch of batch sequences stepped together.
	// With it, Forward, ProjectInputs, ForwardProjected, Backward and BackwardBatch take
	// the batch's vectors feature-major (element f·B + b is feature f of sequence b): their
	// products become matrix-matrix products. The other methods take one sequence.
	NewBatchCache(batch int) *Cache
	// CheckInput returns an error when x is not a valid input vector (wrong length).
	CheckInput(x []float32) error

	// Forward computes next = s_t from prev = s_{t-1} and x = x_t, recording into cache
	// what the backward step and the Jacobians need (it copies prev and x, so the caller
	// may reuse them, and next may be the same slice as prev).
	Forward(cache *Cache, next, prev, x []float32)

	// ProjectInputs and ForwardProjected split Forward in two for algorithms that know
	// the inputs of several steps before running them (checkpointed BPTT's
	// recomputation): ProjectInputs copies xs[j] into caches[j] and computes there the
	// part of the step that depends only on it, W_ih·x_j + biases, sweeping each block of
	// W_ih's rows over all the inputs while it is in L1; ForwardProjected then finishes
	// the step like Forward(cache, next, prev, xs[j]), bit for bit. A cache takes one
	// ForwardProjected per ProjectInputs.
	ProjectInputs(caches []*Cache, xs [][]float32)
	ForwardProjected(cache *Cache, next, prev []float32)

	// Backward is the vector-Jacobian product of the step recorded in cache. Given
	// dNext = ∂L/∂s_t it overwrites dPrev with ∂L/∂s_{t-1} = J_tᵀ·dNext, overwrites dx
	// with ∂L/∂x_t unless dx is nil, and ADDS ∂L/∂θ = dNextᵀ·Ī_t into grad unless grad is
	// nil. dPrev may be the same slice as dNext (an in-place update of δ).
	Backward(cache *Cache, dPrev, dx, grad, dNext []float32)

	// BackwardBatch is Backward with the weight part of ∂L/∂θ deferred: it adds the bias
	// gradients into grad and records the rest as the next column of batch (a batch for
	// this cell's shape), flushing the batch into grad first when it is full. Call
	// batch.Flush(grad) before reading grad. dPrev and dx are as for Backward.
	BackwardBatch(cache *Cache, dPrev, dx, grad []float32, batch *GradBatch, dNext []float32)

	// StateJacobian overwrites j (S×S) with J_t = ∂s_t/∂s_{t-1}. Cost O(G·S·H).
	StateJacobian(cache *Cache, j kernels.Mat)

	// StateJVP overwrites out with the Jacobian-vector product J_t·v (forward mode, as
	// UORO propagates its state estimate) without forming J_t: O(G·H²). out may be the
	// same slice as v.
	StateJVP(cache *Cache, out, v []float32)

	// UnitJacobian writes, for every unit u, the F×F block of J_t on the state rows and
	// columns of unit u (F = S/H: {u}, or {u, H+u} for LSTM's [h; c]): blocks[u·F·F +
	// a·F + b] = J_t[a·H+u, b·H+u]. These are the entries of J_t that SnAp-1 keeps; O(S·G).
	UnitJacobian(cache *Cache, blocks []float32)

	// ImmediateCoefficients writes the factored immediate Jacobian Ī_t = ∂s_t/∂θ (at fixed
	// s_{t-1}). Every parameter belongs to one gate row r = k·H + u (gate k < G, unit
	// u < H): weight_ih_l0[r, :], weight_hh_l0[r, :], bias_ih_l0[r], bias_hh_l0[r]. Gate row
	// r feeds only the state rows of unit u (row u; and row H+u for LSTM's c), and
	// state row s (unit u = s mod H) depends on it as
	//
	//	∂s_t[s]/∂weight_ih_l0[r, m] = coefIH[s·G+k] · x_t[m]      ∂s_t[s]/∂bias_ih_l0[r] = coefIH[s·G+k]
	//	∂s_t[s]/∂weight_hh_l0[r, m] = coefHH[s·G+k] · h_{t-1}[m]  ∂s_t[s]/∂bias_hh_l0[r] = coefHH[s·G+k]
	//
	// Every other entry of Ī_t is zero; coefIH and coefHH have length S·G. The two
	// coefficients differ only for GRU's n gate (the r ⊙ (W_hn h + b_hn) term); for LSTM's
	// c rows the o-gate coefficients are structurally zero. x_t and h_{t-1} are
	// cache.Input() and cache.Prev()[:H]. The orthogonal cell differs in two ways: its
	// weight_hh_l0 entries are with respect to W = RecurrentWeights (ParamGrad maps a
	// gradient to its parameters), and its bias_hh_l0 (modReLU's bias) enters with the
	// input β[u] = cache.BiasHHInput()[u] instead of 1:
	// ∂s_t[u]/∂bias_hh_l0[u] = coefHH[u]·β[u].
	ImmediateCoefficients(cache *Cache, coefIH, coefHH []float32)

	// AddImmediate adds Ī_t into the dense S×P influence matrix m (m += Ī_t), touching
	// only the G·(I+H+2) entries of each row that the factored form above says are
	// nonzero.
	AddImmediate(cache *Cache, m kernels.Mat)

	// AddImmediateVJP adds vᵀ·Ī_t into grad (length P), for v of length S, without
	// forming Ī_t: O(G·H·(I+H)) work.
	AddImmediateVJP(cache *Cache, grad, v []float32)

	// InputJacobian overwrites a (S×I) with A_t = ∂s_t/∂x_t, the step's input Jacobian:
	// a stacked layer's state depends on the layer below through it. O(G·S·I).
	InputJacobian(cache *Cache, a kernels.Mat)

	// InputVJP overwrites dx (length I) with A_tᵀ·v for v of length S, without forming A_t.
	InputVJP(cache *Cache, dx, v []float32)

	// AddInputJVP adds A_t·w into out (length S) for w of length I, without forming A_t.
	AddInputJVP(cache *Cache, out, w []float32)
}

// Config describes a cell.
type Config struct {
	// Kind is the cell's equations.
	Kind Kind
	// Hidden is H > 0, the number of hidden units.
	Hidden int
	// Input is I > 0, the size of an input vector.
	Input int
	// Alpha is the leak of a vanilla cell, 0 < α ≤ 1; zero means 1 (nn.RNN), since a leak
	// of 0 would freeze the state. GRU and LSTM have no leak: Alpha must be 0 or 1 for them.
	Alpha float32
	// OrthoMap is how an orthogonal cell makes W from A: OrthoExp (the zero value,
	// expRNN's exp(A)) or OrthoCayley. Other kinds must leave it zero.
	OrthoMap OrthoMap
}

// maxParams bounds P so that every offset fits comfortably in an int on 32-bit hosts too
// and a typo in a size cannot ask for terabytes.
const maxParams = 1 << 30

// New builds a cell with zero parameters (use an initialiser or copy weights into Params).
func New(cfg Config) (Cell, error) {
	spec := cfg.Kind.spec()
	if spec == nil {
		return nil, fmt.Errorf("cell: unknown cell kind %v", cfg.Kind)
	}
	if cfg.Hidden <= 0 {
		return nil, fmt.Errorf("cell: hidden size %d must be positive", cfg.Hidden)
	}
	if cfg.Input <= 0 {
		return nil, fmt.Errorf("cell: input size %d must be positive", cfg.Input)
	}
	alpha := cfg.Alpha
	if alpha == 0 {
		alpha = 1
	}
	if !(alpha > 0 && alpha <= 1) { // also rejects NaN
		return nil, fmt.Errorf("cell: leak alpha %v out of range (0, 1]", cfg.Alpha)
	}
	if !spec.leaky && alpha != 1 {
		return nil, fmt.Errorf("cell: leak alpha %v given for a %v cell; only rnn_tanh and rnn_relu have a leak", cfg.Alpha, cfg.Kind)
	}
	if err := checkOrthoMap(cfg); err != nil {
		return nil, err
	}
	g := spec.gates
	p := float64(g) * float64(cfg.Hidden) * (float64(cfg.Input) + float64(cfg.Hidden) + 2)
	if p > maxParams {
		return nil, fmt.Errorf("cell: %v cell with H=%d, I=%d would have %.0f parameters (limit %d)", cfg.Kind, cfg.Hidden, cfg.Input, p, maxParams)
	}
	lay := LayoutOf(cfg.Kind, cfg.Hidden, cfg.Input)
	gh := g * cfg.Hidden
	s := cfg.Hidden * spec.stateFactor
	c := &layer{
		lay:    lay,
		eq:     spec.eq,
		alpha:  alpha,
		params: make([]float32, lay.NumParams()),
		state:  s,
		preIH:  make([]float32, gh),
		preHH:  make([]float32, gh),
		gIH:    make([]float32, gh),
		gHH:    make([]float32, gh),

		scratchBatch: 1,
		coefIH:       make([]float32, s*g),
		coefHH:       make([]float32, s*g),
	}
	c.wih = kernels.MatOf(gh, cfg.Input, c.params[lay.WeightIH:lay.WeightHH])
	c.whh = kernels.MatOf(gh, cfg.Hidden, c.params[lay.WeightHH:lay.BiasIH])
	c.bih = c.params[lay.BiasIH:lay.BiasHH]
	c.bhh = c.params[lay.BiasHH:]
	if spec.setup != nil {
		if err := spec.setup(c, cfg); err != nil {
			return nil, err
		}
	}
	return c, nil
}
