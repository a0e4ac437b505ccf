package cell

import (
	"math"
	"slices"
	"testing"
)

// tieAttention is an attention over H = 2 with q = ĥ and keys = values (W_q = W_k = I,
// b_q = 0), so that a_i = ĥ·m_i/√2, and a memory holding the given slots.
func tieAttention(t *testing.T, kTop int, slots ...[]float32) (*Attention, *Memory) {
	t.Helper()
	a, err := NewAttention(AttentionConfig{KAtt: 1, KTop: kTop}, 2)
	if err != nil {
		t.Fatal(err)
	}
	p := a.Params()
	p[0], p[3] = 1, 1 // W_q = I
	p[6], p[9] = 1, 1 // W_k = I
	mem := a.NewMemory()
	for _, s := range slots {
		mem.write(s)
	}
	return a, mem
}

// Top-k ties are broken deterministically: of equal scores the more recently written
// slot ranks first. The weights do not depend on the order among equals; which slot is
// the (k_top+1)-th does, and it alone receives τ's gradient.
func TestAttentionTies(t *testing.T) {
	m0, m1, m2, m3 := []float32{1, 0}, []float32{0, 1}, []float32{1, 0}, []float32{0.5, 0}

	// Slots 0 and 2 tie at the top: both chosen, newer first, τ from slot 3.
	a, mem := tieAttention(t, 2, m0, m1, m2, m3)
	c := a.NewCache()
	h := []float32{1, 0}
	a.Forward(c, mem, h)
	ids, w := c.Weights()
	if !slices.Equal(ids, []int{2, 0}) || w[0] != 0.5 || w[1] != 0.5 || c.thr != 3 {
		t.Errorf("tie at the top: chose %v with weights %v, τ from slot %d; want [2 0], [0.5 0.5], slot 3", ids, w, c.thr)
	}
	if want := []float32{2, 0}; !slices.Equal(h, want) {
		t.Errorf("h_t = %v, want %v", h, want)
	}

	// Slots 0, 2 and 3 tie below slot 1: slot 3 (newest) ranks second with weight 0, slot
	// 2 is the (k_top+1)-th; slot 1 alone is weighted.
	a, mem = tieAttention(t, 2, m0, m1, m2, m3)
	c = a.NewCache()
	a.Forward(c, mem, []float32{0, 1})
	if ids, _ := c.Weights(); !slices.Equal(ids, []int{1}) || c.thr != 2 {
		t.Errorf("tie at τ: chose %v, τ from slot %d; want [1], slot 2", ids, c.thr)
	}

	// The gradient of τ goes to the (k_top+1)-th slot only: slots 2 and 3 tie at τ, the
	// newer (3) ranks k_top-th with weight 0 and takes nothing; the older (2) is τ's.
	a, mem = tieAttention(t, 3, []float32{0.25, 0}, []float32{2, 0}, []float32{0.5, 0}, []float32{0.5, 0}, []float32{1, 0})
	c = a.NewCache()
	a.Forward(c, mem, []float32{1, 0})
	if ids, _ := c.Weights(); !slices.Equal(ids, []int{1, 4}) || c.thr != 2 {
		t.Fatalf("chose %v, τ from slot %d; want [1 4], slot 2", ids, c.thr)
	}
	grad := make([]float32, a.NumParams())
	a.Backward(c, mem, []float32{0.3, -0.7}, grad)
	if _, dk := mem.adjoint(2); dk[0] == 0 && dk[1] == 0 {
		t.Error("the (k_top+1)-th slot received no gradient")
	}
	if mem.pending[3%mem.cap] || mem.pending[0] {
		t.Error("a slot with weight 0 that is not the (k_top+1)-th received a gradient")
	}

	// Every score equal: every r_i is 0 and nothing is added.
	a, mem = tieAttention(t, 1, m0, m0, m0)
	c = a.NewCache()
	h = []float32{1, 0}
	a.Forward(c, mem, h)
	if ids, _ := c.Weights(); len(ids) != 0 || !slices.Equal(h, []float32{1, 0}) {
		t.Errorf("all scores tied: chose %v, h_t = %v; want none and h unchanged", ids, h)
	}
}

// With n ≤ k_top slots there is no (k_top+1)-th score: every slot is weighted 1/n.
func TestAttentionFewSlots(t *testing.T) {
	a, mem := tieAttention(t, 3, []float32{1, 2}, []float32{3, -4})
	c := a.NewCache()
	h := []float32{0.5, 0.5}
	a.Forward(c, mem, h)
	if !slices.Equal(h, []float32{2.5, -0.5}) || c.thr != -1 {
		t.Errorf("h_t = %v, τ from %d; want [2.5 -0.5], none", h, c.thr)
	}
	if math.IsNaN(float64(h[0])) {
		t.Fatal("NaN")
	}
}

// A bounded memory of a forward-only run keeps M slots in a ring of M and stops
// allocating; it reads the newest M.
func TestMemoryBounded(t *testing.T) {
	a, err := NewAttention(AttentionConfig{KAtt: 1, KTop: 1, M: 3}, 2)
	if err != nil {
		t.Fatal(err)
	}
	mem := a.NewMemory()
	mem.forwardOnly = true
	c := a.NewCache()
	h := []float32{0, 0}
	step := func() { a.Forward(c, mem, h) }
	for range 10 {
		step()
	}
	if mem.cap != 3 || mem.Oldest() != mem.Writes()-3 || mem.Kept() != mem.Oldest() {
		t.Errorf("capacity %d, oldest %d, kept %d after %d writes", mem.cap, mem.Oldest(), mem.Kept(), mem.Writes())
	}
	if n := testing.AllocsPerRun(20, step); n != 0 {
		t.Errorf("%v allocations per step", n)
	}
}
