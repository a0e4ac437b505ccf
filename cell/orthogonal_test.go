package cell_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
	"github.com/chronograd/chronograd/kernels"
)

var orthoMaps = []cell.OrthoMap{cell.OrthoExp, cell.OrthoCayley}

// newOrtho is an orthogonal cell with seeded random parameters (weight_hh_l0 not
// skew-symmetric: only its skew part counts) and its float64 reference.
func newOrtho(t *testing.T, mp cell.OrthoMap, h, in int, seed uint64) (*fixture, cell.Cell) {
	t.Helper()
	c, err := cell.New(cell.Config{Kind: cell.Orthogonal, Hidden: h, Input: in, OrthoMap: mp})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 17))
	for i := range c.Params() {
		c.Params()[i] = float32(rng.NormFloat64() * 0.6)
	}
	if err := c.ParamsChanged(); err != nil {
		t.Fatal(err)
	}
	f := &fixture{c: c, rng: rng, prev: randVec(rng, h), x: randVec(rng, in)}
	f.r = &ref.Cell{Kind: "orthogonal", H: h, I: in, Params: to64(c.Params()), Cayley: mp == cell.OrthoCayley}
	return f, c
}

// orthoGolden is a file written by testdata/gen_orthogonal_golden.py from PyTorch.
type orthoGolden struct {
	golden
	Map  string `json:"map"`
	Kink struct {
		Z, B, H, DhDz, DhDb []float64
	} `json:"-"`
}

func loadOrthoGolden(t *testing.T, mp string) *orthoGolden {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden_orthogonal_"+mp+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var g orthoGolden
	if err := json.Unmarshal(data, &g.golden); err != nil {
		t.Fatal(err)
	}
	var rest struct {
		Map  string `json:"map"`
		Kink struct {
			Z    []float64 `json:"z"`
			B    []float64 `json:"b"`
			H    []float64 `json:"h"`
			DhDz []float64 `json:"dh_dz"`
			DhDb []float64 `json:"dh_db"`
		} `json:"kink"`
	}
	if err := json.Unmarshal(data, &rest); err != nil {
		t.Fatal(err)
	}
	g.Map = rest.Map
	g.Kink.Z, g.Kink.B, g.Kink.H, g.Kink.DhDz, g.Kink.DhDb = rest.Kink.Z, rest.Kink.B, rest.Kink.H, rest.Kink.DhDz, rest.Kink.DhDb
	if g.Map != mp || len(g.Outputs) != g.Steps*g.Hidden || len(g.Kink.Z) == 0 {
		t.Fatalf("golden_orthogonal_%s.json is inconsistent", mp)
	}
	return &g
}

// The cell against expRNN's equations run by PyTorch's autograd in float64 (matrix_exp or
// a solve for the Cayley transform, expRNN's modrelu): outputs, loss, the gradient with
// respect to every parameter (weight_hh_l0's by way of ParamGrad) and h0.
func TestOrthogonalPyTorchGolden(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, mp := range orthoMaps {
			t.Run(mp.String(), func(t *testing.T) {
				g := loadOrthoGolden(t, mp.String())
				c, err := cell.New(cell.Config{Kind: cell.Orthogonal, Hidden: g.Hidden, Input: g.Input, OrthoMap: mp})
				if err != nil {
					t.Fatal(err)
				}
				tensors := c.Layout().Tensors(0)
				for _, tn := range tensors {
					copy(tn.Of(c.Params()), to32(g.Params[tn.Name]))
				}
				if err := c.ParamsChanged(); err != nil {
					t.Fatal(err)
				}
				h, in, steps := g.Hidden, g.Input, g.Steps
				caches := make([]*cell.Cache, steps)
				states := make([][]float32, steps)
				prev := to32(g.H0)
				for step := range steps {
					caches[step] = c.NewCache()
					states[step] = make([]float32, h)
					c.Forward(caches[step], states[step], prev, to32(g.Inputs[step*in:(step+1)*in]))
					prev = states[step]
				}
				closeTo(t, "outputs", slices.Concat(states...), g.Outputs, 1e-5, 1e-4)
				var loss float64
				grad := make([]float32, c.NumParams())
				delta, dh := make([]float32, h), make([]float32, h)
				for step := steps - 1; step >= 0; step-- {
					loss += float64(cell.SquaredError(dh, states[step], to32(g.Targets[step*h:(step+1)*h])))
					for i := range dh {
						delta[i] += dh[i]
					}
					c.Backward(caches[step], delta, nil, grad, delta)
				}
				if math.Abs(loss-g.Loss) > 1e-4*(1+g.Loss) {
					t.Errorf("loss %v, PyTorch %v", loss, g.Loss)
				}
				c.ParamGrad(grad, grad)
				for _, tn := range tensors {
					closeTo(t, "grad "+tn.Name, tn.Of(grad), g.Grad[tn.Name], 1e-4, 1e-3)
				}
				closeTo(t, "grad h0", delta, g.GradH0, 1e-4, 1e-3)
			})
		}
	})
}

