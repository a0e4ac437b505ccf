//go:build !purego && (amd64 || arm64)

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The micro-kernel's prefetching loop (a packed A at least gemmStreamBytes long) keeps
// the bits: with every packed product streaming, and with none, GemmPacked (serial and
// on workers) and its PackT form equal Gemm and GemmTN, which never stream, on every
// tier; and a 4 MiB A, which streams by default, too.
func TestPackedStreamSameBits(t *testing.T) {
	defer func(v int64) { gemmStreamBytes = v }(gemmStreamBytes)
	pool := NewWorkers(2)
	defer pool.Close()
	var p, pt Packed
	for _, tier := range Tiers() {
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range [][4]int{{130, 17, 257, 0}, {512, 32, 128, 0}, {128, 32, 512, 0}, {130, 8, 257, 0}, {2048, 32, 512, 2 << 20}, {2048, 8, 512, 2 << 20}} {
			m, n, k := s[0], s[1], s[2]
			gemmStreamBytes = int64(s[3])
			rng := rand.New(rand.NewPCG(uint64(m), uint64(n*k)))
			a := newGemmCase(rng, m, n, k, 0).a
			at := transposeMat(a, 0)
			b := newGemmCase(rng, k, 1, n, 0).a
			c0 := NewMat(m, n)
			randFill(rng, c0.Data)
			want, wantT := NewMat(m, n), NewMat(m, n)
			copy(want.Data, c0.Data)
			copy(wantT.Data, c0.Data)
			Gemm(want, a, b)
			GemmTN(wantT, at, b)
			p.Pack(a, n)
			pt.PackT(at, n)
			if tier != Generic && s[3] > 0 && p.Bytes() < gemmStreamBytes {
				t.Fatalf("%v %dx%dx%d: packed A is %d bytes, below the %d that stream", tier, m, n, k, p.Bytes(), gemmStreamBytes)
			}
			for _, w := range []*Workers{nil, pool} {
				for _, c := range []struct {
					name string
					p    *Packed
					want Mat
				}{{"Pack", &p, want}, {"PackT", &pt, wantT}} {
					got := NewMat(m, n)
					copy(got.Data, c0.Data)
					GemmPackedOn(w, got, c.p, b)
					for i := range got.Data {
						if math.Float32bits(got.Data[i]) != math.Float32bits(c.want.Data[i]) {
							t.Fatalf("%v %dx%dx%d %s workers %v stream from %d bytes: c[%d] = %v, want %v", tier, m, n, k, c.name, w != nil, gemmStreamBytes, i, got.Data[i], c.want.Data[i])
						}
					}
				}
			}
		}
		restore()
	}
}

// BenchmarkGemmPackedStream times a minibatch step's products with a large packed A (the
// forward W·x and the backward Wᵀ·δ of an LSTM at n = 512, B = 32 and 8, the 6×16 and
// the 12×8 tiles; 4 MiB each) cycling
// through eight copies, so that A comes from memory as in a step that sweeps its tape,
// with the micro-kernel's prefetching on and off in turn: GFLOP/s of each and the median
// of off's time over on's (speedup).
func BenchmarkGemmPackedStream(b *testing.B) {
	defer func(v int64) { gemmStreamBytes = v }(gemmStreamBytes)
	for _, s := range [][3]int{{2048, 32, 512}, {512, 32, 2048}, {2048, 8, 512}, {512, 8, 2048}} {
		m, n, k := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
			ps := make([]Packed, 8)
			for i := range ps {
				ps[i].Pack(benchMat(m, k), n)
			}
			x, c := benchMat(k, n), NewMat(m, n)
			var on, off time.Duration
			var ratios []float64
			i := 0
			for b.Loop() {
				gemmStreamBytes = 0
				t0 := time.Now()
				GemmPacked(c, &ps[i%len(ps)], x)
				t1 := time.Now()
				gemmStreamBytes = math.MaxInt64
				GemmPacked(c, &ps[(i+1)%len(ps)], x)
				t2 := time.Now()
				on, off = on+t1.Sub(t0), off+t2.Sub(t1)
				ratios = append(ratios, float64(t2.Sub(t1))/float64(t1.Sub(t0)))
				i += 2
			}
			slices.Sort(ratios)
			flops := 2 * float64(m*n*k) * float64(b.N)
			b.ReportMetric(flops/on.Seconds()/1e9, "on-GFLOP/s")
			b.ReportMetric(flops/off.Seconds()/1e9, "off-GFLOP/s")
			b.ReportMetric(ratios[len(ratios)/2], "speedup")
		})
	}
}
