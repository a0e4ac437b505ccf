package cell_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/kernels"
)

// A minibatch step through packed weights (cell.WeightPacks) has the bits of the step
// through the weights themselves: the forward step and the backward step (state, input
// and parameter gradients), every kind, the orthogonal cell included, one to three layers,
// on every tier, with and without workers. The packs are a snapshot: after the weights
// change the packed step still gives the old weights' result on the tiers that pack, for
// a product large enough to run packed (so the packs are what the step read), Changed says so, and after Unpack the step reads the
// new weights.
func TestWeightPacksSameBits(t *testing.T) {
	cfgs := append(slices.Clone(testConfigs), cell.Config{Kind: cell.Orthogonal, Hidden: testH, Input: testI})
	w2 := kernels.NewWorkers(2)
	defer w2.Close()
	forEachTier(t, func(t *testing.T) {
		for _, cfg := range cfgs {
			for _, layers := range []int{1, 2, 3} {
				for _, B := range []int{2, 7, 33} {
					name := fmt.Sprintf("%s/L=%d/B=%d", configName(cfg), layers, B)
					f := newStackFixture(t, cfg, layers, uint64(B))
					m := f.m
					if err := m.ParamsChanged(); err != nil {
						t.Fatal(err)
					}
					S, P := m.StateSize(), m.NumParams()
					prev, x, dNext := randVec(f.rng, S*B), randVec(f.rng, m.InputSize()*B), randVec(f.rng, S*B)
					packs := m.NewWeightPacks(B)
					step := func(w *kernels.Workers, p *cell.WeightPacks) (next, dPrev, grad []float32) {
						k := m.NewBatchStepCache(B)
						k.SetWorkers(w)
						k.SetWeightPacks(p)
						next, dPrev, grad = make([]float32, S*B), make([]float32, S*B), make([]float32, P)
						m.Forward(k, next, prev, x)
						m.Backward(k, dPrev, grad, dNext)
						return next, dPrev, grad
					}
					wantNext, wantDPrev, wantGrad := step(nil, nil)
					packs.PackForward()
					packs.PackBackward()
					for _, w := range []*kernels.Workers{nil, w2} {
						next, dPrev, grad := step(w, packs)
						if !slices.Equal(next, wantNext) || !slices.Equal(dPrev, wantDPrev) || !slices.Equal(grad, wantGrad) {
							t.Errorf("%s on %d workers: the packed step has other bits than the plain one", name, w.Size())
						}
					}
					if packs.Changed() {
						t.Errorf("%s: Changed with the weights untouched", name)
					}
					l := m.Layers[layers-1]
					wih := l.Params()[l.Layout().WeightIH:l.Layout().WeightHH]
					for i := range wih {
						wih[i] += 0.25
					}
					if !packs.Changed() {
						t.Errorf("%s: Changed missed a change of W_ih", name)
					}
					next, _, _ := step(nil, packs)
					packed := kernels.PackedBytes(l.Layout().Gates*l.Layout().Hidden, l.InputSize(), B) > 0
					if packed && B == 33 && !slices.Equal(next, wantNext) {
						t.Errorf("%s: the packed step saw a weight written after PackForward", name)
					}
					packs.Unpack()
					next, _, _ = step(nil, packs)
					plain, _, _ := step(nil, nil)
					if !slices.Equal(next, plain) || slices.Equal(next, wantNext) {
						t.Errorf("%s: after Unpack the step does not read the new weights", name)
					}
				}
			}
		}
	})
}

// Changed sees a change of any single entry of W_ih or W_hh, down to its lowest bit,
// wherever it falls among the fingerprint's words and lanes (rows of 5 and 13 entries end
// in odd tails), and no change once the entry is back.
func TestWeightPacksChangedSeesEveryEntry(t *testing.T) {
	m, err := cell.NewStack(cell.Config{Kind: cell.GRU, Hidden: 13, Input: 5}, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		p := l.Params()
		for i := range p {
			p[i] = float32(i%11) * 0.125
		}
	}
	packs := m.NewWeightPacks(8)
	packs.PackForward()
	for li, l := range m.Layers {
		lay := l.Layout()
		w := l.Params()[lay.WeightIH:lay.BiasIH]
		for i := range w {
			old := w[i]
			w[i] = math.Float32frombits(math.Float32bits(old) ^ 1)
			if !packs.Changed() {
				t.Fatalf("layer %d: Changed missed a change of weight %d's lowest bit", li, i)
			}
			w[i] = old
			if packs.Changed() {
				t.Fatalf("layer %d: Changed after weight %d was put back", li, i)
			}
		}
	}
}

// BenchmarkWeightPacksChanged times the weight fingerprint that Changed takes (full BPTT
// takes it twice a minibatch), for LSTM n = 512 (2 Mi weights).
func BenchmarkWeightPacksChanged(b *testing.B) {
	m, err := cell.NewStack(cell.Config{Kind: cell.LSTM, Hidden: 512, Input: 512}, 1, 1)
	if err != nil {
		b.Fatal(err)
	}
	packs := m.NewWeightPacks(32)
	packs.PackForward()
	for b.Loop() {
		if packs.Changed() {
			b.Fatal("Changed with the weights untouched")
		}
	}
}
