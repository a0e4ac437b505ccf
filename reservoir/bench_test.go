package reservoir

import (
	"fmt"
	"testing"
)

// BenchmarkReservoirStep measures one Step; the flop count is the two products (2·nnz for
// W·x, 2·N·I for W_in·u), the tanh and leak being a small O(N) extra.
func BenchmarkReservoirStep(b *testing.B) {
	for _, units := range []int{100, 300, 1000} {
		b.Run(fmt.Sprintf("units=%d", units), func(b *testing.B) {
			r, err := New(Config{Units: units, Inputs: 1, Density: 0.1, SpectralRadius: 1.25, InputScaling: 1, Leak: 0.3, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			u := []float32{0.5}
			flops := float64(2*r.W.NonZeros() + 2*units)
			b.ReportAllocs()
			for b.Loop() {
				r.Step(u)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSpectralRadius measures the Arnoldi estimate on a reservoir-like sparse matrix.
func BenchmarkSpectralRadius(b *testing.B) {
	for _, units := range []int{100, 500} {
		b.Run(fmt.Sprintf("units=%d", units), func(b *testing.B) {
			r, err := New(Config{Units: units, Inputs: 1, Density: 0.1, SpectralRadius: 1, InputScaling: 1, Leak: 1, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := r.W.SpectralRadius(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