// modReLU's value and derivatives at its kinks (z = 0 with b > 0 and b < 0, |z| + b = 0
// on either side) and around them, exactly as PyTorch's autograd computes expRNN's
// modrelu: ∂h/∂z is 0 at z = 0 and at |z| + b = 0, 1 just past the kink; ∂h/∂b is
// sign(z) where ∂h/∂z is 1. The pre-activations are b_ih exactly (W_ih·0, W·0), and the
// gradient of L = Σ_u h_u puts ∂h/∂z in bias_ih_l0's slots and ∂h/∂b in bias_hh_l0's.
func TestOrthogonalModReLUKinks(t *testing.T) {
	g := loadOrthoGolden(t, "exp")
	k := g.Kink
	n := len(k.Z)
	c, err := cell.New(cell.Config{Kind: cell.Orthogonal, Hidden: n, Input: 1})
	if err != nil {
		t.Fatal(err)
	}
	l := c.Layout()
	copy(c.Params()[l.BiasIH:l.BiasHH], to32(k.Z))
	copy(c.Params()[l.BiasHH:], to32(k.B))
	if err := c.ParamsChanged(); err != nil {
		t.Fatal(err)
	}
	cache := c.NewCache()
	next := make([]float32, n)
	c.Forward(cache, next, make([]float32, n), []float32{0})
	ones := make([]float32, n)
	for i := range ones {
		ones[i] = 1
	}
	grad := make([]float32, c.NumParams())
	c.Backward(cache, make([]float32, n), nil, grad, ones)
	for u := range n {
		if d := float64(next[u]) - k.H[u]; math.Abs(d) > 1e-7 {
			t.Errorf("z=%v b=%v: h = %v, PyTorch %v", k.Z[u], k.B[u], next[u], k.H[u])
		}
		if got := float64(grad[l.BiasIH+u]); got != k.DhDz[u] {
			t.Errorf("z=%v b=%v: ∂h/∂z = %v, PyTorch's autograd %v", k.Z[u], k.B[u], got, k.DhDz[u])
		}
		if got := float64(grad[l.BiasHH+u]); got != k.DhDb[u] {
			t.Errorf("z=%v b=%v: ∂h/∂b = %v, PyTorch's autograd %v", k.Z[u], k.B[u], got, k.DhDb[u])
		}
	}
	// Around the kinks, where h is differentiable, the derivatives are the central
	// differences' (float64 reference, steps far smaller than the distance to the kink).
	for _, tc := range []struct{ z, b float64 }{{1e-3, 0.5}, {-1e-3, 0.5}, {0.2501, -0.25}, {-0.2501, -0.25}, {0.2499, -0.25}, {2, -0.25}, {-1, 0.3}} {
		fd := func(z, b float64) (dz, db float64) {
			const e = 1e-7
			return (ref.ModReLU(z+e, b) - ref.ModReLU(z-e, b)) / (2 * e), (ref.ModReLU(z, b+e) - ref.ModReLU(z, b-e)) / (2 * e)
		}
		wantZ, wantB := fd(tc.z, tc.b)
		c2, _ := cell.New(cell.Config{Kind: cell.Orthogonal, Hidden: 1, Input: 1})
		p := c2.Params()
		p[1], p[2], p[3] = 0, float32(tc.z), float32(tc.b) // layout: W_ih, M, b_ih, b
		if err := c2.ParamsChanged(); err != nil {
			t.Fatal(err)
		}
		k1 := c2.NewCache()
		h1 := make([]float32, 1)
		c2.Forward(k1, h1, []float32{0}, []float32{0})
		g1 := make([]float32, 4)
		c2.Backward(k1, make([]float32, 1), nil, g1, []float32{1})
		if math.Abs(float64(g1[2])-wantZ) > 1e-6 || math.Abs(float64(g1[3])-wantB) > 1e-6 {
			t.Errorf("z=%v b=%v: (∂h/∂z, ∂h/∂b) = (%v, %v), central differences (%v, %v)", tc.z, tc.b, g1[2], g1[3], wantZ, wantB)
		}
	}
}

