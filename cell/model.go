package cell

import (
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/chronograd/chronograd/internal/safetensors"
)

// Model is a stack of L ≥ 1 recurrent layers and a linear readout of the top layer's h_t,
// the unit that model files hold: PyTorch's nn.RNN / nn.GRU / nn.LSTM with num_layers = L
// and an nn.Linear head. Layer 0 reads the input x_t; layer k > 0 reads layer k−1's h_t
// of the same step. Every layer has the same kind and hidden size H.
//
// The model's state is the layers' states one after the other, s = [s^0; …; s^{L−1}]
// (each H, or [h; c] for LSTM), and its cell parameters are the layers' flat vectors one
// after the other, layer 0 first (see ParamOffset): the gradient an algorithm reports in
// GradCell has that layout. The readout's parameters are apart (Head.Params).
type Model struct {
	// Layers are the recurrent layers, bottom first.
	Layers []Cell
	// Head is the linear readout of the top layer's h_t.
	Head *Readout
	// Attention, when not nil, is Sparse Attentive Backtracking's attention over a memory
	// of past top-layer states, whose summary is added to the top layer's h_t (see
	// Attention); only the algorithms that know it can train such a model.
	Attention *Attention

	scratch *stackScratch // the joint step's vectors, made on first use
	layer0  []*Cache      // layer 0's caches of a ProjectInputs call
}

// NewModel builds a one-layer model with zero parameters: a cell of the given config and
// an out×H readout.
func NewModel(cfg Config, out int) (*Model, error) {
	return NewStack(cfg, 1, out)
}

// NewStack builds a model of the given number of layers with zero parameters: layer 0 of
// the given config, layers 1 … layers−1 reading H inputs, and an out×H readout.
func NewStack(cfg Config, layers, out int) (*Model, error) {
	if layers < 1 || layers > maxLayers {
		return nil, fmt.Errorf("cell: %d layers; want 1 to %d", layers, maxLayers)
	}
	m := &Model{}
	for k := range layers {
		c := cfg
		if k > 0 {
			c.Input = cfg.Hidden
		}
		l, err := New(c)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, l)
	}
	head, err := NewReadout(out, cfg.Hidden)
	if err != nil {
		return nil, err
	}
	m.Head = head
	if total := m.NumParams(); total > maxParams {
		return nil, fmt.Errorf("cell: %d layers of %v with H=%d have %d parameters (limit %d)", layers, cfg.Kind, cfg.Hidden, total, maxParams)
	}
	return m, nil
}

// Twin returns a model that shares m's parameters (the same memory: an update to either
// is the other's) but has scratch of its own, so that m and its twin can each be stepped
// by its own goroutine at the same time, as long as neither goroutine writes the
// parameters meanwhile. Algorithms built for a twin report gradients of the same
// parameters; they are not built for m (NewOnline tells the two apart).
func (m *Model) Twin() (*Model, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	t := &Model{Head: m.Head.twin()}
	if m.Attention != nil {
		t.Attention = m.Attention.twin()
	}
	for _, l := range m.Layers {
		c, ok := l.(*layer)
		if !ok {
			return nil, fmt.Errorf("cell: cannot twin a layer of type %T", l)
		}
		t.Layers = append(t.Layers, c.twin())
	}
	return t, nil
}

// maxLayers bounds L: deeper stacks are not what recurrent networks are trained as, and a
// typo should not build thousands.
const maxLayers = 64

