package cell

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/chronograd/chronograd/kernels"
)

// The attention component of Sparse Attentive Backtracking (Ke, Goyal, Bilaniuk, Binas,
// Mozer, Pal & Bengio, NeurIPS 2018, "Sparse Attentive Backtracking: Temporal Credit
// Assignment Through Reminding"). After the layers' step, the top layer's provisional
// ĥ_t attends to a memory of past top-layer states m_1 … m_n and the attended summary is
// added to it:
//
//	q_t   = W_q·ĥ_t + b_q                           (query)
//	a_i   = q_tᵀ·k_i / √H,   k_i = W_k·m_i          (score of slot i; k_i computed when i is written)
//	τ     = the (k_top+1)-th largest a_i
//	r_i   = max(a_i − τ, 0),  w_i = r_i / Σ_j r_j     (sparsified, normalised)
//	h_t   = ĥ_t + Σ_i w_i·m_i                        (what the next step and the readout see)
//
// and after every k_att-th step of a sequence the provisional ĥ_t (with its key) is
// written to the memory, which holds at most M slots (the oldest is overwritten) or, for
// M = ∞, every slot of the sequence. For LSTM the summary is added to h, not c. Three cases complete the
// definition: an empty memory adds nothing; a memory of n ≤ k_top slots has no (k_top+1)-th
// score, and τ → −∞ is the limit taken, which weights every slot 1/n (the scores then get
// no gradient); when every r_i is 0 (the top k_top+1 scores tie), the summary is 0.
//
// Ties are broken deterministically: of two equal scores, the more recently written slot
// ranks first. Which slot is the (k_top+1)-th matters only for the gradient (τ's slot
// receives −Σ ∂L/∂r_i); the forward values do not depend on it.
//
// The memory holds ĥ_t, not h_t as the paper's released code does: with h_t every slot
// carries the summaries of older slots, and along the chain of writes the state grows
// without bound (an LSTM of 64 units at its default initialisation reaches |h_t| ≈ 50 on
// the copy task, where |ĥ_t| ≤ 8), saturating the gates it feeds; with ĥ_t a summary is a
// convex combination of bounded states. Credit still jumps again from the steps a
// backward pass backtracks through, through the slots they read.
//
// The score is scaled dot-product attention with learned query and key maps, not the
// concatenation form vᵀ·tanh([ĥ; m]) of the paper's released code: in that form the ĥ part
// is the same for every slot and cancels when τ is subtracted, so the slots chosen and
// their weights cannot depend on the current state; a full MLP vᵀ·tanh(W_q·ĥ + W_k·m)
// depends on it but costs a tanh per slot and key entry at every step and H² per chosen
// slot in the backward pass. The dot product depends on ĥ, and with keys computed once per
// slot its forward cost per step is H² (the query) plus H per slot.

// AttentionConfig holds the hyperparameters of the attention component.
type AttentionConfig struct {
	// KAtt ≥ 1: the state is written to the memory after every KAtt-th step of a sequence
	// (the KAtt-th, 2·KAtt-th, … step after a reset).
	KAtt int
	// KTop ≥ 1: the number of slots a step attends to.
	KTop int
	// M is the number of slots the memory holds, at least KTop; 0 means unbounded (M = ∞,
	// every slot of a sequence is kept).
	M int
}

// maxKTop bounds k_top, whose lists every step's record holds.
const maxKTop = 1 << 12

// Check returns an error naming the value at fault unless 1 ≤ k_att, 1 ≤ k_top ≤ 4096
// and M = 0 (∞) or M ≥ k_top.
func (c AttentionConfig) Check() error {
	switch {
	case c.KAtt < 1:
		return fmt.Errorf("attention: k_att=%d must be at least 1", c.KAtt)
	case c.KTop < 1:
		return fmt.Errorf("attention: k_top=%d must be at least 1", c.KTop)
	case c.KTop > maxKTop:
		return fmt.Errorf("attention: k_top=%d is more than %d", c.KTop, maxKTop)
	case c.M < 0 || (c.M > 0 && c.M < c.KTop):
		return fmt.Errorf("attention: M=%d must be at least k_top=%d (or ∞)", c.M, c.KTop)
	}
	return nil
}