// W = exp(A) against a float64 eigen-decomposition of the skew-symmetric A (gonum:
// A = VΛV⁻¹, exp(A) = V·e^Λ·V⁻¹), and both maps against the float64 references of
// package ref at a larger size; W is orthogonal to float32 accuracy.
func TestOrthogonalWAgainstFloat64(t *testing.T) {
	// Eigen-decomposition, n = 6.
	f, c := newOrtho(t, cell.OrthoExp, 6, 2, 1)
	n := 6
	m := f.r.Params[2*n : 2*n+n*n]
	a := make([]float64, n*n)
	for i := range n {
		for j := range n {
			a[i*n+j] = (m[i*n+j] - m[j*n+i]) / 2
		}
	}
	var eig mat.Eigen
	if !eig.Factorize(mat.NewDense(n, n, a), mat.EigenRight) {
		t.Fatal("gonum's eigen decomposition failed")
	}
	vals := eig.Values(nil)
	var v mat.CDense
	eig.VectorsTo(&v)
	// A is normal with distinct eigenvalues, so its unit eigenvectors are orthonormal:
	// V⁻¹ = Vᴴ (checked).
	for i := range n {
		for j := range n {
			var s complex128
			for k := range n {
				s += cmplx.Conj(v.At(k, i)) * v.At(k, j)
			}
			if want := complex(float64(map[bool]int{true: 1}[i == j]), 0); cmplx.Abs(s-want) > 1e-10 {
				t.Fatalf("eigenvectors not orthonormal: (VᴴV)[%d][%d] = %v", i, j, s)
			}
		}
	}
	w := c.RecurrentWeights()
	var worst float64
	for i := range n {
		for j := range n {
			var s complex128
			for k := range n {
				s += v.At(i, k) * cmplx.Exp(vals[k]) * cmplx.Conj(v.At(j, k))
			}
			if math.Abs(imag(s)) > 1e-12 {
				t.Fatalf("exp(A)[%d][%d] = %v is not real", i, j, s)
			}
			worst = math.Max(worst, math.Abs(float64(w.At(i, j))-real(s)))
		}
	}
	if worst > 2e-6 {
		t.Errorf("W against V·exp(Λ)·V⁻¹: max error %.3g", worst)
	}
	for _, mp := range orthoMaps {
		for _, n := range []int{1, 2, 40} {
			f, c := newOrtho(t, mp, n, 3, uint64(n))
			want := ref.OrthoWeights(f.r.Params[3*n:3*n+n*n], n, mp == cell.OrthoCayley)
			got := c.RecurrentWeights()
			if got.Rows != n || got.Cols != n {
				t.Fatalf("RecurrentWeights is %d×%d", got.Rows, got.Cols)
			}
			closeTo(t, fmt.Sprintf("%v W (n=%d)", mp, n), got.Data, want, 3e-6, 0)
			if d := orthoDefect(got); d > 1e-5 {
				t.Errorf("%v n=%d: ‖WᵀW − I‖_F = %.3g", mp, n, d)
			}
		}
	}
}

// orthoDefect is ‖WᵀW − I‖_F in float64.
func orthoDefect(w kernels.Mat) float64 {
	n := w.Rows
	var s float64
	for i := range n {
		for j := range n {
			var d float64
			for k := range n {
				d += float64(w.At(k, i)) * float64(w.At(k, j))
			}
			if i == j {
				d--
			}
			s += d * d
		}
	}
	return math.Sqrt(s)
}

