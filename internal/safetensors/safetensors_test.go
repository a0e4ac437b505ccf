package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// build assembles a file from a header and a data buffer.
func build(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func f32bytes(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func f64bytes(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func u16bytes(v ...uint16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint16(b, x)
	}
	return b
}

func sampleFile() *File {
	return &File{
		Tensors: map[string]*Tensor{
			"weight_hh_l0": {DType: F32, Shape: []int{3, 3}, F32: []float32{1, -2, 3, 4.5, 5, -6, 7, 8, 1e-40}},
			"bias_ih_l0":   {DType: F32, Shape: []int{3}, F32: []float32{0.25, -0.5, float32(math.SmallestNonzeroFloat32)}},
			"scalar":       {DType: F32, Shape: []int{}, F32: []float32{42}},
			"empty":        {DType: F32, Shape: []int{0, 4}, F32: []float32{}},
			"exact64":      {DType: F64, Shape: []int{2}, F64: []float64{math.Pi, -1e-300}},
		},
		Metadata: map[string]string{"cell": "rnn_tanh", "alpha": "0.5", "quote": `a "b" <c>`},
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	want := sampleFile()
	if err := WriteFile(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Metadata, want.Metadata) {
		t.Errorf("metadata %v, want %v", got.Metadata, want.Metadata)
	}
	if !reflect.DeepEqual(got.Names(), want.Names()) {
		t.Fatalf("names %v, want %v", got.Names(), want.Names())
	}
	for _, name := range want.Names() {
		w, g := want.Tensors[name], got.Tensors[name]
		if g.DType != w.DType || !reflect.DeepEqual(g.Shape, w.Shape) {
			t.Errorf("%s: %s %v, want %s %v", name, g.DType, g.Shape, w.DType, w.Shape)
		}
		if w.DType == F64 {
			if !reflect.DeepEqual(g.F64, w.F64) {
				t.Errorf("%s: F64 %v, want %v", name, g.F64, w.F64)
			}
			for i, v := range w.F64 {
				if g.F32[i] != float32(v) {
					t.Errorf("%s[%d]: F32 %v, want %v", name, i, g.F32[i], float32(v))
				}
			}
			continue
		}
		if !reflect.DeepEqual(g.F32, w.F32) {
			t.Errorf("%s: %v, want %v", name, g.F32, w.F32)
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", info.Mode().Perm())
	}

	// Deterministic: encoding twice (maps iterate in random order) gives the same bytes.
	var a, b bytes.Buffer
	if err := Encode(&a, want); err != nil {
		t.Fatal(err)
	}
	if err := Encode(&b, want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two encodings differ")
	}
	if n := binary.LittleEndian.Uint64(a.Bytes()); n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
}

// TestReferenceLayout pins the bytes the reference implementation (Python safetensors,
// save_file({"weight": tensor([[1., 2.], [3., 4.]]), "bias": tensor([.5, -1.])},
// metadata={"cell": "gru"})) writes: records in data order, fields dtype, shape,
// data_offsets, header padded with spaces to a multiple of 8, F64 data first.
func TestReferenceLayout(t *testing.T) {
	header := `{"__metadata__":{"cell":"gru"},"bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
		`"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}}`
	header += strings.Repeat(" ", (8-len(header)%8)%8)
	golden := build(header, f32bytes(0.5, -1, 1, 2, 3, 4))

	f, err := Decode(golden)
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.Tensor("weight", 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(w, []float32{1, 2, 3, 4}) || f.Metadata["cell"] != "gru" {
		t.Fatalf("weight %v, metadata %v", w, f.Metadata)
	}
	var out bytes.Buffer
	if err := Encode(&out, f); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), golden) {
		t.Errorf("encoding differs from the reference layout:\n got %q\nwant %q", out.Bytes(), golden)
	}

	// Mixed dtypes: the F64 tensor goes first in the data buffer, records stay sorted.
	mixed := &File{Tensors: map[string]*Tensor{
		"a": {DType: F32, Shape: []int{1}, F32: []float32{1}},
		"b": {DType: F64, Shape: []int{1}, F64: []float64{2}},
	}}
	out.Reset()
	if err := Encode(&out, mixed); err != nil {
		t.Fatal(err)
	}
	header = `{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`
	header += strings.Repeat(" ", (8-len(header)%8)%8)
	if want := build(header, append(f64bytes(2), f32bytes(1)...)); !bytes.Equal(out.Bytes(), want) {
		t.Errorf("mixed layout:\n got %q\nwant %q", out.Bytes(), want)
	}
}

func TestConversions(t *testing.T) {
	f16 := []struct {
		bits uint16
		want float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x3555, 0.333251953125},
		{0x0400, 1.0 / (1 << 14)},    // smallest normal
		{0x0001, 1.0 / (1 << 24)},    // smallest subnormal
		{0x03ff, 1023.0 / (1 << 24)}, // largest subnormal
		{0x8001, -1.0 / (1 << 24)},
		{0x0000, 0},
	}
	bf16 := []struct {
		bits uint16
		want float32
	}{
		{0x3f80, 1}, {0x4049, 3.140625}, {0xc2f7, -123.5},
		{0x7f7f, math.Float32frombits(0x7f7f0000)}, // largest finite
		{0x0001, math.Float32frombits(0x00010000)}, // a float32 subnormal
	}
	f64 := []struct {
		in   float64
		want float32
	}{
		{math.Pi, float32(math.Pi)},
		{1 + 0x1p-24, 1},                     // halfway: ties to even (down)
		{1 + 3*0x1p-24, 1 + 0x1p-22},         // halfway: ties to even (up)
		{1 + 0x1p-24 + 0x1p-40, 1 + 0x1p-23}, // just above halfway
		{0x1p-149, 0x1p-149},                 // smallest float32 subnormal
		{0x1p-150, 0},                        // halfway to zero: ties to even
		{0x1.8p-150, 0x1p-149},               // above halfway
		{1e-300, 0},                          // underflows to zero
		{-math.MaxFloat32, -math.MaxFloat32},
	}

	var h16, hb []uint16
	var want16, wantb []float32
	for _, c := range f16 {
		h16 = append(h16, c.bits)
		want16 = append(want16, c.want)
	}
	for _, c := range bf16 {
		hb = append(hb, c.bits)
		wantb = append(wantb, c.want)
	}
	var in64 []float64
	var want64 []float32
	for _, c := range f64 {
		in64 = append(in64, c.in)
		want64 = append(want64, c.want)
	}
	var data []byte
	data = append(data, f64bytes(in64...)...)
	o1 := len(data)
	data = append(data, u16bytes(h16...)...)
	o2 := len(data)
	data = append(data, u16bytes(hb...)...)
	o3 := len(data)
	header := `{"d":{"dtype":"F64","shape":[` + strconv.Itoa(len(in64)) + `],"data_offsets":[0,` + strconv.Itoa(o1) + `]},` +
		`"h":{"dtype":"F16","shape":[` + strconv.Itoa(len(h16)) + `],"data_offsets":[` + strconv.Itoa(o1) + `,` + strconv.Itoa(o2) + `]},` +
		`"b":{"dtype":"BF16","shape":[` + strconv.Itoa(len(hb)) + `],"data_offsets":[` + strconv.Itoa(o2) + `,` + strconv.Itoa(o3) + `]}}`
	f, err := Decode(build(header, data))
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want []float32) {
		for i := range want {
			// Compare bits so that -0 and +0 and subnormals are told apart.
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Errorf("%s[%d] = %g (%#08x), want %g (%#08x)", name, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
	check("F16", f.Tensors["h"].F32, want16)
	check("BF16", f.Tensors["b"].F32, wantb)
	check("F64", f.Tensors["d"].F32, want64)
	if !reflect.DeepEqual(f.Tensors["d"].F64, in64) {
		t.Errorf("F64 values %v, want %v", f.Tensors["d"].F64, in64)
	}
	if f.Tensors["h"].F64 != nil {
		t.Error("an F16 tensor has F64 values")
	}

	// Every binary16 bit pattern: finite ones convert exactly, checked by converting back.
	for bits := 0; bits < 1<<16; bits++ {
		v := f16ToF32(uint16(bits))
		exp := bits >> 10 & 0x1f
		if exp == 0x1f {
			if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
				t.Fatalf("f16 %#04x: %v, want Inf or NaN", bits, v)
			}
			continue
		}
		if back := f32ToF16Exact(v); back != uint16(bits) {
			t.Fatalf("f16 %#04x -> %g -> %#04x", bits, v, back)
		}
	}
}

// f32ToF16Exact inverts f16ToF32 for values it produced (no rounding needed), written in
// the direct arithmetic way so it checks the bit manipulation independently.
func f32ToF16Exact(v float32) uint16 {
	var sign uint16
	if math.Signbit(float64(v)) {
		sign = 0x8000
		v = -v
	}
	if v == 0 {
		return sign
	}
	if v < 0x1p-14 { // subnormal: v = m·2⁻²⁴
		return sign | uint16(v*(1<<24))
	}
	frac, exp := math.Frexp(float64(v)) // v = frac·2^exp, frac in [0.5, 1)
	e := exp - 1 + 15
	m := uint16((frac*2 - 1) * 1024)
	return sign | uint16(e)<<10 | m
}

func TestReadErrors(t *testing.T) {
	ok := `{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	two := f32bytes(1, 2)
	hugeLen := binary.LittleEndian.AppendUint64(nil, 200<<20)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"short file", []byte{1, 2, 3}, "shorter than the 8-byte header length"},
		{"header over limit", append(hugeLen, make([]byte, 16)...), "is not a safetensors file (its first 8 bytes give a header length of 209715200, over the 104857600-byte limit)"},
		{"header past end", build(ok, two)[:40], "is not a safetensors file (its first 8 bytes give a header length of 54, but only 32 bytes follow)"},
		{"not utf-8", build("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"not an object", build(`[1,2]`, nil), "not a JSON object"},
		{"bad json", build(`{"w":{"dtype":`, nil), "header JSON"},
		{"trailing garbage", build(ok+`x`, two), "data after the JSON object"},
		{"duplicate", build(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, two), `names "w" twice`},
		{"metadata not strings", build(`{"__metadata__":{"alpha":0.5}}`, nil), "__metadata__ must map strings to strings"},
		{"empty name", build(`{"":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}`, nil), "empty name"},
		{"unknown field", build(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}`, two), `tensor "w": header record`},
		{"record not object", build(`{"w":[1]}`, nil), `tensor "w": header record`},
		{"no dtype", build(`{"w":{"shape":[2],"data_offsets":[0,8]}}`, two), `tensor "w": header record has no dtype`},
		{"no shape", build(`{"w":{"dtype":"F32","data_offsets":[0,8]}}`, two), `tensor "w": header record has no shape`},
		{"no offsets", build(`{"w":{"dtype":"F32","shape":[2]}}`, two), `tensor "w": header record has no data_offsets`},
		{"unsigned dtype", build(`{"w":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}`, two), `tensor "w": unsupported dtype "U8"`},
		{"unknown dtype", build(`{"w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}`, two), `tensor "w": unsupported dtype "F33"`},
		{"negative dim", build(`{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, two), `tensor "w": negative dimension -2`},
		{"fractional dim", build(`{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}`, two), `tensor "w": header record`},
		{"dim beyond int64", build(`{"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}}`, two), `tensor "w": header record`},
		{"product overflows", build(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}`, two), `tensor "w": shape [4294967296 4294967296 4294967296] needs more bytes`},
		{"huge claim", build(`{"w":{"dtype":"F32","shape":[1073741824],"data_offsets":[0,4294967296]}}`, two), `tensor "w": shape [1073741824] needs more bytes than the 8-byte data buffer`},
		{"three offsets", build(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}`, two), `tensor "w": data_offsets has 3 numbers`},
		{"reversed offsets", build(`{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, two), `tensor "w": data_offsets [8, 0] are not an interval`},
		{"negative offset", build(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, two), `tensor "w": data_offsets [-8, 0] are not an interval`},
		{"offset past end", build(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, two), `tensor "w": data_offsets [8, 12] end past the 8-byte data buffer`},
		{"size mismatch", build(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}`, two), `tensor "w": data_offsets [0, 8] span 8 bytes, but shape [1] of F32 needs 4`},
		{"overlap", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, two), `tensor "b" at bytes [4, 8) overlaps tensor "a" at [0, 8)`},
		{"gap", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, two), `data bytes [0, 4) before tensor "a" belong to no tensor`},
		{"trailing bytes", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, two), `data bytes [4, 8) at the end of the file belong to no tensor`},
		{"NaN F32", build(ok, f32bytes(1, float32(math.NaN()))), `tensor "w": element 1 is NaN`},
		{"Inf F32", build(ok, f32bytes(float32(math.Inf(-1)), 1)), `tensor "w": element 0 is -Inf`},
		{"NaN F16", build(`{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, u16bytes(0x3c00, 0x7e00)), `tensor "h": element 1 is NaN`},
		{"Inf F16", build(`{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, u16bytes(0x7c00, 0)), `tensor "h": element 0 is +Inf`},
		{"Inf BF16", build(`{"h":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`, u16bytes(0, 0xff80)), `tensor "h": element 1 is -Inf`},
		{"NaN F64", build(`{"d":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, f64bytes(math.NaN())), `tensor "d": element 0 is NaN`},
		{"F64 beyond float32", build(`{"d":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, f64bytes(1e39)), `tensor "d": element 0 (1e+39) is beyond float32's range`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Decode(c.file)
			if err == nil {
				t.Fatalf("no error; got %v", f.Names())
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadFile(filepath.Join(dir, "missing")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ReadFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	bad := filepath.Join(dir, "bad.safetensors")
	if err := os.WriteFile(bad, build(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, f32bytes(1, 2)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(bad)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), `tensor "w"`) {
		t.Errorf("error %v should name the path and the tensor", err)
	}
}

func TestRequire(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, sampleFile()); err != nil {
		t.Fatal(err)
	}
	f, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Tensor("weight_hh_l0", 3, 3); err != nil {
		t.Error(err)
	}
	if _, err := f.Tensor("weight_hh_l0", -1, 3); err != nil {
		t.Error(err)
	}
	if _, err := f.Tensor("weight_hh_l0", 3, 4); err == nil || err.Error() != `safetensors: tensor "weight_hh_l0" has shape [3 3], want [3 4]` {
		t.Errorf("wrong shape: %v", err)
	}
	if _, err := f.Tensor("weight_hh_l0", 9); err == nil || !strings.Contains(err.Error(), "want [9]") {
		t.Errorf("wrong rank: %v", err)
	}
	if _, err := f.Tensor("head.weight", -1, 3); err == nil || err.Error() != `safetensors: required tensor "head.weight" is missing` {
		t.Errorf("missing: %v", err)
	}
	if s, err := f.Shape("scalar"); err != nil || len(s) != 0 {
		t.Errorf("Shape(scalar) = %v, %v", s, err)
	}
	specs := []Spec{{Name: "weight_hh_l0", Shape: []int{3, 3}}, {Name: "bias_ih_l0", Shape: []int{-1}}}
	if err := f.Require(false, specs...); err != nil {
		t.Error(err)
	}
	if err := f.Require(true, specs...); err == nil || !strings.Contains(err.Error(), `unexpected tensor "empty"`) {
		t.Errorf("exclusive: %v", err)
	}
	if err := f.Require(false, Spec{Name: "bias_ih_l0", Shape: []int{4}}); err == nil || !strings.Contains(err.Error(), "want [4]") {
		t.Errorf("spec shape: %v", err)
	}
}

func TestEncodeRejects(t *testing.T) {
	cases := []struct {
		name string
		f    *File
		want string
	}{
		{"NaN", &File{Tensors: map[string]*Tensor{"w": {DType: F32, Shape: []int{1}, F32: []float32{float32(math.NaN())}}}}, `tensor "w": element 0 is NaN`},
		{"Inf64", &File{Tensors: map[string]*Tensor{"w": {DType: F64, Shape: []int{1}, F64: []float64{math.Inf(1)}}}}, `tensor "w": element 0 is +Inf`},
		{"length", &File{Tensors: map[string]*Tensor{"w": {DType: F32, Shape: []int{2, 2}, F32: []float32{1}}}}, `tensor "w": shape [2 2] has 4 elements, data has 1`},
		{"dtype", &File{Tensors: map[string]*Tensor{"w": {DType: F16, Shape: []int{1}}}}, `tensor "w": cannot write dtype "F16"`},
		{"reserved", &File{Tensors: map[string]*Tensor{"__metadata__": {DType: F32, Shape: []int{}, F32: []float32{1}}}}, "reserved"},
		{"empty name", &File{Tensors: map[string]*Tensor{"": {DType: F32, Shape: []int{}, F32: []float32{1}}}}, "empty name"},
		{"nil", &File{Tensors: map[string]*Tensor{"w": nil}}, `tensor "w" is nil`},
		{"negative", &File{Tensors: map[string]*Tensor{"w": {DType: F32, Shape: []int{-1}}}}, `tensor "w": negative dimension`},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		err := Encode(&buf, c.f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written for an invalid file", c.name, buf.Len())
		}
	}
}

// failingWriter fails once more than limit bytes have been written.
type failingWriter struct {
	w     io.Writer
	limit int
}

var errInjected = errors.New("injected write error")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		n, _ := f.w.Write(p[:f.limit])
		f.limit = 0
		return n, errInjected
	}
	f.limit -= len(p)
	return f.w.Write(p)
}

// dirEntries lists the names in dir, to prove no temporary file is left behind.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	old := []byte("the previous model")
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	intact := func(what string) {
		t.Helper()
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, old) {
			t.Errorf("%s: existing file changed: %q, %v", what, got, err)
		}
		if names := dirEntries(t, dir); !reflect.DeepEqual(names, []string{"model.safetensors"}) {
			t.Errorf("%s: directory holds %v", what, names)
		}
	}

	// A write that fails half-way (as a full disk would).
	testHookWriter = func(w io.Writer) io.Writer { return &failingWriter{w: w, limit: 20} }
	err := WriteFile(path, sampleFile())
	testHookWriter = nil
	if !errors.Is(err, errInjected) {
		t.Errorf("injected failure: error %v", err)
	}
	intact("failed write")

	// An invalid file is rejected before anything is created.
	bad := sampleFile()
	bad.Tensors["bias_ih_l0"].F32[1] = float32(math.Inf(1))
	if err := WriteFile(path, bad); err == nil || !strings.Contains(err.Error(), `tensor "bias_ih_l0": element 1 is +Inf`) {
		t.Errorf("NaN weights: error %v", err)
	}
	intact("invalid tensors")

	// The rename fails when the target is a non-empty directory.
	sub := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(sub, "model.safetensors", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(sub, "model.safetensors"), sampleFile()); err == nil {
		t.Error("rename over a directory succeeded")
	}
	if names := dirEntries(t, sub); !reflect.DeepEqual(names, []string{"model.safetensors"}) {
		t.Errorf("failed rename left %v", names)
	}
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}

	// A missing directory.
	if err := WriteFile(filepath.Join(dir, "nope", "m.safetensors"), sampleFile()); err == nil {
		t.Error("write into a missing directory succeeded")
	}
	intact("missing directory")

	// And a successful write replaces the file.
	if err := WriteFile(path, sampleFile()); err != nil {
		t.Fatal(err)
	}
	if f, err := ReadFile(path); err != nil || len(f.Tensors) != 5 {
		t.Fatalf("after replace: %v", err)
	}
	if names := dirEntries(t, dir); !reflect.DeepEqual(names, []string{"model.safetensors"}) {
		t.Errorf("after replace: directory holds %v", names)
	}
}

// allocatedBy reports the bytes allocated while f runs.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A small file whose header claims enormous tensors fails without allocating for them.
func TestHugeClaimsAllocateLittle(t *testing.T) {
	claims := []string{
		`{"w":{"dtype":"F32","shape":[1073741824],"data_offsets":[0,4294967296]}}`,
		`{"w":{"dtype":"F64","shape":[268435456,268435456],"data_offsets":[0,8]}}`,
		`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F16","shape":[1000000000],"data_offsets":[8,2000000008]}}`,
	}
	for _, h := range claims {
		file := build(h, f32bytes(1, 2))
		var err error
		n := allocatedBy(func() { _, err = Decode(file) })
		if err == nil {
			t.Errorf("%s: accepted", h)
		}
		if n > 64<<10 {
			t.Errorf("%s: allocated %d bytes", h, n)
		}
	}
	// A header length near the limit with a short file is refused before allocating.
	file := binary.LittleEndian.AppendUint64(nil, MaxHeaderSize)
	n := allocatedBy(func() { _, _ = Decode(append(file, '{', '}')) })
	if n > 64<<10 {
		t.Errorf("huge header length: allocated %d bytes", n)
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	if err := Encode(&buf, sampleFile()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(build(`{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1,1],"data_offsets":[4,6]}}`, u16bytes(0x3c00, 0x0001, 0x3f80)))
	f.Add(build(`{"__metadata__":{"cell":"lstm"},"d":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}`, f64bytes(2.5)))
	f.Add(build(`{}`, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		var file *File
		var err error
		n := allocatedBy(func() { file, err = Decode(data) })
		// Output is at most 3× the input (F16 → F32 plus the raw buffer), plus the parsed
		// header's overhead: bounded by a multiple of the input, never by its claims.
		if limit := uint64(64*len(data) + 1<<20); n > limit {
			t.Fatalf("allocated %d bytes for %d input bytes", n, len(data))
		}
		// The stream reader agrees with the sized reader, up to trailing bytes (which
		// it leaves unread), and is held to the same allocation bound.
		br := bytes.NewReader(data)
		var sfile *File
		var serr error
		n = allocatedBy(func() { sfile, serr = ReadStream(onlyReader{br}, 0) })
		if limit := uint64(64*len(data) + 1<<20); n > limit {
			t.Fatalf("ReadStream allocated %d bytes for %d input bytes", n, len(data))
		}
		switch {
		case err == nil && serr != nil:
			t.Fatalf("Decode accepts what ReadStream refuses: %v", serr)
		case err != nil && serr == nil:
			if br.Len() == 0 {
				t.Fatalf("ReadStream accepts what Decode refuses: %v", err)
			}
			if _, perr := Decode(data[:len(data)-br.Len()]); perr != nil {
				t.Fatalf("ReadStream accepted a prefix that Decode refuses: %v", perr)
			}
		case err == nil && !reflect.DeepEqual(sfile, file):
			t.Fatalf("ReadStream and Decode disagree")
		}
		if err != nil {
			return
		}
		// Whatever is accepted re-encodes (as F32/F64) and reads back identically.
		for _, tn := range file.Tensors {
			if tn.DType != F64 {
				tn.DType = F32
			}
		}
		var out bytes.Buffer
		if err := Encode(&out, file); err != nil {
			t.Fatalf("accepted file does not re-encode: %v", err)
		}
		again, err := Decode(out.Bytes())
		if err != nil {
			t.Fatalf("re-encoded file does not read: %v", err)
		}
		for name, tn := range file.Tensors {
			if !reflect.DeepEqual(again.Tensors[name].F32, tn.F32) || !reflect.DeepEqual(again.Tensors[name].Shape, tn.Shape) {
				t.Fatalf("tensor %q changed in a round trip", name)
			}
		}
		if len(again.Metadata) != len(file.Metadata) {
			t.Fatalf("metadata changed in a round trip")
		}
	})
}
