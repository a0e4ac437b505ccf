package bptt

import (
	"fmt"
	"unsafe"

	"github.com/chronograd/chronograd/cell"
)

// Checkpointed is BPTT under a memory budget by binomial checkpointing (Griewank 1992,
// "Achieving logarithmic growth of temporal and spatial complexity in reverse automatic
// differentiation"; Griewank & Walther 2000, "Algorithm 799: Revolve"; for RNNs Gruslys et
// al. 2016, "Memory-efficient backpropagation through time"). Its gradient is
// bit-identical to Full's: every step's backward pass is the same operations on the same
// recomputed values, in the same order.
//
// Cost model. Reversing step t (its forward pass recording a cache, then the backward
// step (2)–(4) of the package documentation) needs s_{t-1}; a slot holds one state, and slot 0 holds s_0.
// Reversing l steps from a stored state with s slots takes C(l, s) extra forward steps
// ("advances"), on top of the l recording forward steps, where
//
//	C(1, s) = 0,  C(l, 1) = l(l−1)/2,
//	C(l, s) = min_{0<m<l} m + C(l−m, s−1) + C(m, s)                                (5)
//
// (advance m steps, store s_m in a new slot, reverse the last l−m steps with one slot
// fewer, then the first m with the slot freed). Griewank's closed form of (5) is
//
//	C(l, s) = r·l − β(s+1, r−1),  β(s, r) = (s+r)! / (s!·r!),                      (6)
//
// with the repetition number r the least integer with β(s, r) ≥ l: every step is advanced
// at most r times. The split
//
//	m = max(1, β(s, r−2), l − β(s−1, r))                                           (7)
//
// attains (5): its left part needs at most r−1 repetitions with s slots and its right
// part at most r with s−1 slots (β(s, r) = β(s−1, r) + β(s, r−1)). The test checks the
// count of forward steps against (5) computed by dynamic programming.
//
// Chunks. With only state slots every step is run forward about r+1 ≥ 2 times besides
// its recording forward pass. Gruslys et al. (BPTT-MSM) also store internal states, here
// caches: with K cache slots the schedule above runs over chunks of K steps (the last one
// shorter: it is never advanced over, so (7) stays optimal for the weighted problem)
// instead of single steps, and a chunk is reversed by one forward pass that records its K
// caches, then K backward steps. Reversing T steps then costs T recording steps plus
// K·C(⌈T/K⌉, s) advances; the test checks the count against (5) weighted by chunk
// lengths. Every step recorded at its first visit must keep its cache until the backward
// sweep reaches it, so a budget of M caches cannot do with fewer than T − M advances;
// for T = 1000 at 5% of Full's memory the best split (K = 40, s = 25) takes 960.
// With CheckpointedOptions.Slots (and Chunk = 1) it is plain Revolve over state slots;
// with a Budget it chooses K and s for a byte budget and a sequence length.
//
// The first visit of every step comes in order 1…T (the schedule's first sweep only
// advances, then reverses the last chunk), and that is when the step's loss is computed.
//
// Two ways in. RunSequence takes the whole sequence from the caller's memory: T is known
// up front, the inputs stay where they are, and the algorithm holds only the slots, the
// caches and a few vectors; the forward work is T plus the advances, the minimum above.
// The streaming Step/Finish shape cannot know T, and the backward sweep must recompute
// forward steps from their inputs, so Step copies x_t and y_t to a tape (O(T·(I+O))
// floats, counted by Bytes) and computes the state and loss at once; Finish then runs the
// schedule from s_0 over the tape, so every forward step of Step comes again.
type Checkpointed struct {
	base
	slots       int
	checkpoints []float32         // slots × S
	caches      []*cell.StepCache // K: one chunk's caches
	cur         []float32         // the state being advanced
	dy          []float32

	// the sequence being reversed
	xs         [][]float32
	ys         []cell.Target
	chunks     int     // ⌈T/K⌉
	frontier   int     // steps whose loss has been computed
	loss       float64 // Σ ℓ_t of the first visits
	forwards   int     // cell forward steps of the current sweep
	recomputed int     // forward steps of the last sequence beyond one per step

	// streaming tape: x_t, then y_t as values or a class (tapeKind says which, or none)
	tapeX, tapeY []float32
	tapeC        []int32
	tapeKind     []uint8
	tapeXs       [][]float32
	tapeYs       []cell.Target
	steps        int

	// featureMajor says the inputs of xs are in the model's layout already (the tape's,
	// or any sequence of a batch of one); otherwise forward transposes each chunk's
	// B rows into chunkX.
	featureMajor bool
	chunkX       [][]float32 // K × I·B
	chunkXs      [][]float32 // the current chunk's inputs, in the model's layout
	zeroClasses  []int32     // B zeros: the tape's classes at a step without them
}