// The step and every derivative against the float64 reference: Forward; the state and
// input Jacobians (diag(σ')·W and diag(σ')·W_ih) against central differences of the
// reference step; StateJVP, UnitJacobian, InputVJP and AddInputJVP against them;
// Backward's state and input adjoints; its parameter gradient, mapped by ParamGrad,
// against central differences of vᵀ·s_t with respect to every parameter, weight_hh_l0's
// entries included (so through W's derivative); and the immediate Jacobian (AddImmediate,
// AddImmediateVJP, ImmediateCoefficients with BiasHHInput) consistent with Backward.
func TestOrthogonalDerivatives(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, mp := range orthoMaps {
			t.Run(mp.String(), func(t *testing.T) {
				const h, in = 6, 4
				f, c := newOrtho(t, mp, h, in, 5)
				cache := c.NewCache()
				next := make([]float32, h)
				c.Forward(cache, next, f.prev, f.x)
				prev64, x64 := to64(f.prev), to64(f.x)
				closeTo(t, "s_t", next, f.r.Step(prev64, x64), 1e-6, 1e-5)

				jac := ref.Jacobian(func() []float64 { return f.r.Step(prev64, x64) }, prev64, fdEps)
				j := kernels.NewMat(h, h)
				c.StateJacobian(cache, j)
				for r := range h {
					closeTo(t, fmt.Sprintf("J row %d", r), j.Row(r), jac[r], atol, rtol)
				}
				ajac := ref.Jacobian(func() []float64 { return f.r.Step(prev64, x64) }, x64, fdEps)
				a := kernels.NewMat(h, in)
				c.InputJacobian(cache, a)
				for r := range h {
					closeTo(t, fmt.Sprintf("A row %d", r), a.Row(r), ajac[r], atol, rtol)
				}

				v := randVec(f.rng, h)
				jv := make([]float32, h)
				c.StateJVP(cache, jv, v)
				want := make([]float64, h)
				for r := range h {
					want[r] = ref.Dot(jac[r], to64(v))
				}
				closeTo(t, "J·v", jv, want, atol, rtol)
				blocks := make([]float32, h)
				c.UnitJacobian(cache, blocks)
				diag := make([]float64, h)
				for u := range h {
					diag[u] = jac[u][u]
				}
				closeTo(t, "unit blocks", blocks, diag, atol, rtol)

				dPrev, dx, grad := make([]float32, h), make([]float32, in), make([]float32, c.NumParams())
				c.Backward(cache, dPrev, dx, grad, v)
				wantPrev, wantX := make([]float64, h), make([]float64, in)
				for r := range h {
					for k := range h {
						wantPrev[k] += jac[r][k] * float64(v[r])
					}
					for k := range in {
						wantX[k] += ajac[r][k] * float64(v[r])
					}
				}
				closeTo(t, "∂L/∂s_{t-1}", dPrev, wantPrev, atol, rtol)
				closeTo(t, "∂L/∂x_t", dx, wantX, atol, rtol)
				ivjp := make([]float32, in)
				c.InputVJP(cache, ivjp, v)
				closeTo(t, "InputVJP", ivjp, wantX, atol, rtol)
				w := randVec(f.rng, in)
				ajv := make([]float32, h)
				c.AddInputJVP(cache, ajv, w)
				wantAJ := make([]float64, h)
				for r := range h {
					wantAJ[r] = ref.Dot(ajac[r], to64(w))
				}
				closeTo(t, "A·w", ajv, wantAJ, atol, rtol)

				// ∂(vᵀ·s_t)/∂θ through ParamGrad, against central differences in θ.
				vd := to64(v)
				fd := ref.Gradient(func() float64 { return ref.Dot(vd, f.r.Step(prev64, x64)) }, f.r.Params, fdEps)
				pg := make([]float32, len(grad))
				c.ParamGrad(pg, grad)
				closeTo(t, "∂θ", pg, fd, atol, rtol)

				// The immediate Jacobian (weight_hh_l0 with respect to W) agrees with Backward's
				// gradient three ways.
				vjp := make([]float32, len(grad))
				c.AddImmediateVJP(cache, vjp, v)
				closeTo(t, "AddImmediateVJP", vjp, to64(grad), 1e-6, 1e-6)
				imm := kernels.NewMat(h, c.NumParams())
				c.AddImmediate(cache, imm)
				fromImm := make([]float64, c.NumParams())
				for r := range h {
					for p, x := range imm.Row(r) {
						fromImm[p] += float64(v[r]) * float64(x)
					}
				}
				closeTo(t, "vᵀ·AddImmediate", grad, fromImm, 1e-6, 1e-6)
				coefIH, coefHH := make([]float32, h), make([]float32, h)
				c.ImmediateCoefficients(cache, coefIH, coefHH)
				beta := cache.BiasHHInput()
				l := c.Layout()
				for u := range h {
					if got, want := imm.At(u, l.BiasHH+u), coefHH[u]*beta[u]; got != want {
						t.Errorf("∂s[%d]/∂bias_hh[%d] = %v, coefHH·β = %v", u, u, got, want)
					}
					if got, want := imm.At(u, l.BiasIH+u), coefIH[u]; got != want {
						t.Errorf("∂s[%d]/∂bias_ih[%d] = %v, coefIH = %v", u, u, got, want)
					}
				}
			})
		}
	})
}

