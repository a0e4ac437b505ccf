// Package cell holds the recurrent cells every credit-assignment algorithm differentiates:
// the vanilla RNN (tanh or ReLU, with an optional leak α), GRU and LSTM, with exactly
// PyTorch's equations, gate order and parameter names, so weights move between chronograd
// and nn.RNN / nn.GRU / nn.LSTM untouched. It also holds the initialisers, the linear
// readout and the losses.
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

	// NewCache allocates a cache sized for this cell; reuse it across steps.
	NewCache() *Cache
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
	// cache.Input() and cache.Prev()[:H].
	ImmediateCoefficients(cache *Cache, coefIH, coefHH []float32)

	// AddImmediate adds Ī_t into the dense S×P influence matrix m (m += Ī_t), touching
	// only the G·(I+H+2) entries of each row that the factored form above says are
	// nonzero.
	AddImmediate(cache *Cache, m kernels.Mat)

	// AddImmediateVJP adds vᵀ·Ī_t into grad (length P), for v of length S, without
	// forming Ī_t: O(G·H·(I+H)) work.
	AddImmediateVJP(cache *Cache, grad, v []float32)
}

// Config describes a cell.
type Config struct {
	Kind   Kind
	Hidden int // H > 0
	Input  int // I > 0
	// Alpha is the leak of a vanilla cell, 0 < α ≤ 1; zero means 1 (nn.RNN). GRU and LSTM
	// have no leak: Alpha must be 0 or 1 for them.
	Alpha float32
}

// maxParams bounds P so that every offset fits comfortably in an int on 32-bit hosts too
// and a typo in a size cannot ask for terabytes.
const maxParams = 1 << 30