// String is the configuration as ParseAttention reads it: "K_ATT,K_TOP,M" with M "inf"
// for ∞.
func (c AttentionConfig) String() string {
	m := "inf"
	if c.M > 0 {
		m = strconv.Itoa(c.M)
	}
	return fmt.Sprintf("%d,%d,%s", c.KAtt, c.KTop, m)
}

// ParseAttention reads "K_ATT,K_TOP" (M = ∞) or "K_ATT,K_TOP,M" (M an integer, or "inf")
// and validates it; its errors are one line naming the value at fault.
func ParseAttention(s string) (AttentionConfig, error) {
	f := strings.Split(s, ",")
	if len(f) < 2 || len(f) > 3 {
		return AttentionConfig{}, fmt.Errorf("attention %q: want K_ATT,K_TOP or K_ATT,K_TOP,M", s)
	}
	var c AttentionConfig
	for i, name := range []string{"k_att", "k_top"} {
		v, err := strconv.Atoi(strings.TrimSpace(f[i]))
		if err != nil {
			return AttentionConfig{}, fmt.Errorf("attention %q: %s=%q is not an integer", s, name, f[i])
		}
		if i == 0 {
			c.KAtt = v
		} else {
			c.KTop = v
		}
	}
	if len(f) == 3 {
		m, err := parseSlots(strings.TrimSpace(f[2]))
		if err != nil {
			return AttentionConfig{}, fmt.Errorf("attention %q: %w", s, err)
		}
		c.M = m
	}
	if err := c.Check(); err != nil {
		return AttentionConfig{}, fmt.Errorf("attention %q: %s", s, strings.TrimPrefix(err.Error(), "attention: "))
	}
	return c, nil
}

// parseSlots reads M: "inf" (0, unbounded) or a positive integer.
func parseSlots(v string) (int, error) {
	if v == "inf" || v == "∞" {
		return 0, nil
	}
	m, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("the slot count M=%q is not an integer or inf", v)
	}
	if m < 1 {
		return 0, fmt.Errorf("the slot count M=%d must be at least 1 (or inf)", m)
	}
	return m, nil
}

// Attention is the model component: its configuration and its parameters, one flat
// vector laid out as attention.query.weight [H, H] (W_q), attention.query.bias [H] (b_q)
// and attention.key.weight [H, H] (W_k), PyTorch's nn.Linear names under a module
// "attention" (the key map has no bias: it would add the same amount to every score).
// A model's flat cell vector holds it after the layers' parameters.
//
// Its per-step methods run one sequence (a batch of one); a Memory holds the sequence's
// slots and an AttentionCache what one step records for its backward pass. Like a Cell it
// holds scratch space, so it must not be stepped by several goroutines at once; no
// per-step method allocates, except that a Memory grows (by doubling) when it must hold
// more slots than ever before.
type Attention struct {
	cfg    AttentionConfig
	hidden int
	scale  float32 // 1/√H
	params []float32
	wq, wk kernels.Mat
	bq     []float32
	dq, dw []float32 // backward scratch: ∂L/∂q and ∂L/∂w_i
}

// twin is a component that shares a's parameters with scratch of its own.
func (a *Attention) twin() *Attention {
	t := *a
	t.dq, t.dw = make([]float32, len(a.dq)), make([]float32, len(a.dw))
	return &t
}

// NewAttention builds the component for top-layer states of hidden units, with zero
// parameters.
func NewAttention(cfg AttentionConfig, hidden int) (*Attention, error) {
	if err := cfg.Check(); err != nil {
		return nil, fmt.Errorf("cell: %w", err)
	}
	if hidden < 1 {
		return nil, fmt.Errorf("cell: attention over %d hidden units", hidden)
	}
	if 2*float64(hidden)*float64(hidden+1) > maxParams {
		return nil, fmt.Errorf("cell: attention over H=%d would have too many parameters (limit %d)", hidden, maxParams)
	}
	h := hidden
	a := &Attention{cfg: cfg, hidden: h, scale: float32(1 / math.Sqrt(float64(h))),
		params: make([]float32, 2*h*h+h), dq: make([]float32, h), dw: make([]float32, cfg.KTop)}
	a.wq = kernels.MatOf(h, h, a.params[:h*h])
	a.bq = a.params[h*h : h*h+h]
	a.wk = kernels.MatOf(h, h, a.params[h*h+h:])
	return a, nil
}

