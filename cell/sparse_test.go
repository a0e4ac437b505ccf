package cell_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
	"github.com/chronograd/chronograd/kernels"
)

// whh is c's weight_hh_l0.
func whh(c cell.Cell) []float32 {
	l := c.Layout()
	return c.Params()[l.WeightHH:l.BiasIH]
}

// Sparsify keeps round(d·H) entries of every row, zeroes the rest, and reports the
// density it kept; the magnitude method keeps each row's largest entries.
func TestSparsify(t *testing.T) {
	const h = 13
	for _, kind := range cell.Kinds() {
		if kind == cell.Orthogonal {
			continue // rejected: TestSparsifyRejects
		}
		for _, method := range []cell.MaskMethod{cell.MaskRandom, cell.MaskMagnitude} {
			c, err := cell.New(cell.Config{Kind: kind, Hidden: h, Input: 3})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			cell.InitDefault(c, rng)
			before := slices.Clone(whh(c))
			if err := cell.Sparsify(c, 0.3, method, rng); err != nil {
				t.Fatal(err)
			}
			keep, p := cell.RecurrentMask(c), cell.RecurrentPattern(c)
			rows := kind.Gates() * h
			if len(keep) != rows*h || p == nil || p.Kept() != 4*rows {
				t.Fatalf("%v %v: mask of %d entries, %v kept", kind, method, len(keep), p)
			}
			if d := cell.RecurrentDensity(c); d != 4.0/13 {
				t.Errorf("%v %v: density %v, want 4/13", kind, method, d)
			}
			w := whh(c)
			for r := range rows {
				kept := p.Row(r)
				if len(kept) != 4 {
					t.Fatalf("%v %v: row %d keeps %d entries, want 4", kind, method, r, len(kept))
				}
				smallestKept := math.Inf(1)
				for j := range h {
					i := r*h + j
					if keep[i] != slices.Contains(kept, int32(j)) {
						t.Fatalf("%v %v: mask and pattern disagree at (%d, %d)", kind, method, r, j)
					}
					if keep[i] {
						smallestKept = min(smallestKept, math.Abs(float64(before[i])))
						if w[i] != before[i] {
							t.Fatalf("%v %v: kept weight (%d, %d) changed", kind, method, r, j)
						}
					} else if w[i] != 0 {
						t.Fatalf("%v %v: dropped weight (%d, %d) is %v", kind, method, r, j, w[i])
					}
				}
				if method == cell.MaskMagnitude {
					for j := range h {
						if i := r*h + j; !keep[i] && math.Abs(float64(before[i])) > smallestKept {
							t.Fatalf("%v: row %d dropped |%v| but kept |%v|", kind, r, before[i], smallestKept)
						}
					}
				}
			}
		}
	}
}

