package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"
)

// Integer tensors (PyTorch's class targets are int64) read and write exactly, negative
// values included, next to float tensors, and the accessors keep the two kinds apart.
func TestIntegerTensors(t *testing.T) {
	classes := []int64{3, -100, 0, 9, math.MaxInt64, math.MinInt64}
	small := []int64{-100, 7, math.MaxInt32, math.MinInt32}
	f := &File{Tensors: map[string]*Tensor{
		"classes": {DType: I64, Shape: []int{3, 2}, Int: classes},
		"small":   {DType: I32, Shape: []int{4}, Int: small},
		"inputs":  {DType: F32, Shape: []int{1, 2}, F32: []float32{0.5, -1}},
	}}
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	g, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	c := g.Tensors["classes"]
	if c.DType != I64 || !slices.Equal(c.Shape, []int{3, 2}) || !slices.Equal(c.Int, classes) || c.F32 != nil {
		t.Fatalf("I64 read back as %+v", c)
	}
	s := g.Tensors["small"]
	if s.DType != I32 || !slices.Equal(s.Int, small) {
		t.Fatalf("I32 read back as %+v", s)
	}
	if v, err := g.Ints("classes", 3, -1); err != nil || !slices.Equal(v, classes) {
		t.Fatalf("Ints: %v %v", v, err)
	}
	if _, err := g.Tensor("classes"); err == nil || !strings.Contains(err.Error(), `tensor "classes" holds integers (I64), want floating-point values`) {
		t.Errorf("Tensor on an integer tensor: %v", err)
	}
	if _, err := g.Ints("inputs", 1, 2); err == nil || !strings.Contains(err.Error(), `tensor "inputs" holds F32 values, want integers`) {
		t.Errorf("Ints on a float tensor: %v", err)
	}
	if _, err := g.Ints("classes", 6); err == nil || !strings.Contains(err.Error(), "want [6]") {
		t.Errorf("Ints shape: %v", err)
	}
	if err := g.Require(true, Spec{Name: "classes", Shape: []int{3, 2}, Int: true}, Spec{Name: "small", Shape: []int{4}, Int: true}, Spec{Name: "inputs", Shape: []int{1, 2}}); err != nil {
		t.Errorf("Require: %v", err)
	}
	if err := g.Require(false, Spec{Name: "classes", Shape: []int{3, 2}}); err == nil || !strings.Contains(err.Error(), "holds integers") {
		t.Errorf("Require of a float spec accepted an integer tensor: %v", err)
	}
}

// A file laid out as PyTorch's safetensors writes it (int64 little-endian) reads as the
// values it holds.
func TestReadsHandLaidInt64(t *testing.T) {
	var data []byte
	for _, v := range []int64{-100, 2} {
		data = binary.LittleEndian.AppendUint64(data, uint64(v))
	}
	for _, v := range []int32{-1, 5} {
		data = binary.LittleEndian.AppendUint32(data, uint32(v))
	}
	f, err := Decode(build(`{"c":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"d":{"dtype":"I32","shape":[2],"data_offsets":[16,24]}}`, data))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Tensors["c"].Int, []int64{-100, 2}) || !slices.Equal(f.Tensors["d"].Int, []int64{-1, 5}) {
		t.Fatalf("read %v and %v", f.Tensors["c"].Int, f.Tensors["d"].Int)
	}
}

func TestEncodeRejectsBadIntegers(t *testing.T) {
	for name, c := range map[string]struct {
		t    *Tensor
		want string
	}{
		"I32 overflow": {&Tensor{DType: I32, Shape: []int{2}, Int: []int64{1, 1 << 31}}, `element 1 (2147483648) does not fit in I32`},
		"I64 length":   {&Tensor{DType: I64, Shape: []int{3}, Int: []int64{1}}, `shape [3] has 3 elements, data has 1`},
	} {
		var buf bytes.Buffer
		err := Encode(&buf, &File{Tensors: map[string]*Tensor{"c": c.t}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes", name, buf.Len())
		}
	}
}
