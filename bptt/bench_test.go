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

// Benchmark shapes: input size I = n (a layer fed by another of its width), O = 4
// outputs with a target at every step.
const benchOut = 4

// TBPTT in the benchmark backpropagates every k1 steps through k2 steps.
const benchK1, benchK2 = 25, 50

// checkpointShare is the checkpoint budget: 5% of full BPTT's memory for the same T.
const checkpointShare = 20

func benchProblem(b *testing.B, kind cell.Kind, n, steps int) *problem {
	c, err := cell.New(cell.Config{Kind: kind, Hidden: n, Input: n})
	if err != nil {
		b.Fatal(err)
	}
	head, err := cell.NewReadout(benchOut, n)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(n), uint64(steps)))
	cell.InitDefault(c, rng)
	head.InitDefault(rng)
	p := &problem{cfg: cell.Config{Kind: kind, Hidden: n, Input: n}, c: c, head: head, s0: make([]float32, c.StateSize())}
	for range steps {
		x := make([]float32, n)
		y := make([]float32, benchOut)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range y {
			y[i] = float32(rng.NormFloat64())
		}
		p.xs, p.ys, p.targets = append(p.xs, x), append(p.ys, y), append(p.targets, cell.Values(y))
	}
	return p
}

// BenchmarkBPTT times forward and backward over a whole sequence and reports the bytes
// the algorithm holds as state-bytes, and the thread CPU time per sequence as cpu-ns/op
// (steadier than ns/op on a shared machine).
func BenchmarkBPTT(b *testing.B) {
	for _, algo := range []string{"full", "checkpoint", "tbptt"} {
		for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
			for _, n := range []int{32, 128} {
				for _, steps := range []int{100, 1000} {
					name := fmt.Sprintf("%s/cell=%v/n=%d/T=%d", algo, kind, n, steps)
					b.Run(name, func(b *testing.B) {
						p := benchProblem(b, kind, n, steps)
						runtime.LockOSThread()
						defer runtime.UnlockOSThread()
						benchAlgo(b, algo, p)
					})
				}
			}
		}
	}
}

func benchAlgo(b *testing.B, algo string, p *problem) {
	full, err := bptt.NewFull(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.FullOptions{})
	if err != nil {
		b.Fatal(err)
	}
	switch algo {
	case "full":
		p.stream(b, full)
		cpu := threadCPU()
		for b.Loop() {
			p.stream(b, full)
		}
		reportCPU(b, cpu)
		b.ReportMetric(float64(full.Bytes()), "state-bytes")
	case "checkpoint":
		p.stream(b, full) // size the slab to set the budget
		a, err := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Budget: full.Bytes() / checkpointShare, Steps: len(p.xs)})
		if err != nil {
			b.Fatal(err)
		}
		cpu := threadCPU()
		for b.Loop() {
			if _, err := a.RunSequence(p.s0, p.xs, p.targets); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
		b.ReportMetric(float64(a.Bytes()), "state-bytes")
		b.ReportMetric(float64(a.Slots()), "slots")
		b.ReportMetric(float64(a.Chunk()), "chunk")
		b.ReportMetric(float64(a.Recomputations())/float64(len(p.xs)), "recomputed/step")
	case "tbptt":
		a, err := bptt.NewTruncated(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.TruncatedOptions{K1: benchK1, K2: benchK2})
		if err != nil {
			b.Fatal(err)
		}
		cpu := threadCPU()
		for b.Loop() {
			p.stream(b, a)
		}
		reportCPU(b, cpu)
		b.ReportMetric(float64(a.Bytes()), "state-bytes")
	}
}

// reportCPU reports the thread CPU time since start per iteration.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(threadCPU()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkCheckpointRatio alternates full and checkpointed BPTT (5% budget) on the same
// sequence within each iteration, so that both see the same machine load, and reports
// the median over iterations of the checkpointed/full ratio of wall time (time-ratio) and
// of the thread's CPU time (cpu-ratio, which time slices lost to other processes on a
// shared machine do not inflate), and the memory ratio.
func BenchmarkCheckpointRatio(b *testing.B) {
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		for _, n := range []int{32, 128} {
			const steps = 1000
			b.Run(fmt.Sprintf("cell=%v/n=%d/T=%d", kind, n, steps), func(b *testing.B) {
				p := benchProblem(b, kind, n, steps)
				full, err := bptt.NewFull(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.FullOptions{})
				if err != nil {
					b.Fatal(err)
				}
				p.stream(b, full)
				ck, err := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Budget: full.Bytes() / checkpointShare, Steps: steps})
				if err != nil {
					b.Fatal(err)
				}
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				var wall, cpu []float64
				for b.Loop() {
					t0, c0 := time.Now(), threadCPU()
					p.stream(b, full)
					t1, c1 := time.Now(), threadCPU()
					ck.RunSequence(p.s0, p.xs, p.targets)
					wall = append(wall, float64(time.Since(t1))/float64(t1.Sub(t0)))
					cpu = append(cpu, float64(threadCPU()-c1)/float64(c1-c0))
				}
				slices.Sort(wall)
				slices.Sort(cpu)
				b.ReportMetric(wall[len(wall)/2], "time-ratio")
				b.ReportMetric(cpu[len(cpu)/2], "cpu-ratio")
				b.ReportMetric(float64(ck.Bytes())/float64(full.Bytes()), "memory-ratio")
			})
		}
	}
}