// Check returns an error unless the model is well formed: at least one layer, no nil
// layer or readout, every layer of the same kind, leak and hidden size, layer k > 0
// reading H inputs, and a readout of H hidden units.
func (m *Model) Check() error {
	switch {
	case m == nil:
		return errors.New("cell: nil model")
	case len(m.Layers) == 0:
		return errors.New("cell: a model needs at least one layer")
	case m.Head == nil:
		return errors.New("cell: the model has no readout")
	}
	first := m.Layers[0]
	if first == nil {
		return errors.New("cell: layer 0 is nil")
	}
	h := first.HiddenSize()
	for k, l := range m.Layers {
		switch {
		case l == nil:
			return fmt.Errorf("cell: layer %d is nil", k)
		case l.Kind() != first.Kind() || l.HiddenSize() != h || l.Alpha() != first.Alpha():
			return fmt.Errorf("cell: layer %d is %v with H=%d, α=%v; layer 0 is %v with H=%d, α=%v (every layer must match)", k, l.Kind(), l.HiddenSize(), l.Alpha(), first.Kind(), h, first.Alpha())
		case l.OrthoMap() != first.OrthoMap():
			return fmt.Errorf("cell: layer %d's orthogonal map is %v, layer 0's %v (every layer must match)", k, l.OrthoMap(), first.OrthoMap())
		case k > 0 && l.InputSize() != h:
			return fmt.Errorf("cell: layer %d reads %d inputs; it must read layer %d's %d hidden units", k, l.InputSize(), k-1, h)
		}
	}
	if m.Head.HiddenSize() != h {
		return fmt.Errorf("cell: readout reads %d hidden units, the %v layers have %d", m.Head.HiddenSize(), first.Kind(), h)
	}
	return m.checkAttention()
}

// Kind is the layers' kind.
func (m *Model) Kind() Kind { return m.Layers[0].Kind() }

// Alpha is the layers' leak (1 for GRU and LSTM).
func (m *Model) Alpha() float32 { return m.Layers[0].Alpha() }

// NumLayers is L.
func (m *Model) NumLayers() int { return len(m.Layers) }

// InputSize is I, the size of x_t (layer 0's input).
func (m *Model) InputSize() int { return m.Layers[0].InputSize() }

// HiddenSize is H, each layer's number of hidden units.
func (m *Model) HiddenSize() int { return m.Layers[0].HiddenSize() }

// OutSize is O, the readout's number of outputs.
func (m *Model) OutSize() int { return m.Head.OutSize() }

// StateSize is the size of the joint state: L·S, S = H (or 2H for LSTM) per layer.
func (m *Model) StateSize() int {
	n := 0
	for _, l := range m.Layers {
		n += l.StateSize()
	}
	return n
}

// StateOffset is where layer k's state starts in the joint state; the top layer's h_t,
// which the readout reads, is at StateOffset(L−1).
func (m *Model) StateOffset(k int) int {
	n := 0
	for _, l := range m.Layers[:k] {
		n += l.StateSize()
	}
	return n
}

// TopHidden is the top layer's h_t within the joint state s.
func (m *Model) TopHidden(s []float32) []float32 {
	off := m.StateOffset(len(m.Layers) - 1)
	return s[off : off+m.HiddenSize()]
}

// NumParams is the number of cell parameters, summed over the layers, and the attention
// component's if the model has one (the readout's are apart).
func (m *Model) NumParams() int {
	n := m.attentionParams()
	for _, l := range m.Layers {
		n += l.NumParams()
	}
	return n
}

// ParamOffset is where layer k's parameters start in the model's flat cell vector (and in
// GradCell).
func (m *Model) ParamOffset(k int) int {
	n := 0
	for _, l := range m.Layers[:k] {
		n += l.NumParams()
	}
	return n
}

// LayerVector is layer k's part of a flat cell vector v of the model's layout.
func (m *Model) LayerVector(v []float32, k int) []float32 {
	off := m.ParamOffset(k)
	return v[off : off+m.Layers[k].NumParams()]
}

// ParamGroups lists the parameter vectors an optimizer updates: each layer's Params,
// the attention component's if any, then the readout's.
func (m *Model) ParamGroups() [][]float32 {
	g := make([][]float32, 0, len(m.Layers)+2)
	for _, l := range m.Layers {
		g = append(g, l.Params())
	}
	if m.Attention != nil {
		g = append(g, m.Attention.Params())
	}
	return append(g, m.Head.Params())
}

