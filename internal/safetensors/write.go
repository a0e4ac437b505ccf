package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/chronograd/chronograd/internal/fsx"
)

// Encode writes f to w. Only F32 (from Tensor.F32), F64 (from Tensor.F64) and I64 and I32
// (from Tensor.Int) tensors are written; every tensor is checked first (a valid name, a shape that matches the data,
// finite values), so nothing is written for an invalid file. The output is deterministic:
// metadata keys and tensor names are sorted.
func Encode(w io.Writer, f *File) error {
	header, order, err := encodeHeader(f)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	bw.Write(lenBuf[:])
	bw.Write(header)
	var b [8]byte
	for _, name := range order {
		t := f.Tensors[name]
		switch t.DType {
		case I64:
			for _, v := range t.Int {
				binary.LittleEndian.PutUint64(b[:], uint64(v))
				bw.Write(b[:8])
			}
			continue
		case I32:
			for _, v := range t.Int {
				binary.LittleEndian.PutUint32(b[:], uint32(int32(v)))
				bw.Write(b[:4])
			}
			continue
		}
		if t.DType == F64 {
			for _, v := range t.F64 {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
				bw.Write(b[:8])
			}
			continue
		}
		for _, v := range t.F32 {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			bw.Write(b[:4])
		}
	}
	// bufio.Writer keeps the first error and returns it from every later call.
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// checkTensor validates a tensor before it is written.
func checkTensor(name string, t *Tensor) error {
	switch {
	case name == "":
		return errors.New("a tensor has an empty name")
	case name == metadataKey:
		return fmt.Errorf("tensor name %q is reserved for metadata", name)
	case t == nil:
		return fmt.Errorf("tensor %q is nil", name)
	}
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %q: negative dimension in shape %v", name, t.Shape)
		}
		if d != 0 && n > math.MaxInt32/d {
			return fmt.Errorf("tensor %q: shape %v is too large", name, t.Shape)
		}
		n *= d
	}
	var got int
	switch t.DType {
	case F32:
		got = len(t.F32)
		for i, v := range t.F32 {
			if v != v || math.IsInf(float64(v), 0) {
				return fmt.Errorf("tensor %q: element %d is %v", name, i, v)
			}
		}
	case F64:
		got = len(t.F64)
		for i, v := range t.F64 {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("tensor %q: element %d is %v", name, i, v)
			}
		}
	case I64:
		got = len(t.Int)
	case I32:
		got = len(t.Int)
		for i, v := range t.Int {
			if v != int64(int32(v)) {
				return fmt.Errorf("tensor %q: element %d (%d) does not fit in I32", name, i, v)
			}
		}
	default:
		return fmt.Errorf("tensor %q: cannot write dtype %q (want F32, F64, I64 or I32)", name, t.DType)
	}
	if got != n {
		return fmt.Errorf("tensor %q: shape %v has %d elements, data has %d", name, t.Shape, n, got)
	}
	return nil
}

// encodeHeader builds the padded JSON header and the order of the tensors in the data
// buffer: larger elements first so each tensor stays aligned to its element size, then by
// name, as the reference implementation lays files out.
func encodeHeader(f *File) ([]byte, []string, error) {
	if f == nil {
		return nil, nil, errors.New("no file to write (nil)")
	}
	order := f.Names()
	for _, name := range order {
		if err := checkTensor(name, f.Tensors[name]); err != nil {
			return nil, nil, err
		}
	}
	slices.SortStableFunc(order, func(a, b string) int {
		return f.Tensors[b].DType.Size() - f.Tensors[a].DType.Size()
	})

	var h bytes.Buffer
	h.WriteByte('{')
	if len(f.Metadata) > 0 {
		h.WriteString(`"__metadata__":{`)
		keys := make([]string, 0, len(f.Metadata))
		for k := range f.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				h.WriteByte(',')
			}
			writeJSONString(&h, k)
			h.WriteByte(':')
			writeJSONString(&h, f.Metadata[k])
		}
		h.WriteString("},")
	}
	// Offsets follow the data order; records are listed by name.
	offsets := make(map[string][2]int64, len(order))
	pos := int64(0)
	for _, name := range order {
		t := f.Tensors[name]
		end := pos + int64(t.Len()*t.DType.Size())
		offsets[name] = [2]int64{pos, end}
		pos = end
	}
	for i, name := range f.Names() {
		if i > 0 {
			h.WriteByte(',')
		}
		t := f.Tensors[name]
		writeJSONString(&h, name)
		h.WriteString(`:{"dtype":"`)
		h.WriteString(string(t.DType))
		h.WriteString(`","shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		off := offsets[name]
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, off[0], off[1])
	}
	h.WriteByte('}')
	// Pad with spaces so the data buffer starts 8-byte aligned.
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	if h.Len() > MaxHeaderSize {
		return nil, nil, fmt.Errorf("header of %d bytes exceeds the %d-byte limit", h.Len(), MaxHeaderSize)
	}
	return h.Bytes(), order, nil
}

// writeJSONString quotes s as serde_json does (no HTML escaping of <, > and &).
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // a string always encodes
	b.Truncate(b.Len() - 1) // Encode ends with a newline
}

// testHookWriter, when set by tests, wraps the temporary file's writer so a failing write
// can be injected.
var testHookWriter func(io.Writer) io.Writer

// WriteFile writes f to path atomically, with permissions 0644 whatever the umask: it
// validates f first (nothing is created for an invalid file), writes a temporary file
// ".NAME.tmp-*" in the target's directory, syncs it, renames it over the target and
// syncs the directory. On any error the temporary file is removed and an existing file
// is left untouched. A symbolic link at path is written through (the link stays, its
// target is replaced); a target that exists and is not a regular file (a directory,
// /dev/null) is refused; temporary files of this naming left by a killed earlier
// process are removed.
func WriteFile(path string, f *File) error {
	// Validate before touching the file system.
	if _, _, err := encodeHeader(f); err != nil {
		if path == "" {
			return fmt.Errorf("safetensors: %w", err)
		}
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	err := fsx.WriteAtomic(path, 0o644, func(w io.Writer) error {
		if testHookWriter != nil {
			w = testHookWriter(w)
		}
		if err := Encode(w, f); err != nil {
			return errors.Unwrap(err) // drop Encode's "safetensors: " prefix
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}
