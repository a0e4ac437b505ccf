package workpool

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCoversEveryWorkerOnce(t *testing.T) {
	for _, n := range []int{1, 2, 3, 8} {
		p := New(n)
		var hits [8]atomic.Int32
		job := func(w int) { hits[w].Add(1) }
		for range 100 {
			p.Run(job)
		}
		for w := range n {
			if got := hits[w].Load(); got != 100 {
				t.Errorf("n=%d: worker %d ran %d jobs, want 100", n, w, got)
			}
		}
		p.Close()
		p.Close()
	}
}

func TestRangeSplitsEvenly(t *testing.T) {
	for _, k := range []int{1, 2, 3, 5} {
		p := New(k)
		for n := range 20 {
			next := 0
			for w := range k {
				lo, hi := p.Range(w, n)
				if lo != next || hi < lo || hi-lo > n/k+1 {
					t.Fatalf("k=%d n=%d: worker %d gets [%d,%d) after %d", k, n, w, lo, hi, next)
				}
				next = hi
			}
			if next != n {
				t.Fatalf("k=%d n=%d: ranges end at %d", k, n, next)
			}
		}
		p.Close()
	}
}

func TestNilPoolRunsOnCaller(t *testing.T) {
	var p *Pool
	ran := -1
	p.Run(func(w int) { ran = w })
	if ran != 0 || p.Size() != 1 {
		t.Fatalf("nil pool ran worker %d, size %d", ran, p.Size())
	}
	p.Close()
}

func TestRunDoesNotAllocate(t *testing.T) {
	p := New(2)
	defer p.Close()
	var sum atomic.Int64
	job := func(w int) { sum.Add(int64(w)) }
	if a := testing.AllocsPerRun(100, func() { p.Run(job) }); a != 0 {
		t.Fatalf("Run allocates %v times", a)
	}
}

// Helpers spin between jobs and park after spinFor: Runs that come while they spin,
// while they park (gaps around spinFor, where a Run races the parking) and long after,
// each run every worker exactly once; Close stops the helpers, spinning or parked.
func TestRunAcrossParking(t *testing.T) {
	for _, n := range []int{2, 3} {
		before := runtime.NumGoroutine()
		p := New(n)
		var hits [3]atomic.Int32
		job := func(w int) { hits[w].Add(1) }
		runs := 0
		gaps := []time.Duration{0, spinFor / 2, spinFor - 20*time.Microsecond, spinFor, spinFor + 20*time.Microsecond, 3 * spinFor}
		for i := range 120 {
			time.Sleep(gaps[i%len(gaps)])
			p.Run(job)
			runs++
			for w := range n {
				if got := hits[w].Load(); got != int32(runs) {
					t.Fatalf("n=%d run %d: worker %d ran %d jobs", n, runs, w, got)
				}
			}
		}
		if n == 3 {
			time.Sleep(3 * spinFor) // close with the helpers parked
		}
		p.Close()
		for wait := 0; runtime.NumGoroutine() > before && wait < 200; wait++ {
			time.Sleep(time.Millisecond)
		}
		if got := runtime.NumGoroutine(); got > before {
			t.Fatalf("n=%d: %d goroutines after Close, %d before New", n, got, before)
		}
		for w := range n {
			if got := hits[w].Load(); got != int32(runs) {
				t.Fatalf("n=%d after Close: worker %d ran %d jobs, want %d", n, w, got, runs)
			}
		}
	}
}
