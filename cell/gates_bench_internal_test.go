package cell

import (
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/kernels"
)

// benchBatchLayer returns a layer of the kind with H = I = 128 and scratch for a batch
// of B, a batch cache of uniform values in [0, 1) and the generator (seeded with seed)
// that drew them.
func benchBatchLayer(b *testing.B, kind Kind, B int, seed uint64) (*layer, *Cache, *rand.Rand) {
	b.Helper()
	c, err := New(Config{Kind: kind, Hidden: 128, Input: 128})
	if err != nil {
		b.Fatal(err)
	}
	l := c.(*layer)
	k := l.NewBatchCache(B)
	rng := rand.New(rand.NewPCG(seed, seed+1))
	for i := range k.data {
		k.data[i] = float32(rng.Float64())
	}
	l.use(B)
	return l, k, rng
}

// BenchmarkGateGradients times the backward gate loop of a minibatch step (H = 128,
// B = 32: blocks of 4096 floats, 16 KiB, where the cache's gate blocks and the layer's
// gate gradients would share their offsets within 4 KiB pages but for skewedScratch),
// per unit.
func BenchmarkGateGradients(b *testing.B) {
	for _, kind := range []Kind{RNNTanh, GRU, LSTM} {
		const B = 32
		l, k, rng := benchBatchLayer(b, kind, B, 1)
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

// BenchmarkLSTMDirectVJP times LSTM's direct VJP on the same minibatch blocks, per unit,
// on each kernel tier: the generic tier runs the scalar loop.
func BenchmarkLSTMDirectVJP(b *testing.B) {
	const B = 32
	l, k, rng := benchBatchLayer(b, LSTM, B, 3)
	v, dPrev := make([]float32, l.state*B), make([]float32, l.state*B)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	benchOnTiers(b, "", 128*B, "ns/unit", func() { l.eq.directVJP(l, k, dPrev, v) })
}

// BenchmarkForwardUpdates times the forward steps' state updates around the activations
// on minibatch blocks (H = 128, B = 32), per unit, on each kernel tier: the generic tier
// runs the scalar loops.
func BenchmarkForwardUpdates(b *testing.B) {
	const units = 128 * 32
	rng := rand.New(rand.NewPCG(5, 6))
	v := make([][]float32, 6)
	for j := range v {
		v[j] = make([]float32, units)
		for i := range v[j] {
			v[j][i] = rng.Float32()
		}
	}
	updates := []struct {
		name string
		run  func()
	}{
		{"rnn_tanh", func() {
			vanillaTanhStepGo(v[0], v[1], v[2], 0.7, 0.3, vanillaTanhStepSIMD(v[0], v[1], v[2], 0.7, 0.3))
		}},
		{"lstm", func() {
			lstmCellGo(v[0], v[1], v[2], v[3], v[4], v[5], lstmCellSIMD(v[0], v[1], v[2], v[3], v[4], v[5]))
		}},
		{"gru", func() {
			// The candidate adds into v[1]; keeping it bounded, the state update overwrites it.
			gruCandidateGo(v[0], v[1], v[2], v[3], gruCandidateSIMD(v[0], v[1], v[2], v[3]))
			gruStateGo(v[1], v[4], v[5], v[2], gruStateSIMD(v[1], v[4], v[5], v[2]))
		}},
	}
	for _, u := range updates {
		benchOnTiers(b, u.name+"/", units, "ns/unit", u.run)
	}
}

// BenchmarkBroadcastRows times a minibatch's bias broadcast (LSTM H = 128: 512 rows of
// B = 32), per float, on each kernel tier: the generic tier runs fill.
func BenchmarkBroadcastRows(b *testing.B) {
	const rows, B = 512, 32
	src, dst := make([]float32, rows), make([]float32, rows*B)
	benchOnTiers(b, "", rows*B, "ns/float", func() { broadcastRows(dst, src, B) })
}

// benchOnTiers times run as a sub-benchmark named prefix + the tier on each kernel tier,
// reporting the time per call over units as metric.
func benchOnTiers(b *testing.B, prefix string, units int, metric string, run func()) {
	for _, tier := range kernels.Tiers() {
		b.Run(prefix+tier.String(), func(b *testing.B) {
			restore, err := kernels.UseTier(tier)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			for b.Loop() {
				run()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(units), metric)
		})
	}
}
