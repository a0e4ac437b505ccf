package cell_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
	"github.com/chronograd/chronograd/kernels"
)

func TestForwardMatchesReference(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg cell.Config) {
		f := newFixture(t, cfg, 1)
		k := f.c.NewCache()
		s := slices.Clone(f.prev)
		want := to64(f.prev)
		for step := range 5 {
			x := randVec(f.rng, f.c.InputSize())
			f.c.Forward(k, s, s, x) // next aliases prev
			want = f.r.Step(want, to64(x))
			closeTo(t, "state", s, want, 1e-5, 1e-5)
			if t.Failed() {
				t.Fatalf("step %d", step)
			}
		}
	})
}

func TestCacheAccessors(t *testing.T) {
	for _, cfg := range testConfigs {
		f := newFixture(t, cfg, 2)
		k := f.c.NewCache()
		next := make([]float32, f.c.StateSize())
		f.c.Forward(k, next, f.prev, f.x)
		if !slices.Equal(k.Prev(), f.prev) || !slices.Equal(k.Input(), f.x) {
			t.Errorf("%v: cache does not hold s_{t-1} and x_t", cfg.Kind)
		}
		h := f.c.HiddenSize()
		switch cfg.Kind {
		case cell.RNNTanh, cell.RNNReLU:
			u, d := k.PreActivation(), k.ActivationDeriv()
			// φ is kernels.Tanh (within 2 ulp of tanh, tested in kernels); the cache
			// must hold exactly 1 - φ² of the φ the step used.
			phi := make([]float32, h)
			kernels.Tanh(phi, u)
			for i := range h {
				wantD := float32(0)
				if cfg.Kind == cell.RNNTanh {
					th := phi[i]
					wantD = 1 - th*th
				} else if u[i] > 0 {
					wantD = 1
				}
				if d[i] != wantD {
					t.Errorf("%v: φ'(u[%d]) = %v, want %v", cfg.Kind, i, d[i], wantD)
				}
			}
			if k.Gates() != nil || k.CellTanh() != nil || k.GRUHiddenN() != nil {
				t.Errorf("%v: gated accessors should be nil", cfg.Kind)
			}
		case cell.GRU:
			if len(k.Gates()) != 3*h || len(k.GRUHiddenN()) != h || k.PreActivation() != nil {
				t.Errorf("gru accessors have wrong sizes")
			}
		case cell.LSTM:
			if len(k.Gates()) != 4*h || len(k.CellTanh()) != h || k.ActivationDeriv() != nil {
				t.Errorf("lstm accessors have wrong sizes")
			}
			for i := range h {
				if d := k.CellTanh()[i] - tanh(next[h+i]); d > 1e-6 || d < -1e-6 {
					t.Errorf("CellTanh[%d] = %v, want tanh(%v)", i, k.CellTanh()[i], next[h+i])
				}
			}
		}
		if k.Bytes() <= 0 {
			t.Errorf("%v: cache reports %d bytes", cfg.Kind, k.Bytes())
		}
	}
}

func TestBackwardMatchesFiniteDifferences(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg cell.Config) {
		f := newFixture(t, cfg, 3)
		c := f.c
		k := c.NewCache()
		next := make([]float32, c.StateSize())
		c.Forward(k, next, f.prev, f.x)
		v := randVec(f.rng, c.StateSize())
		v64 := to64(v)

		prev64, x64 := to64(f.prev), to64(f.x)
		loss := func() float64 { return ref.Dot(v64, f.r.Step(prev64, x64)) }
		wantPrev := ref.Gradient(loss, prev64, fdEps)
		wantX := ref.Gradient(loss, x64, fdEps)
		wantGrad := ref.Gradient(loss, f.r.Params, fdEps)

		dPrev := make([]float32, c.StateSize())
		dx := make([]float32, c.InputSize())
		grad := randVec(f.rng, c.NumParams()) // Backward must add to what is there
		grad0 := slices.Clone(grad)
		c.Backward(k, dPrev, dx, grad, v)
		closeTo(t, "dPrev", dPrev, wantPrev, atol, rtol)
		closeTo(t, "dx", dx, wantX, atol, rtol)
		added := make([]float32, len(grad))
		for i := range grad {
			added[i] = grad[i] - grad0[i]
		}
		closeTo(t, "grad", added, wantGrad, 1e-4, rtol)

		// In place (dPrev = dNext) and without dx or grad: the same ∂L/∂s_{t-1}.
		inPlace := slices.Clone(v)
		c.Backward(k, inPlace, nil, nil, inPlace)
		if !slices.Equal(inPlace, dPrev) {
			t.Errorf("in-place Backward gives %v, want %v", inPlace, dPrev)
		}
	})
}

