package cell

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/chronograd/chronograd/internal/safetensors"
)

// Model is a recurrent cell and its linear readout, the unit that model files hold.
type Model struct {
	Cell Cell     // the recurrent layer
	Head *Readout // the linear readout of h_t
}

// NewModel builds a model with zero parameters: a cell of the given config and an
// out×H readout.
func NewModel(cfg Config, out int) (*Model, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	head, err := NewReadout(out, cfg.Hidden)
	if err != nil {
		return nil, err
	}
	return &Model{Cell: c, Head: head}, nil
}

// Model-file metadata keys.
const (
	MetaCell  = "cell"  // the cell kind's name (see KindNames)
	MetaAlpha = "alpha" // leak of a vanilla cell, 0 < α ≤ 1; absent means 1
)

// TensorNames are the tensors of a model file, in storage order: the cell's PyTorch
// names, then the readout's.
var TensorNames = []string{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "head.weight", "head.bias"}

// namedTensors lists the model's tensors as views of the two flat vectors cellVec (a
// parameter or gradient vector of the cell's layout) and headVec (the readout's).
func (m *Model) namedTensors(cellVec, headVec []float32) map[string]*safetensors.Tensor {
	out := make(map[string]*safetensors.Tensor, len(TensorNames))
	for _, t := range m.Cell.Layout().Tensors() {
		out[t.Name] = &safetensors.Tensor{DType: safetensors.F32, Shape: t.Shape, F32: t.Of(cellVec)}
	}
	for _, t := range m.Head.Tensors() {
		out[t.Name] = &safetensors.Tensor{DType: safetensors.F32, Shape: t.Shape, F32: t.Of(headVec)}
	}
	return out
}

// Metadata is the model file's metadata: the cell kind and, for a vanilla cell, its leak.
func (m *Model) Metadata() map[string]string {
	meta := map[string]string{MetaCell: m.Cell.Kind().String()}
	if m.Cell.Kind().IsVanilla() {
		meta[MetaAlpha] = strconv.FormatFloat(float64(m.Cell.Alpha()), 'g', -1, 32)
	}
	return meta
}

// Save writes the model to path as safetensors, atomically (a temporary file in the same
// directory, fsync, rename): an existing file is replaced whole or not at all, and a
// symbolic link is written through. Non-finite parameters are an error and nothing is
// written.
func (m *Model) Save(path string) error {
	if m == nil || m.Cell == nil || m.Head == nil {
		return fmt.Errorf("cell: saving %s: nil model, cell or readout", path)
	}
	return m.SaveVectors(path, m.Cell.Params(), m.Head.Params())
}

// WriteTo writes the model to w as safetensors (the bytes Save puts in a file) and
// returns the number of bytes written. Non-finite parameters are an error, before
// anything is written.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	if m == nil || m.Cell == nil || m.Head == nil {
		return 0, errors.New("cell: writing a nil model, cell or readout")
	}
	cw := &countingWriter{w: w}
	err := m.WriteVectors(cw, m.Cell.Params(), m.Head.Params())
	return cw.n, err
}

// Vector is a named float32 tensor to store beside a model's own, such as a loss.
type Vector struct {
	Name  string    // its name in the file; it must not be one of the model's
	Shape []int     // its shape, row-major; the product must be len(Data)
	Data  []float32 // its values
}

// SaveVectors writes, with the model's tensor names, shapes and metadata, the cell-layout
// vector cellVec and the readout-layout vector headVec (for instance gradients), plus the
// extra vectors (which must not reuse a model name), atomically as Save does.
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
	if m == nil || m.Cell == nil || m.Head == nil {
		return nil, errors.New("nil model, cell or readout")
	}
	if len(cellVec) != m.Cell.NumParams() || len(headVec) != m.Head.NumParams() {
		return nil, fmt.Errorf("vectors of %d and %d values for a model with %d and %d parameters", len(cellVec), len(headVec), m.Cell.NumParams(), m.Head.NumParams())
	}
	tensors := m.namedTensors(cellVec, headVec)
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
// alpha (0 < α ≤ 1, only 1 for GRU and LSTM); exactly the tensors of TensorNames with
// shapes consistent with each other (weight_ih_l0 [G·H, I], weight_hh_l0 [G·H, H],
// bias_ih_l0 and bias_hh_l0 [G·H], head.weight [O, H], head.bias [O]); finite values.
// Every error names the file and the tensor or key at fault. A path that is not a regular
// file (a directory, a named pipe) is refused without blocking.
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

// modelFromFile builds a model from a decoded safetensors file, validating it as
// LoadModel does.
func modelFromFile(f *safetensors.File) (*Model, error) {
	kindName, ok := f.Metadata[MetaCell]
	if !ok {
		return nil, fmt.Errorf("model: metadata %q is missing (want one of %s)", MetaCell, KindNames())
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
	specs := []safetensors.Spec{
		{Name: "weight_ih_l0", Shape: []int{g * hidden, input}},
		{Name: "weight_hh_l0", Shape: []int{g * hidden, hidden}},
		{Name: "bias_ih_l0", Shape: []int{g * hidden}},
		{Name: "bias_hh_l0", Shape: []int{g * hidden}},
		{Name: "head.weight", Shape: []int{out, hidden}},
		{Name: "head.bias", Shape: []int{out}},
	}
	if err := f.Require(true, specs...); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m, err := NewModel(Config{Kind: kind, Hidden: hidden, Input: input, Alpha: alpha}, out)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	for _, t := range m.Cell.Layout().Tensors() {
		if err := copyFinite(t.Of(m.Cell.Params()), t.Name, f); err != nil {
			return nil, err
		}
	}
	for _, t := range m.Head.Tensors() {
		if err := copyFinite(t.Of(m.Head.Params()), t.Name, f); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// matrixShape returns the shape of a tensor that must be two-dimensional.
func matrixShape(f *safetensors.File, name string) ([]int, error) {
	s, err := f.Shape(name)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
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
