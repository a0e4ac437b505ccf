package cell

import (
	"fmt"
	"math"
	"slices"

	"github.com/chronograd/chronograd/internal/expm"
	"github.com/chronograd/chronograd/kernels"
)

func init() {
	register(Orthogonal, kindSpec{name: "orthogonal", gates: 1, stateFactor: 1, eq: orthogonal{}, setup: setupOrthogonal})
}

// OrthoMap is how an orthogonal cell (kind Orthogonal) makes its orthogonal recurrent
// matrix W from its skew-symmetric parameter A. The orthogonal cell is expRNN's real
// variant (Lezcano-Casado & Martínez-Rubio, ICML 2019), an RNN whose recurrent matrix is
// orthogonal by construction:
//
//	z_t = W_ih x_t + b_ih + W h_{t-1}
//	h_t = modReLU(z_t) = sign(z_t) ⊙ relu(|z_t| + b)
//	W   = exp(A)                  (OrthoExp, expRNN)
//	W   = (I + A)⁻¹(I − A)        (OrthoCayley, scoRNN's Cayley transform with D = I)
//	A   = (M − Mᵀ)/2,  M = weight_hh_l0
//
// Parameters, in the layout of a one-gate cell (so P = H·(I+H+2), as rnn_tanh's):
// weight_ih_l0 [H, I] is W_ih, weight_hh_l0 [H, H] is M, whose skew-symmetric part A is
// used, bias_ih_l0 [H] is b_ih and bias_hh_l0 [H] is modReLU's bias b. Because only
// A = (M − Mᵀ)/2 enters, the gradient with respect to M is skew-symmetric, so SGD, Adam
// and gradient clipping keep a skew M exactly skew (their updates act elementwise, and
// the rounding of −x is −(rounding of x)); model files store M = A and refuse a
// weight_hh_l0 that is not skew-symmetric.
//
// In expRNN's terms: its input_kernel.weight is weight_ih_l0 (expRNN's input kernel has
// no bias: bias_ih_l0 = 0 matches it); its recurrent kernel's parameter A, of which
// expRNN uses the strict upper triangle, U = triu(A_expRNN, 1), maps to
// weight_hh_l0 = U − Uᵀ (and back: U = triu(weight_hh_l0, 1)); its nonlinearity.b is
// bias_hh_l0.
//
// modReLU's derivative is the one PyTorch's autograd computes for expRNN's modrelu:
// ∂h/∂z = 1 where z ≠ 0 and |z| + b > 0, and 0 elsewhere, including at z = 0 (where, for
// b > 0, h jumps from −b to b) and where |z| + b = 0 exactly (relu'(0) = 0); ∂h/∂b = sign(z)
// where ∂h/∂z = 1, and 0 elsewhere. A NaN z or b gives a NaN h.
//
// W is derived from weight_hh_l0 once per change of the parameters, not per step
// (Cell.ParamsChanged): for OrthoExp in float32, by scaling and squaring a Taylor
// polynomial truncated below float32's rounding, every product on the SIMD matrix
// multiply; for OrthoCayley in float64, by an LU factorisation. The per-step methods see
// W as the recurrent matrix: the state Jacobian is diag(σ')·W, the immediate Jacobian's
// weight_hh_l0 part is with respect to W, and the gradients the algorithms accumulate
// hold ∂L/∂W there. Cell.ParamGrad maps such a gradient to ∂L/∂M = (Ḡ − Ḡᵀ)/2, where
// Ḡ = ∂L/∂A is the adjoint of W's derivative applied to ∂L/∂W (for OrthoExp, the exact
// reverse-mode derivative of the float32 computation of W), once per gradient read
// rather than per step; the algorithms' GradCell does it.
//
// The cache keeps z_t and ∂h/∂b = sign(z_t)·σ'(z_t) ∈ {−1, 0, 1}, from which
// σ'(z_t) = |∂h/∂b|.
type OrthoMap int

// The maps from A to W.
const (
	// OrthoExp is W = exp(A), expRNN's parametrisation: every orthogonal matrix of
	// determinant 1 is reached.
	OrthoExp OrthoMap = iota
	// OrthoCayley is W = (I + A)⁻¹(I − A), the Cayley transform (scoRNN with D = I, and
	// expRNN's cayley_map): every orthogonal matrix without the eigenvalue −1 is reached.
	// To first order W ≈ exp(−2A).
	OrthoCayley
)