// Config is the component's hyperparameters.
func (a *Attention) Config() AttentionConfig { return a.cfg }

// HiddenSize is H, the size of the states attended to.
func (a *Attention) HiddenSize() int { return a.hidden }

// NumParams is 2·H² + H.
func (a *Attention) NumParams() int { return len(a.params) }

// Params is the flat parameter vector, owned by the component; update it in place.
func (a *Attention) Params() []float32 { return a.params }

// Attention tensor names in model files.
const (
	AttentionQueryWeight = "attention.query.weight" // W_q [H, H]
	AttentionQueryBias   = "attention.query.bias"   // b_q [H]
	AttentionKeyWeight   = "attention.key.weight"   // W_k [H, H]
)

// Tensors names the views of Params (and of a gradient of the same layout).
func (a *Attention) Tensors() []Tensor {
	h := a.hidden
	return []Tensor{
		{Name: AttentionQueryWeight, Shape: []int{h, h}, Offset: 0},
		{Name: AttentionQueryBias, Shape: []int{h}, Offset: h * h},
		{Name: AttentionKeyWeight, Shape: []int{h, h}, Offset: h*h + h},
	}
}

// InitDefault draws every parameter from U(-1/√H, 1/√H), nn.Linear's default, from rng
// (a math/rand/v2 generator).
func (a *Attention) InitDefault(rng *rand.Rand) {
	uniform(a.params, 1/math.Sqrt(float64(a.hidden)), rng)
}

// Memory is the attention memory of one sequence: the slots written since the last Reset,
// each a state m_i and its key k_i = W_k·m_i, numbered 0, 1, … in the order written. The
// attention reads the newest M of them (all, for M = ∞). A backward pass may still need
// slots that have left the attention's view (a step recorded earlier read them), so the
// memory keeps every slot until Release says it is no longer needed; each kept slot also
// has an adjoint, ∂L/∂m_i and ∂L/∂k_i gathered from the steps that read it, which the
// backward pass of the step that wrote it consumes (see Attention.BackwardWrite).
type Memory struct {
	att          *Attention
	values, keys []float32 // ring of capacity cap slots, slot id at position id % cap
	dv, dk       []float32 // the slots' pending adjoints
	pending      []bool
	cap          int
	writes       int // slots written since Reset
	kept         int // the oldest slot still held
	creditFloor  int // slots below it take no credit
	steps        int // steps since Reset
	// forwardOnly memories (a Runner's) drop a slot as soon as it leaves the view
	forwardOnly bool
	// scratch of the forward step: the running top list
	topIDs  []int
	topVals []float32
}

// NewMemory returns an empty memory for this component.
func (a *Attention) NewMemory() *Memory {
	k := a.cfg.KTop + 1
	return &Memory{att: a, topIDs: make([]int, k), topVals: make([]float32, k)}
}

// Reset empties the memory for a new sequence (keeping its buffers).
func (mem *Memory) Reset() {
	for id := mem.kept; id < mem.writes; id++ {
		mem.clearAdjoint(id)
	}
	mem.writes, mem.kept, mem.creditFloor, mem.steps = 0, 0, 0, 0
}

// Steps is the number of steps run since Reset.
func (mem *Memory) Steps() int { return mem.steps }

// Writes is the number of slots written since Reset; the newest has number Writes()−1.
func (mem *Memory) Writes() int { return mem.writes }

// Oldest is the number of the oldest slot the attention reads now: Writes()−M, or 0 for
// M = ∞ and while fewer than M slots have been written.
func (mem *Memory) Oldest() int {
	if m := mem.att.cfg.M; m > 0 {
		return max(0, mem.writes-m)
	}
	return 0
}

