package cell

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkGateGradients times the backward gate loop of a minibatch step (H = 128,
// B = 32: blocks of 4096 floats, 16 KiB, where the cache's gate blocks and the layer's
// gate gradients would share their offsets within 4 KiB pages but for skewedScratch),
// per unit.
func BenchmarkGateGradients(b *testing.B) {
	for _, kind := range []Kind{RNNTanh, GRU, LSTM} {
		c, err := New(Config{Kind: kind, Hidden: 128, Input: 128})
		if err != nil {
			b.Fatal(err)
		}
		l := c.(*layer)
		const B = 32
		k := l.NewBatchCache(B)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range k.data {
			k.data[i] = float32(rng.Float64())
		}
		l.use(B)
		v := make([]float32, l.state*B)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		b.Run(kind.String(), func(b *testing.B) {
			for b.Loop() {
				l.eq.gateGradients(l, k, v)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(128*B), "ns/unit")
		})
	}
}