// New builds a cell with zero parameters (use an initialiser or copy weights into Params).
func New(cfg Config) (Cell, error) {
	if cfg.Kind < RNNTanh || cfg.Kind > LSTM {
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
	if !cfg.Kind.IsVanilla() && alpha != 1 {
		return nil, fmt.Errorf("cell: leak alpha %v given for a %v cell; only rnn_tanh and rnn_relu have a leak", cfg.Alpha, cfg.Kind)
	}
	g := cfg.Kind.Gates()
	p := float64(g) * float64(cfg.Hidden) * (float64(cfg.Input) + float64(cfg.Hidden) + 2)
	if p > maxParams {
		return nil, fmt.Errorf("cell: %v cell with H=%d, I=%d would have %.0f parameters (limit %d)", cfg.Kind, cfg.Hidden, cfg.Input, p, maxParams)
	}
	lay := Layout{Kind: cfg.Kind, Hidden: cfg.Hidden, Input: cfg.Input, Gates: g}
	gh := g * cfg.Hidden
	lay.WeightIH = 0
	lay.WeightHH = gh * cfg.Input
	lay.BiasIH = lay.WeightHH + gh*cfg.Hidden
	lay.BiasHH = lay.BiasIH + gh
	s := cfg.Hidden * cfg.Kind.StateFactor()
	c := &rnnCell{
		lay:    lay,
		alpha:  alpha,
		params: make([]float32, lay.NumParams()),
		state:  s,
		preIH:  make([]float32, gh),
		preHH:  make([]float32, gh),
		gIH:    make([]float32, gh),
		gHH:    make([]float32, gh),
		coefIH: make([]float32, s*g),
		coefHH: make([]float32, s*g),
	}
	c.wih = kernels.MatOf(gh, cfg.Input, c.params[lay.WeightIH:lay.WeightHH])
	c.whh = kernels.MatOf(gh, cfg.Hidden, c.params[lay.WeightHH:lay.BiasIH])
	c.bih = c.params[lay.BiasIH:lay.BiasHH]
	c.bhh = c.params[lay.BiasHH:]
	return c, nil
}

// Layout says where PyTorch's tensors live in the flat parameter vector.
type Layout struct {
	Kind                               Kind
	Hidden, Input, Gates               int
	WeightIH, WeightHH, BiasIH, BiasHH int // offsets of the four tensors
}

// NumParams is P = G·H·(I+H+2).
func (l Layout) NumParams() int { return l.BiasHH + l.Gates*l.Hidden }

// GateRow returns the gate row r = k·H + u that parameter p belongs to (see
// Cell.ImmediateCoefficients): the unit u = r mod H is the only one p feeds directly.
func (l Layout) GateRow(p int) int {
	switch {
	case p < 0 || p >= l.NumParams():
		panic(fmt.Sprintf("cell: GateRow(%d) of %d parameters", p, l.NumParams()))
	case p < l.WeightHH:
		return (p - l.WeightIH) / l.Input
	case p < l.BiasIH:
		return (p - l.WeightHH) / l.Hidden
	case p < l.BiasHH:
		return p - l.BiasIH
	}
	return p - l.BiasHH
}

// Tensors lists the named views in storage order, with PyTorch's names and shapes.
func (l Layout) Tensors() []Tensor {
	gh := l.Gates * l.Hidden
	return []Tensor{
		{Name: "weight_ih_l0", Shape: []int{gh, l.Input}, Offset: l.WeightIH},
		{Name: "weight_hh_l0", Shape: []int{gh, l.Hidden}, Offset: l.WeightHH},
		{Name: "bias_ih_l0", Shape: []int{gh}, Offset: l.BiasIH},
		{Name: "bias_hh_l0", Shape: []int{gh}, Offset: l.BiasHH},
	}
}

// Tensor is a named view of a flat parameter (or gradient) vector.
type Tensor struct {
	Name   string
	Shape  []int
	Offset int
}

// Size is the number of elements, the product of Shape.
func (t Tensor) Size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Of returns the tensor's elements within flat (a parameter or gradient vector).
func (t Tensor) Of(flat []float32) []float32 { return flat[t.Offset : t.Offset+t.Size()] }

// Cache holds what one step's forward pass records for its backward pass and Jacobians:
// s_{t-1}, x_t, and the cell's activations. Its accessors let online algorithms (RFLO,
// e-prop) read the quantities their eligibility traces need.
type Cache struct {
	kind          Kind
	hidden, input int
	prev, x       []float32
	gates, aux    []float32
	projected     bool // ProjectInputs has prepared it for ForwardProjected
}

func newCache(kind Kind, hidden, input int) *Cache {
	s := hidden * kind.StateFactor()
	gh := kind.Gates() * hidden
	data := make([]float32, s+input+gh+hidden)
	return &Cache{
		kind: kind, hidden: hidden, input: input,
		prev:  data[:s:s],
		x:     data[s : s+input : s+input],
		gates: data[s+input : s+input+gh : s+input+gh],
		aux:   data[s+input+gh:],
	}
}

// Bytes is the memory the cache holds.
func (c *Cache) Bytes() int { return 4 * (len(c.prev) + len(c.x) + len(c.gates) + len(c.aux)) }

// Prev is s_{t-1} (length S; for LSTM [h_{t-1}; c_{t-1}]).
func (c *Cache) Prev() []float32 { return c.prev }

// Input is x_t.
func (c *Cache) Input() []float32 { return c.x }

// PreActivation is the vanilla cell's u = W_ih x_t + b_ih + W_hh s_{t-1} + b_hh (nil for
// GRU and LSTM).
func (c *Cache) PreActivation() []float32 {
	if c.kind.IsVanilla() {
		return c.gates
	}
	return nil
}

// ActivationDeriv is the vanilla cell's φ'(u) (nil for GRU and LSTM). ReLU's derivative
// at 0 is 0, as in PyTorch.
func (c *Cache) ActivationDeriv() []float32 {
	if c.kind.IsVanilla() {
		return c.aux
	}
	return nil
}

// Gates are the activated gates in PyTorch's order, G·H values: GRU r, z, n; LSTM i, f,
// g, o (nil for the vanilla cells).
func (c *Cache) Gates() []float32 {
	if c.kind.IsVanilla() {
		return nil
	}
	return c.gates
}

// GRUHiddenN is GRU's W_hn h_{t-1} + b_hn, the term r multiplies (nil for other cells).
func (c *Cache) GRUHiddenN() []float32 {
	if c.kind == GRU {
		return c.aux
	}
	return nil
}

// CellTanh is LSTM's tanh(c_t) (nil for other cells).
func (c *Cache) CellTanh() []float32 {
	if c.kind == LSTM {
		return c.aux
	}
	return nil
}

// rnnCell implements Cell for every kind: the kinds differ only in their forward step,
// their immediate-Jacobian coefficients and the part of J_t that does not go through
// W_hh (see direct*), and everything else is derived from those.
type rnnCell struct {
	lay      Layout
	alpha    float32
	state    int
	params   []float32
	wih, whh kernels.Mat
	bih, bhh []float32

	// scratch, reused by every step
	preIH, preHH   []float32 // G·H pre-activations
	gIH, gHH       []float32 // G·H gradients w.r.t. the ih and hh gate pre-activations
	coefIH, coefHH []float32 // S·G immediate-Jacobian coefficients
}

func (c *rnnCell) Kind() Kind        { return c.lay.Kind }
func (c *rnnCell) HiddenSize() int   { return c.lay.Hidden }
func (c *rnnCell) StateSize() int    { return c.state }
func (c *rnnCell) InputSize() int    { return c.lay.Input }
func (c *rnnCell) NumParams() int    { return len(c.params) }
func (c *rnnCell) Alpha() float32    { return c.alpha }
func (c *rnnCell) Params() []float32 { return c.params }
func (c *rnnCell) Layout() Layout    { return c.lay }
func (c *rnnCell) NewCache() *Cache  { return newCache(c.lay.Kind, c.lay.Hidden, c.lay.Input) }
func (c *rnnCell) gateRows() int     { return c.lay.Gates * c.lay.Hidden }
func (c *rnnCell) String() string {
	return fmt.Sprintf("%v(H=%d, I=%d)", c.lay.Kind, c.lay.Hidden, c.lay.Input)
}
func (c *rnnCell) hprev(k *Cache) []float32 { return k.prev[:c.lay.Hidden] }

func (c *rnnCell) CheckInput(x []float32) error {
	if len(x) != c.lay.Input {
		return fmt.Errorf("cell: input has %d values, the %v cell takes %d", len(x), c.lay.Kind, c.lay.Input)
	}
	return nil
}

func (c *rnnCell) checkCache(op string, k *Cache) {
	if k == nil || k.kind != c.lay.Kind || k.hidden != c.lay.Hidden || k.input != c.lay.Input {
		if k == nil {
			panic(fmt.Sprintf("cell: %s: nil cache", op))
		}
		panic(fmt.Sprintf("cell: %s: cache for %v(H=%d, I=%d) used with %v", op, k.kind, k.hidden, k.input, c))
	}
}

func checkLen(op, name string, got, want int) {
	if got != want {
		panic(fmt.Sprintf("cell: %s: len(%s) = %d, want %d", op, name, got, want))
	}
}

func (c *rnnCell) Forward(k *Cache, next, prev, x []float32) {
	c.checkCache("Forward", k)
	checkLen("Forward", "next", len(next), c.state)
	checkLen("Forward", "prev", len(prev), c.state)
	checkLen("Forward", "x", len(x), c.lay.Input)
	// Read only the cache's copies from here on, so next may alias prev.
	copy(k.prev, prev)
	copy(k.x, x)
	c.inputPart(k, 0, len(k.gates))
	k.projected = false
	c.finishForward(k, next)
}

// inputPart writes rows [r0, r1) of the input part of the step's pre-activations into
// k.gates, from k.x: W_ih x + b_ih + b_hh for the vanilla cells and LSTM (whose bias
// sums enter before the products), W_ih x + b_ih for GRU (whose n gate keeps the hh part
// apart). Every kind's forward step starts from it, and each row is computed the same
// way whichever rows a call covers, so ProjectInputs can sweep W_ih in blocks of rows.
func (c *rnnCell) inputPart(k *Cache, r0, r1 int) {
	dst := k.gates[r0:r1]
	if c.lay.Kind == GRU {
		copy(dst, c.bih[r0:r1])
	} else {
		kernels.Add(dst, c.bih[r0:r1], c.bhh[r0:r1])
	}
	kernels.MatVecAdd(dst, c.wih.Slice(r0, r1, 0, c.wih.Cols), k.x)
}

// finishForward runs the rest of the step from the input part in k.gates.
func (c *rnnCell) finishForward(k *Cache, next []float32) {
	switch c.lay.Kind {
	case RNNTanh, RNNReLU:
		c.forwardVanilla(k, next)
	case GRU:
		c.forwardGRU(k, next)
	case LSTM:
		c.forwardLSTM(k, next)
	}
}

// projectRows is how many rows of W_ih ProjectInputs sweeps over all its inputs at a
// time: about 16 KiB of them, half of L1, in multiples of 16 rows so that the matrix-vector
// kernels (which group rows by 4 and 8) group each row as a whole-matrix call does.
func (c *rnnCell) projectRows() int {
	return max(16, 4096/max(1, c.lay.Input)/16*16)
}

func (c *rnnCell) ProjectInputs(caches []*Cache, xs [][]float32) {
	if len(caches) != len(xs) {
		panic(fmt.Sprintf("cell: ProjectInputs: %d caches for %d inputs", len(caches), len(xs)))
	}
	for j, k := range caches {
		c.checkCache("ProjectInputs", k)
		checkLen("ProjectInputs", "x", len(xs[j]), c.lay.Input)
		copy(k.x, xs[j])
		k.projected = true
	}
	gh, step := c.gateRows(), c.projectRows()
	for r0 := 0; r0 < gh; r0 += step {
		r1 := min(gh, r0+step)
		for _, k := range caches {
			c.inputPart(k, r0, r1)
		}
	}
}

func (c *rnnCell) ForwardProjected(k *Cache, next, prev []float32) {
	c.checkCache("ForwardProjected", k)
	checkLen("ForwardProjected", "next", len(next), c.state)
	checkLen("ForwardProjected", "prev", len(prev), c.state)
	if !k.projected {
		panic("cell: ForwardProjected: the cache has no projected input (call ProjectInputs first)")
	}
	k.projected = false
	copy(k.prev, prev)
	c.finishForward(k, next)
}

func (c *rnnCell) coefficients(k *Cache, coefIH, coefHH []float32) {
	switch c.lay.Kind {
	case RNNTanh, RNNReLU:
		c.coefVanilla(k, coefIH, coefHH)
	case GRU:
		c.coefGRU(k, coefIH, coefHH)
	case LSTM:
		c.coefLSTM(k, coefIH, coefHH)
	}
}

func (c *rnnCell) ImmediateCoefficients(k *Cache, coefIH, coefHH []float32) {
	c.checkCache("ImmediateCoefficients", k)
	n := c.state * c.lay.Gates
	checkLen("ImmediateCoefficients", "coefIH", len(coefIH), n)
	checkLen("ImmediateCoefficients", "coefHH", len(coefHH), n)
	c.coefficients(k, coefIH, coefHH)
}

// gateGradients turns v = ∂L/∂s_t into the gradients w.r.t. the ih and hh gate
// pre-activations: g[k·H+u] = Σ over unit u's state rows s of v[s]·coef[s·G+k], with the
// coefficients of ImmediateCoefficients. It runs in every backward step, so it takes
// each unit's derivatives straight from gruDerivs / lstmDerivs (the vanilla cell's is
// α·φ') rather than through the coefficient arrays, which cost 5–10% of a step at n = 32.
func (c *rnnCell) gateGradients(k *Cache, v []float32) {
	h := c.lay.Hidden
	gIH, gHH := c.gIH, c.gHH
	switch c.lay.Kind {
	case RNNTanh, RNNReLU:
		a, d := c.alpha, k.aux[:h]
		for u, vs := range v[:h] {
			gIH[u] = vs * (a * d[u])
		}
		copy(gHH, gIH)
	case GRU:
		for u, vs := range v[:h] {
			cr, cz, dn, r := gruDerivs(k, h, u)
			gIH[u], gHH[u] = vs*cr, vs*cr
			gIH[h+u], gHH[h+u] = vs*cz, vs*cz
			gIH[2*h+u], gHH[2*h+u] = vs*dn, vs*(dn*r)
		}
	case LSTM:
		ig, fg, gg, og := k.gates[:h], k.gates[h:2*h], k.gates[2*h:3*h], k.gates[3*h:4*h]
		tc, cPrev := k.aux[:h], k.prev[h:2*h]
		vh, vc := v[:h], v[h:2*h]
		for u := range vh {
			di, df, dg, dhdc, do := lstmDerivs(ig[u], fg[u], gg[u], og[u], tc[u], cPrev[u])
			gIH[u] = vh[u]*(dhdc*di) + vc[u]*di
			gIH[h+u] = vh[u]*(dhdc*df) + vc[u]*df
			gIH[2*h+u] = vh[u]*(dhdc*dg) + vc[u]*dg
			gIH[3*h+u] = vh[u] * do
		}
		copy(gHH, gIH)
	}
}

// addParamGrad adds the parameter gradient of the gate gradients in c.gIH, c.gHH.
func (c *rnnCell) addParamGrad(k *Cache, grad []float32) {
	l := c.lay
	gh := c.gateRows()
	kernels.Ger(kernels.MatOf(gh, l.Input, grad[l.WeightIH:l.WeightHH]), 1, c.gIH, k.x)
	kernels.Ger(kernels.MatOf(gh, l.Hidden, grad[l.WeightHH:l.BiasIH]), 1, c.gHH, c.hprev(k))
	kernels.Axpy(1, c.gIH, grad[l.BiasIH:l.BiasHH])
	kernels.Axpy(1, c.gHH, grad[l.BiasHH:])
}

func (c *rnnCell) AddImmediateVJP(k *Cache, grad, v []float32) {
	c.checkCache("AddImmediateVJP", k)
	checkLen("AddImmediateVJP", "grad", len(grad), len(c.params))
	checkLen("AddImmediateVJP", "v", len(v), c.state)
	c.gateGradients(k, v)
	c.addParamGrad(k, grad)
}

func (c *rnnCell) Backward(k *Cache, dPrev, dx, grad, dNext []float32) {
	c.checkBackward("Backward", k, dPrev, dx, dNext)
	if grad != nil {
		checkLen("Backward", "grad", len(grad), len(c.params))
	}
	// Everything that reads dNext through the gates happens before dPrev is written, so
	// the two may be the same slice.
	c.gateGradients(k, dNext)
	if grad != nil {
		c.addParamGrad(k, grad)
	}
	c.inputStateVJP(k, dPrev, dx, dNext)
}

func (c *rnnCell) BackwardBatch(k *Cache, dPrev, dx, grad []float32, batch *GradBatch, dNext []float32) {
	c.checkBackward("BackwardBatch", k, dPrev, dx, dNext)
	checkLen("BackwardBatch", "grad", len(grad), len(c.params))
	if batch == nil || batch.lay != c.lay {
		panic(fmt.Sprintf("cell: BackwardBatch: the gradient batch is not for %v", c))
	}
	c.gateGradients(k, dNext)
	batch.record(grad, c.gIH, c.gHH, k.x, c.hprev(k))
	c.inputStateVJP(k, dPrev, dx, dNext)
}

// checkBackward panics, naming op and the sizes, when a backward step's vectors have the
// wrong lengths.
func (c *rnnCell) checkBackward(op string, k *Cache, dPrev, dx, dNext []float32) {
	c.checkCache(op, k)
	checkLen(op, "dPrev", len(dPrev), c.state)
	checkLen(op, "dNext", len(dNext), c.state)
	if dx != nil {
		checkLen(op, "dx", len(dx), c.lay.Input)
	}
}

// inputStateVJP finishes a backward step from the gate gradients: ∂L/∂x_t into dx
// (unless nil) and ∂L/∂s_{t-1} into dPrev, which may alias dNext.
func (c *rnnCell) inputStateVJP(k *Cache, dPrev, dx, dNext []float32) {
	if dx != nil {
		clear(dx)
		kernels.MatTVecAdd(dx, c.wih, c.gIH)
	}
	c.directVJP(k, dPrev, dNext)
	kernels.MatTVecAdd(dPrev[:c.lay.Hidden], c.whh, c.gHH)
}

func (c *rnnCell) StateJacobian(k *Cache, j kernels.Mat) {
	c.checkCache("StateJacobian", k)
	if j.Rows != c.state || j.Cols != c.state {
		panic(fmt.Sprintf("cell: StateJacobian: J is %d×%d, want %d×%d", j.Rows, j.Cols, c.state, c.state))
	}
	c.coefficients(k, c.coefIH, c.coefHH)
	h, g := c.lay.Hidden, c.lay.Gates
	for s := range c.state {
		row := j.Row(s)
		clear(row)
		u := s % h
		// Through W_hh: ∂s/∂h_{t-1} = Σ_k coefHH[s,k]·W_hh[k·H+u, :].
		for gate, coef := range c.coefHH[s*g : s*g+g] {
			if coef != 0 {
				kernels.Axpy(coef, c.whh.Row(gate*h+u), row[:h])
			}
		}
	}
	c.directJacobian(k, j)
}

func (c *rnnCell) StateJVP(k *Cache, out, v []float32) {
	c.checkCache("StateJVP", k)
	checkLen("StateJVP", "out", len(out), c.state)
	checkLen("StateJVP", "v", len(v), c.state)
	c.coefficients(k, c.coefIH, c.coefHH)
	h, g := c.lay.Hidden, c.lay.Gates
	// Through W_hh: (J·v)[s] = Σ_k coefHH[s,k]·(W_hh·v_h)[k·H+u]. preHH is free scratch
	// outside Forward. Everything reading v happens before out is written.
	wv := c.preHH
	kernels.MatVec(wv, c.whh, v[:h])
	switch c.lay.Kind {
	case RNNTanh, RNNReLU:
		beta := 1 - c.alpha
		for u := range h {
			out[u] = beta*v[u] + c.coefHH[u]*wv[u]
		}
	case GRU:
		z := k.gates[h : 2*h]
		for u := range h {
			cf := c.coefHH[3*u : 3*u+3]
			out[u] = z[u]*v[u] + cf[0]*wv[u] + cf[1]*wv[h+u] + cf[2]*wv[2*h+u]
		}
	case LSTM:
		f, o := k.gates[h:2*h], k.gates[3*h:4*h]
		for u := range h {
			vc := v[h+u]
			tc := k.aux[u]
			ch := c.coefHH[4*u : 4*u+4]
			cc := c.coefHH[4*(h+u) : 4*(h+u)+4]
			var sh, sc float32
			for gate := range g {
				sh += ch[gate] * wv[gate*h+u]
				sc += cc[gate] * wv[gate*h+u]
			}
			out[u] = sh + o[u]*(1-tc*tc)*f[u]*vc
			out[h+u] = sc + f[u]*vc
		}
	}
}

func (c *rnnCell) UnitJacobian(k *Cache, blocks []float32) {
	c.checkCache("UnitJacobian", k)
	h, g := c.lay.Hidden, c.lay.Gates
	fs := c.lay.Kind.StateFactor()
	checkLen("UnitJacobian", "blocks", len(blocks), h*fs*fs)
	c.coefficients(k, c.coefIH, c.coefHH)
	for u := range h {
		blk := blocks[u*fs*fs : (u+1)*fs*fs]
		for a := range fs {
			s := a*h + u
			// Only h_{t-1}[u] enters through W_hh's column u.
			var viaW float32
			for gate := range g {
				viaW += c.coefHH[s*g+gate] * c.whh.At(gate*h+u, u)
			}
			blk[a*fs] = viaW
			for b := 1; b < fs; b++ {
				blk[a*fs+b] = 0
			}
		}
		switch c.lay.Kind {
		case RNNTanh, RNNReLU:
			blk[0] += 1 - c.alpha
		case GRU:
			blk[0] += k.gates[h+u]
		case LSTM:
			f, o, tc := k.gates[h+u], k.gates[3*h+u], k.aux[u]
			blk[1] += o * (1 - tc*tc) * f
			blk[3] += f
		}
	}
}

func (c *rnnCell) AddImmediate(k *Cache, m kernels.Mat) {
	c.checkCache("AddImmediate", k)
	if m.Rows != c.state || m.Cols != len(c.params) {
		panic(fmt.Sprintf("cell: AddImmediate: M is %d×%d, want %d×%d", m.Rows, m.Cols, c.state, len(c.params)))
	}
	c.coefficients(k, c.coefIH, c.coefHH)
	l := c.lay
	h, g, in := l.Hidden, l.Gates, l.Input
	hp := c.hprev(k)
	for s := range c.state {
		row := m.Row(s)
		u := s % h
		for gate := range g {
			r := gate*h + u
			cih, chh := c.coefIH[s*g+gate], c.coefHH[s*g+gate]
			kernels.Axpy(cih, k.x, row[l.WeightIH+r*in:l.WeightIH+r*in+in])
			kernels.Axpy(chh, hp, row[l.WeightHH+r*h:l.WeightHH+r*h+h])
			row[l.BiasIH+r] += cih
			row[l.BiasHH+r] += chh
		}
	}
}

// directVJP overwrites dPrev with D_tᵀ·dNext, where D_t is the part of J_t that does not
// pass through W_hh. dPrev may alias dNext.
func (c *rnnCell) directVJP(k *Cache, dPrev, dNext []float32) {
	switch c.lay.Kind {
	case RNNTanh, RNNReLU:
		// s_t = (1-α)·s_{t-1} + ...
		beta := 1 - c.alpha
		for i, d := range dNext {
			dPrev[i] = beta * d
		}
	case GRU:
		// h_t = ... + z ⊙ h_{t-1}
		z := k.gates[c.lay.Hidden : 2*c.lay.Hidden]
		kernels.Mul(dPrev, dNext, z)
	case LSTM:
		// c_t = f ⊙ c_{t-1} + ..., h_t = o ⊙ tanh(c_t): c_{t-1} reaches both directly.
		h := c.lay.Hidden
		f, o := k.gates[h:2*h], k.gates[3*h:4*h]
		for u := range h {
			dh, dc := dNext[u], dNext[h+u]
			tc := k.aux[u]
			dPrev[h+u] = f[u] * (dc + dh*o[u]*(1-tc*tc))
			dPrev[u] = 0
		}
	}
}

// directJacobian adds D_t (see directVJP) to j.
func (c *rnnCell) directJacobian(k *Cache, j kernels.Mat) {
	h := c.lay.Hidden
	switch c.lay.Kind {
	case RNNTanh, RNNReLU:
		for u := range h {
			j.Data[u*j.Stride+u] += 1 - c.alpha
		}
	case GRU:
		for u := range h {
			j.Data[u*j.Stride+u] += k.gates[h+u]
		}
	case LSTM:
		f, o := k.gates[h:2*h], k.gates[3*h:4*h]
		for u := range h {
			tc := k.aux[u]
			j.Data[u*j.Stride+h+u] += o[u] * (1 - tc*tc) * f[u]
			j.Data[(h+u)*j.Stride+h+u] += f[u]
		}
	}
}
