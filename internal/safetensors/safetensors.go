// Package safetensors reads and writes the safetensors tensor file format without
// dependencies and without unsafe casts, so it behaves the same on any host byte order.
//
// A file is an 8-byte little-endian header length N, N bytes of a JSON object
//
//	{"__metadata__": {"key": "value", ...},
//	 "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
//
// and the data buffer; offsets are relative to the start of the buffer. Reading accepts
// F32, F16, BF16 and F64 and converts every such tensor to float32 (F64 tensors keep their
// float64 values too), and the integer types I64 and I32, kept as int64 (PyTorch's class
// targets are I64). Writing produces F32, F64, I64 or I32 tensors in the layout of the
// reference implementation: header padded with spaces to a multiple of 8 bytes, data
// ordered by element size (largest first, so every tensor is aligned) and then by name.
//
// Reading trusts nothing in the file: every problem is returned as an error that names the
// tensor, and the reader never allocates more than a small multiple of the file size.
package safetensors

import (
	"fmt"
	"maps"
	"math"
	"slices"
)

// DType is a tensor element type as spelled in the header.
type DType string

// The element types this package reads. F32, F64, I64 and I32 are also written.
const (
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	F64  DType = "F64"
	I64  DType = "I64"
	I32  DType = "I32"
)

// Size is the number of bytes of one element, or 0 for a type this package does not read.
func (d DType) Size() int {
	switch d {
	case F16, BF16:
		return 2
	case F32, I32:
		return 4
	case F64, I64:
		return 8
	}
	return 0
}

// IsInt reports whether d is an integer type (I64 or I32).
func (d DType) IsInt() bool { return d == I64 || d == I32 }

// metadataKey is the reserved header key that holds the string-to-string metadata.
const metadataKey = "__metadata__"

// MaxHeaderSize bounds the JSON header (the reference implementation uses the same bound),
// so a corrupt length cannot make the reader allocate gigabytes.
const MaxHeaderSize = 100 << 20

// Tensor is one named array in row-major order.
type Tensor struct {
	// DType is the element type in the file. Write stores F32 tensors from F32 and F64
	// tensors from F64.
	DType DType
	Shape []int
	// F32 holds the elements as float32. Read fills it for every floating-point dtype
	// and leaves it nil for an integer one.
	F32 []float32
	// F64 holds the elements of an F64 tensor exactly. Read fills it only for F64.
	F64 []float64
	// Int holds the elements of an I64 or I32 tensor. Read fills it only for those, and
	// Write stores I64 and I32 tensors from it (an I32 element must fit in 32 bits).
	Int []int64
}

// Len is the number of elements the shape describes.
func (t *Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// File is the content of a safetensors file.
type File struct {
	Tensors  map[string]*Tensor
	Metadata map[string]string
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string {
	return slices.Sorted(maps.Keys(f.Tensors))
}

// Tensor returns the float32 elements of the named tensor after checking that it exists,
// holds floating-point values and has the given shape; a negative dimension in shape
// matches any size. The error names the tensor and what is wrong, so loaders can pass it
// straight to the user.
func (f *File) Tensor(name string, shape ...int) ([]float32, error) {
	t, ok := f.Tensors[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: required tensor %q is missing", name)
	}
	if t.DType.IsInt() {
		return nil, fmt.Errorf("safetensors: tensor %q holds integers (%s), want floating-point values", name, t.DType)
	}
	if err := checkShape(name, t.Shape, shape); err != nil {
		return nil, err
	}
	return t.F32, nil
}

// Ints returns the elements of the named integer tensor (I64 or I32) after checking that
// it exists and has the given shape, as Tensor does for floating-point tensors.
func (f *File) Ints(name string, shape ...int) ([]int64, error) {
	t, ok := f.Tensors[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: required tensor %q is missing", name)
	}
	if !t.DType.IsInt() {
		return nil, fmt.Errorf("safetensors: tensor %q holds %s values, want integers (I64 or I32)", name, t.DType)
	}
	if err := checkShape(name, t.Shape, shape); err != nil {
		return nil, err
	}
	return t.Int, nil
}

// Shape returns the shape of the named tensor, or an error naming it when it is missing.
func (f *File) Shape(name string) ([]int, error) {
	t, ok := f.Tensors[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: required tensor %q is missing", name)
	}
	return t.Shape, nil
}

// Spec is a tensor that a caller requires, with its expected shape (negative dimensions
// match any size) and element kind.
type Spec struct {
	Name  string
	Shape []int
	// Int requires integer elements (I64 or I32); otherwise floating-point ones.
	Int bool
}

// Require checks that every spec is present with a matching shape and, when exclusive is
// true, that the file holds no other tensor. The first problem is returned.
func (f *File) Require(exclusive bool, specs ...Spec) error {
	want := make(map[string]bool, len(specs))
	for _, s := range specs {
		want[s.Name] = true
		var err error
		if s.Int {
			_, err = f.Ints(s.Name, s.Shape...)
		} else {
			_, err = f.Tensor(s.Name, s.Shape...)
		}
		if err != nil {
			return err
		}
	}
	if exclusive {
		for _, name := range f.Names() {
			if !want[name] {
				return fmt.Errorf("safetensors: unexpected tensor %q", name)
			}
		}
	}
	return nil
}

func checkShape(name string, got, want []int) error {
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = want[i] < 0 || got[i] == want[i]
	}
	if !ok {
		return fmt.Errorf("safetensors: tensor %q has shape %s, want %s", name, shapeString(got), shapeString(want))
	}
	return nil
}

// shapeString prints a shape as [2 3], with ? for wildcard dimensions.
func shapeString(s []int) string {
	b := []byte{'['}
	for i, d := range s {
		if i > 0 {
			b = append(b, ' ')
		}
		if d < 0 {
			b = append(b, '?')
		} else {
			b = fmt.Appendf(b, "%d", d)
		}
	}
	return string(append(b, ']'))
}

// f16ToF32 converts IEEE 754 binary16 bits to float32. Every binary16 value, subnormals
// included, is exactly representable, so the conversion only moves bits.
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0x1f: // Inf or NaN: keep the payload
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case 0: // zero or subnormal: mant·2⁻²⁴, a product that is exact in float32
		f := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(sign | math.Float32bits(f))
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// bf16ToF32 converts bfloat16 bits (the top half of a float32) to float32.
func bf16ToF32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}