// A minibatch of three sequences steps as the three sequences do one at a time, forward
// and backward (the weight gradient summed), and BackwardBatch is Backward bit for bit.
func TestOrthogonalBatch(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, mp := range orthoMaps {
			const h, in, b = 5, 3, 3
			f, c := newOrtho(t, mp, h, in, 9)
			var prevs, xs, dNexts [][]float32
			for range b {
				prevs = append(prevs, randVec(f.rng, h))
				xs = append(xs, randVec(f.rng, in))
				dNexts = append(dNexts, randVec(f.rng, h))
			}
			k := c.NewBatchCache(b)
			next := make([]float32, h*b)
			c.Forward(k, next, fm(prevs), fm(xs))
			dPrev, dx, grad := make([]float32, h*b), make([]float32, in*b), make([]float32, c.NumParams())
			c.Backward(k, dPrev, dx, grad, fm(dNexts))
			want := make([]float64, c.NumParams())
			one := c.NewCache()
			for j := range b {
				n1, dp, dxx, g := make([]float32, h), make([]float32, h), make([]float32, in), make([]float32, c.NumParams())
				c.Forward(one, n1, prevs[j], xs[j])
				closeTo(t, "s_t", column(next, b, j), to64(n1), 1e-6, 1e-5)
				c.Backward(one, dp, dxx, g, dNexts[j])
				closeTo(t, "dPrev", column(dPrev, b, j), to64(dp), 1e-6, 1e-5)
				closeTo(t, "dx", column(dx, b, j), to64(dxx), 1e-6, 1e-5)
				for i, v := range g {
					want[i] += float64(v)
				}
			}
			closeTo(t, "∂θ", grad, want, 1e-5, 1e-5)
			gb, err := cell.NewGradBatch(c, 2*b)
			if err != nil {
				t.Fatal(err)
			}
			grad2 := make([]float32, c.NumParams())
			c.Forward(k, next, fm(prevs), fm(xs))
			c.BackwardBatch(k, make([]float32, h*b), nil, grad2, gb, fm(dNexts))
			gb.Flush(grad2)
			if !slices.Equal(grad, grad2) {
				t.Errorf("%v: BackwardBatch differs from Backward", mp)
			}
		}
	})
}

