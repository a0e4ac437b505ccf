package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// randomPattern keeps round(density·cols) entries of every row of a rows×cols matrix,
// chosen uniformly, and zeroes the others in a.
func randomPattern(a Mat, density float64, rng *rand.Rand) RowPattern {
	keep := make([]bool, a.Rows*a.Cols)
	k := max(1, int(density*float64(a.Cols)+0.5))
	for i := range a.Rows {
		for _, j := range rng.Perm(a.Cols)[:k] {
			keep[i*a.Cols+j] = true
		}
		for j := range a.Cols {
			if !keep[i*a.Cols+j] {
				a.Data[i*a.Stride+j] = 0
			}
		}
	}
	return NewRowPattern(a.Rows, a.Cols, keep)
}

// BenchmarkSparseMatVec times SparseMatVecAdd at densities 1..50% against MatVecAdd on
// the same matrix (density=dense): BenchmarkSparseMatVec/<tier>/n=<n>/density=<d>, in ns/op
// and in GFLOP/s of the dense product's 2·n² flops (so the columns compare directly).
func BenchmarkSparseMatVec(b *testing.B) { benchSparse(b, MatVecAdd, SparseMatVecAdd) }

// BenchmarkSparseMatTVec is BenchmarkSparseMatVec for the transposed product.
func BenchmarkSparseMatTVec(b *testing.B) { benchSparse(b, MatTVecAdd, SparseMatTVecAdd) }

// benchSparse times sparse against dense over the sizes and densities of the two
// benchmarks above.
func benchSparse(b *testing.B, dense func(y []float32, a Mat, x []float32), sparse func(y []float32, a Mat, p *RowPattern, x []float32)) {
	benchTiers(b, func(b *testing.B) {
		for _, n := range []int{32, 64, 128, 256, 512} {
			for _, d := range []float64{0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5} {
				name := fmt.Sprintf("n=%d/density=%g", n, d)
				if d == 0 {
					name = fmt.Sprintf("n=%d/density=dense", n)
				}
				b.Run(name, func(b *testing.B) {
					a, x, y := benchMat(n, n), benchVec(n), make([]float32, n)
					op := func() { dense(y, a, x) }
					if d > 0 {
						p := randomPattern(a, d, rand.New(rand.NewPCG(1, 2)))
						op = func() { sparse(y, a, &p, x) }
					}
					loopCPU(b, op)
					reportGFLOPS(b, 2*float64(n)*float64(n))
				})
			}
		}
	})
}

// loopCPU runs op in b.Loop and reports cpu-ns/op, the process's CPU time per call:
// what to compare on a shared machine, where ns/op includes waits for a core.
func loopCPU(b *testing.B, op func()) {
	cpu0, ok0 := processCPUTime()
	for b.Loop() {
		op()
	}
	if cpu1, ok1 := processCPUTime(); ok0 && ok1 {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
}
