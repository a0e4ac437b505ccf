package train_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/train"
)

// BenchmarkOnlineObserve times one Observe of the service path: SnAp-1 on a GRU of n = 32
// units with n inputs and n outputs (P = 7392 parameters with the readout), as issue 19
// measured it. The sub-benchmarks are the optimizer settings a service chooses between:
// Adam with clipping after every event, plain SGD after every event, Adam with clipping
// every 1000 events, and an event without a target (which never runs the optimizer), plus
// the algorithm's step alone for reference; and truncated BPTT(8, 16) with and without
// targets (a window without one skips its backward sweep). Besides ns/op each reports cpu-ns/op, the
// process's CPU time per event, which a shared machine disturbs less.
//
//	go test ./train -run '^$' -bench OnlineObserve -count 5
func BenchmarkOnlineObserve(b *testing.B) {
	const n = 32
	// The events cycle through 256 random inputs and targets, so that the state keeps
	// moving (one event repeated drives the model to a fixed point, where values can go
	// subnormal and cost what a service never pays); the learning rates are small, so
	// that the weights stay near their initialisation over the benchmark.
	const events = 256
	setup := func(b *testing.B, spec string) (*cell.Model, algo.Algorithm, [][]float32, [][]float32) {
		m, err := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: n, Input: n}, n)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		cell.InitDefault(m.Layers[0], rng)
		m.Head.InitDefault(rng)
		alg, err := algo.MustParse(spec).New(m, algo.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { alg.Close() })
		xs, ys := make([][]float32, events), make([][]float32, events)
		for e := range xs {
			xs[e], ys[e] = make([]float32, n), make([]float32, n)
			for i := range xs[e] {
				xs[e][i] = float32(rng.NormFloat64())
				ys[e][i] = float32(rng.NormFloat64()) * 0.5
			}
		}
		return m, alg, xs, ys
	}
	adam := func() train.Optimizer { return &train.Adam{LR: 1e-5} }
	cases := []struct {
		spec, name string
		opt        func() train.Optimizer
		cfg        train.OnlineConfig
		noTarget   bool
	}{
		{"snap1", "adam+clip", adam, train.OnlineConfig{ClipNorm: 1}, false},
		{"snap1", "sgd", func() train.Optimizer { return &train.SGD{LR: 1e-5} }, train.OnlineConfig{}, false},
		{"snap1", "adam+clip/every=1000", adam, train.OnlineConfig{ClipNorm: 1, UpdateEvery: 1000}, false},
		{"snap1", "no-target", adam, train.OnlineConfig{ClipNorm: 1}, true},
		// Truncated BPTT: a sweep back over 16 steps every 8, and the update with it.
		{"tbptt:8,16", "adam+clip/every=8", adam, train.OnlineConfig{ClipNorm: 1, UpdateEvery: 8}, false},
		{"tbptt:8,16", "no-target", adam, train.OnlineConfig{ClipNorm: 1, UpdateEvery: 8}, true},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("%s/gru/n=%d/%s", c.spec, n, c.name), func(b *testing.B) {
			m, alg, xs, ys := setup(b, c.spec)
			learner, err := train.NewOnline(m, alg, c.opt(), c.cfg)
			if err != nil {
				b.Fatal(err)
			}
			if c.noTarget {
				clear(ys)
			}
			pred := make([]float32, n)
			if _, err := learner.Observe(pred, xs[0], ys[0]); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu0, cpuOK := processCPUTime()
			e := 0
			for b.Loop() {
				e = (e + 1) % events
				if _, err := learner.Observe(pred, xs[e], ys[e]); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0, cpuOK)
		})
	}
	b.Run(fmt.Sprintf("snap1/gru/n=%d/step-only", n), func(b *testing.B) {
		_, alg, xs, ys := setup(b, "snap1")
		b.ReportAllocs()
		cpu0, cpuOK := processCPUTime()
		e := 0
		for b.Loop() {
			e = (e + 1) % events
			if _, err := alg.Step(xs[e], cell.Values(ys[e])); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu0, cpuOK)
	})
}

// reportCPU reports the process's CPU time per op since cpu0.
func reportCPU(b *testing.B, cpu0 int64, ok bool) {
	if cpu1, ok1 := processCPUTime(); ok && ok1 {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
}
