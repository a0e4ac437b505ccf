package cell_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
	"github.com/chronograd/chronograd/internal/testutil"
)

const (
	testH = 7
	testI = 5
)

// testConfigs covers every kind at odd sizes, the vanilla ones with a leak too.
var testConfigs = []cell.Config{
	{Kind: cell.RNNTanh, Hidden: testH, Input: testI},
	{Kind: cell.RNNTanh, Hidden: testH, Input: testI, Alpha: 0.7},
	{Kind: cell.RNNReLU, Hidden: testH, Input: testI},
	{Kind: cell.RNNReLU, Hidden: testH, Input: testI, Alpha: 0.35},
	{Kind: cell.GRU, Hidden: testH, Input: testI},
	{Kind: cell.LSTM, Hidden: testH, Input: testI},
}

// forEachConfig runs f for every test config under every tier.
func forEachConfig(t *testing.T, f func(t *testing.T, cfg cell.Config)) {
	forEachTier(t, func(t *testing.T) {
		for _, cfg := range testConfigs {
			t.Run(configName(cfg), func(t *testing.T) { f(t, cfg) })
		}
	})
}

// fixture is a cell with seeded random parameters, a non-zero previous state and an
// input, and the matching float64 reference cell.
type fixture struct {
	c       cell.Cell
	r       *ref.Cell
	prev, x []float32
	rng     *rand.Rand
}

func newFixture(t *testing.T, cfg cell.Config, seed uint64) *fixture {
	t.Helper()
	c, err := cell.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	// Wider than PyTorch's default so that gates saturate unevenly and every term of the
	// derivatives matters.
	for i := range c.Params() {
		c.Params()[i] = float32(rng.NormFloat64() * 0.6)
	}
	f := &fixture{c: c, rng: rng, prev: randVec(rng, c.StateSize()), x: randVec(rng, c.InputSize())}
	f.r = &ref.Cell{Kind: cfg.Kind.String(), H: c.HiddenSize(), I: c.InputSize(), Alpha: float64(c.Alpha()), Params: to64(c.Params())}
	return f
}

func randVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// closeTo checks got against want with a float32-sized tolerance.
func closeTo(t *testing.T, what string, got []float32, want []float64, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		g, w := float64(got[i]), want[i]
		if !(math.Abs(g-w) <= atol+rtol*math.Abs(w)) {
			if bad < 5 {
				t.Errorf("%s[%d] = %.8g, want %.8g (diff %.3g)", what, i, g, w, g-w)
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d entries off", what, bad, len(got))
	}
}

const (
	fdEps = 1e-6
	atol  = 2e-5
	rtol  = 2e-4
)

// Shared with the other packages' tests.
var (
	forEachTier = testutil.ForEachTier
	configName  = testutil.ConfigName
)