func TestSparsifyRejects(t *testing.T) {
	c, err := cell.New(cell.Config{Kind: cell.GRU, Hidden: 4, Input: 2})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, d := range []float64{0, -0.5, 1.0000001, 2, math.NaN(), math.Inf(1)} {
		if err := cell.Sparsify(c, d, cell.MaskRandom, rng); err == nil || !strings.Contains(err.Error(), "out of range (0, 1]") {
			t.Errorf("density %v: %v", d, err)
		}
	}
	if err := cell.Sparsify(c, 0.5, cell.MaskRandom, nil); err == nil {
		t.Error("a random mask without a random source")
	}
	if err := cell.SetRecurrentMask(c, make([]bool, 5)); err == nil || !strings.Contains(err.Error(), "5 entries") {
		t.Errorf("a short mask: %v", err)
	}
	o, err := cell.New(cell.Config{Kind: cell.Orthogonal, Hidden: 4, Input: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := cell.Sparsify(o, 0.5, cell.MaskRandom, rng); err == nil || !strings.Contains(err.Error(), "dense by construction") {
		t.Errorf("an orthogonal cell: %v", err)
	}
	if _, err := cell.ParseMaskMethod("sideways"); err == nil || !strings.Contains(err.Error(), "random or magnitude") {
		t.Errorf("ParseMaskMethod: %v", err)
	}
	if cell.RecurrentMask(c) != nil || cell.RecurrentDensity(c) != 1 {
		t.Error("a refused mask was set")
	}
	if err := cell.Sparsify(c, 1, cell.MaskRandom, rng); err != nil || cell.RecurrentDensity(c) != 1 || cell.RecurrentMask(c) == nil {
		t.Errorf("density 1: %v", err)
	}
}

// A sparse cell computes what the dense cell with the same weights (zeros where the mask
// drops them) computes: forward, backward, the Jacobians, on every tier, below the
// crossover (products through the pattern) and above it (dense products); a narrow cell
// never goes through the pattern.
func TestSparseCellMatchesDense(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, cfg := range testConfigs {
			cfg.Hidden = 130
			for _, density := range []float64{0.03, 0.2, 0.5} {
				f := newFixture(t, cfg, 11)
				if err := cell.Sparsify(f.c, density, cell.MaskRandom, f.rng); err != nil {
					t.Fatal(err)
				}
				want := density < 0.05 || kernels.Impl() == kernels.Generic && density < 0.25
				if got := cell.SparseProducts(f.c); got != want {
					t.Fatalf("%s density %v: products through the pattern: %v", configName(cfg), density, got)
				}
				dense, err := cell.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				copy(dense.Params(), f.c.Params())
				compareCells(t, configName(cfg), f.c, dense, f.prev, f.x, f.rng)
			}
		}
	})
	narrow, err := cell.New(cell.Config{Kind: cell.GRU, Hidden: 32, Input: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := cell.Sparsify(narrow, 0.03, cell.MaskRandom, rand.New(rand.NewPCG(1, 1))); err != nil || cell.SparseProducts(narrow) != (kernels.Impl() == kernels.Generic) {
		t.Errorf("H=32 at density 0.03 on %v: products through the pattern: %v (%v)", kernels.Impl(), cell.SparseProducts(narrow), err)
	}
}

// compareCells runs the same step through both cells and checks every output.
func compareCells(t *testing.T, name string, sparse, dense cell.Cell, prev, x []float32, rng *rand.Rand) {
	t.Helper()
	s, in := dense.StateSize(), dense.InputSize()
	ks, kd := sparse.NewCache(), dense.NewCache()
	ns, nd := make([]float32, s), make([]float32, s)
	sparse.Forward(ks, ns, prev, x)
	dense.Forward(kd, nd, prev, x)
	closeTo(t, name+" next", ns, to64(nd), 1e-6, 1e-5)
	dNext := randVec(rng, s)
	ps, pd := make([]float32, s), make([]float32, s)
	xs, xd := make([]float32, in), make([]float32, in)
	gs, gd := make([]float32, dense.NumParams()), make([]float32, dense.NumParams())
	sparse.Backward(ks, ps, xs, gs, dNext)
	dense.Backward(kd, pd, xd, gd, dNext)
	closeTo(t, name+" dPrev", ps, to64(pd), 1e-6, 1e-5)
	closeTo(t, name+" dx", xs, to64(xd), 1e-6, 1e-5)
	closeTo(t, name+" grad", gs, to64(gd), 1e-6, 1e-5)
	v := randVec(rng, s)
	sparse.StateJVP(ks, ps, v)
	dense.StateJVP(kd, pd, v)
	closeTo(t, name+" J·v", ps, to64(pd), 1e-6, 1e-5)
	js, jd := kernels.NewMat(s, s), kernels.NewMat(s, s)
	sparse.StateJacobian(ks, js)
	dense.StateJacobian(kd, jd)
	closeTo(t, name+" J", js.Data, to64(jd.Data), 1e-6, 1e-5)
}

// Below the crossover a step of one sequence never reads a dropped weight: with NaN
// planted there (which breaks the invariant on purpose) the forward and backward steps
// stay finite.
func TestSparseProductsSkipDroppedWeights(t *testing.T) {
	for _, cfg := range testConfigs {
		cfg.Hidden = 130
		f := newFixture(t, cfg, 5)
		if err := cell.Sparsify(f.c, 0.03, cell.MaskRandom, f.rng); err != nil {
			t.Fatal(err)
		}
		keep, w := cell.RecurrentMask(f.c), whh(f.c)
		for i, k := range keep {
			if !k {
				w[i] = float32(math.NaN())
			}
		}
		k := f.c.NewCache()
		next := make([]float32, f.c.StateSize())
		f.c.Forward(k, next, f.prev, f.x)
		dPrev := make([]float32, f.c.StateSize())
		f.c.Backward(k, dPrev, nil, nil, randVec(f.rng, f.c.StateSize()))
		f.c.StateJVP(k, dPrev, dPrev)
		for _, v := range slices.Concat(next, dPrev) {
			if math.IsNaN(float64(v)) {
				t.Fatalf("%s: a step read a dropped weight", configName(cfg))
			}
		}
	}
}

// Every initialiser leaves the dropped weights at zero, and so does Model.Init with any
// function.
func TestInitKeepsTheMask(t *testing.T) {
	m, err := cell.NewStack(cell.Config{Kind: cell.LSTM, Hidden: 9, Input: 4}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	if err := m.Sparsify(0.25, cell.MaskRandom, rng); err != nil {
		t.Fatal(err)
	}
	check := func(what string) {
		t.Helper()
		for k, l := range m.Layers {
			for i, kept := range cell.RecurrentMask(l) {
				if !kept && whh(l)[i] != 0 {
					t.Fatalf("%s: layer %d's dropped weight %d is %v", what, k, i, whh(l)[i])
				}
			}
		}
	}
	for name, init := range map[string]func(cell.Cell, *rand.Rand){
		"default":    cell.InitDefault,
		"orthogonal": cell.InitOrthogonal,
		"identity":   func(c cell.Cell, r *rand.Rand) { cell.InitIdentity(c, r, 1) },
	} {
		for _, l := range m.Layers {
			init(l, rng)
		}
		check(name)
	}
	m.Init(rng, func(c cell.Cell, _ *rand.Rand) {
		for i := range c.Params() {
			c.Params()[i] = 1
		}
	})
	check("Model.Init")
	for _, l := range m.Layers {
		for i := range l.Params() {
			l.Params()[i] = 2
		}
	}
	m.EnforceMasks()
	check("EnforceMasks")
}

// MaskGrad zeroes a flat vector where a layer's mask drops a weight, and nowhere else.
func TestMaskGrad(t *testing.T) {
	m, err := cell.NewStack(cell.Config{Kind: cell.GRU, Hidden: 6, Input: 4}, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := cell.Sparsify(m.Layers[1], 0.5, cell.MaskRandom, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	if !m.Sparse() || m.RecurrentDensity() != 0.75 {
		t.Fatalf("Sparse %v, density %v (want 0.75: one of two layers keeps half)", m.Sparse(), m.RecurrentDensity())
	}
	v := make([]float32, m.NumParams())
	for i := range v {
		v[i] = float32(i + 1)
	}
	m.MaskGrad(v)
	lay := m.Layers[1].Layout()
	off := m.ParamOffset(1) + lay.WeightHH
	keep := cell.RecurrentMask(m.Layers[1])
	for i, x := range v {
		j := i - off
		dropped := j >= 0 && j < len(keep) && !keep[j]
		if (x == 0) != dropped {
			t.Fatalf("entry %d is %v (dropped: %v)", i, x, dropped)
		}
	}
}

// A sparse model's file holds weight_hh_l{k}_mask (F32, 1 kept, 0 dropped) and reads back
// with the same masks and weights.
func TestSparseModelFile(t *testing.T) {
	m, err := cell.NewStack(cell.Config{Kind: cell.RNNTanh, Hidden: 8, Input: 3}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	m.Init(rng, cell.InitDefault)
	if err := m.Sparsify(0.25, cell.MaskMagnitude, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 2 {
		mt := f.Tensors[cell.MaskTensorName(k)]
		if mt == nil || mt.DType != safetensors.F32 || !slices.Equal(mt.Shape, []int{8, 8}) {
			t.Fatalf("layer %d's mask tensor: %+v", k, mt)
		}
		for i, kept := range cell.RecurrentMask(m.Layers[k]) {
			if want := map[bool]float32{true: 1, false: 0}[kept]; mt.F32[i] != want {
				t.Fatalf("mask %d element %d is %v, want %v", k, i, mt.F32[i], want)
			}
		}
	}
	back, err := cell.LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 2 {
		if !slices.Equal(cell.RecurrentMask(back.Layers[k]), cell.RecurrentMask(m.Layers[k])) || !slices.Equal(back.Layers[k].Params(), m.Layers[k].Params()) {
			t.Fatalf("layer %d differs after the round trip", k)
		}
	}
}

// A mask in a file is checked: 0s and 1s only, the weight exactly zero where it is 0, the
// right shape, and only for layers the file has.
func TestSparseModelFileValidation(t *testing.T) {
	valid := func() *safetensors.File {
		m := randomModel(t, cell.Config{Kind: cell.GRU, Hidden: testH, Input: testI}, 2)
		if err := m.Sparsify(0.3, cell.MaskRandom, rand.New(rand.NewPCG(2, 2))); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		f, err := safetensors.ReadStream(&buf, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	firstDropped := func(f *safetensors.File) int {
		return slices.Index(f.Tensors["weight_hh_l0_mask"].F32, 0)
	}
	for _, c := range []struct {
		name string
		edit func(f *safetensors.File)
		want string
	}{
		{"value 2", func(f *safetensors.File) { f.Tensors["weight_hh_l0_mask"].F32[3] = 2 }, `"weight_hh_l0_mask": element 3 is 2; a mask holds 0 (dropped) or 1 (kept)`},
		{"NaN", func(f *safetensors.File) { f.Tensors["weight_hh_l0_mask"].F32[0] = float32(math.NaN()) }, `"weight_hh_l0_mask": element 0 is NaN`},
		{"weight under a 0", func(f *safetensors.File) {
			i := firstDropped(f)
			f.Tensors["weight_hh_l0"].F32[i] = 0.5
		}, `where weight_hh_l0_mask drops it (a masked weight must be exactly 0)`},
		{"shape", func(f *safetensors.File) {
			tt := f.Tensors["weight_hh_l0_mask"]
			tt.Shape = []int{testH, 3 * testH}
		}, `"weight_hh_l0_mask" has shape [7 21], want [21 7]`},
		{"a layer the file lacks", func(f *safetensors.File) { f.Tensors["weight_hh_l1_mask"] = f.Tensors["weight_hh_l0_mask"] }, `unexpected tensor "weight_hh_l1_mask"`},
	} {
		f := valid()
		c.edit(f)
		_, err := cell.ReadModel(bytes.NewReader(rawFile(f)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := cell.ReadModel(bytes.NewReader(rawFile(valid()))); err != nil {
		t.Fatalf("the valid file: %v", err)
	}
}
