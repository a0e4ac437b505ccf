package cell

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestOrthogonalFactorIsQRWithPositiveDiagonal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 7, 16} {
		a := make([]float64, n*n)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		q := orthogonalFactor(a, n)
		for i := range n {
			for j := range n {
				var qtq, r float64 // (QᵀQ)_ij and R_ij = (QᵀA)_ij
				for k := range n {
					qtq += q[k*n+i] * q[k*n+j]
					r += q[k*n+i] * a[k*n+j]
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(qtq-want) > 1e-12 {
					t.Fatalf("n=%d: (QᵀQ)[%d][%d] = %g", n, i, j, qtq)
				}
				if i > j && math.Abs(r) > 1e-12 {
					t.Fatalf("n=%d: R[%d][%d] = %g below the diagonal", n, i, j, r)
				}
				if i == j && r <= 0 {
					t.Fatalf("n=%d: R[%d][%d] = %g, the sign correction wants it positive", n, i, i, r)
				}
			}
		}
	}
}

func newTestCell(t *testing.T, kind Kind, h, in int) Cell {
	t.Helper()
	c, err := New(Config{Kind: kind, Hidden: h, Input: in})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestInitDefaultIsPyTorchUniform(t *testing.T) {
	c := newTestCell(t, LSTM, 64, 9)
	InitDefault(c, rand.New(rand.NewPCG(3, 4)))
	bound := 1 / math.Sqrt(64)
	var sum, sq float64
	for _, v := range c.Params() {
		if math.Abs(float64(v)) > bound {
			t.Fatalf("parameter %v outside ±%v", v, bound)
		}
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(c.NumParams())
	mean, variance := sum/n, sq/n-(sum/n)*(sum/n)
	// U(-b, b): mean 0, variance b²/3; n ≈ 19000 so both are within a few percent.
	if math.Abs(mean) > 0.02*bound || math.Abs(variance/(bound*bound/3)-1) > 0.05 {
		t.Errorf("mean %g, variance %g; want 0 and %g", mean, variance, bound*bound/3)
	}
	// Seeded: the same seed gives the same parameters, another seed different ones.
	d := newTestCell(t, LSTM, 64, 9)
	InitDefault(d, rand.New(rand.NewPCG(3, 4)))
	if !slices.Equal(c.Params(), d.Params()) {
		t.Errorf("same seed, different parameters")
	}
	InitDefault(d, rand.New(rand.NewPCG(5, 4)))
	if slices.Equal(c.Params(), d.Params()) {
		t.Errorf("different seeds, same parameters")
	}
}

func TestInitOrthogonalPerGateBlock(t *testing.T) {
	for _, kind := range []Kind{RNNTanh, GRU, LSTM} {
		h := 7
		c := newTestCell(t, kind, h, 5)
		InitOrthogonal(c, rand.New(rand.NewPCG(6, 7)))
		l := c.Layout()
		whh := c.Params()[l.WeightHH:l.BiasIH]
		for gate := range l.Gates {
			b := whh[gate*h*h : (gate+1)*h*h]
			for i := range h {
				for j := range h {
					var d float64 // (BᵀB)_ij
					for k := range h {
						d += float64(b[k*h+i]) * float64(b[k*h+j])
					}
					if i == j {
						d--
					}
					if math.Abs(d) > 1e-6 {
						t.Fatalf("%v gate %d: block is not orthogonal (entry %d,%d off by %g)", kind, gate, i, j, d)
					}
				}
			}
		}
		if gate0, gate1 := whh[:h*h], whh[h*h:min(2*h*h, len(whh))]; l.Gates > 1 && slices.Equal(gate0, gate1) {
			t.Errorf("%v: gate blocks are not independent", kind)
		}
		bound := float32(1 / math.Sqrt(float64(h)))
		for _, v := range c.Params()[:l.WeightHH] {
			if v < -bound || v > bound {
				t.Fatalf("%v: weight_ih %v outside the default bound", kind, v)
			}
		}
	}
}

func TestInitIdentity(t *testing.T) {
	h := 5
	c := newTestCell(t, RNNReLU, h, 3)
	InitIdentity(c, rand.New(rand.NewPCG(8, 9)), 1)
	l := c.Layout()
	p := c.Params()
	for i := range h {
		for j := range h {
			want := float32(0)
			if i == j {
				want = 1
			}
			if got := p[l.WeightHH+i*h+j]; got != want {
				t.Fatalf("weight_hh[%d][%d] = %v, want %v", i, j, got, want)
			}
		}
	}
	for _, v := range p[l.BiasIH:] {
		if v != 0 {
			t.Fatalf("bias %v, want 0", v)
		}
	}
	if slices.Equal(p[:l.WeightHH], make([]float32, l.WeightHH)) {
		t.Errorf("weight_ih left zero")
	}
}

// AddForgetBias raises exactly the forget gate's input bias of every LSTM layer, and
// refuses other kinds.
func TestAddForgetBias(t *testing.T) {
	m, err := NewStack(Config{Kind: LSTM, Hidden: 3, Input: 2}, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	before := make([][]float32, len(m.Layers))
	for k, l := range m.Layers {
		before[k] = append([]float32(nil), l.Params()...)
	}
	if err := m.AddForgetBias(1); err != nil {
		t.Fatal(err)
	}
	for k, l := range m.Layers {
		lay := l.Layout()
		for i, v := range l.Params() {
			want := before[k][i]
			if i >= lay.BiasIH+3 && i < lay.BiasIH+6 {
				want++
			}
			if v != want {
				t.Errorf("layer %d param %d: %v, want %v", k, i, v, want)
			}
		}
	}
	g, _ := NewModel(Config{Kind: GRU, Hidden: 3, Input: 2}, 1)
	if err := g.AddForgetBias(1); err == nil {
		t.Error("a GRU accepted a forget-gate bias")
	}
}