func TestStateJacobianMatchesFiniteDifferences(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg cell.Config) {
		f := newFixture(t, cfg, 4)
		c := f.c
		k := c.NewCache()
		next := make([]float32, c.StateSize())
		c.Forward(k, next, f.prev, f.x)
		s := c.StateSize()
		// A strided view with junk everywhere: StateJacobian must overwrite its S×S part
		// and leave the padding alone.
		stride := s + 3
		data := make([]float32, s*stride)
		for i := range data {
			data[i] = 123
		}
		j := kernels.Mat{Rows: s, Cols: s, Stride: stride, Data: data}
		c.StateJacobian(k, j)

		prev64, x64 := to64(f.prev), to64(f.x)
		want := ref.Jacobian(func() []float64 { return f.r.Step(prev64, x64) }, prev64, fdEps)
		for r := range s {
			closeTo(t, "J row", j.Row(r), want[r], atol, rtol)
			for _, pad := range data[r*stride+s : r*stride+stride] {
				if pad != 123 {
					t.Fatalf("StateJacobian wrote outside the view")
				}
			}
		}
		if t.Failed() {
			return
		}
		// J must be the Jacobian whose transpose Backward applies.
		v := randVec(f.rng, s)
		dPrev := make([]float32, s)
		c.Backward(k, dPrev, nil, nil, v)
		jtv := make([]float32, s)
		kernels.MatTVecAdd(jtv, j, v)
		closeTo(t, "Jᵀv vs Backward", dPrev, to64(jtv), 1e-5, 1e-5)

		// J·v without forming J, out of place and in place.
		jv := make([]float32, s)
		kernels.MatVec(jv, j, v)
		got := make([]float32, s)
		c.StateJVP(k, got, v)
		closeTo(t, "StateJVP", got, to64(jv), 1e-5, 1e-5)
		inPlace := slices.Clone(v)
		c.StateJVP(k, inPlace, inPlace)
		if !slices.Equal(inPlace, got) {
			t.Errorf("in-place StateJVP gives %v, want %v", inPlace, got)
		}

		// The per-unit blocks SnAp-1 keeps are J's entries.
		h := c.HiddenSize()
		fs := s / h
		blocks := make([]float32, h*fs*fs)
		for i := range blocks {
			blocks[i] = 99
		}
		c.UnitJacobian(k, blocks)
		for u := range h {
			for a := range fs {
				for b := range fs {
					if g, w := blocks[u*fs*fs+a*fs+b], j.At(a*h+u, b*h+u); math.Abs(float64(g-w)) > 1e-6 {
						t.Errorf("UnitJacobian unit %d (%d,%d) = %v, J has %v", u, a, b, g, w)
					}
				}
			}
		}
	})
}

func TestImmediateJacobianMatchesFiniteDifferences(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg cell.Config) {
		f := newFixture(t, cfg, 5)
		c := f.c
		k := c.NewCache()
		next := make([]float32, c.StateSize())
		c.Forward(k, next, f.prev, f.x)
		s, p := c.StateSize(), c.NumParams()
		lay := c.Layout()
		h, g := lay.Hidden, lay.Gates

		prev64, x64 := to64(f.prev), to64(f.x)
		want := ref.Jacobian(func() []float64 { return f.r.Step(prev64, x64) }, f.r.Params, fdEps)

		// The claimed sparsity: state row s depends only on parameters of gate rows of
		// unit s mod H.
		for r := range s {
			for q := range p {
				if lay.GateRow(q)%h != r%h && want[r][q] != 0 {
					t.Fatalf("Ī[%d][%d] = %g outside the claimed pattern", r, q, want[r][q])
				}
			}
		}

		// AddImmediate adds Ī into M and leaves every entry outside the pattern untouched.
		m := kernels.NewMat(s, p)
		for i := range m.Data {
			m.Data[i] = float32(f.rng.NormFloat64())
		}
		m0 := slices.Clone(m.Data)
		c.AddImmediate(k, m)
		for r := range s {
			added := make([]float32, p)
			for q := range p {
				added[q] = m.Data[r*p+q] - m0[r*p+q]
				if lay.GateRow(q)%h != r%h && m.Data[r*p+q] != m0[r*p+q] {
					t.Fatalf("AddImmediate touched M[%d][%d] outside the pattern", r, q)
				}
			}
			closeTo(t, "AddImmediate row", added, want[r], atol, rtol)
		}

		// The factored form, read exactly as Cell.ImmediateCoefficients documents it.
		coefIH := make([]float32, s*g)
		coefHH := make([]float32, s*g)
		c.ImmediateCoefficients(k, coefIH, coefHH)
		hp, x := k.Prev()[:h], k.Input()
		for r := range s {
			rebuilt := make([]float32, p)
			u := r % h
			for gate := range g {
				row := gate*h + u
				ci, ch := coefIH[r*g+gate], coefHH[r*g+gate]
				for m := range lay.Input {
					rebuilt[lay.WeightIH+row*lay.Input+m] = ci * x[m]
				}
				for m := range h {
					rebuilt[lay.WeightHH+row*h+m] = ch * hp[m]
				}
				rebuilt[lay.BiasIH+row] = ci
				rebuilt[lay.BiasHH+row] = ch
			}
			closeTo(t, "coefficients row", rebuilt, want[r], atol, rtol)
		}

		// vᵀ·Ī without forming it.
		v := randVec(f.rng, s)
		grad := randVec(f.rng, p)
		grad0 := slices.Clone(grad)
		c.AddImmediateVJP(k, grad, v)
		wantVJP := make([]float64, p)
		for r := range s {
			for q := range p {
				wantVJP[q] += float64(v[r]) * want[r][q]
			}
		}
		added := make([]float32, p)
		for q := range p {
			added[q] = grad[q] - grad0[q]
		}
		closeTo(t, "vᵀĪ", added, wantVJP, 1e-4, rtol)
	})
}