// W follows the parameters exactly when told (ParamsChanged), and only then; ParamGrad
// maps at the parameters W was derived from; a NaN weight_hh_l0 is an error that leaves W
// NaN, and fixing it recovers; the initialisers and New leave W consistent.
func TestOrthogonalParamsChanged(t *testing.T) {
	for _, mp := range orthoMaps {
		const h = 8
		c, err := cell.New(cell.Config{Kind: cell.Orthogonal, Hidden: h, Input: 2, OrthoMap: mp})
		if err != nil {
			t.Fatal(err)
		}
		w := c.RecurrentWeights()
		for i := range h {
			for j := range h {
				if want := float32(map[bool]int{true: 1}[i == j]); w.At(i, j) != want {
					t.Fatalf("%v: new cell's W[%d][%d] = %v, want the identity", mp, i, j, w.At(i, j))
				}
			}
		}
		cell.InitHenaff(c, rand.New(rand.NewPCG(3, 3)))
		l := c.Layout()
		m := c.Params()[l.WeightHH:l.BiasIH]
		fresh := func() []float32 {
			c2, err := cell.New(cell.Config{Kind: cell.Orthogonal, Hidden: h, Input: 2, OrthoMap: mp})
			if err != nil {
				t.Fatal(err)
			}
			copy(c2.Params(), c.Params())
			if err := c2.ParamsChanged(); err != nil {
				t.Fatal(err)
			}
			return c2.RecurrentWeights().Data
		}
		if !slices.Equal(w.Data, fresh()) {
			t.Fatalf("%v: after InitHenaff W is not the derivation of its parameters", mp)
		}
		g := make([]float32, c.NumParams())
		for i := range g {
			g[i] = float32(i%5) - 2
		}
		before := make([]float32, len(g))
		c.ParamGrad(before, g)
		old := slices.Clone(w.Data)
		m[1] += 0.5
		m[h] -= 0.5
		if !slices.Equal(w.Data, old) {
			t.Fatalf("%v: W changed before ParamsChanged", mp)
		}
		after := make([]float32, len(g))
		c.ParamGrad(after, g)
		if !slices.Equal(before, after) {
			t.Errorf("%v: ParamGrad did not map at the parameters W was derived from", mp)
		}
		if err := c.ParamsChanged(); err != nil {
			t.Fatal(err)
		}
		if slices.Equal(w.Data, old) || !slices.Equal(w.Data, fresh()) {
			t.Errorf("%v: after ParamsChanged W is not the derivation of the new parameters", mp)
		}
		// Nothing changed: the same W, bit for bit.
		cur := slices.Clone(w.Data)
		if err := c.ParamsChanged(); err != nil || !slices.Equal(w.Data, cur) {
			t.Errorf("%v: a second ParamsChanged changed W (%v)", mp, err)
		}
		m[2] = float32(math.NaN())
		if err := c.ParamsChanged(); err == nil || !strings.Contains(err.Error(), "NaN") {
			t.Errorf("%v: NaN weight_hh_l0: %v", mp, err)
		}
		if !math.IsNaN(float64(w.At(0, 0))) {
			t.Errorf("%v: W is %v after a failed derivation, want NaN", mp, w.At(0, 0))
		}
		c.ParamGrad(after, g)
		if !math.IsNaN(float64(after[l.WeightHH])) || after[0] != g[0] {
			t.Errorf("%v: ParamGrad after a failed derivation: weight_hh %v (want NaN), weight_ih %v (want %v)", mp, after[l.WeightHH], after[0], g[0])
		}
		m[2] = 0.25
		if err := c.ParamsChanged(); err != nil || !slices.Equal(w.Data, fresh()) {
			t.Errorf("%v: recovery after a NaN: %v", mp, err)
		}
	}
	// Henaff's W is the block diagonal of rotations by the drawn angles.
	c, _ := cell.New(cell.Config{Kind: cell.Orthogonal, Hidden: 5, Input: 1})
	cell.InitHenaff(c, rand.New(rand.NewPCG(4, 4)))
	l, w := c.Layout(), c.RecurrentWeights()
	p := c.Params()
	for i := 0; i+1 < 5; i += 2 {
		th := float64(p[l.WeightHH+i*5+i+1])
		if th < -math.Pi || th >= math.Pi || p[l.WeightHH+(i+1)*5+i] != float32(-th) {
			t.Fatalf("Henaff block %d: θ = %v", i/2, th)
		}
		cs, sn := math.Cos(th), math.Sin(th)
		for _, e := range []struct {
			r, c int
			want float64
		}{{i, i, cs}, {i, i + 1, sn}, {i + 1, i, -sn}, {i + 1, i + 1, cs}} {
			if d := float64(w.At(e.r, e.c)) - e.want; math.Abs(d) > 1e-6 {
				t.Errorf("Henaff W[%d][%d] = %v, want %v", e.r, e.c, w.At(e.r, e.c), e.want)
			}
		}
	}
	if w.At(4, 4) != 1 || p[l.BiasIH] != 0 || math.Abs(float64(p[l.BiasHH])) > 0.01 {
		t.Errorf("Henaff: W[4][4] = %v, b_ih = %v, modReLU bias %v", w.At(4, 4), p[l.BiasIH], p[l.BiasHH])
	}
	defer func() {
		if recover() == nil {
			t.Error("InitHenaff on a GRU did not panic")
		}
	}()
	g, _ := cell.New(cell.Config{Kind: cell.GRU, Hidden: 3, Input: 1})
	cell.InitHenaff(g, rand.New(rand.NewPCG(1, 1)))
}

