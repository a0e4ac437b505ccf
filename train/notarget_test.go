package train_test

import (
	"testing"

	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/rtrl"
	"github.com/chronograd/chronograd/train"
)

// An event without a target advances the state but never runs the optimizer: Adam's
// momentum alone would move the weights on a zero gradient, and SGD would spend a pass
// over the parameters adding zeros. Neither counts toward UpdateEvery either: the
// update comes after every UpdateEvery events that have a target.
func TestObserveWithoutTargetNeverUpdates(t *testing.T) {
	m := newModel(t, cell.GRU, 6, 2, 2, 11)
	alg, err := rtrl.NewSnAp1(m, rtrl.SnAp1Options{})
	if err != nil {
		t.Fatal(err)
	}
	learner, err := train.NewOnline(m, alg, &train.Adam{LR: 0.01}, train.OnlineConfig{UpdateEvery: 3, ClipNorm: 1})
	if err != nil {
		t.Fatal(err)
	}
	pred, x, y := make([]float32, 2), []float32{0.3, -0.7}, []float32{0.1, 0.2}
	weights := func() []float32 {
		return append(append([]float32(nil), m.Layers[0].Params()...), m.Head.Params()...)
	}
	observe := func(y []float32) {
		t.Helper()
		if _, err := learner.Observe(pred, x, y); err != nil {
			t.Fatal(err)
		}
	}
	for range 6 { // two updates: Adam has momentum now
		observe(y)
	}
	if learner.Updates() != 2 {
		t.Fatalf("%d updates after 6 events with targets and UpdateEvery 3, want 2", learner.Updates())
	}
	before, state := weights(), append([]float32(nil), alg.State()...)
	for range 10 {
		observe(nil)
	}
	// A class target of IgnoreClass is no target either.
	if _, err := learner.ObserveTarget(pred, x, cell.Classes(cell.IgnoreClass)); err != nil {
		t.Fatal(err)
	}
	after := weights()
	for i := range before {
		if after[i] != before[i] {
			t.Fatalf("weight %d moved from %v to %v on events without a target", i, before[i], after[i])
		}
	}
	if learner.Updates() != 2 || learner.Events() != 17 {
		t.Fatalf("%d updates, %d events; want 2 and 17", learner.Updates(), learner.Events())
	}
	same := true
	for i, v := range alg.State() {
		same = same && v == state[i]
	}
	if same {
		t.Fatal("events without a target did not advance the state")
	}
	// Two more events with a target complete the third update (the untargeted events
	// did not count toward it).
	observe(y)
	observe(y)
	if learner.Updates() != 2 {
		t.Fatalf("the update came early: %d updates", learner.Updates())
	}
	observe(y)
	if learner.Updates() != 3 {
		t.Fatalf("%d updates after the ninth event with a target, want 3", learner.Updates())
	}
}

// Truncated BPTT's gradient comes every K1 steps; a learner with UpdateEvery = K1 sees
// the same updates with or without untargeted events mixed in, as long as the windows
// hold targets.
func TestObserveWithoutTargetTBPTT(t *testing.T) {
	m := newModel(t, cell.RNNTanh, 5, 1, 1, 12)
	alg, err := bptt.NewTruncated(m, bptt.TruncatedOptions{K1: 2, K2: 4})
	if err != nil {
		t.Fatal(err)
	}
	learner, err := train.NewOnline(m, alg, &train.SGD{LR: 0.05, Momentum: 0.9}, train.OnlineConfig{UpdateEvery: 2})
	if err != nil {
		t.Fatal(err)
	}
	pred := make([]float32, 1)
	before := append([]float32(nil), m.Layers[0].Params()...)
	for i := range 20 {
		if _, err := learner.Observe(pred, []float32{float32(i%3) - 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range m.Layers[0].Params() {
		if v != before[i] {
			t.Fatalf("weight %d moved on events without a target", i)
		}
	}
	if learner.Updates() != 0 {
		t.Fatalf("%d updates without a target", learner.Updates())
	}
}

// A steady-state event allocates nothing, with or without a target, and so does the
// update it triggers.
func TestObserveAllocatesNothing(t *testing.T) {
	for _, spec := range []string{"snap1", "uoro", "rtrl", "tbptt:3,5"} {
		s := learnerSetup{spec, cell.GRU, 1, adam, train.OnlineConfig{ClipNorm: 1, UpdateEvery: 2}}
		l := s.newLearner(t, 4)
		evs := events(6, 64, 2, 2)
		feed(t, l, evs, 2) // the first update allocates Adam's moments
		pred, i := make([]float32, 2), 0
		allocs := testing.AllocsPerRun(200, func() {
			e := evs[i%len(evs)]
			i++
			if _, err := l.Observe(pred, e.x, e.y); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: Observe allocates %v times per event", spec, allocs)
		}
	}
}
