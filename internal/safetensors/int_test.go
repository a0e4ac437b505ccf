package safetensors

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
)

// Integer tensors (PyTorch's class targets are int64) read and write exactly, negative
// values included, next to float tensors, and the accessors keep the two kinds apart.
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
	if !slices.Equal(f.Tensors["c"].I64, []int64{-100, 2}) || !slices.Equal(f.Tensors["d"].I64, []int64{-1, 5}) {
		t.Fatalf("read %v and %v", f.Tensors["c"].I64, f.Tensors["d"].I64)
	}
}

func TestEncodeRejectsBadIntegers(t *testing.T) {
	for name, c := range map[string]struct {
		t    *Tensor
		want string
	}{
		"I32 overflow": {&Tensor{DType: I32, Shape: []int{2}, I64: []int64{1, 1 << 31}}, `element 1 (2147483648) does not fit I32`},
		"I64 length":   {&Tensor{DType: I64, Shape: []int{3}, I64: []int64{1}}, `shape [3] has 3 elements, data has 1`},
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