// Configuration errors: a map for another kind, an unknown map, a leak.
func TestOrthogonalConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  cell.Config
		want string
	}{
		{cell.Config{Kind: cell.GRU, Hidden: 3, Input: 2, OrthoMap: cell.OrthoCayley}, "only the orthogonal cell has one"},
		{cell.Config{Kind: cell.Orthogonal, Hidden: 3, Input: 2, OrthoMap: 7}, "unknown orthogonal map"},
		{cell.Config{Kind: cell.Orthogonal, Hidden: 3, Input: 2, Alpha: 0.5}, "only rnn_tanh and rnn_relu have a leak"},
	} {
		if _, err := cell.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error containing %q", tc.cfg, err, tc.want)
		}
	}
	if k, err := cell.ParseKind("orthogonal"); err != nil || k != cell.Orthogonal || k.Gates() != 1 || k.StateFactor() != 1 || k.IsVanilla() {
		t.Errorf("ParseKind(orthogonal) = %v, %v", k, err)
	}
	if _, err := cell.ParseOrthoMap("expm"); err == nil {
		t.Error("ParseOrthoMap(expm): no error")
	}
}

// Model files: a round trip keeps every parameter, the map and W; a non-skew
// weight_hh_l{k} is saved as its skew part (the same W, so the same model) and loads; a
// file whose weight_hh is not skew-symmetric, has the wrong shape, names a map for another
// kind or an unknown map is refused with one line naming the tensor or key.
func TestOrthogonalModelFile(t *testing.T) {
	for _, mp := range orthoMaps {
		m, err := cell.NewStack(cell.Config{Kind: cell.Orthogonal, Hidden: 4, Input: 3, OrthoMap: mp}, 2, 2)
		if err != nil {
			t.Fatal(err)
		}
		m.Init(rand.New(rand.NewPCG(5, 5)), cell.InitHenaff)
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		got, err := cell.ReadModel(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind() != cell.Orthogonal || got.OrthoMap() != mp || got.NumLayers() != 2 {
			t.Fatalf("round trip: %v %v, %d layers", got.Kind(), got.OrthoMap(), got.NumLayers())
		}
		for k := range m.Layers {
			if !slices.Equal(got.Layers[k].Params(), m.Layers[k].Params()) || !slices.Equal(got.Layers[k].RecurrentWeights().Data, m.Layers[k].RecurrentWeights().Data) {
				t.Errorf("%v: layer %d differs after a round trip", mp, k)
			}
		}
		// A non-skew weight_hh: the file holds its skew part, which gives the same W.
		l := m.Layers[1].Layout()
		mm := m.Layers[1].Params()[l.WeightHH:l.BiasIH]
		for i := range mm {
			mm[i] += 0.125 * float32(i%3) // symmetric part and diagonal
		}
		mm[1] += 0.25
		mm[4] += 0.25 // [0][1] and [1][0] both: symmetric, cancels in A
		if err := m.ParamsChanged(); err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		got, err = cell.ReadModel(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("%v: a saved non-skew parameter does not load: %v", mp, err)
		}
		closeTo(t, "W of the loaded skew part", got.Layers[1].RecurrentWeights().Data, to64(m.Layers[1].RecurrentWeights().Data), 1e-6, 0)
		if d := m.Layers[1].Params()[l.WeightHH+1]; d == got.Layers[1].Params()[l.WeightHH+1] {
			t.Errorf("%v: the file kept the non-skew entry %v", mp, d)
		}
	}

	good := func() *cell.Model {
		m, _ := cell.NewModel(cell.Config{Kind: cell.Orthogonal, Hidden: 3, Input: 2}, 1)
		m.Init(rand.New(rand.NewPCG(6, 6)), cell.InitHenaff)
		return m
	}
	write := func(m *cell.Model, meta map[string]string, edit func(map[string][]float32, map[string][]int)) []byte {
		tensors := map[string][]float32{}
		shapes := map[string][]int{}
		p := make([]float32, m.NumParams())
		m.CopyParams(p)
		for _, tn := range m.Tensors() {
			tensors[tn.Name], shapes[tn.Name] = slices.Clone(tn.Of(p)), tn.Shape
		}
		for _, tn := range m.Head.Tensors() {
			tensors[tn.Name], shapes[tn.Name] = slices.Clone(tn.Of(m.Head.Params())), tn.Shape
		}
		edit(tensors, shapes)
		return encodeSafetensors(t, tensors, shapes, meta)
	}
	meta := map[string]string{"cell": "orthogonal"}
	for _, tc := range []struct {
		name string
		meta map[string]string
		edit func(map[string][]float32, map[string][]int)
		want string
	}{
		{"not skew", meta, func(tn map[string][]float32, _ map[string][]int) { tn["weight_hh_l0"][1] += 0.5 },
			`tensor "weight_hh_l0" is not skew-symmetric: element [0][1]`},
		{"diagonal", meta, func(tn map[string][]float32, _ map[string][]int) { tn["weight_hh_l0"][4] = 0.5 },
			`tensor "weight_hh_l0" is not skew-symmetric: element [1][1] = 0.5, want 0`},
		{"shape", meta, func(tn map[string][]float32, sh map[string][]int) {
			tn["weight_hh_l0"], sh["weight_hh_l0"] = make([]float32, 12), []int{3, 4}
		}, `tensor "weight_hh_l0" has shape [3 4]`},
		{"map for gru", map[string]string{"cell": "orthogonal", "orthogonal_map": "rotation"}, func(map[string][]float32, map[string][]int) {},
			`metadata "orthogonal_map": cell: unknown orthogonal map "rotation"`},
	} {
		_, err := cell.ReadModel(bytes.NewReader(write(good(), tc.meta, tc.edit)))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line containing %s", tc.name, err, tc.want)
		}
	}
	g, _ := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: 3, Input: 2}, 1)
	_, err := cell.ReadModel(bytes.NewReader(write(g, map[string]string{"cell": "gru", "orthogonal_map": "exp"}, func(map[string][]float32, map[string][]int) {})))
	if err == nil || !strings.Contains(err.Error(), `metadata "orthogonal_map" = "exp" for a gru cell`) {
		t.Errorf("orthogonal_map for a GRU: %v", err)
	}
}