// Kept is the number of the oldest slot the memory still holds.
func (mem *Memory) Kept() int { return mem.kept }

// Release lets the memory drop the slots numbered below id: no recorded step that will be
// run backwards reads them. id may not exceed Oldest(), the slots the attention still
// reads.
func (mem *Memory) Release(id int) {
	if id > mem.Oldest() {
		panic(fmt.Sprintf("cell: Memory.Release(%d): slot %d is still attended (the oldest attended is %d)", id, id-1, mem.Oldest()))
	}
	mem.drop(id)
}

// drop forgets the slots below id.
func (mem *Memory) drop(id int) {
	for ; mem.kept < id; mem.kept++ {
		mem.clearAdjoint(mem.kept)
	}
	mem.creditFloor = max(mem.creditFloor, mem.kept)
}

// SetCreditFloor makes the slots numbered below id take no credit: the backward pass
// leaves their adjoints at zero (a truncation of the attention path), although their
// values are still read. Release raises the floor to the oldest slot kept.
func (mem *Memory) SetCreditFloor(id int) { mem.creditFloor = max(mem.kept, min(id, mem.writes)) }

// Pending reports whether slot id has a nonzero adjoint waiting for the backward step of
// the step that wrote it.
func (mem *Memory) Pending(id int) bool {
	return id >= mem.kept && id < mem.writes && mem.pending[id%mem.cap]
}

// Value is slot id's state m_id (H values, owned by the memory); it panics unless the
// slot is held.
func (mem *Memory) Value(id int) []float32 {
	p := mem.pos(id)
	h := mem.att.hidden
	return mem.values[p*h : (p+1)*h]
}

// Bytes is the memory the slots, their keys and adjoints and the scratch hold.
func (mem *Memory) Bytes() int { return MemoryBytes(mem.att.hidden, mem.att.cfg.KTop, mem.cap) }

// MemoryBytes is what a Memory of the given slot capacity holds for a component of hidden
// units and k_top: each slot's state, key and their adjoints (4·H floats) and a flag, and
// the top-k_top+1 list; the figure a memory model uses.
func MemoryBytes(hidden, kTop, capacity int) int {
	return 4*4*capacity*hidden + capacity + (4+intBytes)*(kTop+1)
}

// MemoryCapacity is the slot capacity a Memory of a component with M slots (0: ∞) grows
// to when it must hold held slots at once: it doubles from 4, stopping once at M.
func MemoryCapacity(m, held int) int {
	c := 0
	for c < held {
		c = nextCapacity(c, m)
	}
	return c
}

// nextCapacity is the capacity a full ring of c slots grows to.
func nextCapacity(c, m int) int {
	n := max(4, 2*c)
	if m > 0 && c < m && n > m {
		n = m // a forward-only run keeps exactly M
	}
	return n
}

// pos is the ring position of a held slot.
func (mem *Memory) pos(id int) int {
	if id < mem.kept || id >= mem.writes {
		panic(fmt.Sprintf("cell: Memory: slot %d is not held (held: %d to %d)", id, mem.kept, mem.writes-1))
	}
	return id % mem.cap
}

func (mem *Memory) key(id int) []float32 {
	p, h := mem.pos(id), mem.att.hidden
	return mem.keys[p*h : (p+1)*h]
}

func (mem *Memory) clearAdjoint(id int) {
	p, h := id%mem.cap, mem.att.hidden
	if mem.pending[p] {
		clear(mem.dv[p*h : (p+1)*h])
		clear(mem.dk[p*h : (p+1)*h])
		mem.pending[p] = false
	}
}

// takesCredit reports whether the backward pass gives slot id an adjoint.
func (mem *Memory) takesCredit(id int) bool { return id >= mem.creditFloor }

// adjoint returns slot id's ∂L/∂m and ∂L/∂k, marking it pending.
func (mem *Memory) adjoint(id int) (dv, dk []float32) {
	p, h := mem.pos(id), mem.att.hidden
	mem.pending[p] = true
	return mem.dv[p*h : (p+1)*h], mem.dk[p*h : (p+1)*h]
}

