package cell_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
)

// batchRun runs the backward steps of a recorded sequence (newest first, as a BPTT sweep
// does) through BackwardBatch with a batch of cols columns and returns the gradient
// (added to a non-zero start) and the adjoints ∂L/∂s_{t-1} of every step.
func batchRun(c cell.Cell, caches []*cell.Cache, vs [][]float32, grad0 []float32, cols int) (grad []float32, deltas [][]float32) {
	b, err := cell.NewGradBatch(c, cols)
	if err != nil {
		panic(err)
	}
	grad = slices.Clone(grad0)
	for t := len(caches) - 1; t >= 0; t-- {
		d := make([]float32, c.StateSize())
		dx := make([]float32, c.InputSize())
		c.BackwardBatch(caches[t], d, dx, grad, b, vs[t])
		deltas = append(deltas, append(d, dx...))
	}
	b.Flush(grad)
	return grad, deltas
}

// TestGradBatchMatchesBackward: BackwardBatch's adjoints and gradient are Backward's bit
// for bit, whatever the batch's size (1 flushes through Ger, the others through GemmSeq,
// with partial flushes of one column at the end), on every tier: full and checkpointed
// BPTT flush in different places and must still agree.
func TestGradBatchMatchesBackward(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg cell.Config) {
		f := newFixture(t, cfg, 9)
		c := f.c
		const steps = 23
		var caches []*cell.Cache
		var vs [][]float32
		s := slices.Clone(f.prev)
		for range steps {
			k := c.NewCache()
			c.Forward(k, s, s, randVec(f.rng, c.InputSize()))
			caches = append(caches, k)
			vs = append(vs, randVec(f.rng, c.StateSize()))
		}
		grad0 := randVec(f.rng, c.NumParams())

		want := slices.Clone(grad0)
		var wantDeltas [][]float32
		for t := steps - 1; t >= 0; t-- {
			d := make([]float32, c.StateSize())
			dx := make([]float32, c.InputSize())
			c.Backward(caches[t], d, dx, want, vs[t])
			wantDeltas = append(wantDeltas, append(d, dx...))
		}

		ref, refDeltas := batchRun(c, caches, vs, grad0, 1)
		for i := range want {
			if math.Float32bits(ref[i]) != math.Float32bits(want[i]) {
				t.Fatalf("grad[%d] = %v through the batch, %v through Backward", i, ref[i], want[i])
			}
		}
		for j := range refDeltas {
			if !slices.Equal(refDeltas[j], wantDeltas[j]) {
				t.Fatalf("step %d: BackwardBatch's adjoints %v, Backward's %v", steps-1-j, refDeltas[j], wantDeltas[j])
			}
		}
		for _, cols := range []int{2, 5, 8, 22, 23, 64} {
			got, _ := batchRun(c, caches, vs, grad0, cols)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
					t.Fatalf("%d columns: grad[%d] = %v, one column gives %v", cols, i, got[i], ref[i])
				}
			}
		}
	})
}

func TestGradBatchChecks(t *testing.T) {
	c, _ := cell.New(cell.Config{Kind: cell.GRU, Hidden: 4, Input: 3})
	other, _ := cell.New(cell.Config{Kind: cell.LSTM, Hidden: 4, Input: 3})
	for _, cols := range []int{0, -1, 1<<16 + 1} {
		if _, err := cell.NewGradBatch(c, cols); err == nil || !strings.Contains(err.Error(), fmt.Sprint(cols)) {
			t.Errorf("NewGradBatch(%d columns): err = %v, want one naming %d", cols, err, cols)
		}
	}
	if _, err := cell.NewGradBatch(nil, 4); err == nil {
		t.Error("NewGradBatch(nil cell) did not fail")
	}
	b, err := cell.NewGradBatch(other, 4)
	if err != nil {
		t.Fatal(err)
	}
	k := c.NewCache()
	s := make([]float32, c.StateSize())
	c.Forward(k, s, s, make([]float32, 3))
	msg := catchPanic(func() { c.BackwardBatch(k, s, nil, make([]float32, c.NumParams()), b, s) })
	if !strings.Contains(msg, "batch") {
		t.Errorf("BackwardBatch with another cell's batch: panic %q, want one about the batch", msg)
	}
	mine, _ := cell.NewGradBatch(c, 3)
	msg = catchPanic(func() { mine.Flush(make([]float32, 5)) })
	if !strings.Contains(msg, "len(grad) = 5") {
		t.Errorf("Flush into a short gradient: panic %q", msg)
	}
	if got, want := mine.Bytes(), 3*4*(2*3*4+3+4)+4*3*4; got != want {
		t.Errorf("Bytes = %d, want %d (GRU keeps both gate gradients)", got, want)
	}
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		for _, n := range []int{8, 128, 512} {
			c, _ := cell.New(cell.Config{Kind: kind, Hidden: n, Input: n})
			cols := cell.DefaultBatchCols(c.Layout())
			b, _ := cell.NewGradBatch(c, cols)
			if cols < 8 || cols > 32 || cols&(cols-1) != 0 || (cols > 8 && cols*b.ColBytes() > 256<<10) {
				t.Errorf("%v n=%d: DefaultBatchCols = %d (%d bytes)", kind, n, cols, b.Bytes())
			}
		}
	}
}

// TestForwardProjectedIsForward: ProjectInputs + ForwardProjected give Forward's bits (the
// next state and everything in the cache) on every tier, for sizes where W_ih is swept
// in several row blocks, rows that the matrix-vector kernels group by 8, by 4 and alone,
// and inputs wider than 256 (where the avx512 kernel changes its row grouping).
func TestForwardProjectedIsForward(t *testing.T) {
	sizes := []struct{ h, i int }{{testH, testI}, {33, 3}, {40, 130}, {17, 300}, {64, 1000}}
	forEachTier(t, func(t *testing.T) {
		for _, kind := range []cell.Kind{cell.RNNTanh, cell.RNNReLU, cell.GRU, cell.LSTM} {
			for _, sz := range sizes {
				cfg := cell.Config{Kind: kind, Hidden: sz.h, Input: sz.i}
				f := newFixture(t, cfg, 21)
				c := f.c
				const steps = 5
				var xs [][]float32
				for range steps {
					xs = append(xs, randVec(f.rng, sz.i))
				}
				caches := make([]*cell.Cache, steps)
				for j := range caches {
					caches[j] = c.NewCache()
				}
				c.ProjectInputs(caches, xs)
				got, want := slices.Clone(f.prev), slices.Clone(f.prev)
				k := c.NewCache()
				for j := range steps {
					c.ForwardProjected(caches[j], got, got)
					c.Forward(k, want, want, xs[j])
					if !slices.Equal(got, want) || !slices.Equal(caches[j].Gates(), k.Gates()) ||
						!slices.Equal(caches[j].Prev(), k.Prev()) || !slices.Equal(caches[j].Input(), k.Input()) {
						t.Fatalf("%v H=%d I=%d step %d: ForwardProjected differs from Forward", kind, sz.h, sz.i, j)
					}
				}
				msg := catchPanic(func() { c.ForwardProjected(caches[0], got, got) })
				if !strings.Contains(msg, "ProjectInputs") {
					t.Errorf("ForwardProjected twice on one projection: panic %q", msg)
				}
			}
		}
	})
}