// GradGroups splits a flat cell gradient (GradCell's layout) and a readout gradient into
// the groups of ParamGroups.
func (m *Model) GradGroups(cellGrad, headGrad []float32) [][]float32 {
	g := make([][]float32, 0, len(m.Layers)+2)
	for k := range m.Layers {
		g = append(g, m.LayerVector(cellGrad, k))
	}
	if m.Attention != nil {
		g = append(g, m.AttentionVector(cellGrad))
	}
	return append(g, headGrad)
}

// CopyParams copies every layer's parameters, and the attention component's, in the
// flat cell layout, into dst (length NumParams).
func (m *Model) CopyParams(dst []float32) {
	for k, l := range m.Layers {
		copy(m.LayerVector(dst, k), l.Params())
	}
	if m.Attention != nil {
		copy(m.AttentionVector(dst), m.Attention.Params())
	}
}

// Tensors lists the layers' tensors with PyTorch's names and shapes (weight_ih_l{k},
// weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} for each layer k), then the attention
// component's if any (attention.query.weight, attention.query.bias, attention.key.weight),
// and their offsets in the flat cell vector.
func (m *Model) Tensors() []Tensor {
	var out []Tensor
	for k, l := range m.Layers {
		off := m.ParamOffset(k)
		for _, t := range l.Layout().Tensors(k) {
			t.Offset += off
			out = append(out, t)
		}
	}
	return append(out, m.attentionTensors()...)
}

// Model-file metadata keys.
const (
	MetaCell  = "cell"  // the cell kind's name (see KindNames)
	MetaAlpha = "alpha" // leak of a vanilla cell, 0 < α ≤ 1; absent means 1
)

// namedTensors lists the model's tensors as views of the flat vectors cellVec (the cell
// layout, all layers) and headVec (the readout's).
func (m *Model) namedTensors(cellVec, headVec []float32) map[string]*safetensors.Tensor {
	out := map[string]*safetensors.Tensor{}
	for _, t := range m.Tensors() {
		out[t.Name] = &safetensors.Tensor{DType: safetensors.F32, Shape: t.Shape, F32: t.Of(cellVec)}
	}
	for _, t := range m.Head.Tensors() {
		out[t.Name] = &safetensors.Tensor{DType: safetensors.F32, Shape: t.Shape, F32: t.Of(headVec)}
	}
	m.addMaskTensors(out)
	return out
}

// Metadata is the model file's metadata: the cell kind, for a vanilla cell its leak, and
// for a model with an attention component attention = "sab" and its k_att, k_top and M.
func (m *Model) Metadata() map[string]string {
	meta := map[string]string{MetaCell: m.Kind().String()}
	if m.Kind().IsVanilla() {
		meta[MetaAlpha] = strconv.FormatFloat(float64(m.Alpha()), 'g', -1, 32)
	}
	m.attentionMetadata(meta)
	m.orthoMetadata(meta)
	return meta
}

// Save writes the model to path as safetensors, atomically (a temporary file in the same
// directory, fsync, rename): an existing file is replaced whole or not at all, and a
// symbolic link is written through. Non-finite parameters are an error and nothing is
// written.
func (m *Model) Save(path string) error {
	if err := m.Check(); err != nil {
		return fmt.Errorf("cell: saving %s: %w", path, err)
	}
	return m.SaveVectors(path, m.cellParams(), m.Head.Params())
}

// cellParams is a copy of the layers' parameters in the flat cell layout.
func (m *Model) cellParams() []float32 {
	p := make([]float32, m.NumParams())
	m.CopyParams(p)
	return p
}

// WriteTo writes the model to w as safetensors (the bytes Save puts in a file) and
// returns the number of bytes written. Non-finite parameters are an error, before
// anything is written.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	if err := m.Check(); err != nil {
		return 0, fmt.Errorf("cell: writing a model: %w", err)
	}
	cw := &countingWriter{w: w}
	err := m.WriteVectors(cw, m.cellParams(), m.Head.Params())
	return cw.n, err
}

