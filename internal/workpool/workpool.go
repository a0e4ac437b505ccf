// Package workpool runs one job on a fixed set of goroutines, step after step, without
// allocating: the caller is worker 0 and n−1 helper goroutines wait for the next job.
// Which worker runs which share of a job is the job's business; a job that splits its
// work by worker index into fixed ranges gives the same results for any n.
package workpool

import "sync"

// Pool is n workers: the goroutine calling Run and n−1 helpers. The zero Pool is not
// usable; a nil *Pool runs every job on the caller alone.
type Pool struct {
	n      int
	job    func(w int)
	wake   []chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex // serialises Run and Close
	closed bool
}

// New starts a pool of n ≥ 1 workers (n − 1 goroutines).
func New(n int) *Pool {
	n = max(1, n)
	p := &Pool{n: n, wake: make([]chan struct{}, n-1)}
	for i := range p.wake {
		p.wake[i] = make(chan struct{})
		go p.helper(i+1, p.wake[i])
	}
	return p
}

func (p *Pool) helper(w int, wake chan struct{}) {
	for range wake {
		p.job(w)
		p.wg.Done()
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
	if p.closed {
		panic("workpool: Run after Close")
	}
	p.job = job
	p.wg.Add(p.n - 1)
	for _, c := range p.wake {
		c <- struct{}{}
	}
	job(0)
	p.wg.Wait()
	p.job = nil
}

// Close stops the helpers; Run must not be called after it. Close is idempotent.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	for _, c := range p.wake {
		close(c)
	}
}

// Range is worker w's share [lo, hi) of n items split into Size() contiguous ranges
// that differ in length by at most one.
func (p *Pool) Range(w, n int) (lo, hi int) {
	k := p.Size()
	return w * n / k, (w + 1) * n / k
}
