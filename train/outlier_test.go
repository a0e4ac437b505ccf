package train_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/rtrl"
	"github.com/chronograd/chronograd/train"
)

// learnerFor builds an Online learner with the zero OnlineConfig (no clipping) on a fresh
// seeded GRU, exact RTRL and the named optimizer.
func learnerFor(t testing.TB, opt string) (*train.Online, *cell.Model) {
	t.Helper()
	m, err := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: 4, Input: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(6, 1))
	cell.InitDefault(m.Layers[0], rng)
	m.Head.InitDefault(rng)
	alg, err := rtrl.NewExact(m, rtrl.ExactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alg.Close() })
	var o train.Optimizer = &train.SGD{LR: 0.05}
	if opt == "adam" {
		o = &train.Adam{LR: 0.01}
	}
	l, err := train.NewOnline(m, alg, o, train.OnlineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return l, m
}

func weights(m *cell.Model) []float32 {
	return append(slices.Clone(m.Layers[0].Params()), m.Head.Params()...)
}

// event i of a well-behaved stream: a sine and its lagged copy.
func event(i int) (x, y []float32) {
	s := float32(math.Sin(float64(i) / 3))
	return []float32{s, float32(i%5) / 5}, []float32{0.5 * s}
}

// One outlier target (its loss is +Inf in float32) with clipping off, the zero
// OnlineConfig: Observe reports it as an error wrapping ErrNonFinite, applies no update
// (the weights keep their bits), and after Reset the learner goes on exactly as a twin
// that never saw the outlier. Before, Observe returned (+Inf, nil) and applied the
// update: SGD's weights then turned NaN and every later event failed, and Adam's second
// moment overflowed so later events changed almost nothing.
func TestOnlineOutlierLeavesNoTrace(t *testing.T) {
	for _, opt := range []string{"sgd", "adam"} {
		for _, outlier := range []float32{3e30, 1e20, -1e25} {
			l, m := learnerFor(t, opt)
			twin, tm := learnerFor(t, opt)
			pred := make([]float32, 1)
			for i := range 40 {
				x, y := event(i)
				if _, err := l.Observe(pred, x, y); err != nil {
					t.Fatal(err)
				}
				if _, err := twin.Observe(pred, x, y); err != nil {
					t.Fatal(err)
				}
			}
			before := weights(m)
			x, _ := event(40)
			loss, err := l.Observe(pred, x, []float32{outlier})
			if !errors.Is(err, train.ErrNonFinite) {
				t.Errorf("%s, target %g: Observe = (%v, %v), want an error wrapping ErrNonFinite", opt, outlier, loss, err)
			}
			if !slices.Equal(weights(m), before) {
				t.Errorf("%s, target %g: the refused event changed the weights", opt, outlier)
			}
			if err := l.Reset(); err != nil {
				t.Fatal(err)
			}
			if err := twin.Reset(); err != nil {
				t.Fatal(err)
			}
			for i := 41; i < 341; i++ {
				x, y := event(i)
				l1, err1 := l.Observe(pred, x, y)
				l2, err2 := twin.Observe(pred, x, y)
				if err1 != nil || err2 != nil || l1 != l2 || !slices.Equal(weights(m), weights(tm)) {
					t.Fatalf("%s, target %g: event %d after the outlier: (%v, %v), the twin (%v, %v); weights equal: %v",
						opt, outlier, i, l1, err1, l2, err2, slices.Equal(weights(m), weights(tm)))
				}
			}
		}
	}
}

// Without a Reset, a learner whose state an event drove out of float32 restarts its
// stream from the zero state rather than carrying NaN into every later event.
func TestOnlineNeverReturnsANonFiniteLossWithoutAnError(t *testing.T) {
	for _, opt := range []string{"sgd", "adam"} {
		l, m := learnerFor(t, opt)
		pred := make([]float32, 1)
		rng := rand.New(rand.NewPCG(1, 2))
		extremes := []float32{math.MaxFloat32, -math.MaxFloat32, 3e30, -1e20, 1e-45, 0}
		for i := range 400 {
			x, y := event(i)
			if i%7 == 3 {
				x[rng.IntN(2)] = extremes[rng.IntN(len(extremes))]
			}
			if i%11 == 5 {
				y[0] = extremes[rng.IntN(len(extremes))]
			}
			before := weights(m)
			loss, err := l.Observe(pred, x, y)
			if err == nil && (math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0)) {
				t.Fatalf("%s: event %d: loss %v with a nil error", opt, i, loss)
			}
			if err != nil && !slices.Equal(weights(m), before) {
				t.Fatalf("%s: event %d: the refused event (%v) changed the weights", opt, i, err)
			}
			for _, w := range weights(m) {
				if math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) {
					t.Fatalf("%s: event %d: weight %v", opt, i, w)
				}
			}
		}
		// A calm stream afterwards is learned again.
		for i := range 50 {
			x, y := event(i)
			if loss, err := l.Observe(pred, x, y); err != nil || math.IsNaN(float64(loss)) {
				t.Fatalf("%s: calm event %d after the storm: (%v, %v)", opt, i, loss, err)
			}
		}
	}
}