// encodeSafetensors writes a safetensors file by hand (the format: an 8-byte little-endian
// header length, a JSON header, the data).
func encodeSafetensors(t *testing.T, tensors map[string][]float32, shapes map[string][]int, meta map[string]string) []byte {
	t.Helper()
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	slices.Sort(names)
	header := map[string]any{"__metadata__": meta}
	var data bytes.Buffer
	for _, n := range names {
		start := data.Len()
		for _, v := range tensors[n] {
			b := math.Float32bits(v)
			data.Write([]byte{byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24)})
		}
		header[n] = map[string]any{"dtype": "F32", "shape": shapes[n], "data_offsets": []int{start, data.Len()}}
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	n := uint64(len(h))
	for i := range 8 {
		out.WriteByte(byte(n >> (8 * i)))
	}
	out.Write(h)
	out.Write(data.Bytes())
	return out.Bytes()
}

// A NaN pre-activation or modReLU bias makes its unit NaN (it is not masked to zero), for
// one sequence and for a batch.
func TestOrthogonalNaNPropagates(t *testing.T) {
	for _, b := range []int{1, 3} {
		c, _ := cell.New(cell.Config{Kind: cell.Orthogonal, Hidden: 3, Input: 1})
		l := c.Layout()
		p := c.Params()
		p[l.BiasIH], p[l.BiasIH+1], p[l.BiasIH+2] = float32(math.NaN()), 0.5, -0.5
		p[l.BiasHH+2] = float32(math.NaN())
		if err := c.ParamsChanged(); err != nil {
			t.Fatal(err)
		}
		k := c.NewBatchCache(b)
		next := make([]float32, 3*b)
		c.Forward(k, next, make([]float32, 3*b), make([]float32, b))
		for j := range b {
			if h := column(next, b, j); !math.IsNaN(float64(h[0])) || h[1] != 0.5 || !math.IsNaN(float64(h[2])) {
				t.Errorf("B=%d sequence %d: h = %v, want [NaN 0.5 NaN]", b, j, h)
			}
		}
	}
}