// CheckpointedOptions choose checkpointed BPTT's memory: either a byte budget, split
// between state slots and cache slots for sequences of a given length, or the slots
// themselves.
type CheckpointedOptions struct {
	// Slots is the number of state slots (one of them holds s_0); used when Budget is 0,
	// and then at least 1.
	Slots int
	// Chunk is the number of steps per chunk, and of cache slots; zero means 1 (plain
	// Revolve over single steps). Used when Budget is 0.
	Chunk int
	// Budget, when positive, is the most bytes the algorithm may hold (what Bytes reports
	// for RunSequence; the streaming tape comes on top); Slots and Chunk are then chosen so
	// that sequences of Steps steps take the fewest forward steps.
	Budget int64
	// Steps is the sequence length the Budget is planned for (required with Budget).
	Steps int
	// Batch is the number of sequences stepped together (0 means 1); the Budget covers
	// the whole batch.
	Batch int
	// Workers splits the matrix products over that many goroutines (0 means 1); the
	// gradient has the same bits for any number.
	Workers int
}

// NewCheckpointed returns checkpointed BPTT for the model with the memory opt chooses.
func NewCheckpointed(m *cell.Model, opt CheckpointedOptions) (*Checkpointed, error) {
	if opt.Budget > 0 {
		return newCheckpointedBytes(m, opt.Budget, opt.Steps, opt.Batch, opt.Workers)
	}
	if opt.Budget < 0 {
		return nil, fmt.Errorf("bptt: checkpoint budget of %d bytes is negative", opt.Budget)
	}
	chunk := opt.Chunk
	if chunk == 0 {
		chunk = 1
	}
	return newCheckpointed(m, opt.Slots, chunk, opt.Batch, opt.Workers)
}

// newCheckpointed returns checkpointed BPTT with the given number of state slots and
// chunks of chunk steps (chunk cache slots).
func newCheckpointed(m *cell.Model, slots, chunk, batch, workers int) (*Checkpointed, error) {
	b, err := newBase(m, batch, workers)
	if err != nil {
		return nil, err
	}
	head := b.head
	if slots < 1 {
		return nil, fmt.Errorf("bptt: checkpoint slots %d must be at least 1", slots)
	}
	if chunk < 1 {
		return nil, fmt.Errorf("bptt: checkpoint chunk of %d steps must be at least 1", chunk)
	}
	if b.batch > 1 {
		b.xT = make([]float32, m.InputSize()*b.batch) // Step's x_t, transposed onto the tape
	}
	s := m.StateSize() * b.batch
	cacheFloats := int64(b.newStepCache().Bytes() / 4)
	if int64(slots)*int64(s)+int64(chunk)*cacheFloats > 1<<30 {
		return nil, fmt.Errorf("bptt: %d checkpoint slots of %d floats and %d caches of %d are too many", slots, s, chunk, cacheFloats)
	}
	ck := &Checkpointed{
		base:        b,
		slots:       slots,
		checkpoints: make([]float32, slots*s),
		caches:      make([]*cell.StepCache, chunk),
		cur:         make([]float32, s),
		dy:          make([]float32, head.OutSize()*b.batch),
		zeroClasses: make([]int32, b.batch),
	}
	for i := range ck.caches {
		ck.caches[i] = b.newStepCache()
	}
	if b.batch > 1 {
		ck.chunkX = make([][]float32, chunk)
		for i := range ck.chunkX {
			ck.chunkX[i] = make([]float32, m.InputSize()*b.batch)
		}
		ck.chunkXs = make([][]float32, 0, chunk)
	}
	if err := ck.setBatch(ck.batchCols(chunk)); err != nil {
		return nil, err
	}
	return ck, nil
}

