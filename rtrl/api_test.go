package rtrl

import (
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
)

// algoCells lists every algorithm with the cells it accepts.
var algoCells = []struct {
	algo string
	opts []Option
	cfgs []cell.Config
}{
	{"rtrl", nil, testConfigs},
	{"rtrl", []Option{Workers(2)}, testConfigs},
	{"snap1", nil, testConfigs},
	{"uoro", nil, testConfigs},
	{"rflo", nil, testConfigs[:4]},
	{"rflo", []Option{FeedbackAlignment()}, testConfigs[:2]},
	{"eprop", nil, testConfigs[5:]},
	{"eprop", []Option{FeedbackAlignment()}, testConfigs[5:]},
	{"kfrtrl", nil, testConfigs[:4]},
	{"rkfrtrl", nil, testConfigs[:4]},
	{"dni", nil, testConfigs},
}

// TestStepAllocatesNothing: after the first step, a step (with or without a target) and
// a Reset allocate nothing.
func TestStepAllocatesNothing(t *testing.T) {
	for _, ac := range algoCells {
		for _, cfg := range ac.cfgs {
			p := newProblem(t, cfg, 2, 11)
			a := mustNew(t, ac.algo, p, ac.opts...)
			if _, err := a.Step(p.xs[0], cell.Values(p.ys[0])); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(50, func() {
				if _, err := a.Step(p.xs[0], cell.Values(p.ys[0])); err != nil {
					t.Fatal(err)
				}
				if _, err := a.Step(p.xs[1], cell.Target{}); err != nil {
					t.Fatal(err)
				}
				if err := a.Reset(p.s0); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s %v/%s: %v allocations per step", ac.algo, ac.opts, configName(cfg), allocs)
			}
			a.Close()
		}
	}
}

// TestBytes: every algorithm reports at least the memory of what defines it, and exact
// RTRL's S×P influence matrix dwarfs the approximations' O(n²) traces.
func TestBytes(t *testing.T) {
	cfg := cell.Config{Kind: cell.LSTM, Hidden: 16, Input: 16}
	p := newProblem(t, cfg, 1, 12)
	s, params := int64(p.c.StateSize()), int64(p.c.NumParams())
	floor := map[string]int64{
		"rtrl":  4 * s * params,   // M, updated in place
		"snap1": 4 * 2 * params,   // (h, c) entries per parameter
		"uoro":  4 * (s + params), // s̃, θ̃
		"eprop": 4 * 3 * 16 * 33,  // ε for gates i, f, g
	}
	var exact int64
	for _, name := range []string{"rtrl", "snap1", "uoro", "eprop"} {
		b := mustNew(t, name, p).Bytes()
		t.Logf("%s: %d bytes", name, b)
		if b < floor[name] {
			t.Errorf("%s reports %d bytes, below the %d its state needs", name, b, floor[name])
		}
		if name == "rtrl" {
			exact = b
		} else if b*8 > exact {
			t.Errorf("%s reports %d bytes, not much below exact RTRL's %d", name, b, exact)
		}
	}
	v := newProblem(t, testConfigs[0], 1, 12)
	if b, floor := mustNew(t, "rflo", v).Bytes(), int64(4*testH*(testH+testI+1)); b < floor {
		t.Errorf("rflo reports %d bytes, below its trace's %d", b, floor)
	}
}

// TestErrors: bad input is an error naming what is wrong, never a panic, and a failed
// step changes nothing.
func TestErrors(t *testing.T) {
	p := newProblem(t, testConfigs[4], 1, 13) // GRU
	lstm := newProblem(t, testConfigs[5], 1, 13)
	wantErr := func(what string, err error, substr string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
		} else if !strings.Contains(err.Error(), substr) {
			t.Errorf("%s: error %q does not mention %q", what, err, substr)
		}
	}
	_, err := NewRFLO(p.model(), FeedbackOptions{})
	wantErr("rflo on gru", err, "rnn_tanh")
	_, err = NewEProp(p.model(), FeedbackOptions{})
	wantErr("eprop on gru", err, "lstm")
	_, err = NewExact(p.model(), ExactOptions{Workers: -1})
	wantErr("Workers -1", err, "workers")
	_, err = NewUORO(p.model(), UOROOptions{Epsilon: -1})
	wantErr("Epsilon -1", err, "Epsilon")
	_, err = NewUORO(nil, UOROOptions{})
	wantErr("nil model", err, "nil model")
	_, err = NewUORO(&cell.Model{Head: p.head}, UOROOptions{})
	wantErr("no layer", err, "at least one layer")
	_, err = NewUORO(&cell.Model{Layers: []cell.Cell{p.c}}, UOROOptions{})
	wantErr("no readout", err, "no readout")
	if _, err = NewExact(&cell.Model{Layers: []cell.Cell{p.c}, Head: lstm.head}, ExactOptions{}); err != nil {
		t.Fatalf("same hidden size: %v", err)
	}
	wide, _ := cell.NewReadout(2, testH+1)
	_, err = NewExact(&cell.Model{Layers: []cell.Cell{p.c}, Head: wide}, ExactOptions{})
	wantErr("readout size", err, "hidden units")

	for _, name := range []string{"rtrl", "snap1", "uoro", "eprop"} {
		q := p
		if name == "eprop" {
			q = lstm
		}
		a := mustNew(t, name, q)
		if err := a.Reset(q.s0); err != nil {
			t.Fatal(err)
		}
		wantErr(name+": short s0", a.Reset(q.s0[1:]), "initial state")
		_, err := a.Step(q.xs[0][1:], cell.Values(q.ys[0]))
		wantErr(name+": short x", err, "input")
		_, err = a.Step(q.xs[0], cell.Values([]float32{1}))
		wantErr(name+": short y", err, "target")
		for i, s := range a.State() {
			if s != q.s0[i] {
				t.Fatalf("%s: a failed step or Reset changed the state", name)
			}
		}
		for _, g := range a.GradCell() {
			if g != 0 {
				t.Fatalf("%s: a failed step changed the gradient", name)
			}
		}
	}
}