// String is the map's name in model files and on the command line: "exp" or "cayley".
func (m OrthoMap) String() string {
	switch m {
	case OrthoExp:
		return "exp"
	case OrthoCayley:
		return "cayley"
	}
	return fmt.Sprintf("OrthoMap(%d)", int(m))
}

// ParseOrthoMap maps "exp" or "cayley" to the OrthoMap.
func ParseOrthoMap(name string) (OrthoMap, error) {
	switch name {
	case "exp":
		return OrthoExp, nil
	case "cayley":
		return OrthoCayley, nil
	}
	return 0, fmt.Errorf("cell: unknown orthogonal map %q (want exp or cayley)", name)
}

// MetaOrthoMap is the model-file metadata key of an orthogonal cell's map ("exp" or
// "cayley"); absent means exp.
const MetaOrthoMap = "orthogonal_map"

// checkOrthoMap refuses a map that is not one of the constants, or that is given for a
// kind other than orthogonal.
func checkOrthoMap(cfg Config) error {
	if cfg.OrthoMap != OrthoExp && cfg.OrthoMap != OrthoCayley {
		return fmt.Errorf("cell: unknown orthogonal map %v", cfg.OrthoMap)
	}
	if cfg.Kind != Orthogonal && cfg.OrthoMap != OrthoExp {
		return fmt.Errorf("cell: orthogonal map %v given for a %v cell; only the orthogonal cell has one", cfg.OrthoMap, cfg.Kind)
	}
	return nil
}

// orthogonal holds the cell's equations around the layer's two products.
type orthogonal struct{}

// b_ih enters with W_ih·x; modReLU's bias b = bias_hh_l0 comes after.
func (orthogonal) inputBias(c *layer, dst []float32, r0, r1, b int) {
	if b == 1 {
		copy(dst, c.bih[r0:r1])
		return
	}
	broadcastRows(dst, c.bih[r0:r1], b)
}

func (orthogonal) forward(c *layer, k *Cache, next []float32) {
	z, db := k.gates, k.aux
	c.addRecurrent(z, k)
	modReLU(next, db, z, c.bhh, k.batch)
}

// modReLU sets h = sign(z)·relu(|z| + b) and ∂h/∂b for every entry of z, feature-major
// for a batch of the given size (entry i belongs to unit i/batch), with the convention at
// the kinks of the kind's documentation, and without a branch: z's sign is a coin toss
// per unit and the activity test |z| + b > 0 is data-dependent too, and the branches they
// took cost more than the rest of the activation. The masks select
// h = sign(z)·(|z| + b) and ∂h/∂b = sign(z) where z ≠ 0 and |z| + b > 0 (neither zero nor
// negative, both tested on the bits), and ±0 elsewhere. A NaN z gives a NaN h (its
// magnitude's sign bit is clear); a NaN bias gives a NaN unit.
func modReLU(h, dhdb, z, bias []float32, batch int) {
	if batch == 1 { // one flat loop, the unit's bias by index
		h, dhdb, bias = h[:len(z)], dhdb[:len(z)], bias[:len(z)]
		for i, v := range z {
			b := bias[i]
			bits := math.Float32bits(v)
			sign := bits & (1 << 31)
			abs := bits &^ (1 << 31)
			mag := math.Float32bits(math.Float32frombits(abs) + b)
			active := uint32(int32(-abs)>>31) & uint32(int32(-mag)>>31) & uint32(int32(^mag)>>31)
			h[i] = math.Float32frombits(mag&active | sign)
			dhdb[i] = math.Float32frombits(0x3f800000&active | sign)
			if b != b {
				h[i], dhdb[i] = b, b
			}
		}
		return
	}
	for u, b := range bias {
		i0, i1 := u*batch, (u+1)*batch
		if b != b {
			for i := i0; i < i1; i++ {
				h[i], dhdb[i] = b, b
			}
			continue
		}
		// The body is written out rather than called: as a function it is over the
		// inliner's budget, and the call cost a third of it.
		for i, v := range z[i0:i1] {
			bits := math.Float32bits(v)
			sign := bits & (1 << 31)
			abs := bits &^ (1 << 31)
			mag := math.Float32bits(math.Float32frombits(abs) + b)
			// int32(−x) >> 31 is all ones when 0 < x < 2³¹, and 0 when x = 0.
			active := uint32(int32(-abs)>>31) & uint32(int32(-mag)>>31) & uint32(int32(^mag)>>31)
			h[i0+i] = math.Float32frombits(mag&active | sign)
			dhdb[i0+i] = math.Float32frombits(0x3f800000&active | sign)
		}
	}
}

