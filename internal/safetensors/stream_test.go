package safetensors

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func nan() float64 { var z float64; return z / z }

// onlyReader hides every method but Read, as a network stream would.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestReadStream(t *testing.T) {
	var buf bytes.Buffer
	want := sampleFile()
	if err := Encode(&buf, want); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	// Two files back to back: each read takes exactly its own bytes.
	r := onlyReader{bytes.NewReader(append(slices.Clone(file), file...))}
	for i := range 2 {
		got, err := ReadStream(r, 0)
		if err != nil {
			t.Fatalf("file %d: %v", i, err)
		}
		if !reflect.DeepEqual(got.Metadata, want.Metadata) || !reflect.DeepEqual(got.Names(), want.Names()) {
			t.Fatalf("file %d differs", i)
		}
		for _, name := range want.Names() {
			if !reflect.DeepEqual(got.Tensors[name].F32, want.Tensors[name].F32) && want.Tensors[name].DType == F32 {
				t.Errorf("file %d: tensor %s differs", i, name)
			}
		}
	}
	if _, err := ReadStream(r, 0); err == nil || !strings.Contains(err.Error(), "input is not a safetensors file (it is empty)") {
		t.Errorf("at the end: %v", err)
	}

	cases := []struct {
		name  string
		in    []byte
		limit int64
		want  string
	}{
		{"short", []byte{1, 2}, 0, "input is not a safetensors file (it is 2 bytes long, shorter than the 8-byte header length)"},
		{"text", []byte("package main\n"), 0, "input is not a safetensors file (its first 8 bytes give a header length of"},
		{"cut in header", file[:20], 0, "the input ends inside the header, after 12 of its"},
		{"cut in data", file[:len(file)-3], 0, fmt.Sprintf("the input ends inside the data, after %d of its", len(file)-3-8-int(binary.LittleEndian.Uint64(file)))},
		{"over limit", file, 100, "exceeds the 100-byte limit on the input"},
		{"data over limit", file, int64(len(file)) - 1, "bytes of data, over the " + fmt.Sprint(len(file)-1) + "-byte limit on the input"},
		{"not json", build("[]", nil), 0, "input is not a safetensors file (its header is not a JSON object)"},
		{"nan", build(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32bytes(float32(nan()))), 0, `tensor "w": element 0 is NaN`},
	}
	for _, c := range cases {
		_, err := ReadStream(onlyReader{bytes.NewReader(c.in)}, c.limit)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.want)
		}
	}
	if _, err := ReadStream(onlyReader{bytes.NewReader(file)}, int64(len(file))); err != nil {
		t.Errorf("exactly at the limit: %v", err)
	}
	// A stream's header may claim anything: memory follows the bytes that arrive.
	claims := build(`{"w":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}`, f32bytes(1, 2))
	var err error
	n := allocatedBy(func() { _, err = ReadStream(onlyReader{bytes.NewReader(claims)}, 0) })
	if err == nil || n > 1<<20 {
		t.Errorf("a 4 GB claim on a short stream: %v after allocating %d bytes", err, n)
	}
	hdr := binary.LittleEndian.AppendUint64(nil, MaxHeaderSize)
	n = allocatedBy(func() { _, err = ReadStream(onlyReader{bytes.NewReader(append(hdr, '{'))}, 0) })
	if err == nil || n > 1<<20 {
		t.Errorf("a 100 MB header claim on a short stream: %v after allocating %d bytes", err, n)
	}
}

// An empty tensor ([4, 0]) last in the data reads back from a stream: an empty read at the
// end of the data is not the end of the input (bytes.Reader answered io.EOF to it).
func TestReadStreamEmptyTensorLast(t *testing.T) {
	f := &File{Tensors: map[string]*Tensor{
		"a":     {DType: F32, Shape: []int{2}, F32: []float32{1, 2}},
		"empty": {DType: F32, Shape: []int{4, 0}, F32: []float32{}},
	}}
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	got, err := ReadStream(bytes.NewReader(buf.Bytes()), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tensors["empty"].F32) != 0 || got.Tensors["a"].F32[1] != 2 {
		t.Fatalf("read back %+v", got.Tensors)
	}
	if _, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
		t.Fatal(err)
	}
}

// Integer tensors (class targets: PyTorch's int64, or int32) round-trip exactly, and an
// I32 element out of range is refused before anything is written.
func TestIntegerTensors(t *testing.T) {
	f := &File{Tensors: map[string]*Tensor{
		"classes": {DType: I64, Shape: []int{2, 3}, I64: []int64{0, 9, -100, 1 << 40, -1, 3}},
		"small":   {DType: I32, Shape: []int{3}, I64: []int64{-100, 7, 2147483647}},
		"x":       {DType: F32, Shape: []int{1}, F32: []float32{0.5}},
	}}
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range f.Tensors {
		g := got.Tensors[name]
		if g.DType != want.DType || !slices.Equal(g.Shape, want.Shape) || !slices.Equal(g.I64, want.I64) || !slices.Equal(g.F32, want.F32) {
			t.Errorf("%s: read back %+v, want %+v", name, g, want)
		}
	}
	bad := &File{Tensors: map[string]*Tensor{"c": {DType: I32, Shape: []int{1}, I64: []int64{1 << 33}}}}
	if err := Encode(&bytes.Buffer{}, bad); err == nil || !strings.Contains(err.Error(), "does not fit I32") {
		t.Errorf("an out-of-range I32: %v", err)
	}
}
