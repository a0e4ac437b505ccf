package rtrl

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/kernels"
)

var benchKinds = []cell.Kind{cell.RNNTanh, cell.RNNReLU, cell.GRU, cell.LSTM}

// benchSetup builds an n-unit cell with n inputs and an n-output readout, PyTorch's
// default initialisation, and one input/target pair.
func benchSetup(b *testing.B, kind cell.Kind, n int) (cell.Cell, *cell.Readout, []float32, []float32) {
	b.Helper()
	c, err := cell.New(cell.Config{Kind: kind, Hidden: n, Input: n})
	if err != nil {
		b.Fatal(err)
	}
	head, err := cell.NewReadout(n, n)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cell.InitDefault(c, rng)
	head.InitDefault(rng)
	x, y := make([]float32, n), make([]float32, n)
	fill(x, rng, 1)
	fill(y, rng, 1)
	return c, head, x, y
}

// BenchmarkRTRL times one online step (forward, readout, loss, the algorithm's update
// and its gradient) per op: BenchmarkRTRL/<algo>/cell=<cell>/n=<n>, with n hidden units,
// n inputs and n outputs. Exact RTRL on the LSTM stops at n = 64 (S = 128, M is 2 × 17
// MB). Besides ns/op it reports cpu-ns/op, the process's CPU time per step, which is what
// to fit cost exponents to on a shared machine.
func BenchmarkRTRL(b *testing.B) {
	for _, algo := range names {
		for _, kind := range benchKinds {
			if (vanillaOnly[algo] && !kind.IsVanilla()) || (algo == "eprop" && kind != cell.LSTM) {
				continue
			}
			for _, n := range []int{16, 32, 64, 128} {
				if (algo == "rtrl" || algo == "snap2") && kind == cell.LSTM && n > 64 {
					continue
				}
				b.Run(fmt.Sprintf("%s/cell=%v/n=%d", algo, kind, n), func(b *testing.B) {
					c, head, x, y := benchSetup(b, kind, n)
					a, err := build(algo, &cell.Model{Layers: []cell.Cell{c}, Head: head})
					if err != nil {
						b.Fatal(err)
					}
					if _, err := a.Step(x, cell.Values(y)); err != nil {
						b.Fatal(err)
					}
					cpu0, cpuOK := processCPUTime()
					for b.Loop() {
						if _, err := a.Step(x, cell.Values(y)); err != nil {
							b.Fatal(err)
						}
					}
					if cpu1, ok := processCPUTime(); ok && cpuOK {
						// One goroutine and no allocation: the process's CPU time is the
						// steps', free of the waits a loaded machine adds to ns/op.
						b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
					}
					b.ReportMetric(float64(a.Bytes()), "state-bytes")
					if algo == "rtrl" {
						flops := 2 * float64(c.StateSize()) * float64(c.StateSize()) * float64(c.NumParams())
						b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					}
				})
			}
		}
	}
}