// BenchmarkMinibatch times full BPTT (forward and backward over T = 100 steps) on a
// minibatch of B sequences, with the shapes PyTorch is timed on in bench/peers (I = n,
// one output, a target at every step), and reports the FLOP model's GFLOP/s for the
// whole batch (3(F + R) per step and sequence, F = 2·G·n·(I+n), R = 2·n) and the thread
// CPU time per minibatch.
func BenchmarkMinibatch(b *testing.B) {
	const steps = 100
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		for _, n := range []int{128, 512} {
			for _, B := range []int{1, 8, 32} {
				b.Run(fmt.Sprintf("cell=%v/n=%d/B=%d", kind, n, B), func(b *testing.B) {
					run := fullSequence(b, kind, n, 1, 1, B, func(rng *rand.Rand) cell.Target {
						y := make([]float32, B)
						for i := range y {
							y[i] = float32(rng.NormFloat64())
						}
						return cell.Values(y)
					})
					run()
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					cpu := threadCPU()
					for b.Loop() {
						run()
					}
					reportCPU(b, cpu)
					G := float64(kind.Gates())
					flops := 3 * (2*G*float64(n)*float64(2*n) + 2*float64(n)) * float64(steps*B)
					b.ReportMetric(flops/(float64(threadCPU()-cpu)/float64(b.N)), "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkMinibatchProducts runs only the matrix products of BenchmarkMinibatch's n = 128,
// B = 32 cases, with its shapes, packs and order: per step W_ih·x_t and W_hh·h_{t−1} into
// a fresh gate block of a T-step tape, per backward step W_hhᵀ·g_t (the step's gate
// block standing in for its gradient), and the weight gradients as GemmSeq flushes of
// bptt.BatchCols columns (no input adjoint for the first layer). Its time against
// BenchmarkMinibatch's is the share of a minibatch the products take; its GFLOP/s (2.5F a
// step and sequence, what the products perform) is their rate with the tape around them.
func BenchmarkMinibatchProducts(b *testing.B) {
	const steps, n, B = 100, 128, 32
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		b.Run(fmt.Sprintf("cell=%v/n=%d/B=%d", kind, n, B), func(b *testing.B) {
			gh := kind.Gates() * n
			rng := rand.New(rand.NewPCG(1, 2))
			mat := func(rows, cols int) kernels.Mat {
				m := kernels.NewMat(rows, cols)
				for i := range m.Data {
					m.Data[i] = float32(rng.NormFloat64()) / 16
				}
				return m
			}
			wih, whh := mat(gh, n), mat(gh, n)
			var pih, phh, phhT kernels.Packed
			pih.Pack(wih, B)
			phh.Pack(whh, B)
			phhT.PackT(whh, B)
			// The tape: each step's input, previous state and gates, as a cache holds them.
			xs, hs, gates := make([]kernels.Mat, steps), make([]kernels.Mat, steps), make([]kernels.Mat, steps)
			for t := range steps {
				xs[t], hs[t], gates[t] = mat(n, B), mat(n, B), mat(gh, B)
			}
			cols := bptt.BatchCols(cell.LayoutOf(kind, n, n), B)
			// GRU keeps two gate-gradient matrices; the other kinds' coincide (cell.GradBatch).
			gIH := mat(gh, cols)
			gHH := gIH
			if kind == cell.GRU {
				gHH = mat(gh, cols)
			}
			xcols, hcols := mat(cols, n), mat(cols, n)
			dwih, dwhh := kernels.NewMat(gh, n), kernels.NewMat(gh, n)
			dh := kernels.NewMat(n, B)
			run := func() {
				for t := range steps {
					kernels.GemmPacked(gates[t], &pih, xs[t])
					kernels.GemmPacked(gates[t], &phh, hs[t])
				}
				recorded := 0
				for t := steps - 1; t >= 0; t-- {
					kernels.GemmPacked(dh, &phhT, gates[t])
					if recorded += B; recorded == cols || t == 0 {
						kernels.GemmSeq(dwih, gIH.Slice(0, gh, 0, recorded), xcols.Slice(0, recorded, 0, n))
						kernels.GemmSeq(dwhh, gHH.Slice(0, gh, 0, recorded), hcols.Slice(0, recorded, 0, n))
						recorded = 0
					}
				}
			}
			run()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu := threadCPU()
			for b.Loop() {
				run() // the sums grow by about one term a step and iteration: far from overflow
			}
			reportCPU(b, cpu)
			flops := 2.5 * 2 * float64(gh) * float64(2*n) * float64(steps*B)
			b.ReportMetric(flops/(float64(threadCPU()-cpu)/float64(b.N)), "GFLOP/s")
		})
	}
}

// ratioBench alternates two sequences' worth of work within each iteration, so that both
// see the same machine load, and reports the median over iterations of the second's
// thread CPU time over the first's (cpu-ratio) and of wall time (time-ratio).
func ratioBench(b *testing.B, first, second func()) {
	first()
	second()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var wall, cpu []float64
	for b.Loop() {
		t0, c0 := time.Now(), threadCPU()
		first()
		t1, c1 := time.Now(), threadCPU()
		second()
		wall = append(wall, float64(time.Since(t1))/float64(t1.Sub(t0)))
		cpu = append(cpu, float64(threadCPU()-c1)/float64(c1-c0))
	}
	slices.Sort(wall)
	slices.Sort(cpu)
	b.ReportMetric(wall[len(wall)/2], "time-ratio")
	b.ReportMetric(cpu[len(cpu)/2], "cpu-ratio")
}

// fullSequence returns a function that runs full BPTT over T = 100 steps of random inputs
// (I = n) with the targets target gives, for a model of the given layers and outputs on a
// minibatch of B sequences.
func fullSequence(b *testing.B, kind cell.Kind, n, layers, out, B int, target func(rng *rand.Rand) cell.Target) func() {
	return fullSequenceOn(b, kind, n, layers, out, B, 1, target)
}

// fullSequenceOn is fullSequence with the minibatch spread over W workers.
func fullSequenceOn(b *testing.B, kind cell.Kind, n, layers, out, B, W int, target func(rng *rand.Rand) cell.Target) func() {
	const steps = 100
	m, err := cell.NewStack(cell.Config{Kind: kind, Hidden: n, Input: n}, layers, out)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(n), uint64(layers*out)))
	m.Init(rng, cell.InitDefault)
	a, err := bptt.NewFull(m, bptt.FullOptions{Batch: B, Workers: W})
	if err != nil {
		b.Fatal(err)
	}
	xs := make([][]float32, steps)
	ys := make([]cell.Target, steps)
	for t := range xs {
		xs[t] = make([]float32, n*B)
		for i := range xs[t] {
			xs[t][i] = float32(rng.NormFloat64())
		}
		ys[t] = target(rng)
	}
	return func() {
		if err := a.Reset(nil); err != nil {
			b.Fatal(err)
		}
		for t := range xs {
			if _, err := a.Step(xs[t], ys[t]); err != nil {
				b.Fatal(err)
			}
		}
		if err := a.Finish(); err != nil {
			b.Fatal(err)
		}
		a.ZeroGrad()
	}
}

// BenchmarkCrossEntropyOverhead: cross-entropy over O = 10 classes against squared error
// on 10 outputs, full BPTT at n = 128, T = 100, side by side (cpu-ratio = CE / SE).
func BenchmarkCrossEntropyOverhead(b *testing.B) {
	const out = 10
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		b.Run(fmt.Sprintf("cell=%v/n=128", kind), func(b *testing.B) {
			se := fullSequence(b, kind, 128, 1, out, 1, func(rng *rand.Rand) cell.Target {
				y := make([]float32, out)
				for i := range y {
					y[i] = float32(rng.NormFloat64())
				}
				return cell.Values(y)
			})
			ce := fullSequence(b, kind, 128, 1, out, 1, func(rng *rand.Rand) cell.Target {
				return cell.Classes(int32(rng.IntN(out)))
			})
			ratioBench(b, se, ce)
		})
	}
}

// BenchmarkTwoLayers: a two-layer stack's full BPTT against one layer's, n = 128,
// T = 100, side by side (cpu-ratio = two layers / one).
func BenchmarkTwoLayers(b *testing.B) {
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		b.Run(fmt.Sprintf("cell=%v/n=128", kind), func(b *testing.B) {
			target := func(rng *rand.Rand) cell.Target { return cell.Values([]float32{float32(rng.NormFloat64())}) }
			ratioBench(b, fullSequence(b, kind, 128, 1, 1, 1, target), fullSequence(b, kind, 128, 2, 1, 1, target))
		})
	}
}

// BenchmarkTwoWorkers: full BPTT on a minibatch (T = 100, B = 32) spread over two
// workers against one, side by side (time-ratio = two workers' wall time / one's: its
// inverse is the speed-up; cpu-ratio is the calling thread's share of the work).
func BenchmarkTwoWorkers(b *testing.B) {
	for _, kind := range []cell.Kind{cell.GRU, cell.LSTM} {
		for _, n := range []int{128, 512} {
			b.Run(fmt.Sprintf("cell=%v/n=%d/B=32", kind, n), func(b *testing.B) {
				target := func(rng *rand.Rand) cell.Target { return cell.Values(make([]float32, 32)) }
				one := fullSequenceOn(b, kind, n, 1, 1, 32, 1, target)
				two := fullSequenceOn(b, kind, n, 1, 1, 32, 2, target)
				ratioBench(b, one, two)
			})
		}
	}
}
