package bptt_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/kernels"
)

// orthoBench is one side of BenchmarkOrthogonalStep: a model, full BPTT on a minibatch,
// and a sequence of its inputs and targets.
type orthoBench struct {
	m      *cell.Model
	a      *bptt.Full
	xs     [][]float32 // per step, the batch's B rows of I
	ys     []cell.Target
	params [][]float32
}

func newOrthoBench(b testing.TB, kind cell.Kind, n, in, steps, batch int) *orthoBench {
	m, err := cell.NewModel(cell.Config{Kind: kind, Hidden: n, Input: in}, benchOut)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(n), uint64(steps)))
	if kind == cell.Orthogonal {
		m.Init(rng, cell.InitHenaff)
	} else {
		m.Init(rng, cell.InitDefault)
	}
	a, err := bptt.NewFull(m, bptt.FullOptions{Batch: batch})
	if err != nil {
		b.Fatal(err)
	}
	o := &orthoBench{m: m, a: a, params: m.ParamGroups()}
	for range steps {
		x, y := make([]float32, in*batch), make([]float32, benchOut*batch)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range y {
			y[i] = float32(rng.NormFloat64())
		}
		o.xs, o.ys = append(o.xs, x), append(o.ys, cell.Values(y))
	}
	return o
}

// update is one training update: the sequence forward and backward, the gradient read
// (for the orthogonal cell, ∂L/∂W mapped to A: the adjoint of exp's derivative), a tiny
// SGD step on every parameter and ParamsChanged (for the orthogonal cell, W = exp(A)
// again), ZeroGrad.
func (o *orthoBench) update(b testing.TB) (stepsCPU, updateCPU time.Duration) {
	c0 := threadCPU()
	if err := o.a.Reset(nil); err != nil {
		b.Fatal(err)
	}
	for t, x := range o.xs {
		if _, err := o.a.Step(x, o.ys[t]); err != nil {
			b.Fatal(err)
		}
	}
	if err := o.a.Finish(); err != nil {
		b.Fatal(err)
	}
	c1 := threadCPU()
	grads := o.m.GradGroups(o.a.GradCell(), o.a.GradHead())
	for i, p := range o.params {
		kernels.Axpy(-1e-6, grads[i], p)
	}
	if err := o.m.ParamsChanged(); err != nil {
		b.Fatal(err)
	}
	o.a.ZeroGrad()
	return c1 - c0, threadCPU() - c1
}

// BenchmarkOrthogonalStep measures issue 15's target: a training step of the orthogonal
// cell against an rnn_tanh step of the same n, with full BPTT over T steps of a minibatch
// of B sequences (input size I = 10, the copy task's; B = 1, 16, and 64 at T = 100) and
// one parameter update per minibatch, so that the orthogonal cell's exponential and its adjoint (in update) are
// amortised over B·T steps. Each iteration runs one update of each cell, interleaved, and
// the benchmark reports the medians over iterations of the thread CPU time per step of
// each cell (tanh-ns/step, ortho-ns/step, the update included), of their ratio
// (cpu-ratio), and of the orthogonal cell's per-update work (exp+adjoint-µs: the gradient
// read, the SGD step and ParamsChanged).
func BenchmarkOrthogonalStep(b *testing.B) {
	for _, n := range []int{64, 128, 256} {
		for _, steps := range []int{100, 1000} {
			for _, batch := range []int{1, 16, 64} {
				if batch == 64 && steps == 1000 {
					continue // 64 000 steps per update: T = 100 shows the trend
				}
				b.Run(fmt.Sprintf("n=%d/T=%d/B=%d", n, steps, batch), func(b *testing.B) {
					tanh := newOrthoBench(b, cell.RNNTanh, n, 10, steps, batch)
					ortho := newOrthoBench(b, cell.Orthogonal, n, 10, steps, batch)
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					tanh.update(b) // first-use buffers
					ortho.update(b)
					var ratio, tns, ons, upd []float64
					per := float64(steps * batch)
					for b.Loop() {
						ts, tu := tanh.update(b)
						os, ou := ortho.update(b)
						tt, ot := float64(ts+tu), float64(os+ou)
						ratio = append(ratio, ot/tt)
						tns, ons = append(tns, tt/per), append(ons, ot/per)
						upd = append(upd, float64(ou)/1e3)
					}
					med := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
					b.ReportMetric(med(ratio), "cpu-ratio")
					b.ReportMetric(med(tns), "tanh-ns/step")
					b.ReportMetric(med(ons), "ortho-ns/step")
					b.ReportMetric(med(upd), "exp+adjoint-µs")
				})
			}
		}
	}
}
