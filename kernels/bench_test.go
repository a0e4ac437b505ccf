package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmark names are read by other tools: Benchmark<Kernel>/<tier>/n=<n>, plus
// BenchmarkGemm/<tier>/rtrl/n=<n> for RTRL's n×n by n×n² product. Each reports GFLOP/s.
// BenchmarkTanh and BenchmarkSigmoid report elements/s instead.
//
//	go test ./kernels -run '^$' -bench . -count 5

var benchSizes = []int{32, 64, 128, 256, 512, 1024}

func benchTiers(b *testing.B, f func(b *testing.B)) {
	for _, tier := range Tiers() {
		b.Run(tier.String(), func(b *testing.B) {
			restore, err := UseTier(tier)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			f(b)
		})
	}
}

func reportGFLOPS(b *testing.B, flopsPerOp float64) {
	b.ReportMetric(flopsPerOp*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func benchVec(n int) []float32 {
	v := make([]float32, n)
	randFill(rand.New(rand.NewPCG(uint64(n), 1)), v)
	return v
}

func benchMat(rows, cols int) Mat {
	m := NewMat(rows, cols)
	randFill(rand.New(rand.NewPCG(uint64(rows), uint64(cols))), m.Data)
	for i := range m.Data {
		m.Data[i] *= 1e-3 // keep accumulating outputs far from overflow
	}
	return m
}

var sinkF32 float32

func BenchmarkDot(b *testing.B) {
	benchTiers(b, func(b *testing.B) {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
				x, y := benchVec(n), benchVec(n)
				var s float32
				for b.Loop() {
					s += Dot(x, y)
				}
				sinkF32 = s
				reportGFLOPS(b, 2*float64(n))
			})
		}
	})
}

func BenchmarkMatVec(b *testing.B) {
	benchTiers(b, func(b *testing.B) {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
				a, x, y := benchMat(n, n), benchVec(n), make([]float32, n)
				for b.Loop() {
					MatVec(y, a, x)
				}
				reportGFLOPS(b, 2*float64(n)*float64(n))
			})
		}
	})
}

func BenchmarkMatTVec(b *testing.B) {
	benchTiers(b, func(b *testing.B) {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
				a, x, y := benchMat(n, n), benchVec(n), make([]float32, n)
				for b.Loop() {
					MatTVecAdd(y, a, x)
				}
				reportGFLOPS(b, 2*float64(n)*float64(n))
			})
		}
	})
}

func BenchmarkGer(b *testing.B) {
	benchTiers(b, func(b *testing.B) {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
				a, x, y := benchMat(n, n), benchVec(n), benchVec(n)
				for b.Loop() {
					Ger(a, 1e-6, x, y)
				}
				reportGFLOPS(b, 2*float64(n)*float64(n))
			})
		}
	})
}

