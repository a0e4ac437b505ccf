// Package algostate saves and restores an algorithm's state between steps
// (cell.AlgorithmState) from a list of named variables: package rtrl's and package
// bptt's SaveState and LoadState are built on it.
package algostate

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/chronograd/chronograd/cell"
)

type kind int

const (
	kF32   kind = iota // a float32 buffer, saved in F32
	kParts             // float32 buffers, saved one after the other in F32
	kF64               // a float64 buffer, saved as bits in I64
	kBools             // flags, saved as 0/1 in I64
	kInt               // a counter, saved in I64
	kBool              // a flag, saved as 0/1 in I64
	kFloat             // a float64 scalar, saved as bits in I64 (NaN round-trips)
	kPCG               // a math/rand/v2 PCG generator: its two state words in I64
)

// Var is one named piece of an algorithm's state; build it with F32, F64, Bools, Int,
// Float or PCG.
type Var struct {
	name  string
	kind  kind
	fixed bool
	f32   []float32
	parts [][]float32
	f64   []float64
	bools []bool
	i     *int
	b     *bool
	f     *float64
	pcg   *rand.PCG
}

// F32 is a float32 buffer, restored in place.
func F32(name string, v []float32) Var { return Var{name: name, kind: kF32, f32: v} }

// F32s is several float32 buffers saved one after the other as one vector (a ring of
// caches), restored in place.
func F32s(name string, parts [][]float32) Var { return Var{name: name, kind: kParts, parts: parts} }

// F64 is a float64 buffer, restored in place.
func F64(name string, v []float64) Var { return Var{name: name, kind: kF64, f64: v} }

// Bools is a buffer of flags, restored in place.
func Bools(name string, v []bool) Var { return Var{name: name, kind: kBools, bools: v} }

// Int is a counter.
func Int(name string, v *int) Var { return Var{name: name, kind: kInt, i: v} }

// Bool is a flag.
func Bool(name string, v *bool) Var { return Var{name: name, kind: kBool, b: v} }

// Float is a float64 scalar.
func Float(name string, v *float64) Var { return Var{name: name, kind: kFloat, f: v} }

// PCG is a random-number generator's state.
func PCG(name string, p *rand.PCG) Var { return Var{name: name, kind: kPCG, pcg: p} }

// Fixed marks a setting that the state records but that is not restored: a saved value
// that differs from the algorithm's refuses the state (it was built with other options).
func (v Var) Fixed() Var {
	v.fixed = true
	return v
}

// Save copies the variables into a new state.
func Save(vars []Var) cell.AlgorithmState {
	s := cell.AlgorithmState{F32: map[string][]float32{}, I64: map[string][]int64{}}
	for _, v := range vars {
		switch v.kind {
		case kF32:
			s.F32[v.name] = append([]float32{}, v.f32...)
		case kParts:
			all := make([]float32, 0, v.len())
			for _, p := range v.parts {
				all = append(all, p...)
			}
			s.F32[v.name] = all
		default:
			s.I64[v.name] = v.ints()
		}
	}
	return s
}

// len is the length of a float32 variable's saved vector.
func (v Var) len() int {
	if v.kind == kF32 {
		return len(v.f32)
	}
	n := 0
	for _, p := range v.parts {
		n += len(p)
	}
	return n
}

// ints is the I64 form of a variable that is not a float32 buffer.
func (v Var) ints() []int64 {
	switch v.kind {
	case kF64:
		out := make([]int64, len(v.f64))
		for i, f := range v.f64 {
			out[i] = int64(math.Float64bits(f))
		}
		return out
	case kBools:
		out := make([]int64, len(v.bools))
		for i, b := range v.bools {
			if b {
				out[i] = 1
			}
		}
		return out
	case kInt:
		return []int64{int64(*v.i)}
	case kBool:
		if *v.b {
			return []int64{1}
		}
		return []int64{0}
	case kFloat:
		return []int64{int64(math.Float64bits(*v.f))}
	case kPCG:
		hi, lo := pcgWords(v.pcg)
		return []int64{int64(hi), int64(lo)}
	}
	panic("algostate: a float32 buffer has no integer form")
}

