package algo_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
)

func attentionModel(t *testing.T, kind cell.Kind, layers, h, in, out int, cfg cell.AttentionConfig) *cell.Model {
	t.Helper()
	m, err := cell.NewStack(cell.Config{Kind: kind, Hidden: h, Input: in}, layers, out)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddAttention(cfg); err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(2, 3)), cell.InitDefault)
	return m
}

// A model with an attention component is trained by bptt (its exact gradient) and sab
// only; every other algorithm refuses it with one line naming the algorithm and the
// attention, and sab refuses a model without one, naming the kind.
func TestAttentionSupport(t *testing.T) {
	cfg := cell.AttentionConfig{KAtt: 2, KTop: 2, M: 4}
	for _, spec := range specs(t) {
		for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
			m := attentionModel(t, kind, 1, 6, 3, 2, cfg)
			a, err := spec.New(m, algo.Options{Steps: 12})
			info := spec.Info()
			if !info.Attention {
				if err == nil || a != nil || !strings.Contains(err.Error(), spec.Name()) || !strings.Contains(err.Error(), "attention") || strings.Contains(err.Error(), "\n") {
					t.Errorf("%s on an attention model: %v, %v; want one line refusing it", spec, a, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s on an attention %v model: %v", spec, kind, err)
			}
			if l := run(t, a, 3, 2, 12, 1); !(l > 0) {
				t.Errorf("%s: loss %v", spec, l)
			}
			if got, want := a.Online(), info.Online && cfg.M > 0; got != want {
				t.Errorf("%s: Online() = %v, want %v", spec, got, want)
			}
			a.Close()
			if info.NeedsAttention {
				plain := newModel(t, kind, 6, 3, 2, 1)
				_, err := spec.New(plain, algo.Options{})
				if err == nil || !strings.Contains(err.Error(), kind.String()) || !strings.Contains(err.Error(), "attention") {
					t.Errorf("%s on a model without attention: %v", spec, err)
				}
			}
		}
	}
}

// The memory model predicts Bytes exactly for the algorithms that train attention
// models, over memories bounded and not, windows that divide k_att and not, stacks.
func TestAttentionMemoryModel(t *testing.T) {
	for _, s := range []string{"bptt", "sab:1", "sab:3", "sab:4", "sab:10", "sab:64"} {
		spec := algo.MustParse(s)
		for _, cfg := range []cell.AttentionConfig{{KAtt: 1, KTop: 2}, {KAtt: 4, KTop: 2, M: 3}, {KAtt: 3, KTop: 1, M: 1}, {KAtt: 10, KTop: 5, M: 16}, {KAtt: 2, KTop: 3, M: 50}} {
			for _, sz := range []struct{ layers, h, in, out, T int }{{1, 5, 3, 2, 9}, {2, 16, 7, 3, 40}, {1, 9, 1, 1, 150}} {
				m := attentionModel(t, cell.LSTM, sz.layers, sz.h, sz.in, sz.out, cfg)
				o := algo.Options{Steps: sz.T}
				a, err := spec.New(m, o)
				if err != nil {
					t.Fatal(err)
				}
				run(t, a, sz.in, sz.out, sz.T, 2)
				run(t, a, sz.in, sz.out, sz.T, 3)
				got, want := a.Bytes(), spec.Bytes(algo.DimsOfModel(m), o)
				a.Close()
				if got != want {
					t.Errorf("%s attention %s L=%d H=%d T=%d: Bytes %d, the model says %d", spec, cfg, sz.layers, sz.h, sz.T, got, want)
				}
			}
		}
	}
}

// SAB is in the profile, on a model with the profile's attention.
func TestProfileIncludesSAB(t *testing.T) {
	found := false
	for _, s := range algo.Profiled(cell.LSTM, 100) {
		if s.Info().NeedsAttention {
			found = true
			if c := s.ProfileAttention(100); c.Check() != nil || c.KAtt == 0 {
				t.Errorf("%s: profile attention %+v", s, c)
			}
			d := algo.DimsOf(cell.LSTM, 32, 8, 1)
			d.Attention = s.ProfileAttention(100)
			if f := s.FLOPsPerStep(d); !(f > algo.MustParse("bptt").FLOPsPerStep(algo.DimsOf(cell.LSTM, 32, 8, 1))/3) {
				t.Errorf("%s: %v FLOPs per step", s, f)
			}
		}
	}
	if !found {
		t.Error("no algorithm that needs an attention model is profiled")
	}
}
