package cell

import "github.com/chronograd/chronograd/kernels"

// elementwise is implemented by the kinds whose step, once its products are done, is
// passes that treat each element of a block (k.block() floats: one per unit and
// sequence) on its own: the forward step's activations and state update, the backward
// step's gate gradients and direct VJP. Each method does elements [lo, hi) of every block
// it touches; the kind's forward, gateGradients and directVJP are the same over [0,
// k.block()). A minibatch whose products are spread over workers (Cache.SetWorkers)
// spreads these passes too (forwardRest, backwardRest): left to the caller, the helper
// waited through them (a few per cent of an LSTM step at n = 512, B = 32; spread, two
// workers ran 1–5% faster).
type elementwise interface {
	forwardRange(c *layer, k *Cache, next []float32, lo, hi int)
	gateGradientsRange(c *layer, k *Cache, v []float32, lo, hi int)
	directVJPRange(c *layer, k *Cache, dPrev, dNext []float32, lo, hi int)
}

// splitAlign is the block, in floats, that the workers' shares of a pass are made of
// (kernels.Workers.Part): every share is at least this long or is the whole block, so
// every kernel the passes call (SIMD tiers chosen by length, groups of eight with a scalar
// tail) runs each element as it would over the whole block, and a split step has the
// bits of the serial one.
const splitAlign = 64

// minSplitBlock is the shortest block whose passes are spread: below it a hand-off to
// another goroutine (a few µs) costs more than the passes.
const minSplitBlock = 1024

// splitArgs are the operands of the passes the workers are running (see runSplit).
type splitArgs struct {
	k              *Cache
	next, dPrev, v []float32
	backward       bool
}

// splits reports whether k's step spreads the kind's elementwise passes over workers.
func (c *layer) splits(k *Cache) bool {
	_, ok := c.eq.(elementwise)
	return ok && k.batch > 1 && k.workers.Size() > 1 && k.block() >= minSplitBlock
}

// forwardRest finishes a forward step after its products: the kind's forwardRange over
// the whole block, spread over the cache's workers when the step splits.
func (c *layer) forwardRest(e elementwise, k *Cache, next []float32) {
	if !c.splits(k) {
		e.forwardRange(c, k, next, 0, k.block())
		return
	}
	c.runSplit(splitArgs{k: k, next: next})
}

// backwardRest is a backward step's gate gradients and direct VJP into dPrev, spread over
// the cache's workers; it reports false (doing nothing) when the step does not split.
// Each element's gate gradients read dNext before its direct VJP writes dPrev, which may
// alias it.
func (c *layer) backwardRest(k *Cache, dPrev, dNext []float32) bool {
	if !c.splits(k) {
		return false
	}
	c.runSplit(splitArgs{k: k, dPrev: dPrev, v: dNext, backward: true})
	return true
}

// runSplit runs a on every worker of a.k, each on its share of the block.
func (c *layer) runSplit(a splitArgs) {
	if c.splitJob == nil {
		c.splitJob = c.splitPart // one method value per layer: a step then allocates nothing
	}
	c.split = a
	a.k.workers.Do(c.splitJob)
	c.split = splitArgs{}
}

// splitPart is worker w's share of the passes in c.split.
func (c *layer) splitPart(w int) {
	a, e := &c.split, c.eq.(elementwise) // splits checked that the kind has them
	lo, hi := a.k.workers.Part(w, a.k.block(), splitAlign)
	if lo == hi {
		return
	}
	if !a.backward {
		e.forwardRange(c, a.k, a.next, lo, hi)
		return
	}
	e.gateGradientsRange(c, a.k, a.v, lo, hi)
	e.directVJPRange(c, a.k, a.dPrev, a.v, lo, hi)
}

// sigmoidPair applies σ in place to elements [lo, hi) of the two adjacent blocks x[:h]
// and x[h:2h], in one call when the range is whole (as a serial step's always is), so
// that blocks shorter than a SIMD vector keep the path their joint length gives them.
func sigmoidPair(x []float32, h, lo, hi int) {
	if lo == 0 && hi == h {
		kernels.Sigmoid(x[:2*h], x[:2*h])
		return
	}
	a, b := x[lo:hi], x[h+lo:h+hi]
	kernels.Sigmoid(a, a)
	kernels.Sigmoid(b, b)
}
