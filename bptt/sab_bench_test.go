package bptt_test

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/testutil"
)

// BenchmarkSABCopy times the algorithms of the copy-task measurements (bench/RESULTS.md,
// "Attention and SAB") on one copy-task sequence (10 one-hot symbols, delay 200, the
// recall; T = 220, a class target every step) with an LSTM of 64 units at PyTorch's
// default initialisation: full BPTT and SAB(k_trunc = 10) on the model with the
// attention k_att = 2, k_top = 5, M = ∞, and full and truncated BPTT(10, 10) on the model
// without it. It reports the thread CPU time per step (cpu-ns/step, which a shared
// machine's load does not inflate) and the bytes held (state-bytes).
func BenchmarkSABCopy(b *testing.B) {
	const H, T, delay, symbols = 64, 220, 200, 10
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([][]float32, T)
	ys := make([]cell.Target, T)
	for t := range T {
		xs[t] = make([]float32, 10)
		class := int32(0)
		switch {
		case t < symbols:
			xs[t][1+rng.IntN(8)] = 1
		case t == symbols+delay-1:
			xs[t][9] = 1
		default:
			xs[t][0] = 1
		}
		if t >= symbols+delay {
			class = int32(slicesIndex(xs[t-symbols-delay]))
		}
		ys[t] = cell.Classes(class)
	}
	model := func(attention bool) *cell.Model {
		return sabBenchModel(b, cell.LSTM, H, 10, 10, attention, cell.AttentionConfig{KAtt: 2, KTop: 5}, 3)
	}
	runSABBench(b, xs, ys, []sabBenchCase{
		{"bptt-attention", func() (sabStreamer, error) { return bptt.NewFullAttention(model(true), bptt.FullOptions{}) }},
		{"sab-10-attention", func() (sabStreamer, error) { return bptt.NewSAB(model(true), bptt.SABOptions{KTrunc: 10}) }},
		{"bptt", func() (sabStreamer, error) { return bptt.NewFull(model(false), bptt.FullOptions{}) }},
		{"tbptt-10-10", func() (sabStreamer, error) { return bptt.NewTruncated(model(false), bptt.TruncatedOptions{K1: 10}) }},
	})
}

// sabStreamer is what the SAB benchmarks run: an algorithm that streams a sequence and
// says what it holds.
type sabStreamer interface {
	testutil.Streamer
	Bytes() int64
}

// sabBenchCase names a way of building one.
type sabBenchCase struct {
	name string
	new  func() (sabStreamer, error)
}

// sabBenchModel is a one-layer model at PyTorch's default initialisation (seed, seed+1),
// with the attention component cfg when attention is set.
func sabBenchModel(b *testing.B, kind cell.Kind, hidden, in, out int, attention bool, cfg cell.AttentionConfig, seed uint64) *cell.Model {
	m, err := cell.NewModel(cell.Config{Kind: kind, Hidden: hidden, Input: in}, out)
	if err != nil {
		b.Fatal(err)
	}
	if attention {
		if err := m.AddAttention(cfg); err != nil {
			b.Fatal(err)
		}
	}
	m.Init(rand.New(rand.NewPCG(seed, seed+1)), cell.InitDefault)
	return m
}

// runSABBench streams xs, ys through each case on a locked thread and reports the thread
// CPU time per step (cpu-ns/step) and the bytes held (state-bytes).
func runSABBench(b *testing.B, xs [][]float32, ys []cell.Target, cases []sabBenchCase) {
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			a, err := c.new()
			if err != nil {
				b.Fatal(err)
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			testutil.StreamTargets(b, a, nil, xs, ys)
			cpu := threadCPU()
			for b.Loop() {
				testutil.StreamTargets(b, a, nil, xs, ys)
			}
			b.ReportMetric(float64(threadCPU()-cpu)/float64(b.N*len(xs)), "cpu-ns/step")
			b.ReportMetric(float64(a.Bytes()), "state-bytes")
		})
	}
}

func slicesIndex(v []float32) int {
	for i, x := range v {
		if x == 1 {
			return i
		}
	}
	return 0
}

// BenchmarkSABProfile is the README's algorithm-table shape (the default profile's: a GRU
// of 64 units, 8 inputs, one output, T = 100, random inputs and squared-error targets at
// PyTorch's default initialisation) for SAB(k_trunc = 10) on the model with the profile's
// attention (k_att = 10, k_top = 5, M = ∞) and, measured the same way beside it, full BPTT
// on that model and full and truncated BPTT(10, 20) on the model without attention:
// thread CPU time per step and bytes held.
func BenchmarkSABProfile(b *testing.B) {
	const H, I, T = 64, 8, 100
	rng := rand.New(rand.NewPCG(5, 6))
	xs := make([][]float32, T)
	ys := make([]cell.Target, T)
	for t := range T {
		xs[t] = make([]float32, I)
		for i := range xs[t] {
			xs[t][i] = float32(rng.NormFloat64())
		}
		ys[t] = cell.Values([]float32{float32(rng.NormFloat64())})
	}
	model := func(attention bool) *cell.Model {
		return sabBenchModel(b, cell.GRU, H, I, 1, attention, cell.AttentionConfig{KAtt: 10, KTop: 5}, 7)
	}
	runSABBench(b, xs, ys, []sabBenchCase{
		{"sab-10-attention", func() (sabStreamer, error) { return bptt.NewSAB(model(true), bptt.SABOptions{KTrunc: 10}) }},
		{"bptt-attention", func() (sabStreamer, error) { return bptt.NewFullAttention(model(true), bptt.FullOptions{}) }},
		{"bptt", func() (sabStreamer, error) { return bptt.NewFull(model(false), bptt.FullOptions{}) }},
		{"tbptt-10-20", func() (sabStreamer, error) {
			return bptt.NewTruncated(model(false), bptt.TruncatedOptions{K1: 10, K2: 20})
		}},
	})
}