// newCheckpointedBytes returns checkpointed BPTT that holds at most budget bytes,
// splitting them between state slots and cache slots so that sequences of the given
// length take the fewest forward steps.
func newCheckpointedBytes(m *cell.Model, budget int64, steps, batch, workers int) (*Checkpointed, error) {
	probe, err := newCheckpointed(m, 1, 1, batch, 1)
	if err != nil {
		return nil, err
	}
	if steps < 1 {
		return nil, fmt.Errorf("bptt: sequence length %d must be at least 1", steps)
	}
	B := int64(probe.batch)
	slotBytes := 4 * int64(m.StateSize()) * B
	cacheBytes := int64(probe.caches[0].Bytes())
	var colBytes int64 // a column of every layer's gradient batch
	for _, b := range probe.batches {
		colBytes += int64(b.ColBytes())
	}
	probeCols := int64(probe.batchCols(1))
	chunkXBytes := 4 * int64(m.InputSize()) * B // a batch's transposed inputs, per chunk step
	if B == 1 {
		chunkXBytes = 0
	}
	fixed := probe.Bytes() - slotBytes - cacheBytes - probeCols*colBytes - chunkXBytes
	cacheBytes += chunkXBytes
	if need := fixed + slotBytes + cacheBytes + probeCols*colBytes; budget < need {
		return nil, fmt.Errorf("bptt: a budget of %d bytes is below the %d bytes checkpointed BPTT needs for one state slot and one cache", budget, need)
	}
	bestSlots, bestChunk, bestCost := 0, 0, int64(-1)
	for chunk := int64(1); chunk <= int64(steps); chunk++ {
		cols := int64(probe.batchCols(int(chunk)))
		slots := (budget - fixed - chunk*cacheBytes - cols*colBytes) / slotBytes
		if slots < 1 {
			break
		}
		n := (int64(steps) + chunk - 1) / chunk
		cost := chunk * advances(n, min(slots, n))
		if bestCost < 0 || cost < bestCost {
			bestSlots, bestChunk, bestCost = int(min(slots, n)), int(chunk), cost
		}
	}
	return newCheckpointed(m, bestSlots, bestChunk, batch, workers)
}

// batchCols sizes the gradient batch: one column per cache slot and sequence, up to the
// default. A column costs about as much memory as a cache does per sequence, so a budget
// split between slots and caches pays for the batch in proportion; the result does not
// depend on the batch's size (see backStep), so it stays bit-identical to full BPTT's.
func (c *Checkpointed) batchCols(chunk int) int {
	return min(c.defaultBatchCols(), chunk*c.batch)
}

// advances is C(l, s) of (6).
func advances(l, s int64) int64 {
	if l <= 1 {
		return 0
	}
	r := repetitions(l, s)
	return r*l - binom(s+1, r-1)
}

// Slots is the number of state slots.
func (c *Checkpointed) Slots() int { return c.slots }

// Chunk is the number of steps per chunk (and of cache slots).
func (c *Checkpointed) Chunk() int { return len(c.caches) }

// Recomputations is the number of forward steps of the last sequence beyond one per step:
// the advances of the schedule after RunSequence, T more after Step…Finish.
func (c *Checkpointed) Recomputations() int { return c.recomputed }

// Bytes counts the slots, the caches, the scratch vectors and the streaming tape.
func (c *Checkpointed) Bytes() int64 {
	n := 4*int64(len(c.checkpoints)+len(c.cur)+len(c.dy)+len(c.zeroClasses)) + int64(len(c.caches))*int64(c.caches[0].Bytes()) + c.scratchBytes()
	for _, x := range c.chunkX {
		n += 4 * int64(len(x))
	}
	n += 4*int64(cap(c.tapeX)+cap(c.tapeY)+cap(c.tapeC)) + int64(cap(c.tapeKind))
	return n + int64(24*cap(c.tapeXs)+targetBytes*cap(c.tapeYs)) // slice headers and targets
}

// Online is false: checkpointed BPTT's gradient comes at Finish.
func (c *Checkpointed) Online() bool { return false }

// Reset starts a streamed sequence from s0 (nil: zeros), dropping unfinished steps.
func (c *Checkpointed) Reset(s0 []float32) error {
	if err := c.setStart(s0); err != nil {
		return err
	}
	c.steps = 0
	return nil
}

// The kinds of target a tape step holds.
const (
	tapeNone uint8 = iota
	tapeValues
	tapeClass
)

// Step computes s_t and ℓ_t and copies x_t and y_t to the tape for Finish.
func (c *Checkpointed) Step(x []float32, y cell.Target) (float32, error) {
	if err := c.checkStep(x, y); err != nil {
		return 0, err
	}
	if c.steps == 0 {
		copy(c.s0, c.state) // a sequence after Finish starts from the state reached
		c.tapeX, c.tapeY, c.tapeC, c.tapeKind = c.tapeX[:0], c.tapeY[:0], c.tapeC[:0], c.tapeKind[:0]
	}
	xt := c.input(x)
	c.tapeX = append(c.tapeX, xt...) // in the model's layout
	kind := tapeNone
	switch {
	case y.Values != nil:
		kind = tapeValues
		c.tapeY = append(c.tapeY, y.Values...)
	case y.Classes != nil:
		kind = tapeClass
		c.tapeC = append(c.tapeC, y.Classes...)
	}
	if kind != tapeValues {
		c.tapeY = append(c.tapeY, c.dy...) // placeholder; never read
	}
	if kind != tapeClass {
		c.tapeC = append(c.tapeC, c.tapeC0()...) // placeholder; never read
	}
	c.tapeKind = append(c.tapeKind, kind)
	c.model.Forward(c.caches[0], c.state, c.state, xt)
	c.steps++
	loss, _ := c.readoutLoss(c.dy, c.topHidden(c.state), y)
	return loss, nil
}

