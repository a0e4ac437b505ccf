package kernels

import "github.com/chronograd/chronograd/internal/workpool"

// Workers is a set of goroutines that the *On products split their work over (and Do
// runs other jobs on): the calling goroutine and Size()−1 helpers that wait between
// calls, spinning for a while before they park. A nil *Workers is one
// worker, the caller alone. A product split over any number of workers has the bits of
// the same product on one: the rows of C are dealt out in whole micro-kernel panels, and
// every element of C is computed by the same instructions in the same order wherever its
// panel goes. Workers are for one caller at a time; Close them when done.
type Workers struct {
	pool *workpool.Pool
	run  func(w int) // made once, so that a call does not allocate
	job  parallelJob
}

// NewWorkers starts n ≥ 1 workers (n − 1 goroutines).
func NewWorkers(n int) *Workers {
	w := &Workers{pool: workpool.New(n)}
	w.run = w.part
	return w
}

// Size is the number of workers (1 for nil).
func (w *Workers) Size() int {
	if w == nil {
		return 1
	}
	return w.pool.Size()
}

// Close stops the helper goroutines; the Workers must not be used after. Closing nil or
// closing twice does nothing.
func (w *Workers) Close() {
	if w != nil {
		w.pool.Close()
	}
}

// Do runs job(i) for every worker i in [0, Size()), job(0) on the caller, and returns
// when all have returned (on nil, job(0) alone). A job made once (a method value kept by
// the caller) is run without allocating. With Part, it spreads elementwise passes that
// sit between the products over the same workers.
func (w *Workers) Do(job func(worker int)) {
	if w == nil {
		job(0)
		return
	}
	w.pool.Run(job)
}

// Part is worker i's share [lo, hi) of n items dealt out in whole blocks of align: the
// shares are contiguous, in worker order and cover [0, n); each is a multiple of align
// items but the last, which takes the remainder. So a share that is not empty holds at
// least align items or is all n, and an elementwise kernel that chooses its path by
// length (its SIMD tier, its groups of eight) runs each share as it would run the whole.
func (w *Workers) Part(i, n, align int) (lo, hi int) {
	if w == nil {
		return 0, n
	}
	lo, hi = w.pool.Range(i, n/max(1, align))
	if i == w.Size()-1 {
		return lo * align, n
	}
	return lo * align, hi * align
}

// Products the workers know how to split.
const (
	opGemm = iota
	opGemmTN
	opGemmSeq
)

// GemmOn is Gemm with the rows of C split over the workers; it has Gemm's bits.
func GemmOn(w *Workers, c, a, b Mat) {
	checkProduct("GemmOn", c, a, b)
	if c.Rows == 0 || c.Cols == 0 || a.Cols == 0 || !w.split(opGemm, c, a, b) {
		Gemm(c, a, b)
	}
}

// GemmSeqOn is GemmSeq with the rows of C split over the workers; it has GemmSeq's bits.
func GemmSeqOn(w *Workers, c, a, b Mat) {
	checkProduct("GemmSeqOn", c, a, b)
	if c.Rows == 0 || c.Cols == 0 || a.Cols == 0 || !w.split(opGemmSeq, c, a, b) {
		GemmSeq(c, a, b)
	}
}

// GemmTNOn is GemmTN with the rows of C split over the workers; it has GemmTN's bits.
func GemmTNOn(w *Workers, c, at, b Mat) {
	if at.valid() && b.valid() && c.valid() && at.Cols == c.Rows && b.Cols == c.Cols && at.Rows == b.Rows &&
		c.Rows > 0 && c.Cols > 0 && at.Rows > 0 && w.split(opGemmTN, c, at, b) {
		return
	}
	GemmTN(c, at, b) // checks the shapes, and runs the rest
}