// σ'(z) = |∂h/∂b| for the ih and hh parameters alike (bias_hh_l0's input is
// BiasHHInput).
func (orthogonal) coefficients(c *layer, k *Cache, coefIH, coefHH []float32) {
	for u, d := range k.aux[:c.lay.Hidden] {
		a := float32(math.Abs(float64(d)))
		coefIH[u], coefHH[u] = a, a
	}
}

// gIH = v ⊙ σ'(z) serves W_ih, b_ih and W (hhGrad); gHH = v ⊙ ∂h/∂b serves bias_hh_l0.
func (orthogonal) gateGradients(c *layer, k *Cache, v []float32) {
	h := k.block()
	d := k.aux[:h]
	for i, vs := range v[:h] {
		c.gIH[i] = vs * float32(math.Abs(float64(d[i])))
		c.gHH[i] = vs * d[i]
	}
}

// D_t = 0: h_{t-1} enters only through W.
func (orthogonal) directVJP(_ *layer, _ *Cache, dPrev, _ []float32) { clear(dPrev) }

func (orthogonal) directJacobian(*layer, *Cache, kernels.Mat) {}

func (orthogonal) stateJVP(c *layer, _ *Cache, out, _, wv []float32) {
	for u := range c.lay.Hidden {
		out[u] = c.coefHH[u] * wv[u]
	}
}

func (orthogonal) unitDirect(*layer, *Cache, int, []float32) {}

// BiasHHInput is what bias_hh_l0 multiplies in the step's immediate Jacobian (see
// Cell.ImmediateCoefficients): nil, meaning 1, for every kind but the orthogonal cell,
// whose bias_hh_l0 is modReLU's bias b and enters as b·sign(z_t); there it is
// ∂h_t/∂b = sign(z_t)·σ'(z_t), one value per unit (feature-major for a batch).
func (c *Cache) BiasHHInput() []float32 {
	if c.kind == Orthogonal {
		return c.aux
	}
	return nil
}

// orthoState is an orthogonal layer's derived W and the map of gradients back to M.
type orthoState struct {
	mp      OrthoMap
	n       int
	w       []float32 // W, what the layer's whh views
	from    []float32 // the weight_hh_l0 W was derived from
	a       []float32 // A = (M − Mᵀ)/2 of from
	ga      []float32 // ∂L/∂A scratch
	err     error     // why the last derivation failed (W is then NaN)
	version uint64    // counts derivations

	exp *expm.Exp32 // OrthoExp: keeps the evaluation its Adjoint differentiates
	// OrthoCayley, in float64: the workspace and A, W, G, ∂L/∂A.
	ws                 *expm.Workspace
	a64, w64, g64, d64 []float64

	// The last pull-back, reused while neither W nor the gradient has changed.
	pullIn, pullOut []float32
	pullVersion     uint64
}

func setupOrthogonal(c *layer, cfg Config) error {
	n := c.lay.Hidden
	if n > expm.MaxN {
		return fmt.Errorf("cell: an orthogonal cell of H=%d: W = exp(A) is computed up to H=%d", n, expm.MaxN)
	}
	o := &orthoState{mp: cfg.OrthoMap, n: n,
		w: make([]float32, n*n), from: make([]float32, n*n), a: make([]float32, n*n), ga: make([]float32, n*n),
		pullIn: make([]float32, n*n), pullOut: make([]float32, n*n)}
	var err error
	switch o.mp {
	case OrthoExp:
		o.exp, err = expm.NewExp32(n)
	case OrthoCayley:
		o.ws, err = expm.NewWorkspace(n)
		o.a64, o.w64, o.g64, o.d64 = make([]float64, n*n), make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
	}
	if err != nil {
		return fmt.Errorf("cell: %w", err)
	}
	c.ortho = o
	c.whh = kernels.MatOf(n, n, o.w)
	// The parameters are zero: A = 0 and W = I, derived as any other W would be so that
	// the first gradient can be mapped back.
	return o.derive(c.params[c.lay.WeightHH:c.lay.BiasIH])
}

