package expm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

func BenchmarkGemmCompare(b *testing.B) {
	for _, n := range []int{64, 128, 256, 512} {
		r := rand.New(rand.NewPCG(1, 2))
		x, y, z := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
		for i := range x {
			x[i], y[i] = r.NormFloat64(), r.NormFloat64()
		}
		pack := make([]float64, blockK*blockN)
		b.Run(fmt.Sprintf("own/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				gemm(n, n, n, 1, x, n, y, n, z, n, false, pack)
			}
			b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("gonum/n=%d", n), func(b *testing.B) {
			A := blas64.General{Rows: n, Cols: n, Stride: n, Data: x}
			B := blas64.General{Rows: n, Cols: n, Stride: n, Data: y}
			C := blas64.General{Rows: n, Cols: n, Stride: n, Data: z}
			for b.Loop() {
				blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, A, B, 0, C)
			}
			b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
