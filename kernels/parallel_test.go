package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// Split over any number of workers, every product has the bits of the serial one: C's
// rows are dealt out in whole panels, the last partial one included, on every tier, for
// shapes that are and are not multiples of the tiles, small ones (which stay serial)
// included; and a steady-state call allocates nothing.
func TestWorkersSameBits(t *testing.T) {
	shapes := [][3]int{{512, 32, 128}, {128, 32, 512}, {37, 19, 23}, {6, 16, 9}, {7, 5, 300}, {200, 1, 64}, {3, 3, 3}, {64, 200, 17}}
	pools := []*Workers{nil, NewWorkers(1), NewWorkers(2), NewWorkers(3), NewWorkers(5)}
	defer func() {
		for _, w := range pools {
			w.Close()
		}
	}()
	for _, tier := range Tiers() {
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			rng := rand.New(rand.NewPCG(uint64(m*n), uint64(k)))
			a, at, b := NewMat(m, k), NewMat(k, m), NewMat(k, n)
			for _, x := range []Mat{a, at, b} {
				randFill(rng, x.Data)
			}
			c0 := NewMat(m, n)
			randFill(rng, c0.Data)
			for _, op := range []struct {
				name     string
				serial   func(c Mat)
				parallel func(w *Workers, c Mat)
			}{
				{"Gemm", func(c Mat) { Gemm(c, a, b) }, func(w *Workers, c Mat) { GemmOn(w, c, a, b) }},
				{"GemmSeq", func(c Mat) { GemmSeq(c, a, b) }, func(w *Workers, c Mat) { GemmSeqOn(w, c, a, b) }},
				{"GemmTN", func(c Mat) { GemmTN(c, at, b) }, func(w *Workers, c Mat) { GemmTNOn(w, c, at, b) }},
			} {
				want := NewMat(m, n)
				copy(want.Data, c0.Data)
				op.serial(want)
				for _, w := range pools {
					got := NewMat(m, n)
					copy(got.Data, c0.Data)
					op.parallel(w, got)
					if !slices.Equal(got.Data, want.Data) {
						t.Errorf("%v %s %dx%dx%d on %d workers: other bits than serial", tier, op.name, m, n, k, w.Size())
					}
				}
			}
		}
		restore()
	}
	w := pools[2]
	a, b, c := NewMat(512, 128), NewMat(128, 32), NewMat(512, 32)
	GemmOn(w, c, a, b)
	if n := testing.AllocsPerRun(20, func() { GemmOn(w, c, a, b); GemmSeqOn(w, c, a, b) }); n != 0 {
		t.Errorf("GemmOn allocates %v times per call", n)
	}
}

// The products check their shapes as the serial ones do.
func TestWorkersCheckShapes(t *testing.T) {
	w := NewWorkers(2)
	defer w.Close()
	for name, f := range map[string]func(){
		"GemmOn":    func() { GemmOn(w, NewMat(4, 4), NewMat(4, 3), NewMat(4, 4)) },
		"GemmSeqOn": func() { GemmSeqOn(w, NewMat(4, 4), NewMat(4, 3), NewMat(4, 4)) },
		"GemmTNOn":  func() { GemmTNOn(w, NewMat(4, 4), NewMat(4, 3), NewMat(4, 4)) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !containsStr(fmt.Sprint(r), name[:len(name)-2]) {
					t.Errorf("%s with mismatched shapes: %v", name, r)
				}
			}()
			f()
		}()
	}
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// Part deals n items out in whole blocks: contiguous shares in order, covering [0, n),
// every share but the last a multiple of align, and no share that is not empty shorter
// than align unless it is all n.
func TestWorkersPart(t *testing.T) {
	for _, k := range []int{1, 2, 3, 5} {
		w := NewWorkers(k)
		for _, align := range []int{1, 8, 64} {
			for n := range 300 {
				next := 0
				for i := range k {
					lo, hi := w.Part(i, n, align)
					if lo != next || hi < lo {
						t.Fatalf("k=%d n=%d align=%d: worker %d gets [%d,%d) after %d", k, n, align, i, lo, hi, next)
					}
					if i < k-1 && (hi-lo)%align != 0 {
						t.Fatalf("k=%d n=%d align=%d: worker %d's share [%d,%d) is not whole blocks", k, n, align, i, lo, hi)
					}
					if hi > lo && hi-lo < align && hi-lo != n {
						t.Fatalf("k=%d n=%d align=%d: worker %d's share [%d,%d) is shorter than a block", k, n, align, i, lo, hi)
					}
					if hi-lo > (n/align/k+1)*align+n%align {
						t.Fatalf("k=%d n=%d align=%d: worker %d's share [%d,%d) is uneven", k, n, align, i, lo, hi)
					}
					next = hi
				}
				if next != n {
					t.Fatalf("k=%d n=%d align=%d: shares end at %d", k, n, align, next)
				}
			}
		}
		// Do runs every worker's job once, the caller's too; nil runs worker 0 alone.
		ran := make([]int, k)
		job := func(i int) { ran[i]++ }
		w.Do(job)
		for i, r := range ran {
			if r != 1 {
				t.Errorf("k=%d: Do ran worker %d's job %d times", k, i, r)
			}
		}
		w.Close()
	}
	var none *Workers
	ran := 0
	none.Do(func(i int) { ran += 1 + i })
	if lo, hi := none.Part(0, 10, 8); ran != 1 || lo != 0 || hi != 10 {
		t.Errorf("nil Workers: Do ran %d, Part = [%d,%d)", ran, lo, hi)
	}
}