// A steady-state step allocates nothing.
func TestStepsDoNotAllocate(t *testing.T) {
	for _, cfg := range testConfigs {
		f := newFixture(t, cfg, 6)
		c := f.c
		s, p := c.StateSize(), c.NumParams()
		k := c.NewCache()
		state := slices.Clone(f.prev)
		dPrev := make([]float32, s)
		dx := make([]float32, c.InputSize())
		grad := make([]float32, p)
		j := kernels.NewMat(s, s)
		m := kernels.NewMat(s, p)
		coefIH := make([]float32, s*c.Layout().Gates)
		coefHH := make([]float32, s*c.Layout().Gates)
		v := randVec(f.rng, s)
		jv := make([]float32, s)
		batch, err := cell.NewGradBatch(c, 3) // fills, and flushes, within the runs
		if err != nil {
			t.Fatal(err)
		}
		blocks := make([]float32, s*s/c.HiddenSize())
		ops := map[string]func(){
			"StateJVP":              func() { c.StateJVP(k, jv, v) },
			"UnitJacobian":          func() { c.UnitJacobian(k, blocks) },
			"Forward":               func() { c.Forward(k, state, state, f.x) },
			"Backward":              func() { c.Backward(k, dPrev, dx, grad, v) },
			"BackwardBatch":         func() { c.BackwardBatch(k, dPrev, dx, grad, batch, v) },
			"StateJacobian":         func() { c.StateJacobian(k, j) },
			"AddImmediate":          func() { c.AddImmediate(k, m) },
			"AddImmediateVJP":       func() { c.AddImmediateVJP(k, grad, v) },
			"ImmediateCoefficients": func() { c.ImmediateCoefficients(k, coefIH, coefHH) },
		}
		for name, op := range ops {
			if n := testing.AllocsPerRun(20, op); n != 0 {
				t.Errorf("%v: %s allocates %v times per call", cfg.Kind, name, n)
			}
		}
	}
}

