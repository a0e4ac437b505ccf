package cell_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
)

func newTestReadout(t *testing.T, out, hidden int, rng *rand.Rand) *cell.Readout {
	t.Helper()
	r, err := cell.NewReadout(out, hidden)
	if err != nil {
		t.Fatal(err)
	}
	copy(r.Params(), randVec(rng, r.NumParams()))
	return r
}

func TestReadoutSquaredErrorMatchesFiniteDifferences(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 1))
		o, h := 3, 7
		r := newTestReadout(t, o, h, rng)
		hv, y := randVec(rng, h), randVec(rng, o)
		yhat := make([]float32, o)
		dy := make([]float32, o)
		r.Forward(yhat, hv)
		loss := cell.SquaredError(dy, yhat, y)

		p64, h64, y64 := to64(r.Params()), to64(hv), to64(y)
		f := func() float64 { return ref.SquaredError(ref.Linear(p64[:o*h], p64[o*h:], h64), y64) }
		if want := f(); math.Abs(float64(loss)-want) > 1e-5*(1+want) {
			t.Errorf("loss %v, want %v", loss, want)
		}
		grad := randVec(rng, r.NumParams())
		grad0 := slices.Clone(grad)
		dh := randVec(rng, h)
		dh0 := slices.Clone(dh)
		r.Backward(dh, grad, hv, dy)
		closeTo(t, "head grad", diff(grad, grad0), ref.Gradient(f, p64, fdEps), atol, rtol)
		closeTo(t, "dh", diff(dh, dh0), ref.Gradient(f, h64, fdEps), atol, rtol)

		names := []string{}
		for _, tn := range r.Tensors() {
			names = append(names, tn.Name)
		}
		if !slices.Equal(names, []string{"head.weight", "head.bias"}) || r.Tensors()[1].Offset != o*h {
			t.Errorf("readout tensors %+v", r.Tensors())
		}
	})
}

func TestSoftmaxCrossEntropyMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	o, h := 5, 7
	r := newTestReadout(t, o, h, rng)
	hv := randVec(rng, h)
	logits := make([]float32, o)
	dl := make([]float32, o)
	r.Forward(logits, hv)
	for class := range o {
		loss, err := cell.SoftmaxCrossEntropy(dl, logits, class)
		if err != nil {
			t.Fatal(err)
		}
		p64, h64 := to64(r.Params()), to64(hv)
		f := func() float64 { return ref.SoftmaxCrossEntropy(ref.Linear(p64[:o*h], p64[o*h:], h64), class) }
		if want := f(); math.Abs(float64(loss)-want) > 1e-5*(1+want) {
			t.Errorf("class %d: loss %v, want %v", class, loss, want)
		}
		grad := make([]float32, r.NumParams())
		dh := make([]float32, h)
		r.Backward(dh, grad, hv, dl)
		closeTo(t, "head grad", grad, ref.Gradient(f, p64, fdEps), atol, rtol)
		closeTo(t, "dh", dh, ref.Gradient(f, h64, fdEps), atol, rtol)
	}
}

func TestSoftmaxCrossEntropyIsStable(t *testing.T) {
	small := []float32{1, 2, 0, -3}
	large := []float32{1001, 1002, 1000, 997} // exp overflows float32 and float64 without the shift
	tiny := []float32{-1001, -1000, -1002, -1005}
	d0, d1, d2 := make([]float32, 4), make([]float32, 4), make([]float32, 4)
	l0, _ := cell.SoftmaxCrossEntropy(d0, small, 1)
	l1, _ := cell.SoftmaxCrossEntropy(d1, large, 1)
	l2, _ := cell.SoftmaxCrossEntropy(d2, tiny, 1)
	for i := range d0 {
		if math.Abs(float64(d0[i]-d1[i])) > 1e-6 || math.Abs(float64(d0[i]-d2[i])) > 1e-6 {
			t.Errorf("gradients differ under a shift: %v %v %v", d0, d1, d2)
		}
	}
	if math.Abs(float64(l0-l1)) > 1e-4 || math.Abs(float64(l0-l2)) > 1e-4 {
		t.Errorf("losses differ under a shift: %v %v %v", l0, l1, l2)
	}
	// A confidently wrong prediction: a large finite loss, not Inf.
	d := make([]float32, 2)
	l, _ := cell.SoftmaxCrossEntropy(d, []float32{0, 200}, 0)
	if math.Abs(float64(l)-200) > 1e-3 || d[0] != -1 || d[1] != 1 {
		t.Errorf("loss %v, grad %v; want 200 and [-1 1]", l, d)
	}
}

func TestMaskedSteps(t *testing.T) {
	dy := []float32{9, 9}
	if l := cell.SquaredError(dy, []float32{1, 2}, nil); l != 0 || dy[0] != 0 || dy[1] != 0 {
		t.Errorf("masked squared error: loss %v, grad %v", l, dy)
	}
	dy = []float32{9, 9}
	if l, err := cell.SoftmaxCrossEntropy(dy, []float32{1, 2}, cell.IgnoreClass); err != nil || l != 0 || dy[0] != 0 || dy[1] != 0 {
		t.Errorf("masked cross-entropy: loss %v, grad %v, err %v", l, dy, err)
	}
	for _, class := range []int{2, -2} {
		if _, err := cell.SoftmaxCrossEntropy(dy, []float32{1, 2}, class); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("class %d: err %v", class, err)
		}
	}
	if _, err := cell.NewReadout(0, 3); err == nil {
		t.Errorf("NewReadout(0, 3) accepted")
	}
}

func TestReadoutAndLossesDoNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	r := newTestReadout(t, 3, 7, rng)
	h, y := randVec(rng, 7), randVec(rng, 3)
	yhat, dy, dh := make([]float32, 3), make([]float32, 3), make([]float32, 7)
	grad := make([]float32, r.NumParams())
	ops := map[string]func(){
		"Forward":             func() { r.Forward(yhat, h) },
		"Backward":            func() { r.Backward(dh, grad, h, dy) },
		"SquaredError":        func() { cell.SquaredError(dy, yhat, y) },
		"SoftmaxCrossEntropy": func() { _, _ = cell.SoftmaxCrossEntropy(dy, yhat, 2) },
	}
	for name, op := range ops {
		if n := testing.AllocsPerRun(20, op); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
}

func diff(a, b []float32) []float32 {
	d := make([]float32, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return d
}

// A minibatch's readout weight gradient is its sequences' gradients added in order, to
// the bit: the same as one Backward per sequence, on every tier.
func TestReadoutBatchWeightGradIsSequencesInOrder(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(17, 18))
		for _, out := range []int{1, 3} {
			for _, b := range []int{2, 6, 17} {
				const hidden = 37
				r := newTestReadout(t, out, hidden, rng)
				h, dy, g0 := randVec(rng, hidden*b), randVec(rng, out*b), randVec(rng, r.NumParams())
				got := slices.Clone(g0)
				r.Backward(nil, got, h, dy)
				want := slices.Clone(g0)
				for j := range b {
					hj, dyj := make([]float32, hidden), make([]float32, out)
					for u := range hj {
						hj[u] = h[u*b+j]
					}
					for o := range dyj {
						dyj[o] = dy[o*b+j]
					}
					r.Backward(nil, want, hj, dyj)
				}
				for i := range out * hidden {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("O = %d, B = %d: weight gradient %d is %v, the sequences one by one give %v", out, b, i, got[i], want[i])
					}
				}
			}
		}
	})
}