// pcgWords are the generator's two state words, from its MarshalBinary form "pcg:" +
// hi + lo (big-endian), which UnmarshalBinary takes back.
func pcgWords(p *rand.PCG) (hi, lo uint64) {
	b, err := p.MarshalBinary()
	if err != nil || len(b) != 20 || string(b[:4]) != "pcg:" {
		panic(fmt.Sprintf("algostate: unexpected PCG encoding %q (%v)", b, err))
	}
	return binary.BigEndian.Uint64(b[4:]), binary.BigEndian.Uint64(b[12:])
}

func setPCG(p *rand.PCG, words []int64) error {
	b := []byte("pcg:")
	b = binary.BigEndian.AppendUint64(b, uint64(words[0]))
	b = binary.BigEndian.AppendUint64(b, uint64(words[1]))
	return p.UnmarshalBinary(b)
}

// Load checks s against the variables (every one present with its length, no other
// name, every Fixed setting equal) and only then copies it into them, so that a refused
// state changes nothing. who prefixes the errors ("rtrl: snap1").
func Load(who string, s cell.AlgorithmState, vars []Var) error {
	want := map[string]bool{}
	for _, v := range vars {
		want[v.name] = true
		if v.kind == kF32 || v.kind == kParts {
			got, ok := s.F32[v.name]
			switch {
			case !ok:
				return missing(who, v.name, s)
			case len(got) != v.len():
				return sizeError(who, v.name, len(got), v.len())
			case v.fixed && (v.kind != kF32 || !slices.Equal(got, v.f32)):
				return fmt.Errorf("%s: state %q differs from this algorithm's (it was built with other options)", who, v.name)
			}
			continue
		}
		got, ok := s.I64[v.name]
		cur := v.ints()
		switch {
		case !ok:
			return missing(who, v.name, s)
		case len(got) != len(cur):
			return sizeError(who, v.name, len(got), len(cur))
		case v.fixed && !slices.Equal(got, cur):
			return fmt.Errorf("%s: state %q is %s, this algorithm's is %s (it was built with other options)", who, v.name, v.show(got), v.show(cur))
		case v.kind == kPCG:
			if err := setPCG(new(rand.PCG), got); err != nil {
				return fmt.Errorf("%s: state %q: %v", who, v.name, err)
			}
		}
	}
	for _, name := range append(keys(s.F32), keys(s.I64)...) {
		if !want[name] {
			return fmt.Errorf("%s: unexpected state %q (the state of another algorithm?)", who, name)
		}
	}
	for _, v := range vars {
		if v.fixed {
			continue
		}
		switch v.kind {
		case kF32:
			copy(v.f32, s.F32[v.name])
			continue
		case kParts:
			all := s.F32[v.name]
			for _, p := range v.parts {
				all = all[copy(p, all):]
			}
			continue
		}
		got := s.I64[v.name]
		switch v.kind {
		case kF64:
			for i, b := range got {
				v.f64[i] = math.Float64frombits(uint64(b))
			}
		case kBools:
			for i, b := range got {
				v.bools[i] = b != 0
			}
		case kInt:
			*v.i = int(got[0])
		case kBool:
			*v.b = got[0] != 0
		case kFloat:
			*v.f = math.Float64frombits(uint64(got[0]))
		case kPCG:
			_ = setPCG(v.pcg, got) // checked above
		}
	}
	return nil
}

// show formats a Fixed setting's I64 form for an error.
func (v Var) show(ints []int64) string {
	switch v.kind {
	case kFloat:
		return fmt.Sprint(math.Float64frombits(uint64(ints[0])))
	case kInt:
		return fmt.Sprint(ints[0])
	}
	return fmt.Sprint(ints)
}

func sizeError(who, name string, got, want int) error {
	return fmt.Errorf("%s: state %q holds %d values, this algorithm's has %d (built for a model or with options of another size)", who, name, got, want)
}

func missing(who, name string, s cell.AlgorithmState) error {
	return fmt.Errorf("%s: state %q is missing; the state holds %v (the state of another algorithm?)", who, name, append(keys(s.F32), keys(s.I64)...))
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