// Vector is a named float32 tensor to store beside a model's own, such as a loss.
type Vector struct {
	Name  string    // its name in the file; it must not be one of the model's
	Shape []int     // its shape, row-major; the product must be len(Data)
	Data  []float32 // its values
}

// SaveVectors writes, with the model's tensor names, shapes and metadata, the flat cell
// vector cellVec (all layers, the layout of GradCell) and the readout vector headVec (for
// instance gradients), plus the extra vectors (which must not reuse a model name),
// atomically as Save does.
func (m *Model) SaveVectors(path string, cellVec, headVec []float32, extra ...Vector) error {
	f, err := m.vectorFile(cellVec, headVec, extra)
	if err != nil {
		return fmt.Errorf("cell: saving %s: %w", path, err)
	}
	return safetensors.WriteFile(path, f)
}

// WriteVectors is SaveVectors to a writer.
func (m *Model) WriteVectors(w io.Writer, cellVec, headVec []float32, extra ...Vector) error {
	f, err := m.vectorFile(cellVec, headVec, extra)
	if err != nil {
		return fmt.Errorf("cell: %w", err)
	}
	return safetensors.Encode(w, f)
}

func (m *Model) vectorFile(cellVec, headVec []float32, extra []Vector) (*safetensors.File, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	if len(cellVec) != m.NumParams() || len(headVec) != m.Head.NumParams() {
		return nil, fmt.Errorf("vectors of %d and %d values for a model with %d and %d parameters", len(cellVec), len(headVec), m.NumParams(), m.Head.NumParams())
	}
	tensors := m.namedTensors(m.skewForFile(cellVec), headVec)
	for _, v := range extra {
		if _, dup := tensors[v.Name]; dup {
			return nil, fmt.Errorf("extra tensor %q clashes with a model tensor", v.Name)
		}
		tensors[v.Name] = &safetensors.Tensor{DType: safetensors.F32, Shape: v.Shape, F32: v.Data}
	}
	return &safetensors.File{Tensors: tensors, Metadata: m.Metadata()}, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// maxModelBytes bounds what ReadModel reads: a model of maxParams float32 parameters and
// a header.
const maxModelBytes = 4*maxParams + 1<<26

// LoadModel reads and validates a model file: metadata cell (a known kind) and optional
// alpha (0 < α ≤ 1, only 1 for GRU and LSTM); for each layer k < L the tensors
// weight_ih_l{k} [G·H, I_k] (I_0 = I, I_k = H for k > 0), weight_hh_l{k} [G·H, H],
// bias_ih_l{k} and bias_hh_l{k} [G·H], with L read from the names (a gap is an error
// naming the missing tensor); optionally weight_hh_l{k}_mask [G·H, H] of 0s and 1s, whose
// 0s weight_hh_l{k} must hold as exact zeros (a sparse layer; see SetRecurrentMask);
// head.weight [O, H] and head.bias [O]; with metadata attention = "sab" (and k_att, k_top,
// M), the attention tensors attention.query.weight [H, H], attention.query.bias [H] and
// attention.key.weight [H, H]; nothing else; finite values. These are the names of
// PyTorch's state_dict for nn.RNN/GRU/LSTM(num_layers=L) and an nn.Linear head renamed
// "head". An orthogonal model may also have the metadata orthogonal_map (exp or cayley),
// and its weight_hh_l{k} must be skew-symmetric (A = −Aᵀ, exactly: see the Orthogonal
// kind); saving writes the skew-symmetric part of the parameter, which is all the cell
// reads. Every error names the file and the tensor or key
// at fault; a missing or unexpected tensor lists the names found, and names that carry a
// module prefix ("rnn.weight_ih_l0") say to strip it. A path that is not a regular file
// (a directory, a named pipe) is refused without blocking.
func LoadModel(path string) (*Model, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := modelFromFile(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ReadModel reads and validates a model as LoadModel does, from r (one safetensors file;
// it reads no further than the file's end).
func ReadModel(r io.Reader) (*Model, error) {
	f, err := safetensors.ReadStream(r, maxModelBytes)
	if err != nil {
		return nil, err
	}
	return modelFromFile(f)
}

// layerTensor matches a layer tensor's name and captures its layer index.
var layerTensor = regexp.MustCompile(`^(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)$`)

// modelFromFile builds a model from a decoded safetensors file, validating it as
// LoadModel does.
func modelFromFile(f *safetensors.File) (*Model, error) {
	kindName, ok := f.Metadata[MetaCell]
	if !ok {
		return nil, fmt.Errorf("model: metadata %q is missing (want one of %s)%s", MetaCell, KindNames(), foundNames(f))
	}
	kind, err := ParseKind(kindName)
	if err != nil {
		return nil, fmt.Errorf("model: metadata %q: %w", MetaCell, err)
	}
	alpha := float32(1)
	if s, ok := f.Metadata[MetaAlpha]; ok {
		a, err := strconv.ParseFloat(s, 32)
		if err != nil || !(a > 0 && a <= 1) {
			return nil, fmt.Errorf("model: metadata %q = %q is not a number in (0, 1]", MetaAlpha, s)
		}
		if !kind.IsVanilla() && a != 1 {
			return nil, fmt.Errorf("model: metadata %q = %q for a %v cell, which has no leak", MetaAlpha, s, kind)
		}
		alpha = float32(a)
	}
	omap, err := orthoMapFromMetadata(kind, f.Metadata)
	if err != nil {
		return nil, err
	}
	// L is one more than the highest layer index named; every layer below it must be there.
	layers := 0
	for name := range f.Tensors {
		if m := layerTensor.FindStringSubmatch(name); m != nil {
			k, err := strconv.Atoi(m[2])
			if err != nil || k >= maxLayers {
				return nil, fmt.Errorf("model: tensor %q: layer index out of range (at most %d layers)", name, maxLayers)
			}
			layers = max(layers, k+1)
		}
	}
	if layers == 0 {
		return nil, fmt.Errorf("model: required tensor %q is missing%s", "weight_hh_l0", foundNames(f))
	}
	// H, I and O come from one tensor each; every other shape must agree with them.
	g := kind.Gates()
	whh, err := matrixShape(f, "weight_hh_l0")
	if err != nil {
		return nil, err
	}
	hidden := whh[1]
	if whh[0] != g*hidden {
		return nil, fmt.Errorf("model: tensor %q has shape [%d %d], want [%d %d] (%d gate blocks of H=%d for %v)", "weight_hh_l0", whh[0], whh[1], g*hidden, hidden, g, hidden, kind)
	}
	wih, err := matrixShape(f, "weight_ih_l0")
	if err != nil {
		return nil, err
	}
	hw, err := matrixShape(f, "head.weight")
	if err != nil {
		return nil, err
	}
	input, out := wih[1], hw[0]
	if hidden < 1 || input < 1 || out < 1 {
		return nil, fmt.Errorf("model: empty dimension: H=%d, I=%d, O=%d", hidden, input, out)
	}
	var specs []safetensors.Spec
	for k := range layers {
		in := input
		if k > 0 {
			in = hidden
		}
		specs = append(specs,
			safetensors.Spec{Name: fmt.Sprintf("weight_ih_l%d", k), Shape: []int{g * hidden, in}},
			safetensors.Spec{Name: fmt.Sprintf("weight_hh_l%d", k), Shape: []int{g * hidden, hidden}},
			safetensors.Spec{Name: fmt.Sprintf("bias_ih_l%d", k), Shape: []int{g * hidden}},
			safetensors.Spec{Name: fmt.Sprintf("bias_hh_l%d", k), Shape: []int{g * hidden}})
	}
	specs = append(specs,
		safetensors.Spec{Name: "head.weight", Shape: []int{out, hidden}},
		safetensors.Spec{Name: "head.bias", Shape: []int{out}})
	attCfg, attSpecs, hasAtt, err := attentionFromFile(f, hidden)
	if err != nil {
		return nil, err
	}
	specs = append(specs, attSpecs...)
	specs = append(specs, maskSpecs(f, layers, g*hidden, hidden)...)
	if err := f.Require(true, specs...); err != nil {
		return nil, fmt.Errorf("model: %w%s", err, foundNames(f))
	}
	m, err := NewStack(Config{Kind: kind, Hidden: hidden, Input: input, Alpha: alpha, OrthoMap: omap}, layers, out)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	for k, l := range m.Layers {
		for _, t := range l.Layout().Tensors(k) {
			if err := copyFinite(t.Of(l.Params()), t.Name, f); err != nil {
				return nil, err
			}
		}
	}
	for _, t := range m.Head.Tensors() {
		if err := copyFinite(t.Of(m.Head.Params()), t.Name, f); err != nil {
			return nil, err
		}
	}
	if hasAtt {
		if err := m.loadAttention(f, attCfg); err != nil {
			return nil, err
		}
	}
	if err := loadMasks(m, f); err != nil {
		return nil, err
	}
	if err := m.checkLoaded(); err != nil {
		return nil, err
	}
	return m, nil
}

// foundNames is the part of an error message that lists the file's tensors, and, when
// they carry a module prefix such as "rnn." or "lstm.", says to strip it.
func foundNames(f *safetensors.File) string {
	names := f.Names()
	if len(names) > 12 {
		names = append(names[:12:12], fmt.Sprintf("… (%d in all)", len(f.Names())))
	}
	msg := "; the file holds " + strings.Join(names, ", ")
	if len(f.Names()) == 0 {
		msg = "; the file holds no tensor"
	}
	var prefixes []string
	for _, name := range f.Names() {
		prefix, rest, ok := strings.Cut(name, ".")
		if !ok || prefix == "head" {
			continue
		}
		if layerTensor.MatchString(rest) && !slices.Contains(prefixes, prefix+".") {
			prefixes = append(prefixes, prefix+".")
		}
	}
	if len(prefixes) > 0 {
		msg += fmt.Sprintf(" (strip the module prefix %s from the layer names, and name the readout head.weight and head.bias; python/chronograd_torch.py does it)", strings.Join(prefixes, ", "))
	}
	return msg
}

// matrixShape returns the shape of a tensor that must be two-dimensional.
func matrixShape(f *safetensors.File, name string) ([]int, error) {
	s, err := f.Shape(name)
	if err != nil {
		return nil, fmt.Errorf("model: %w%s", err, foundNames(f))
	}
	if len(s) != 2 {
		return nil, fmt.Errorf("model: tensor %q has %d dimensions, want 2", name, len(s))
	}
	return s, nil
}

// copyFinite copies the named tensor into dst, rejecting NaN and Inf (the reader does
// too; a File built in memory has not been through it).
func copyFinite(dst []float32, name string, f *safetensors.File) error {
	src := f.Tensors[name].F32
	if len(src) != len(dst) {
		return fmt.Errorf("model: tensor %q holds %d values, its shape says %d", name, len(src), len(dst))
	}
	for i, v := range src {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("model: tensor %q: element %d is %v", name, i, v)
		}
	}
	copy(dst, src)
	return nil
}

// ErrClosed is the error (wrapped) of an algorithm called after its Close: every
// credit-assignment algorithm built for a Model has the life cycle build, step, Close.
var ErrClosed = errors.New("the algorithm is closed")

// ErrNonFinite is the error (wrapped, naming the value) when an input, a state, a loss or
// a gradient is NaN or infinite; package train's ErrNonFinite is the same error.
var ErrNonFinite = errors.New("non-finite value")