// write appends slot number writes, growing the ring when it is full.
func (mem *Memory) write(h []float32) int {
	if m := mem.att.cfg.M; mem.forwardOnly && m > 0 && mem.writes-mem.kept == m {
		mem.drop(mem.kept + 1) // the oldest leaves the view with this write
	}
	if mem.writes-mem.kept == mem.cap {
		mem.grow()
	}
	id := mem.writes
	mem.writes++
	p, n := id%mem.cap, mem.att.hidden
	copy(mem.values[p*n:(p+1)*n], h)
	kernels.MatVec(mem.keys[p*n:(p+1)*n], mem.att.wk, h)
	return id
}

// grow doubles the ring (a bounded memory stops growing once it holds as many slots as
// its algorithm keeps).
func (mem *Memory) grow() {
	h := mem.att.hidden
	c := nextCapacity(mem.cap, mem.att.cfg.M)
	values, keys, dv, dk := make([]float32, c*h), make([]float32, c*h), make([]float32, c*h), make([]float32, c*h)
	pending := make([]bool, c)
	for id := mem.kept; id < mem.writes; id++ {
		o, p := id%mem.cap, id%c
		copy(values[p*h:(p+1)*h], mem.values[o*h:(o+1)*h])
		copy(keys[p*h:(p+1)*h], mem.keys[o*h:(o+1)*h])
		copy(dv[p*h:(p+1)*h], mem.dv[o*h:(o+1)*h])
		copy(dk[p*h:(p+1)*h], mem.dk[o*h:(o+1)*h])
		pending[p] = mem.pending[o]
	}
	mem.values, mem.keys, mem.dv, mem.dk, mem.pending, mem.cap = values, keys, dv, dk, pending, c
}

// attention modes of a step's record
const (
	attendNone    = iota // the memory was empty: nothing added
	attendUniform        // n ≤ k_top slots, each weighted 1/n
	attendSparse         // the top k_top with τ subtracted
)

// AttentionCache holds what one step of the attention records for its backward pass:
// ĥ_t, the query, the slots read with their weights, the (k_top+1)-th slot, and the slot
// the step wrote.
type AttentionCache struct {
	hhat, q []float32
	mode    int
	ids     []int     // the slots with a nonzero weight, by rank (uniform: all, oldest first)
	w       []float32 // their normalised weights
	n       int       // how many
	thr     int       // the (k_top+1)-th slot (sparse mode), or −1
	rsum    float32   // Σ r_i
	wrote   int       // the slot written after this step, or −1
}

// NewCache allocates a record for one step; reuse it.
func (a *Attention) NewCache() *AttentionCache {
	return &AttentionCache{hhat: make([]float32, a.hidden), q: make([]float32, a.hidden),
		ids: make([]int, a.cfg.KTop), w: make([]float32, a.cfg.KTop), thr: -1, wrote: -1}
}

// AttentionCacheBytes is what one AttentionCache holds for a component of hidden units and
// k_top, the figure a memory model multiplies by the steps an algorithm keeps.
func AttentionCacheBytes(hidden, kTop int) int { return 4*2*hidden + (intBytes+4)*kTop }

// intBytes is the size of an int.
const intBytes = strconv.IntSize / 8

// Bytes is the memory the record holds.
func (c *AttentionCache) Bytes() int { return AttentionCacheBytes(len(c.hhat), len(c.ids)) }

// Wrote is the slot written after the step, or −1.
func (c *AttentionCache) Wrote() int { return c.wrote }

// Weights lists the slots the step read with a nonzero weight, by rank, and their
// weights (views into the record).
func (c *AttentionCache) Weights() (ids []int, w []float32) { return c.ids[:c.n], c.w[:c.n] }

// Forward turns the top layer's provisional state ĥ_t, in h (H values), into h_t = ĥ_t +
// Σ_i w_i·m_i, recording the step into c; then, if the step is the k_att-th since the
// last write, it writes ĥ_t and its key into mem. The step's backward pass needs mem to
// still hold the slots it read (those in view at the step, at least Oldest then).
func (a *Attention) Forward(c *AttentionCache, mem *Memory, h []float32) {
	checkLen("Attention.Forward", "h", len(h), a.hidden)
	if mem.att != a {
		panic("cell: Attention.Forward: a memory of another attention component")
	}
	a.attend(c, mem, h, mem.Oldest(), mem.writes)
	mem.steps++
	if mem.steps%a.cfg.KAtt == 0 {
		c.wrote = mem.write(c.hhat)
	}
}