func BenchmarkGemm(b *testing.B) {
	benchTiers(b, func(b *testing.B) {
		for _, n := range []int{64, 128, 256, 512} {
			b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
				a, bm, c := benchMat(n, n), benchMat(n, n), NewMat(n, n)
				for b.Loop() {
					Gemm(c, a, bm)
				}
				reportGFLOPS(b, 2*float64(n)*float64(n)*float64(n))
			})
		}
		// A minibatch step's products (LSTM, n = I = 128, B = 32): the forward W·X, the
		// backward Wᵀ·G and the weight gradient's flush over 128 columns.
		b.Run("batch/fwd/M=512,N=32,K=128", func(b *testing.B) {
			a, x, c := benchMat(512, 128), benchMat(128, 32), NewMat(512, 32)
			for b.Loop() {
				Gemm(c, a, x)
			}
			reportGFLOPS(b, 2*512*32*128)
		})
		b.Run("batch/bwdTN/M=128,N=32,K=512", func(b *testing.B) {
			a, g, c := benchMat(512, 128), benchMat(512, 32), NewMat(128, 32)
			for b.Loop() {
				GemmTN(c, a, g)
			}
			reportGFLOPS(b, 2*512*32*128)
		})
		b.Run("batch/flush/M=512,N=128,K=128", func(b *testing.B) {
			g, x, c := benchMat(512, 128), benchMat(128, 128), NewMat(512, 128)
			for b.Loop() {
				GemmSeq(c, g, x)
			}
			reportGFLOPS(b, 2*512*128*128)
		})
		// The same step at n = 512 (LSTM, B = 32), where the weight matrix (4 MiB) is past
		// L2: the forward and backward products on the matrix as stored and packed once
		// (Packed), two matrices taken in turn as a step's W_ih and W_hh are.
		w1, w2, x, g := benchMat(2048, 512), benchMat(2048, 512), benchMat(512, 32), benchMat(2048, 32)
		c, ct := NewMat(2048, 32), NewMat(512, 32)
		var p1, p2, t1, t2 Packed
		p1.Pack(w1, 32)
		p2.Pack(w2, 32)
		t1.PackT(w1, 32)
		t2.PackT(w2, 32)
		for _, v := range []struct {
			name string
			f    func()
		}{
			{"batch/fwd/M=2048,N=32,K=512", func() { Gemm(c, w1, x); Gemm(c, w2, x) }},
			{"batch/fwd-packed/M=2048,N=32,K=512", func() { GemmPacked(c, &p1, x); GemmPacked(c, &p2, x) }},
			{"batch/bwdTN/M=512,N=32,K=2048", func() { GemmTN(ct, w1, g); GemmTN(ct, w2, g) }},
			{"batch/bwdTN-packed/M=512,N=32,K=2048", func() { GemmPacked(ct, &t1, g); GemmPacked(ct, &t2, g) }},
		} {
			b.Run(v.name, func(b *testing.B) {
				for b.Loop() {
					v.f()
				}
				reportGFLOPS(b, 2*2*2048*512*32)
			})
		}
		// Its weight-gradient flush: two steps' columns (K = 64) into ∂W_ih and ∂W_hh,
		// 4 MiB each.
		gi, xi, dw1, dw2 := benchMat(2048, 64), benchMat(64, 512), NewMat(2048, 512), NewMat(2048, 512)
		b.Run("batch/flush/M=2048,N=512,K=64", func(b *testing.B) {
			for b.Loop() {
				GemmSeq(dw1, gi, xi)
				GemmSeq(dw2, gi, xi)
			}
			reportGFLOPS(b, 2*2*2048*512*64)
		})
		for _, n := range []int{16, 32, 64} {
			b.Run(fmt.Sprintf("rtrl/n=%d", n), func(b *testing.B) {
				// C (n×n²) += J (n×n) · M (n×n²): the influence-matrix update.
				j, m, c := benchMat(n, n), benchMat(n, n*n), NewMat(n, n*n)
				for b.Loop() {
					Gemm(c, j, m)
				}
				reportGFLOPS(b, 2*float64(n)*float64(n)*float64(n*n))
			})
		}
	})
}

// benchActivation reports ns per call (the default) and elements per second. The inputs
// span [-8, 8], where every branch-free step of the kernels does real work.
func benchActivation(b *testing.B, f func(dst, x []float32)) {
	benchTiers(b, func(b *testing.B) {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
				x, dst := benchVec(n), make([]float32, n)
				for i := range x {
					x[i] *= 8
				}
				for b.Loop() {
					f(dst, x)
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "elements/s")
			})
		}
	})
}

func BenchmarkTanh(b *testing.B) { benchActivation(b, Tanh) }

func BenchmarkSigmoid(b *testing.B) { benchActivation(b, Sigmoid) }

// BenchmarkTranspose times Transpose on a minibatch's shapes (B = 32 sequences of 128
// features, both ways, as BPTT's input and its gradient batch transpose them) and on an
// odd one that takes every path, operands in cache; it reports GB/s of the source.
func BenchmarkTranspose(b *testing.B) {
	benchTiers(b, func(b *testing.B) {
		for _, sh := range [][2]int{{128, 32}, {32, 128}, {45, 33}} {
			rows, cols := sh[0], sh[1]
			b.Run(fmt.Sprintf("%dx%d", rows, cols), func(b *testing.B) {
				src, dst := benchMat(rows, cols), NewMat(cols, rows)
				for b.Loop() {
					Transpose(dst, src)
				}
				b.ReportMetric(float64(4*rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	})
}
