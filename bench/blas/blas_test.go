package blas

import (
	"fmt"
	"os"
	"testing"

	"github.com/chronograd/chronograd/kernels"
)

// Every benchmark runs the same shapes with OpenBLAS (single thread) and with each
// chronograd tier this CPU supports, so one `go test -bench` run compares them side by
// side. Sub-benchmark names: <impl>/n=<n> (and <impl>/rtrl/n=<n> for Gemm), impl being
// openblas or a chronograd tier (generic, avx2, avx512, neon).

func TestMain(m *testing.M) {
	SetThreads(1)
	fmt.Fprintf(os.Stderr, "openblas: core %s, %d thread(s), config %q\n", Core(), Threads(), Config())
	os.Exit(m.Run())
}

var vecSizes = []int{32, 64, 128, 256, 512, 1024}

// repsFor spreads one cgo call (OpenBLAS) or one loop iteration (chronograd) over about
// 64K flops, so call overhead stays small next to the work at the smallest sizes.
func repsFor(flops int) int { return max(1, 65536/flops) }

func filled(n int, seed float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = seed + float32(i%13)*0.01
	}
	return s
}

func filledMat(rows, cols int, seed float32) kernels.Mat {
	return kernels.MatOf(rows, cols, filled(rows*cols, seed))
}

// run benchmarks f for OpenBLAS (blas) and every chronograd tier (lib) under name, each
// call of either doing reps operations of flops floating-point operations.
func run(b *testing.B, name string, flops, reps int, blas func(reps int), lib func()) {
	report := func(b *testing.B) {
		b.ReportMetric(float64(flops)*float64(reps)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	b.Run("openblas/"+name, func(b *testing.B) {
		for b.Loop() {
			blas(reps)
		}
		report(b)
	})
	for _, tier := range kernels.Tiers() {
		b.Run(tier.String()+"/"+name, func(b *testing.B) {
			restore, err := kernels.UseTier(tier)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			for b.Loop() {
				for range reps {
					lib()
				}
			}
			report(b)
		})
	}
}

func BenchmarkDot(b *testing.B) {
	for _, n := range vecSizes {
		x, y := filled(n, 0.5), filled(n, -0.25)
		var sink float32
		run(b, fmt.Sprintf("n=%d", n), 2*n, repsFor(2*n),
			func(reps int) { sink += Sdot(x, y, reps) },
			func() { sink += kernels.Dot(x, y) })
		_ = sink
	}
}

func BenchmarkMatVec(b *testing.B) {
	for _, n := range vecSizes {
		a, x, y := filledMat(n, n, 0.1), filled(n, 0.5), make([]float32, n)
		run(b, fmt.Sprintf("n=%d", n), 2*n*n, repsFor(2*n*n),
			func(reps int) { Sgemv(false, y, a, x, reps) },
			func() { kernels.MatVec(y, a, x) })
	}
}

func BenchmarkMatTVec(b *testing.B) {
	for _, n := range vecSizes {
		a, x, y := filledMat(n, n, 0.1), filled(n, 0.5), make([]float32, n)
		run(b, fmt.Sprintf("n=%d", n), 2*n*n, repsFor(2*n*n),
			func(reps int) { Sgemv(true, y, a, x, reps) },
			func() { kernels.MatTVecAdd(y, a, x) })
	}
}

func BenchmarkGer(b *testing.B) {
	for _, n := range vecSizes {
		a, x, y := filledMat(n, n, 0.1), filled(n, 0.5), filled(n, -0.5)
		// alpha is tiny so that repeated updates keep A finite and in the normal range.
		const alpha = 1e-6
		run(b, fmt.Sprintf("n=%d", n), 2*n*n, repsFor(2*n*n),
			func(reps int) { Sger(a, alpha, x, y, reps) },
			func() { kernels.Ger(a, alpha, x, y) })
	}
}

func BenchmarkGemm(b *testing.B) {
	gemm := func(name string, m, n, k int) {
		a, bm, c := filledMat(m, k, 0.01), filledMat(k, n, -0.01), filledMat(m, n, 0)
		flops := 2 * m * n * k
		run(b, name, flops, repsFor(flops),
			func(reps int) { Sgemm(c, a, bm, reps) },
			func() { kernels.Gemm(c, a, bm) })
	}
	for _, n := range []int{64, 128, 256, 512} {
		gemm(fmt.Sprintf("n=%d", n), n, n, n)
	}
	// RTRL's sensitivity update: M (n×n²) += J (n×n) · M_prev (n×n²).
	for _, n := range []int{16, 32, 64} {
		gemm(fmt.Sprintf("rtrl/n=%d", n), n, n*n, n)
	}
}

// TestAgree checks that the wrappers call OpenBLAS correctly, so the benchmarks compare
// like with like: every routine against the chronograd kernel on one odd size.
func TestAgree(t *testing.T) {
	const m, n, k = 37, 29, 23
	near := func(what string, got, want []float32) {
		t.Helper()
		for i := range got {
			if d := got[i] - want[i]; d > 1e-3 || d < -1e-3 {
				t.Fatalf("%s[%d]: openblas %v, chronograd %v", what, i, got[i], want[i])
			}
		}
	}
	a, bm := filledMat(m, k, 0.3), filledMat(k, n, -0.2)
	c1, c2 := filledMat(m, n, 1), filledMat(m, n, 1)
	Sgemm(c1, a, bm, 1)
	kernels.Gemm(c2, a, bm)
	near("sgemm", c1.Data, c2.Data)

	x, y1, y2 := filled(k, 0.5), make([]float32, m), make([]float32, m)
	Sgemv(false, y1, a, x, 1)
	kernels.MatVec(y2, a, x)
	near("sgemv", y1, y2)

	xt, yt1, yt2 := filled(m, 0.5), filled(k, 1), filled(k, 1)
	Sgemv(true, yt1, a, xt, 1)
	kernels.MatTVecAdd(yt2, a, xt)
	near("sgemv trans", yt1, yt2)

	a1, a2 := filledMat(m, k, 0.3), filledMat(m, k, 0.3)
	Sger(a1, 0.7, xt, x, 1)
	kernels.Ger(a2, 0.7, xt, x)
	near("sger", a1.Data, a2.Data)

	near("sdot", []float32{Sdot(x, x, 1)}, []float32{kernels.Dot(x, x)})
}