// Replay recomputes, into c and h, the attention of step number step (counted from the
// memory's Reset, 0 first) as Forward ran it, reading the slots that were in view then
// and writing nothing: with the same ĥ_t and parameters it gives the same h_t and record,
// bit for bit (the slot the step wrote, if any, is recorded as written). An algorithm
// that keeps a step's inputs instead of its records runs the step again this way. mem
// must still hold the slots the step read.
func (a *Attention) Replay(c *AttentionCache, mem *Memory, h []float32, step int) {
	checkLen("Attention.Replay", "h", len(h), a.hidden)
	if mem.att != a || step < 0 || step >= mem.steps {
		panic(fmt.Sprintf("cell: Attention.Replay: step %d of a memory that has run %d", step, mem.steps))
	}
	hi := step / a.cfg.KAtt // slots written before the step
	lo := 0
	if m := a.cfg.M; m > 0 {
		lo = max(0, hi-m)
	}
	a.attend(c, mem, h, lo, hi)
	if (step+1)%a.cfg.KAtt == 0 {
		c.wrote = hi
	}
}

// attend adds the summary of the slots lo … hi−1 to h, recording the step into c.
func (a *Attention) attend(c *AttentionCache, mem *Memory, h []float32, lo, hi int) {
	copy(c.hhat, h)
	c.n, c.thr, c.rsum, c.wrote = 0, -1, 0, -1
	n := hi - lo
	switch {
	case n == 0:
		c.mode = attendNone
	case n <= a.cfg.KTop:
		// No (k_top+1)-th score: the limit τ → −∞ weights every slot alike.
		c.mode = attendUniform
		c.n = n
		w := 1 / float32(n)
		for j := range n {
			c.ids[j], c.w[j] = lo+j, w
			kernels.Axpy(w, mem.Value(lo+j), h)
		}
	default:
		c.mode = attendSparse
		a.query(c)
		a.sparsify(c, mem, lo, hi)
		for j := range c.n {
			kernels.Axpy(c.w[j], mem.Value(c.ids[j]), h)
		}
	}
}

// query computes q = W_q·ĥ + b_q into the record.
func (a *Attention) query(c *AttentionCache) {
	copy(c.q, a.bq)
	kernels.MatVecAdd(c.q, a.wq, c.hhat)
}

// sparsify scores the slots lo … hi−1, keeps the k_top+1 best (ties: the newer slot
// first), and records the top k_top's normalised weights max(a_i − τ, 0)/Σ.
func (a *Attention) sparsify(c *AttentionCache, mem *Memory, lo, hi int) {
	k := a.cfg.KTop + 1
	ids, vals := mem.topIDs, mem.topVals
	filled := 0
	for id := lo; id < hi; id++ {
		s := kernels.Dot(c.q, mem.key(id)) * a.scale
		// Slots come oldest first, so an equal score ranks the newer slot higher: it
		// displaces and is inserted before its equals.
		if filled == k && s < vals[k-1] {
			continue
		}
		j := min(filled, k-1) // a full list drops its last
		for j > 0 && s >= vals[j-1] {
			ids[j], vals[j] = ids[j-1], vals[j-1]
			j--
		}
		ids[j], vals[j] = id, s
		if filled < k {
			filled++
		}
	}
	tau := vals[k-1]
	c.thr = ids[k-1]
	var rsum float32
	for j := range k - 1 {
		r := vals[j] - tau
		if r <= 0 {
			break // sorted: the rest tie with τ too
		}
		c.ids[c.n], c.w[c.n] = ids[j], r
		c.n++
		rsum += r
	}
	c.rsum = rsum
	switch c.n {
	case 0:
		return
	case 1:
		c.w[0] = 1 // exactly: the weight of a lone slot does not depend on the scores
		return
	}
	for j := range c.n {
		c.w[j] /= rsum
	}
}