// BenchmarkRTRLUpdate measures exact RTRL's sensitivity update M_t = J_t·M_{t-1} + Ī_t
// alone (part=update: the in-place product, AddImmediate) against the bare kernels.MatMul
// on the same S×S by S×P shape into a second buffer (part=gemm), both in GFLOP/s of the
// 2·S²·P Gemm flops, and the update on two workers (part=update2).
func BenchmarkRTRLUpdate(b *testing.B) {
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		for _, n := range []int{32, 64, 128} {
			if n > 64 && kind != cell.RNNTanh {
				continue
			}
			c, head, x, y := benchSetup(b, kind, n)
			r, err := NewExact(&cell.Model{Layers: []cell.Cell{c}, Head: head}, ExactOptions{})
			if err != nil {
				b.Fatal(err)
			}
			for range 3 {
				if _, err := r.Step(x, cell.Values(y)); err != nil {
					b.Fatal(err)
				}
			}
			s := &r.sens.layers[0]
			flops := 2 * float64(c.StateSize()) * float64(c.StateSize()) * float64(c.NumParams())
			// cpu-GFLOP/s divides by the process's CPU time rather than the wall time, so
			// that other tenants of a shared machine do not bias the comparison.
			measure := func(b *testing.B, op func()) {
				cpu0, cpuOK := processCPUTime()
				for b.Loop() {
					op()
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				if cpu1, ok := processCPUTime(); ok && cpuOK {
					b.ReportMetric(flops*float64(b.N)/float64(cpu1-cpu0), "cpu-GFLOP/s")
				}
			}
			name := fmt.Sprintf("cell=%v/n=%d", kind, n)
			b.Run(name+"/part=update", func(b *testing.B) {
				measure(b, func() { r.update(false) })
			})
			b.Run(name+"/part=gemm", func(b *testing.B) {
				next := kernels.NewMat(s.states, s.influence.Cols)
				influence := s.influence.Slice(0, s.states, 0, s.influence.Cols)
				measure(b, func() { kernels.MatMul(next, s.jacobian, influence) })
			})
			// The same update on two workers: compare its wall-clock GFLOP/s with
			// part=update's (its CPU time counts both cores).
			r2, err := NewExact(&cell.Model{Layers: []cell.Cell{c}, Head: head}, ExactOptions{Workers: 2})
			if err != nil {
				b.Fatal(err)
			}
			for range 3 {
				if _, err := r2.Step(x, cell.Values(y)); err != nil {
					b.Fatal(err)
				}
			}
			b.Run(name+"/part=update2", func(b *testing.B) {
				measure(b, func() { r2.update(false) })
			})
			r2.Close()
		}
	}
}

// BenchmarkSnAp2 times one SnAp-2 step on an n-unit cell with 8 inputs and one output at
// W_hh densities from dense to 2%, and exact RTRL's and SnAp-1's on the dense cell beside
// it: BenchmarkSnAp2/cell=<cell>/n=<n>/density=<d>/algo=<algo> (cpu-ns/op and
// state-bytes as in BenchmarkRTRL).
func BenchmarkSnAp2(b *testing.B) {
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		for _, n := range []int{32, 64, 128, 256} {
			for _, density := range []float64{1, 0.5, 0.25, 0.1, 0.05, 0.02} {
				if density == 1 && n > 64 && kind != cell.RNNTanh || density >= 0.25 && n > 128 {
					continue
				}
				algos := []string{"snap2"}
				if density == 1 {
					algos = append(algos, "rtrl", "snap1")
				}
				for _, algo := range algos {
					b.Run(fmt.Sprintf("cell=%v/n=%d/density=%g/algo=%s", kind, n, density, algo), func(b *testing.B) {
						c, err := cell.New(cell.Config{Kind: kind, Hidden: n, Input: 8})
						if err != nil {
							b.Fatal(err)
						}
						head, err := cell.NewReadout(1, n)
						if err != nil {
							b.Fatal(err)
						}
						rng := rand.New(rand.NewPCG(1, 2))
						cell.InitDefault(c, rng)
						head.InitDefault(rng)
						if density < 1 {
							if err := cell.Sparsify(c, density, cell.MaskRandom, rng); err != nil {
								b.Fatal(err)
							}
						}
						x, y := make([]float32, 8), make([]float32, 1)
						fill(x, rng, 1)
						fill(y, rng, 1)
						a, err := build(algo, &cell.Model{Layers: []cell.Cell{c}, Head: head})
						if err != nil {
							b.Fatal(err)
						}
						defer a.Close()
						if _, err := a.Step(x, cell.Values(y)); err != nil {
							b.Fatal(err)
						}
						cpu0, cpuOK := processCPUTime()
						for b.Loop() {
							if _, err := a.Step(x, cell.Values(y)); err != nil {
								b.Fatal(err)
							}
						}
						if cpu1, ok := processCPUTime(); ok && cpuOK {
							b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
						}
						b.ReportMetric(float64(a.Bytes()), "state-bytes")
					})
				}
			}
		}
	}
}