// derive sets W from M = weight_hh_l0.
func (o *orthoState) derive(m []float32) error {
	skewPart(o.a, m, o.n)
	copy(o.from, m)
	o.version++
	var err error
	switch o.mp {
	case OrthoExp:
		err = o.exp.Exp(o.w, o.a)
	case OrthoCayley:
		for i, v := range o.a {
			o.a64[i] = float64(v)
		}
		if err = o.ws.Cayley(o.w64, o.a64, nil); err == nil {
			for i, v := range o.w64 {
				o.w[i] = float32(v)
			}
		}
	}
	o.err = err
	if err != nil {
		nan := float32(math.NaN())
		for i := range o.w {
			o.w[i] = nan
		}
		return fmt.Errorf("cell: orthogonal cell: W from weight_hh_l0: %w", err)
	}
	return nil
}

// pullBack writes ∂L/∂M into dst from g = ∂L/∂W (both H×H; dst may be g).
func (o *orthoState) pullBack(dst, g []float32) {
	if o.err != nil {
		nan := float32(math.NaN())
		for i := range dst {
			dst[i] = nan
		}
		return
	}
	if o.pullVersion == o.version && slices.Equal(g, o.pullIn) {
		copy(dst, o.pullOut)
		return
	}
	copy(o.pullIn, g)
	switch o.mp {
	case OrthoExp:
		if err := o.exp.Adjoint(o.ga, g); err != nil {
			// Unreachable: derive succeeded, so Exp did, and the sizes are the layer's.
			panic("cell: orthogonal cell: " + err.Error())
		}
	case OrthoCayley:
		for i, v := range g {
			o.g64[i] = float64(v)
		}
		if err := o.ws.CayleyAdjoint(o.d64, o.a64, nil, o.g64); err != nil {
			// A non-finite gradient: propagate it as NaN, as the exp map's adjoint does.
			for i := range o.d64 {
				o.d64[i] = math.NaN()
			}
		}
		for i, v := range o.d64 {
			o.ga[i] = float32(v)
		}
	}
	n := o.n
	for i := range n {
		dst[i*n+i] = 0
		for j := i + 1; j < n; j++ {
			v := (o.ga[i*n+j] - o.ga[j*n+i]) / 2
			dst[i*n+j], dst[j*n+i] = v, -v
		}
	}
	copy(o.pullOut, dst)
	o.pullVersion = o.version
}

func (c *layer) RecurrentWeights() kernels.Mat { return c.whh }

func (c *layer) OrthoMap() OrthoMap {
	if c.ortho == nil {
		return OrthoExp
	}
	return c.ortho.mp
}

func (c *layer) ParamsChanged() error {
	o := c.ortho
	if o == nil {
		return nil
	}
	m := c.params[c.lay.WeightHH:c.lay.BiasIH]
	if o.err == nil && slices.Equal(m, o.from) {
		return nil
	}
	return o.derive(m)
}

func (c *layer) ParamGrad(dst, weightGrad []float32) {
	checkLen("ParamGrad", "dst", len(dst), len(c.params))
	checkLen("ParamGrad", "weightGrad", len(weightGrad), len(c.params))
	copy(dst, weightGrad)
	if o := c.ortho; o != nil {
		l := c.lay
		o.pullBack(dst[l.WeightHH:l.BiasIH], weightGrad[l.WeightHH:l.BiasIH])
	}
}

// skewPart writes (M − Mᵀ)/2 of the n×n matrix m into dst (dst ≠ m).
func skewPart(dst, m []float32, n int) {
	for i := range n {
		dst[i*n+i] = 0
		for j := i + 1; j < n; j++ {
			v := (m[i*n+j] - m[j*n+i]) / 2
			dst[i*n+j], dst[j*n+i] = v, -v
		}
	}
}

// checkSkew reports the first entry of the n×n matrix m that breaks m = −mᵀ (a non-zero
// diagonal entry included), naming the tensor.
func checkSkew(m []float32, n int, name string) error {
	for i := range n {
		if v := m[i*n+i]; v != 0 {
			return fmt.Errorf("model: tensor %q is not skew-symmetric: element [%d][%d] = %v, want 0 (an orthogonal cell's weight_hh holds A = −Aᵀ)", name, i, i, v)
		}
		for j := i + 1; j < n; j++ {
			if a, b := m[i*n+j], m[j*n+i]; a != -b {
				return fmt.Errorf("model: tensor %q is not skew-symmetric: element [%d][%d] = %v but [%d][%d] = %v (an orthogonal cell's weight_hh holds A = −Aᵀ)", name, i, j, a, j, i, b)
			}
		}
	}
	return nil
}