func TestNewRejectsBadConfigs(t *testing.T) {
	bad := []struct {
		cfg  cell.Config
		want string
	}{
		{cell.Config{Kind: cell.Kind(9), Hidden: 3, Input: 2}, "kind"},
		{cell.Config{Kind: cell.GRU, Hidden: 0, Input: 2}, "hidden size 0"},
		{cell.Config{Kind: cell.GRU, Hidden: 3, Input: -1}, "input size -1"},
		{cell.Config{Kind: cell.RNNTanh, Hidden: 3, Input: 2, Alpha: 1.5}, "alpha"},
		{cell.Config{Kind: cell.RNNTanh, Hidden: 3, Input: 2, Alpha: -0.1}, "alpha"},
		{cell.Config{Kind: cell.RNNTanh, Hidden: 3, Input: 2, Alpha: float32(nan())}, "alpha"},
		{cell.Config{Kind: cell.LSTM, Hidden: 3, Input: 2, Alpha: 0.5}, "only rnn_tanh and rnn_relu"},
		{cell.Config{Kind: cell.LSTM, Hidden: 1 << 20, Input: 1 << 20}, "parameters"},
	}
	for _, b := range bad {
		c, err := cell.New(b.cfg)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("New(%+v) = %v, %v; want an error mentioning %q", b.cfg, c, err, b.want)
		}
	}
	c, err := cell.New(cell.Config{Kind: cell.LSTM, Hidden: 3, Input: 2, Alpha: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckInput(make([]float32, 3)); err == nil || !strings.Contains(err.Error(), "3 values") {
		t.Errorf("CheckInput of a wrong-length input: %v", err)
	}
	if err := c.CheckInput(make([]float32, 2)); err != nil {
		t.Errorf("CheckInput of a valid input: %v", err)
	}
}

// Wrong lengths inside the hot path are programmer errors: a panic naming the sizes.
func TestStepPanicsNameSizes(t *testing.T) {
	c, err := cell.New(cell.Config{Kind: cell.GRU, Hidden: 3, Input: 2})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := cell.New(cell.Config{Kind: cell.LSTM, Hidden: 3, Input: 2})
	k := c.NewCache()
	s := make([]float32, 3)
	cases := map[string]struct {
		f    func()
		want string
	}{
		"short x":       {func() { c.Forward(k, s, s, make([]float32, 1)) }, "len(x) = 1, want 2"},
		"long state":    {func() { c.Forward(k, make([]float32, 4), s, make([]float32, 2)) }, "len(next) = 4, want 3"},
		"foreign cache": {func() { c.Forward(other.NewCache(), s, s, make([]float32, 2)) }, "cache for lstm(H=3, I=2)"},
		"short grad":    {func() { c.Backward(k, s, nil, make([]float32, 5), s) }, "len(grad) = 5"},
		"J size":        {func() { c.StateJacobian(k, kernels.NewMat(3, 2)) }, "J is 3×2, want 3×3"},
		"M size":        {func() { c.AddImmediate(k, kernels.NewMat(3, 2)) }, "M is 3×2"},
	}
	for name, tc := range cases {
		msg := catchPanic(tc.f)
		if !strings.Contains(msg, tc.want) {
			t.Errorf("%s: panic %q, want one mentioning %q", name, msg, tc.want)
		}
	}
}

func catchPanic(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg, _ = r.(string)
			if msg == "" {
				msg = "non-string panic"
			}
		}
	}()
	f()
	return ""
}

func TestKindNames(t *testing.T) {
	for _, k := range []cell.Kind{cell.RNNTanh, cell.RNNReLU, cell.GRU, cell.LSTM} {
		got, err := cell.ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := cell.ParseKind("LSTM"); err == nil || !strings.Contains(err.Error(), `"LSTM"`) {
		t.Errorf("ParseKind of an unknown name: %v", err)
	}
	want := map[string]cell.Kind{"rnn_tanh": cell.RNNTanh, "rnn_relu": cell.RNNReLU, "gru": cell.GRU, "lstm": cell.LSTM}
	for name, k := range want {
		if k.String() != name {
			t.Errorf("%d.String() = %q, want %q", k, k.String(), name)
		}
	}
}

func TestLayoutMatchesPyTorch(t *testing.T) {
	c, err := cell.New(cell.Config{Kind: cell.LSTM, Hidden: 7, Input: 5})
	if err != nil {
		t.Fatal(err)
	}
	ts := c.Layout().Tensors(0)
	wantNames := []string{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
	wantShapes := [][]int{{28, 5}, {28, 7}, {28}, {28}}
	off := 0
	for i, tn := range ts {
		if tn.Name != wantNames[i] || !slices.Equal(tn.Shape, wantShapes[i]) || tn.Offset != off {
			t.Errorf("tensor %d = %+v, want %s %v at %d", i, tn, wantNames[i], wantShapes[i], off)
		}
		off += tn.Size()
	}
	if off != c.NumParams() || c.NumParams() != 4*7*(5+7+2) {
		t.Errorf("tensors cover %d of %d parameters", off, c.NumParams())
	}
	// Tensor.Of views the flat vector in place.
	ts[1].Of(c.Params())[0] = 42
	if c.Params()[28*5] != 42 {
		t.Errorf("Tensor.Of is not a view at the tensor's offset")
	}
	lay := c.Layout()
	checks := map[int]int{0: 0, 5*3 + 4: 3, lay.WeightHH + 7*27: 27, lay.BiasIH + 9: 9, lay.BiasHH + 27: 27}
	for p, want := range checks {
		if got := lay.GateRow(p); got != want {
			t.Errorf("GateRow(%d) = %d, want %d", p, got, want)
		}
	}
}