// Backward is the vector-Jacobian product of the step recorded in c. On entry dh is
// ∂L/∂h_t; on return it is ∂L/∂ĥ_t (the summary's value path passes it through unchanged,
// the query's path adds W_qᵀ·∂L/∂q). It ADDS the gradient of W_q and b_q into grad (the
// component's layout, NumParams values) and ∂L/∂m_i, ∂L/∂k_i into the adjoints of the
// slots read, except those below mem's credit floor. mem must still hold every slot the
// step read.
func (a *Attention) Backward(c *AttentionCache, mem *Memory, dh, grad []float32) {
	checkLen("Attention.Backward", "dh", len(dh), a.hidden)
	checkLen("Attention.Backward", "grad", len(grad), len(a.params))
	if c.mode == attendNone || c.n == 0 {
		return
	}
	dw := a.dw[:c.n]
	for j, id := range c.ids[:c.n] {
		// ∂L/∂w_i = dhᵀ·m_i; ∂L/∂m_i += w_i·dh (the summary's value path).
		dw[j] = kernels.Dot(dh, mem.Value(id))
		if mem.takesCredit(id) {
			dv, _ := mem.adjoint(id)
			kernels.Axpy(c.w[j], dh, dv)
		}
	}
	if c.mode == attendUniform || c.n == 1 {
		return // fixed weights (1/n, or 1 for a lone slot): no path to the scores
	}
	// w_j = r_j/R: ∂L/∂r_j = (∂L/∂w_j − Σ_i w_i·∂L/∂w_i)/R; r_j = a_j − τ for the
	// chosen j, so ∂L/∂a_j = ∂L/∂r_j and ∂L/∂τ = −Σ_j ∂L/∂r_j.
	var wdw float32
	for j := range dw {
		wdw += c.w[j] * dw[j]
	}
	inv := 1 / c.rsum
	dq := a.dq
	clear(dq)
	var dtau float32
	for j, id := range c.ids[:c.n] {
		da := (dw[j] - wdw) * inv
		dtau -= da
		a.scoreBackward(mem, id, da, c.q, dq)
	}
	a.scoreBackward(mem, c.thr, dtau, c.q, dq)
	// q = W_q·ĥ + b_q
	wq := kernels.MatOf(a.hidden, a.hidden, grad[:a.hidden*a.hidden])
	kernels.Ger(wq, 1, dq, c.hhat)
	kernels.Axpy(1, dq, grad[a.hidden*a.hidden:a.hidden*a.hidden+a.hidden])
	kernels.MatTVecAdd(dh, a.wq, dq)
}

// scoreBackward takes ∂L/∂a for a_id = qᵀ·k_id/√H into ∂L/∂q and the slot's ∂L/∂k.
func (a *Attention) scoreBackward(mem *Memory, id int, da float32, q, dq []float32) {
	kernels.Axpy(da*a.scale, mem.key(id), dq)
	if mem.takesCredit(id) {
		_, dk := mem.adjoint(id)
		kernels.Axpy(da*a.scale, q, dk)
	}
}

// BackwardWrite consumes the adjoint of the slot written after the step recorded in c,
// if any: the slot is ĥ_t itself, so dh (∂L/∂ĥ_t, as Backward leaves it) gains ∂L/∂m +
// W_kᵀ·∂L/∂k, and the gradient of W_k (in grad, the component's layout) gains ∂L/∂k·mᵀ.
// Call it after Backward.
func (a *Attention) BackwardWrite(c *AttentionCache, mem *Memory, dh, grad []float32) {
	id := c.wrote
	if id < 0 || !mem.Pending(id) {
		return
	}
	dv, dk := mem.adjoint(id)
	kernels.Axpy(1, dv, dh)
	kernels.MatTVecAdd(dh, a.wk, dk)
	h := a.hidden
	kernels.Ger(kernels.MatOf(h, h, grad[h*h+h:]), 1, dk, mem.Value(id))
	mem.clearAdjoint(id)
}
