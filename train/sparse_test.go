package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/task"
	"github.com/chronograd/chronograd/train"
)

// spy is an optimizer that checks what it is handed and then misbehaves: it fails the
// test if a gradient is non-zero where a mask drops the weight, applies SGD, and then
// writes a non-zero into every dropped weight (as an optimizer with weight decay towards
// a non-zero prior, or one that mixes coordinates, could).
type spy struct {
	t       *testing.T
	m       *cell.Model
	sgd     train.SGD
	updates int
}

func (s *spy) Step(params, grads [][]float32) error {
	s.t.Helper()
	for k, l := range s.m.Layers {
		keep := cell.RecurrentMask(l)
		lay := l.Layout()
		g := grads[k][lay.WeightHH:lay.BiasIH]
		for i, kept := range keep {
			if !kept && g[i] != 0 {
				s.t.Fatalf("update %d: the optimizer got gradient %v for layer %d's dropped weight %d", s.updates, g[i], k, i)
			}
		}
	}
	if err := s.sgd.Step(params, grads); err != nil {
		return err
	}
	for k, l := range s.m.Layers {
		lay := l.Layout()
		w := params[k][lay.WeightHH:lay.BiasIH]
		for i := range w {
			w[i] += 0.25
		}
	}
	s.updates++
	return nil
}

func (s *spy) Reset() { s.sgd.Reset() }

// sampleSpecs gives, for every registry entry, a specification of it: the name alone, one
// integer 3, two (3,3) or the fraction 0.2, whichever parses first.
func sampleSpecs(t *testing.T) []algo.Spec {
	t.Helper()
	var out []algo.Spec
	for _, info := range algo.List() {
		found := false
		for _, params := range []string{"", ":3", ":3,3", ":0.2"} {
			if s, err := algo.Parse(info.Name + params); err == nil {
				out = append(out, s)
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("no sample parameters parse for %s", info.Name)
		}
	}
	return out
}

// dropped lists layer k's dropped W_hh weights and its kept ones.
func weightsOf(m *cell.Model, k int) (dropped, kept []float32) {
	l := m.Layers[k]
	lay := l.Layout()
	w := l.Params()[lay.WeightHH:lay.BiasIH]
	for i, keep := range cell.RecurrentMask(l) {
		if keep {
			kept = append(kept, w[i])
		} else {
			dropped = append(dropped, w[i])
		}
	}
	return dropped, kept
}

// Training never fills a dropped weight, with every algorithm of the registry, Adam,
// SGD with momentum and an optimizer that writes everywhere, online updates within a
// sequence or one per sequence: the optimizer never sees a gradient there, and whatever
// it writes is zeroed. The kept weights do learn.
func TestTrainingKeepsTheMask(t *testing.T) {
	tk, err := task.New("adding", 6)
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range sampleSpecs(t) {
		for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
			if spec.Supports(algo.DimsOf(kind, 8, 2, 1)) != nil {
				continue
			}
			for oi, name := range []string{"adam", "sgd", "spy"} {
				t.Run(fmt.Sprintf("%s/%v/%s", spec, kind, name), func(t *testing.T) {
					m := newModel(t, kind, 8, 2, 1, 3)
					if err := m.Sparsify(0.3, cell.MaskRandom, rand.New(rand.NewPCG(4, 4))); err != nil {
						t.Fatal(err)
					}
					_, before := weightsOf(m, 0)
					var opt train.Optimizer
					switch name {
					case "adam":
						opt = &train.Adam{LR: 0.01}
					case "sgd":
						opt = &train.SGD{LR: 0.05, Momentum: 0.9}
					default:
						opt = &spy{t: t, m: m, sgd: train.SGD{LR: 0.05}}
					}
					alg, err := spec.New(m, algo.Options{Steps: 6, Seed: 1})
					if err != nil {
						t.Fatal(err)
					}
					defer alg.Close()
					every := 0
					if alg.Online() {
						every = 1 + oi
					}
					if _, err := train.Run(context.Background(), train.Config{Model: m, Algorithm: alg, Optimizer: opt,
						Task: tk, Sequences: 4, UpdateEvery: every, ClipNorm: 1, EvalSequences: 1, Seed: 5}); err != nil {
						t.Fatal(err)
					}
					dropped, after := weightsOf(m, 0)
					if slices.ContainsFunc(dropped, func(v float32) bool { return v != 0 }) {
						t.Fatalf("a dropped weight was filled: %v", dropped)
					}
					if slices.Equal(before, after) {
						t.Fatal("no kept weight moved")
					}
				})
			}
		}
	}
}

// The online learner keeps the mask too.
func TestOnlineKeepsTheMask(t *testing.T) {
	m := newModel(t, cell.GRU, 10, 1, 1, 8)
	if err := m.Sparsify(0.2, cell.MaskMagnitude, nil); err != nil {
		t.Fatal(err)
	}
	alg, err := algo.MustParse("uoro").New(m, algo.Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer alg.Close()
	learner, err := train.NewOnline(m, alg, &spy{t: t, m: m, sgd: train.SGD{LR: 0.01}}, train.OnlineConfig{ClipNorm: 1})
	if err != nil {
		t.Fatal(err)
	}
	pred, x, y := make([]float32, 1), make([]float32, 1), make([]float32, 1)
	for i := range 50 {
		x[0], y[0] = float32(i%5)/5, float32(i%3)/3
		if _, err := learner.Observe(pred, x, y); err != nil {
			t.Fatal(err)
		}
	}
	if dropped, _ := weightsOf(m, 0); slices.ContainsFunc(dropped, func(v float32) bool { return v != 0 }) {
		t.Fatalf("a dropped weight was filled: %v", dropped)
	}
}
