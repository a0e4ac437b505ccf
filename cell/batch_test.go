package cell_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/chronograd/chronograd/cell"
)

// fm writes the rows (one per sequence) feature-major: element f·B + b is rows[b][f].
func fm(rows [][]float32) []float32 {
	b, n := len(rows), len(rows[0])
	out := make([]float32, b*n)
	for j, r := range rows {
		for f, v := range r {
			out[f*b+j] = v
		}
	}
	return out
}

// column is sequence j's part of a feature-major vector of b sequences.
func column(v []float32, b, j int) []float32 {
	out := make([]float32, len(v)/b)
	for f := range out {
		out[f] = v[f*b+j]
	}
	return out
}

func to64f(v []float32) []float64 { return to64(v) }

// A minibatch step is each sequence's own step: Forward, the VJP (state, input and the
// parameter gradient summed over the batch) and the readout, for every kind on every tier,
// against one-sequence steps (products in another order: within float32 rounding); and
// BackwardBatch is Backward bit for bit.
func TestBatchStepIsEachSequencesStep(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg cell.Config) {
		for _, b := range []int{2, 5, 33} {
			t.Run(fmt.Sprint("B=", b), func(t *testing.T) {
				f := newFixture(t, cfg, uint64(b))
				c := f.c
				S, I, P := c.StateSize(), c.InputSize(), c.NumParams()
				var prevs, xs, dNexts [][]float32
				for range b {
					prevs = append(prevs, randVec(f.rng, S))
					xs = append(xs, randVec(f.rng, I))
					dNexts = append(dNexts, randVec(f.rng, S))
				}
				k := c.NewBatchCache(b)
				next := make([]float32, S*b)
				c.Forward(k, next, fm(prevs), fm(xs))
				dPrev, dx, grad := make([]float32, S*b), make([]float32, I*b), make([]float32, P)
				c.Backward(k, dPrev, dx, grad, fm(dNexts))

				one := c.NewCache()
				wantGrad := make([]float64, P)
				for j := range b {
					n1 := make([]float32, S)
					c.Forward(one, n1, prevs[j], xs[j])
					closeTo(t, "s_t", column(next, b, j), to64f(n1), 1e-6, 1e-5)
					dp, dxx, g := make([]float32, S), make([]float32, I), make([]float32, P)
					c.Backward(one, dp, dxx, g, dNexts[j])
					closeTo(t, "dPrev", column(dPrev, b, j), to64f(dp), 1e-6, 1e-5)
					closeTo(t, "dx", column(dx, b, j), to64f(dxx), 1e-6, 1e-5)
					for i, v := range g {
						wantGrad[i] += float64(v)
					}
				}
				closeTo(t, "∂θ", grad, wantGrad, 1e-5, 1e-5)

				// BackwardBatch: the same bits as Backward, through a few flushes.
				gb, err := cell.NewGradBatch(c, 2*b)
				if err != nil {
					t.Fatal(err)
				}
				grad2 := make([]float32, P)
				dPrev2 := make([]float32, S*b)
				for range 3 {
					c.BackwardBatch(k, dPrev2, nil, grad2, gb, fm(dNexts))
				}
				gb.Flush(grad2)
				grad3 := make([]float32, P)
				for range 3 {
					c.Backward(k, dPrev, nil, grad3, fm(dNexts))
				}
				if !slices.Equal(grad2, grad3) || !slices.Equal(dPrev, dPrev2) {
					t.Errorf("BackwardBatch differs from Backward")
				}
			})
		}
	})
}

// The stacked model and the readout run a minibatch as each sequence on its own.
func TestBatchModelAndReadout(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, cfg := range testConfigs {
			const b = 6
			f := newStackFixture(t, cfg, 3, 4)
			m := f.m
			for i := range m.Head.Params() {
				m.Head.Params()[i] = float32(f.rng.NormFloat64() * 0.5)
			}
			S, I, P, H, O := m.StateSize(), m.InputSize(), m.NumParams(), m.HiddenSize(), m.OutSize()
			var prevs, xs, dNexts, dys [][]float32
			for range b {
				prevs = append(prevs, randVec(f.rng, S))
				xs = append(xs, randVec(f.rng, I))
				dNexts = append(dNexts, randVec(f.rng, S))
				dys = append(dys, randVec(f.rng, O))
			}
			k := m.NewBatchStepCache(b)
			next := make([]float32, S*b)
			m.Forward(k, next, fm(prevs), fm(xs))
			dPrev, grad := make([]float32, S*b), make([]float32, P)
			m.Backward(k, dPrev, grad, fm(dNexts))
			top := m.StateOffset(2) * b
			yhat := make([]float32, O*b)
			m.Head.Forward(yhat, next[top:top+H*b])
			dh, hgrad := make([]float32, H*b), make([]float32, m.Head.NumParams())
			m.Head.Backward(dh, hgrad, next[top:top+H*b], fm(dys))

			one := m.NewStepCache()
			wantGrad, wantHead := make([]float64, P), make([]float64, m.Head.NumParams())
			for j := range b {
				n1 := make([]float32, S)
				m.Forward(one, n1, prevs[j], xs[j])
				closeTo(t, "s_t", column(next, b, j), to64f(n1), 1e-6, 1e-5)
				dp, g := make([]float32, S), make([]float32, P)
				m.Backward(one, dp, g, dNexts[j])
				closeTo(t, "dPrev", column(dPrev, b, j), to64f(dp), 1e-6, 1e-5)
				for i, v := range g {
					wantGrad[i] += float64(v)
				}
				h1 := m.TopHidden(n1)
				y1 := make([]float32, O)
				m.Head.Forward(y1, h1)
				closeTo(t, "ŷ", column(yhat, b, j), to64f(y1), 1e-6, 1e-5)
				dh1, hg := make([]float32, H), make([]float32, m.Head.NumParams())
				m.Head.Backward(dh1, hg, h1, dys[j])
				closeTo(t, "∂h", column(dh, b, j), to64f(dh1), 1e-6, 1e-5)
				for i, v := range hg {
					wantHead[i] += float64(v)
				}
			}
			closeTo(t, "∂θ", grad, wantGrad, 1e-5, 1e-5)
			closeTo(t, "∂head", hgrad, wantHead, 1e-5, 1e-5)

			// A sequence of the batch, copied out, is the one-sequence cache.
			seq := m.NewStepCache()
			k.CopySequence(seq, 4)
			n1 := make([]float32, S)
			m.Forward(one, n1, prevs[4], xs[4])
			for l := range m.Layers {
				if !closeEnough(seq.Layer(l).Prev(), one.Layer(l).Prev()) || !closeEnough(seq.Layer(l).Input(), one.Layer(l).Input()) {
					t.Errorf("%s layer %d: CopySequence's cache differs", configName(cfg), l)
				}
			}
		}
	})
}

func closeEnough(a, b []float32) bool {
	for i := range a {
		if d := a[i] - b[i]; d > 1e-5 || d < -1e-5 {
			return false
		}
	}
	return len(a) == len(b)
}