// ParamsChanged tells every layer that its parameters were written in place (see
// Cell.ParamsChanged): the orthogonal layers re-derive W where weight_hh changed. It
// returns the first layer's error, naming the layer, after trying every layer.
func (m *Model) ParamsChanged() error {
	var first error
	for k, l := range m.Layers {
		if err := l.ParamsChanged(); err != nil && first == nil {
			first = fmt.Errorf("layer %d: %w", k, err)
		}
	}
	return first
}

// DerivedWeights reports whether some layer derives its recurrent matrix from its
// parameters (the orthogonal cell): then the gradient an algorithm accumulates is with
// respect to that matrix, and ParamGrad maps it to the parameters.
func (m *Model) DerivedWeights() bool {
	for _, l := range m.Layers {
		if l.Kind() == Orthogonal {
			return true
		}
	}
	return false
}

// ParamGrad writes into dst the gradient with respect to every layer's parameters (the
// flat cell layout) from weightGrad, the gradient the step methods accumulate, layer by
// layer (see Cell.ParamGrad). dst may be weightGrad.
func (m *Model) ParamGrad(dst, weightGrad []float32) {
	checkLen("Model.ParamGrad", "dst", len(dst), m.NumParams())
	checkLen("Model.ParamGrad", "weightGrad", len(weightGrad), m.NumParams())
	for k, l := range m.Layers {
		l.ParamGrad(m.LayerVector(dst, k), m.LayerVector(weightGrad, k))
	}
}

// OrthoMap is the layers' map from A to W (OrthoExp unless the layers are orthogonal
// cells made with OrthoCayley).
func (m *Model) OrthoMap() OrthoMap { return m.Layers[0].OrthoMap() }

// orthoMetadata adds the orthogonal cell's map to model-file metadata.
func (m *Model) orthoMetadata(meta map[string]string) {
	if m.Kind() == Orthogonal {
		meta[MetaOrthoMap] = m.OrthoMap().String()
	}
}

// orthoMapFromMetadata reads the map of a model file's metadata (absent: exp), refusing
// one given for another kind.
func orthoMapFromMetadata(kind Kind, meta map[string]string) (OrthoMap, error) {
	s, ok := meta[MetaOrthoMap]
	if !ok {
		return OrthoExp, nil
	}
	if kind != Orthogonal {
		return 0, fmt.Errorf("model: metadata %q = %q for a %v cell; only the orthogonal cell has one", MetaOrthoMap, s, kind)
	}
	mp, err := ParseOrthoMap(s)
	if err != nil {
		return 0, fmt.Errorf("model: metadata %q: %w", MetaOrthoMap, err)
	}
	return mp, nil
}

// checkLoaded validates what a model file gave the orthogonal layers (a skew-symmetric
// weight_hh_l{k}) and derives their W.
func (m *Model) checkLoaded() error {
	if m.Kind() != Orthogonal {
		return nil
	}
	for k, l := range m.Layers {
		lay := l.Layout()
		if err := checkSkew(l.Params()[lay.WeightHH:lay.BiasIH], lay.Hidden, fmt.Sprintf("weight_hh_l%d", k)); err != nil {
			return err
		}
	}
	if err := m.ParamsChanged(); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	return nil
}

// skewForFile returns the flat cell vector v as a model file stores it: an orthogonal
// layer's weight_hh_l{k} replaced by its skew-symmetric part (M − Mᵀ)/2, which is all the
// cell reads and what the loader accepts (a copy; v itself is not changed). v is returned
// as is for the other kinds and when it is already skew.
func (m *Model) skewForFile(v []float32) []float32 {
	if m.Kind() != Orthogonal {
		return v
	}
	var out []float32
	for k, l := range m.Layers {
		lay := l.Layout()
		w := m.LayerVector(v, k)[lay.WeightHH:lay.BiasIH]
		if checkSkew(w, lay.Hidden, "") == nil {
			continue
		}
		if out == nil {
			out = slices.Clone(v)
		}
		skewPart(m.LayerVector(out, k)[lay.WeightHH:lay.BiasIH], w, lay.Hidden)
	}
	if out == nil {
		return v
	}
	return out
}
