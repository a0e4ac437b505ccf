// Package workpool runs one job on a fixed set of goroutines, step after step, without
// allocating: the caller is worker 0 and n−1 helper goroutines wait for the next job.
// Which worker runs which share of a job is the job's business; a job that splits its
// work by worker index into fixed ranges gives the same results for any n.
package workpool

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Pool is n workers: the goroutine calling Run and n−1 helpers. The zero Pool is not
// usable; a nil *Pool runs every job on the caller alone.
//
// A helper that has finished a job spins, watching for the next, for up to spinFor
// before it parks on its channel; the caller waits for the helpers the same way. Parked,
// a helper took 70–120 µs (up to 500) to start after Run on the 2-vCPU VM this was
// measured on — the other vCPU's thread has to be woken — and an LSTM minibatch step
// (n = 512, B = 32) hands its products to the helper several times a step, each share
// 0.2–1 ms: two workers gave 1.58–1.89× one worker's speed. Spinning, a helper starts
// within a microsecond while Runs follow each other (the steps of a sequence), and parks
// when the caller pauses longer.
type Pool struct {
	n    int
	job  func(w int)
	seq  atomic.Uint64  // Runs started (and 1 << 63 once closed): what spinning helpers watch
	left atomic.Int64   // helpers still running the current job
	park []atomic.Int32 // helper w−1's state: awake or parked
	wake []chan struct{}
	mu   sync.Mutex // serialises Run and Close
	done bool
}

// A helper's states: awake (running a job or spinning) or parked on its channel.
const (
	awake int32 = iota
	parked
)

// closedSeq marks seq once the pool is closed.
const closedSeq = 1 << 63

// spinFor is how long an idle helper (or the caller waiting for the helpers) spins before
// it parks (or yields its thread between checks): longer than the gaps between a
// minibatch step's products, short enough that an idle pool costs little.
const spinFor = 500 * time.Microsecond

// New starts a pool of n ≥ 1 workers (n − 1 goroutines).
func New(n int) *Pool {
	n = max(1, n)
	p := &Pool{n: n, park: make([]atomic.Int32, n-1), wake: make([]chan struct{}, n-1)}
	for i := range p.wake {
		p.wake[i] = make(chan struct{}, 1)
		go p.helper(i + 1)
	}
	return p
}

// helper runs worker w's share of every job until the pool closes.
func (p *Pool) helper(w int) {
	var seen uint64
	for {
		next, ok := p.await(w, seen)
		if !ok {
			return
		}
		seen = next
		p.job(w)
		p.left.Add(-1)
	}
}

// await returns the next Run's sequence number once it differs from seen, spinning and
// then parking; ok is false when the pool has closed.
func (p *Pool) await(w int, seen uint64) (next uint64, ok bool) {
	state, wake := &p.park[w-1], p.wake[w-1]
	start := time.Now()
	for i := 1; ; i++ {
		if s := p.seq.Load(); s != seen {
			return s, s&closedSeq == 0
		}
		if i%64 != 0 {
			continue
		}
		runtime.Gosched() // let anything else this thread could run go first
		if time.Since(start) < spinFor {
			continue
		}
		// Park. If seq has not moved once the state says parked, the next Run (or
		// Close) moves it after that and so sees parked, takes the state and sends. If
		// it has moved, take the state back; failing that, the Run that moved it took
		// the state and its send is coming: receive it.
		state.Store(parked)
		if p.seq.Load() == seen || !state.CompareAndSwap(parked, awake) {
			<-wake
		}
		start = time.Now()
	}
}

// Size is the number of workers (1 for a nil pool).
func (p *Pool) Size() int {
	if p == nil {
		return 1
	}
	return p.n
}

// Run calls job(w) for every worker w in [0, Size()) at once and returns when all have
// returned. job(0) runs on the calling goroutine. It does not allocate when job is a
// func value made once (not a closure made per call).
func (p *Pool) Run(job func(w int)) {
	if p == nil || p.n == 1 {
		job(0)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		panic("workpool: Run after Close")
	}
	p.job = job
	p.left.Store(int64(p.n - 1))
	p.seq.Add(1)
	p.rouse()
	job(0)
	// Wait for the helpers, spinning; yield between checks when they may need this
	// thread (fewer threads than workers) or are slow to finish.
	start, share := time.Now(), p.n > runtime.GOMAXPROCS(0)
	for i := 1; p.left.Load() != 0; i++ {
		if i%64 == 0 && (share || time.Since(start) > spinFor) {
			runtime.Gosched()
		}
	}
	p.job = nil
}

// rouse sends a wake-up to every parked helper.
func (p *Pool) rouse() {
	for i := range p.park {
		if p.park[i].CompareAndSwap(parked, awake) {
			p.wake[i] <- struct{}{}
		}
	}
}

// Close stops the helpers; Run must not be called after it. Close is idempotent.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	p.seq.Add(closedSeq)
	p.rouse()
}

// Range is worker w's share [lo, hi) of n items split into Size() contiguous ranges
// that differ in length by at most one.
func (p *Pool) Range(w, n int) (lo, hi int) {
	k := p.Size()
	return w * n / k, (w + 1) * n / k
}