// Finish reverses the streamed sequence from s_0 by the schedule of (5)–(7).
func (c *Checkpointed) Finish() error {
	if err := c.errClosed(); err != nil {
		return err
	}
	t := c.steps
	if t == 0 {
		return nil
	}
	in, out, B := c.model.InputSize()*c.batch, c.out*c.batch, c.batch
	c.tapeXs, c.tapeYs = c.tapeXs[:0], c.tapeYs[:0]
	for i := range t {
		c.tapeXs = append(c.tapeXs, c.tapeX[i*in:(i+1)*in])
		var y cell.Target
		switch c.tapeKind[i] {
		case tapeValues:
			y = cell.Values(c.tapeY[i*out : (i+1)*out])
		case tapeClass:
			y = cell.Classes(c.tapeC[i*B : (i+1)*B]...)
		}
		c.tapeYs = append(c.tapeYs, y)
	}
	c.forwards = 0
	c.featureMajor = true
	c.sweep(c.tapeXs, c.tapeYs, t) // s_T is already in c.state
	c.recomputed = c.forwards      // Step's forward steps all come again
	c.xs, c.ys = nil, nil
	c.steps = 0
	return nil
}

// RunSequence runs forward and backward over a whole sequence held by the caller (xs[t] is
// x_{t+1}; ys may be nil, and ys[t] the zero Target is a step without a target), starting
// from s0 (nil: zeros), adds the gradient to GradCell and GradHead, leaves s_T in State
// and returns Σ_t ℓ_t. It holds only the slots: see the type's comment.
func (c *Checkpointed) RunSequence(s0 []float32, xs [][]float32, ys []cell.Target) (float32, error) {
	if err := c.errClosed(); err != nil {
		return 0, err
	}
	if ys != nil && len(ys) != len(xs) {
		return 0, fmt.Errorf("bptt: %d targets for %d inputs", len(ys), len(xs))
	}
	for t, x := range xs {
		var y cell.Target
		if ys != nil {
			y = ys[t]
		}
		if err := c.checkStep(x, y); err != nil {
			return 0, fmt.Errorf("step %d: %w", t, err)
		}
	}
	if err := c.setStart(s0); err != nil {
		return 0, err
	}
	c.steps = 0
	c.recomputed = 0
	if len(xs) == 0 {
		return 0, nil
	}
	c.forwards = 0
	c.featureMajor = c.batch == 1
	c.sweep(xs, ys, 0)
	c.recomputed = c.forwards - len(xs)
	c.xs, c.ys = nil, nil // do not keep the caller's sequence alive
	return float32(c.loss), nil
}

// sweep reverses the sequence xs from c.s0; losses of steps ≤ done are already counted.
func (c *Checkpointed) sweep(xs [][]float32, ys []cell.Target, done int) {
	c.xs, c.ys = xs, ys
	c.frontier, c.loss = done, 0
	copy(c.checkpoints[:len(c.s0)], c.s0)
	clear(c.delta)
	c.sweepSteps = len(xs)
	k := len(c.caches)
	c.chunks = (len(xs) + k - 1) / k
	c.reverse(0, c.chunks, 0, min(c.slots, c.chunks))
	c.endSweep()
}

// bound is the step that ends chunk i (and starts chunk i+1); only the last chunk is
// short, which keeps (7) optimal for the weighted problem.
func (c *Checkpointed) bound(i int) int { return min(i*len(c.caches), len(c.xs)) }

// reverse runs the backward pass of chunks a+1 … a+l, with the state at the start of
// chunk a+1 in slot k and slots k … k+s−1 at its disposal.
func (c *Checkpointed) reverse(a, l, k, s int) {
	for l > 0 {
		if l == 1 || s == 1 {
			// No slot to spare: advance to the start of chunk a+l and reverse it.
			c.restore(k)
			c.advance(c.bound(a), c.bound(a+l-1))
			c.reverseChunk(c.bound(a+l-1), c.bound(a+l))
			l--
			continue
		}
		m := split(l, s)
		c.restore(k)
		c.advance(c.bound(a), c.bound(a+m))
		copy(c.slot(k+1), c.cur)
		c.reverse(a+m, l-m, k+1, s-1)
		l = m
	}
}

