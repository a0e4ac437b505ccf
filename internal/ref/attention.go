package ref

import (
	"math"
	"sort"
)

// Attn is a float64 model with Sparse Attentive Backtracking's attention component: a
// stack of layers, a readout of the top layer's h, and the attention's W_q [H, H], b_q [H]
// and W_k [H, H] (row-major), written straight from the definitions:
//
//	q = W_q·ĥ + b_q,  a_i = qᵀ·(W_k·m_i)/√H,  τ = the (k_top+1)-th largest a_i,
//	w_i = max(a_i − τ, 0)/Σ_j max(a_j − τ, 0),  h = ĥ + Σ_i w_i·m_i,
//
// the newest M slots read (all when M = 0), every slot when there are at most k_top (with
// weight 1/n), ties ranked newer first, and ĥ written (with its key) after every k_att-th
// step.
type Attn struct {
	Stack         *Stack
	Head          Head
	Wq, Bq, Wk    []float64
	KAtt, KTop, M int
}

// Surgery turns the forward pass into a truncated computation graph relative to a base
// run (one with Surgery nil, at the same inputs): the state entering every Window-th step
// (steps n·Window, 0-based; none when Window is 0) is the base run's, a constant; and the
// slots for which Const returns true are read (value and key) as the base run's
// constants. Differentiating a run with Surgery differentiates that graph.
type Surgery struct {
	Window int
	Base   *AttnRun
	Const  func(slot int) bool
}

// AttnRun is what a forward pass produced.
type AttnRun struct {
	Losses []float64   // ℓ_t (0 without a target)
	Enter  [][]float64 // the joint state entering each step
	Values [][]float64 // every slot written, in order
	Keys   [][]float64
	// Chosen[t] lists the slots step t read with a nonzero weight and Thr[t] the
	// (k_top+1)-th (−1 if none), to check that a perturbation changed no choice.
	Chosen [][]int
	Thr    []int
	// Rsum[t] is Σ_i max(a_i − τ, 0) at step t (0 outside the sparse case): a small one
	// makes the weights, and a float32 gradient, sensitive.
	Rsum []float64
}

// Run runs the model from s0 over xs, with the given surgery (nil: the plain model).
func (a *Attn) Run(s0 []float64, xs [][]float64, ys []Target, sg *Surgery) *AttnRun {
	H := a.Stack.Layers[0].H
	r := &AttnRun{}
	s := append([]float64(nil), s0...)
	scale := 1 / math.Sqrt(float64(H))
	for t, x := range xs {
		if sg != nil && sg.Window > 0 && t > 0 && t%sg.Window == 0 {
			s = append([]float64(nil), sg.Base.Enter[t]...)
		}
		r.Enter = append(r.Enter, append([]float64(nil), s...))
		s = a.Stack.Step(s, x)
		h := a.Stack.Top(s)
		// the slots in view, with constants where the surgery says
		lo := 0
		if a.M > 0 {
			lo = max(0, len(r.Values)-a.M)
		}
		slot := func(id int) (v, k []float64) {
			if sg != nil && sg.Const != nil && sg.Const(id) {
				return sg.Base.Values[id], sg.Base.Keys[id]
			}
			return r.Values[id], r.Keys[id]
		}
		n := len(r.Values) - lo
		summary := make([]float64, H)
		var chosen []int
		thr := -1
		rsum := 0.0
		switch {
		case n == 0:
		case n <= a.KTop:
			for id := lo; id < len(r.Values); id++ {
				v, _ := slot(id)
				for j := range H {
					summary[j] += v[j] / float64(n)
				}
				chosen = append(chosen, id)
			}
		default:
			q := Linear(a.Wq, a.Bq, h)
			type scored struct {
				id int
				a  float64
			}
			var sc []scored
			for id := lo; id < len(r.Values); id++ {
				_, k := slot(id)
				sc = append(sc, scored{id, Dot(q, k) * scale})
			}
			sort.SliceStable(sc, func(i, j int) bool {
				if sc[i].a != sc[j].a {
					return sc[i].a > sc[j].a
				}
				return sc[i].id > sc[j].id
			})
			tau := sc[a.KTop].a
			thr = sc[a.KTop].id
			var sum float64
			for _, e := range sc[:a.KTop] {
				sum += math.Max(e.a-tau, 0)
			}
			rsum = sum
			for _, e := range sc[:a.KTop] {
				w := math.Max(e.a-tau, 0)
				if w == 0 {
					continue
				}
				v, _ := slot(e.id)
				for j := range H {
					summary[j] += w / sum * v[j]
				}
				chosen = append(chosen, e.id)
			}
		}
		hhat := append([]float64(nil), h...)
		for j := range H {
			h[j] += summary[j]
		}
		r.Chosen = append(r.Chosen, chosen)
		r.Thr = append(r.Thr, thr)
		r.Rsum = append(r.Rsum, rsum)
		if (t+1)%a.KAtt == 0 {
			r.Values = append(r.Values, hhat)
			r.Keys = append(r.Keys, matVec(a.Wk, hhat))
		}
		loss, _ := ys[t].Loss(Linear(a.Head.W, a.Head.B, h))
		r.Losses = append(r.Losses, loss)
	}
	return r
}

func matVec(w, x []float64) []float64 {
	y := make([]float64, len(w)/len(x))
	for o := range y {
		for j := range x {
			y[o] += w[o*len(x)+j] * x[j]
		}
	}
	return y
}

// Params lists the model's parameter vectors in chronograd's flat order: every layer's,
// then W_q, b_q, W_k (the flat cell vector), and the head's W, B.
func (a *Attn) Params() (cell [][]float64, head [][]float64) {
	for _, l := range a.Stack.Layers {
		cell = append(cell, l.Params)
	}
	return append(cell, a.Wq, a.Bq, a.Wk), [][]float64{a.Head.W, a.Head.B}
}

// GradientFD returns the central finite-difference gradient of f with respect to the
// concatenation of the vectors ps (each restored), eps the step.
func GradientFD(f func() float64, ps [][]float64, eps float64) []float64 {
	var g []float64
	for _, p := range ps {
		g = append(g, Gradient(f, p, eps)...)
	}
	return g
}
