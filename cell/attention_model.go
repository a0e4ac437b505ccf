package cell

import (
	"fmt"
	"strconv"

	"github.com/chronograd/chronograd/internal/safetensors"
)

// Model-file metadata of the attention component: attention = "sab" marks a model that
// has it, with its hyperparameters k_att, k_top and M ("inf" for ∞).
const (
	MetaAttention = "attention" // "sab": the model has the attention component
	MetaKAtt      = "k_att"     // write the state to the memory every k_att steps
	MetaKTop      = "k_top"     // attend to the k_top best slots
	MetaSlots     = "M"         // slots held: an integer ≥ k_top, or "inf"
)

// attentionKind is the value of MetaAttention: the attention of Sparse Attentive
// Backtracking.
const attentionKind = "sab"

// AddAttention gives the model an attention component of the given configuration over
// its top layer's h, with zero parameters (replacing any it had).
func (m *Model) AddAttention(cfg AttentionConfig) error {
	if err := m.Check(); err != nil {
		return err
	}
	a, err := NewAttention(cfg, m.HiddenSize())
	if err != nil {
		return err
	}
	m.Attention = a
	return nil
}

// layersParams is the number of the layers' parameters, where the attention's start in
// the flat cell vector.
func (m *Model) layersParams() int { return m.ParamOffset(len(m.Layers)) }

// attentionParams is the attention component's number of parameters (0 without one).
func (m *Model) attentionParams() int {
	if m.Attention == nil {
		return 0
	}
	return m.Attention.NumParams()
}

// LayersVector is the layers' part of a flat cell vector v of the model's layout (all of
// it without an attention component).
func (m *Model) LayersVector(v []float32) []float32 { return v[:m.layersParams()] }

// AttentionVector is the attention component's part of a flat cell vector v of the
// model's layout (it follows the layers'), or nil for a model without one.
func (m *Model) AttentionVector(v []float32) []float32 {
	if m.Attention == nil {
		return nil
	}
	off := m.layersParams()
	return v[off : off+m.Attention.NumParams()]
}

// attentionTensors lists the attention tensors at their offsets in the flat cell vector.
func (m *Model) attentionTensors() []Tensor {
	if m.Attention == nil {
		return nil
	}
	off := m.layersParams()
	ts := m.Attention.Tensors()
	for i := range ts {
		ts[i].Offset += off
	}
	return ts
}

// attentionMetadata adds the attention keys to a model file's metadata.
func (m *Model) attentionMetadata(meta map[string]string) {
	if m.Attention == nil {
		return
	}
	c := m.Attention.Config()
	meta[MetaAttention] = attentionKind
	meta[MetaKAtt] = strconv.Itoa(c.KAtt)
	meta[MetaKTop] = strconv.Itoa(c.KTop)
	meta[MetaSlots] = "inf"
	if c.M > 0 {
		meta[MetaSlots] = strconv.Itoa(c.M)
	}
}

// checkAttention is the attention part of Check.
func (m *Model) checkAttention() error {
	if m.Attention != nil && m.Attention.HiddenSize() != m.HiddenSize() {
		return fmt.Errorf("cell: the attention reads %d hidden units, the layers have %d", m.Attention.HiddenSize(), m.HiddenSize())
	}
	return nil
}

// attentionFromFile reads the attention metadata of a model file, and returns the
// component's configuration (ok false without one) and the tensors it requires.
func attentionFromFile(f *safetensors.File, hidden int) (cfg AttentionConfig, specs []safetensors.Spec, ok bool, err error) {
	kind, has := f.Metadata[MetaAttention]
	if !has {
		for _, k := range []string{MetaKAtt, MetaKTop, MetaSlots} {
			if _, stray := f.Metadata[k]; stray {
				return cfg, nil, false, fmt.Errorf("model: metadata %q without %q = %q", k, MetaAttention, attentionKind)
			}
		}
		return cfg, nil, false, nil
	}
	if kind != attentionKind {
		return cfg, nil, false, fmt.Errorf("model: metadata %q = %q; the one attention known is %q", MetaAttention, kind, attentionKind)
	}
	for _, k := range []struct {
		key string
		v   *int
	}{{MetaKAtt, &cfg.KAtt}, {MetaKTop, &cfg.KTop}} {
		s, has := f.Metadata[k.key]
		if !has {
			return cfg, nil, false, fmt.Errorf("model: metadata %q is missing (the attention needs %s, %s and %s)", k.key, MetaKAtt, MetaKTop, MetaSlots)
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return cfg, nil, false, fmt.Errorf("model: metadata %q = %q is not an integer", k.key, s)
		}
		*k.v = n
	}
	s, has := f.Metadata[MetaSlots]
	if !has {
		return cfg, nil, false, fmt.Errorf("model: metadata %q is missing (the attention needs %s, %s and %s)", MetaSlots, MetaKAtt, MetaKTop, MetaSlots)
	}
	if cfg.M, err = parseSlots(s); err != nil {
		return cfg, nil, false, fmt.Errorf("model: metadata %q: %w", MetaSlots, err)
	}
	if err := cfg.Check(); err != nil {
		return cfg, nil, false, fmt.Errorf("model: metadata: %w", err)
	}
	specs = []safetensors.Spec{
		{Name: AttentionQueryWeight, Shape: []int{hidden, hidden}},
		{Name: AttentionQueryBias, Shape: []int{hidden}},
		{Name: AttentionKeyWeight, Shape: []int{hidden, hidden}},
	}
	return cfg, specs, true, nil
}

// loadAttention gives m the attention of configuration cfg and copies its tensors from
// f (validated as LoadModel does).
func (m *Model) loadAttention(f *safetensors.File, cfg AttentionConfig) error {
	if err := m.AddAttention(cfg); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	for _, t := range m.Attention.Tensors() {
		if err := copyFinite(t.Of(m.Attention.Params()), t.Name, f); err != nil {
			return err
		}
	}
	return nil
}

// Runner runs a model forward one step at a time, for evaluation and inference: the
// layers, and the attention component with the memory it reads. It records nothing for a
// backward pass. For a model without attention a step is Model.Forward, bit for bit. A
// Runner belongs to one model and one goroutine; its steps allocate nothing once its
// memory has grown to the sequence's (a bounded memory: M slots).
type Runner struct {
	m     *Model
	cache *StepCache
	att   *AttentionCache
	mem   *Memory
	state []float32
}

// NewRunner returns a runner for the model, at the zero state.
func (m *Model) NewRunner() *Runner {
	r := &Runner{m: m, cache: m.NewStepCache(), state: make([]float32, m.StateSize())}
	if m.Attention != nil {
		r.att = m.Attention.NewCache()
		r.mem = m.Attention.NewMemory()
		r.mem.forwardOnly = true
	}
	return r
}

// Reset starts a sequence from the joint state s0 (nil: zeros) with an empty memory. It
// panics if s0 does not have the model's state size.
func (r *Runner) Reset(s0 []float32) {
	if s0 == nil {
		clear(r.state)
	} else {
		checkLen("Runner.Reset", "s0", len(s0), len(r.state))
		copy(r.state, s0)
	}
	if r.mem != nil {
		r.mem.Reset()
	}
}

// Step runs one step on input x and returns the joint state s_t (owned by the runner;
// its top layer's h is what the readout reads, TopHidden).
func (r *Runner) Step(x []float32) []float32 {
	r.m.Forward(r.cache, r.state, r.state, x)
	if r.m.Attention != nil {
		r.m.Attention.Forward(r.att, r.mem, r.m.TopHidden(r.state))
	}
	return r.state
}