func (c *Checkpointed) slot(k int) []float32 {
	n := len(c.cur)
	return c.checkpoints[k*n : (k+1)*n]
}

func (c *Checkpointed) restore(k int) { copy(c.cur, c.slot(k)) }

func (c *Checkpointed) target(t int) cell.Target {
	if c.ys == nil {
		return cell.Target{}
	}
	return c.ys[t-1]
}

// tapeC0 is the tape's placeholder for a step without classes (never read back).
func (c *Checkpointed) tapeC0() []int32 { return c.zeroClasses }

// targetBytes is the size of a cell.Target (two slice headers).
const targetBytes = int(unsafe.Sizeof(cell.Target{}))

// firstVisit computes ℓ_t the first time step t's state s_t is reached.
func (c *Checkpointed) firstVisit(t int, st []float32) {
	if t > c.frontier {
		l, _ := c.readoutLoss(c.dy, c.topHidden(st), c.target(t))
		c.loss += float64(l)
		c.frontier = t
		if t == len(c.xs) {
			copy(c.state, st)
		}
	}
}

// advance takes c.cur from s_from to s_to, the cache slots' worth of steps at a time.
func (c *Checkpointed) advance(from, to int) {
	for t := from; t < to; t += len(c.caches) {
		c.forward(t, min(to, t+len(c.caches)))
	}
}

// forward runs steps from+1 … to (at most one chunk) from s_from = c.cur into the cache
// slots. Their inputs are known, so the cell computes their input projections first, in
// one sweep over W_ih (cell.Cell.ProjectInputs): a recomputed step then streams only
// W_hh, which is what keeps the recomputation cheap next to full BPTT's backward step,
// and it gives Forward's bits, which keeps the gradient bit-identical.
func (c *Checkpointed) forward(from, to int) {
	caches := c.caches[:to-from]
	xs := c.inputs(from, to)
	project := len(caches) >= projectMin
	if project {
		c.model.ProjectInputs(caches, xs)
	}
	for t := from + 1; t <= to; t++ {
		if project {
			c.model.ForwardProjected(caches[t-from-1], c.cur, c.cur)
		} else {
			c.model.Forward(caches[t-from-1], c.cur, c.cur, xs[t-from-1])
		}
		c.forwards++
		c.firstVisit(t, c.cur)
	}
}

// inputs returns x_{from+1} … x_to in the model's layout: the sequence's own, or a
// batch's rows transposed into the chunk buffers.
func (c *Checkpointed) inputs(from, to int) [][]float32 {
	if c.featureMajor {
		return c.xs[from:to]
	}
	c.chunkXs = c.chunkXs[:0]
	for t := from; t < to; t++ {
		dst := c.chunkX[t-from]
		transposeRows(dst, c.xs[t], c.batch, len(dst)/c.batch)
		c.chunkXs = append(c.chunkXs, dst)
	}
	return c.chunkXs
}

// projectMin is the fewest steps worth projecting together: with fewer, the row blocks'
// extra kernel calls cost more than re-reading W_ih saves. Both paths give the same bits.
const projectMin = 4

// reverseChunk records steps from+1 … to from s_from = c.cur into the caches and runs
// their backward steps.
func (c *Checkpointed) reverseChunk(from, to int) {
	c.forward(from, to)
	for t := to; t > from; t-- {
		ht := c.topHidden(c.cur) // h_t: the chunk's last state's, or the next step's recorded one
		if t < to {
			ht = c.recordedTop(c.caches[t-from])
		}
		_, has := c.readoutLoss(c.dy, ht, c.target(t))
		c.backStep(c.caches[t-from-1], ht, c.dy, has)
	}
}

// split is (7): where to place the next checkpoint when reversing l ≥ 2 steps with
// s ≥ 2 slots. The binomials are bounded by about l·(s+r), so int64 holds them even
// where int is 32 bits.
func split(l, s int) int {
	l64, s64 := int64(l), int64(s)
	r := repetitions(l64, s64)
	return int(max(1, binom(s64, r-2), l64-binom(s64-1, r)))
}

// repetitions is the least r with β(s, r) ≥ l.
func repetitions(l, s int64) int64 {
	r, b := int64(0), int64(1) // b = β(s, r)
	for b < l {
		r++
		b = b * (s + r) / r
	}
	return r
}

// binom is β(s, r) = C(s+r, r), 0 for r < 0.
func binom(s, r int64) int64 {
	if r < 0 {
		return 0
	}
	b := int64(1)
	for i := int64(1); i <= r; i++ {
		b = b * (s + i) / i // exact: a product of i consecutive integers over i!
	}
	return b
}
