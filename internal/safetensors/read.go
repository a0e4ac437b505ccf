package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/chronograd/chronograd/internal/fsx"
)

// ErrNotSafetensors is wrapped by the errors for input that is not a safetensors file at
// all (empty, too short, an impossible header length, a header that is not a JSON
// object), as opposed to a safetensors file with a fault in it.
var ErrNotSafetensors = errors.New("not a safetensors file")

// formatError is the reason input is not a safetensors file.
type formatError struct{ reason string }

func (e *formatError) Error() string { return "not a safetensors file (" + e.reason + ")" }
func (e *formatError) Unwrap() error { return ErrNotSafetensors }

func notSafetensors(format string, args ...any) error {
	return &formatError{reason: fmt.Sprintf(format, args...)}
}

// wrap names what was read in an error from read or readStream: "PATH is not a
// safetensors file (...)" or "safetensors: PATH: ..." (with "input" for PATH when there
// is no path).
func wrap(path string, err error) error {
	var fe *formatError
	if errors.As(err, &fe) {
		if path == "" {
			return fmt.Errorf("safetensors: input is %w", err)
		}
		return fmt.Errorf("%s is %w", path, err)
	}
	if path == "" {
		return fmt.Errorf("safetensors: %w", err)
	}
	return fmt.Errorf("safetensors: %s: %w", path, err)
}

// ReadFile reads and validates the safetensors file at path. The path must name a regular
// file: an empty path, a directory, a named pipe (which is opened without blocking, so it
// cannot hang the caller) or a device is refused. Input that is not a safetensors file at
// all gets "PATH is not a safetensors file (reason)", wrapping ErrNotSafetensors; other
// errors name the path and, where one is to blame, the tensor. The reader allocates at
// most a small multiple of the file's size.
func ReadFile(path string) (*File, error) {
	f, err := fsx.OpenInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	file, err := read(f, info.Size())
	if err != nil {
		return nil, wrap(path, err)
	}
	return file, nil
}

// Decode reads and validates a safetensors file held in memory.
func Decode(b []byte) (*File, error) {
	return Read(bytes.NewReader(b), int64(len(b)))
}

// Read reads and validates a safetensors file of the given size (which must be the true
// size: it bounds every allocation) from r.
func Read(r io.ReaderAt, size int64) (*File, error) {
	f, err := read(r, size)
	if err != nil {
		return nil, wrap("", err)
	}
	return f, nil
}

// ReadStream reads and validates one safetensors file from r, which need not know its
// size: it reads the header, then exactly the data bytes the header describes, and
// leaves whatever follows in r unread (so, unlike ReadFile, it does not notice trailing
// bytes). limit bounds the bytes it will read (0 or negative: no bound but the header's
// MaxHeaderSize); a file that claims more is refused before its data is read. Memory
// grows with the bytes actually received, never with what a header claims.
func ReadStream(r io.Reader, limit int64) (*File, error) {
	f, err := readStream(r, limit)
	if err != nil {
		return nil, wrap("", err)
	}
	return f, nil
}

// entry is one tensor's header record after validation; begin and end are offsets into
// the data buffer.
type entry struct {
	name       string
	dtype      DType
	shape      []int
	begin, end int64
}

// checkHeaderLength refuses a header length that no safetensors file has.
func checkHeaderLength(n uint64) error {
	if n > MaxHeaderSize {
		return notSafetensors("its first 8 bytes give a header length of %d, over the %d-byte limit", n, MaxHeaderSize)
	}
	if n < 2 {
		return notSafetensors("its first 8 bytes give a header length of %d, too short for a JSON object", n)
	}
	return nil
}

// checkHeaderStart refuses a header that cannot be a JSON object, as the reference
// implementation does.
func checkHeaderStart(header []byte) error {
	if !utf8.Valid(header) {
		return notSafetensors("its header is not valid UTF-8")
	}
	if header[0] != '{' {
		return notSafetensors("its header is not a JSON object")
	}
	return nil
}

func read(r io.ReaderAt, size int64) (*File, error) {
	switch {
	case size == 0:
		return nil, notSafetensors("it is empty")
	case size < 8:
		return nil, notSafetensors("it is %d bytes long, shorter than the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("reading the header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if err := checkHeaderLength(n); err != nil {
		return nil, err
	}
	if n > uint64(size-8) {
		return nil, notSafetensors("its first 8 bytes give a header length of %d, but only %d bytes follow", n, size-8)
	}
	header := make([]byte, n)
	if _, err := r.ReadAt(header, 8); err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	if err := checkHeaderStart(header); err != nil {
		return nil, err
	}
	dataStart := 8 + int64(n)
	dataLen := size - dataStart
	entries, meta, err := parseHeader(header, dataLen)
	if err != nil {
		return nil, err
	}
	if err := checkLayout(entries, dataLen); err != nil {
		return nil, err
	}
	return decodeAll(entries, meta, r, dataStart)
}

func readStream(r io.Reader, limit int64) (*File, error) {
	if limit <= 0 {
		limit = math.MaxInt64
	}
	var lenBuf [8]byte
	got, err := io.ReadFull(r, lenBuf[:])
	switch {
	case err == io.EOF:
		return nil, notSafetensors("it is empty")
	case err == io.ErrUnexpectedEOF:
		return nil, notSafetensors("it is %d bytes long, shorter than the 8-byte header length", got)
	case err != nil:
		return nil, fmt.Errorf("reading the header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if err := checkHeaderLength(n); err != nil {
		return nil, err
	}
	if limit < 8 || n > uint64(limit-8) {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit on the input", n, limit)
	}
	// io.ReadAll grows its buffer with what arrives, so a header length that lies costs
	// only the bytes actually sent.
	header, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	if uint64(len(header)) < n {
		return nil, fmt.Errorf("the input ends inside the header, after %d of its %d bytes", len(header), n)
	}
	if err := checkHeaderStart(header); err != nil {
		return nil, err
	}
	// The stream's length is unknown: the header is checked against the largest data
	// buffer a file can have, and the buffer it describes against the limit.
	entries, meta, err := parseHeader(header, math.MaxInt64-8-int64(n))
	if err != nil {
		return nil, err
	}
	var dataLen int64
	for _, e := range entries {
		dataLen = max(dataLen, e.end)
	}
	if err := checkLayout(entries, dataLen); err != nil {
		return nil, err
	}
	if dataLen > limit-8-int64(n) {
		return nil, fmt.Errorf("the file's %d-byte header describes %d bytes of data, over the %d-byte limit on the input", n, dataLen, limit)
	}
	data, err := io.ReadAll(io.LimitReader(r, dataLen))
	if err != nil {
		return nil, fmt.Errorf("reading the data: %w", err)
	}
	if int64(len(data)) < dataLen {
		return nil, fmt.Errorf("the input ends inside the data, after %d of its %d bytes", len(data), dataLen)
	}
	return decodeAll(entries, meta, bytes.NewReader(data), 0)
}

// decodeAll reads each entry's bytes from r at dataStart+begin and converts them.
func decodeAll(entries []entry, meta map[string]string, r io.ReaderAt, dataStart int64) (*File, error) {
	file := &File{Tensors: make(map[string]*Tensor, len(entries)), Metadata: meta}
	var buf []byte
	for _, e := range entries {
		nbytes := e.end - e.begin
		if int64(cap(buf)) < nbytes {
			buf = make([]byte, nbytes)
		}
		buf = buf[:nbytes]
		// An empty tensor reads nothing: some ReaderAts (bytes.Reader) answer io.EOF to
		// an empty read at the end of the data.
		if _, err := r.ReadAt(buf, dataStart+e.begin); err != nil && nbytes > 0 {
			return nil, fmt.Errorf("tensor %q: reading its data: %w", e.name, err)
		}
		t, err := decodeTensor(e, buf)
		if err != nil {
			return nil, err
		}
		file.Tensors[e.name] = t
	}
	return file, nil
}

// headerRecord is one tensor's JSON record. Pointers tell a missing field from an empty one.
type headerRecord struct {
	DType       *string  `json:"dtype"`
	Shape       *[]int64 `json:"shape"`
	DataOffsets *[]int64 `json:"data_offsets"`
}

// parseHeader decodes the JSON header, rejecting duplicate names, unknown fields and
// anything after the object but the spaces writers pad with, and validates each record
// on its own against the data buffer length.
func parseHeader(header []byte, dataLen int64) ([]entry, map[string]string, error) {
	if !utf8.Valid(header) {
		return nil, nil, notSafetensors("its header is not valid UTF-8")
	}
	if len(header) == 0 || header[0] != '{' {
		return nil, nil, notSafetensors("its header is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("header JSON: %w", err)
	}
	var entries []entry
	var meta map[string]string
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("header JSON: %w", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("header JSON: key %v is not a string", tok)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("header names %q twice", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("header JSON at %q: %w", name, err)
		}
		if name == metadataKey {
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, fmt.Errorf("%s must map strings to strings: %w", metadataKey, err)
			}
			continue
		}
		e, err := parseRecord(name, raw, dataLen)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, nil, fmt.Errorf("header JSON: %w", err)
	}
	if rest := header[dec.InputOffset():]; len(bytes.Trim(rest, " \t\r\n")) != 0 {
		return nil, nil, errors.New("header has data after the JSON object")
	}
	if meta == nil {
		meta = map[string]string{}
	}
	return entries, meta, nil
}

func parseRecord(name string, raw json.RawMessage, dataLen int64) (entry, error) {
	e := entry{name: name}
	if name == "" {
		return e, errors.New("header has a tensor with an empty name")
	}
	var rec headerRecord
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return e, fmt.Errorf("tensor %q: header record: %w", name, err)
	}
	switch {
	case rec.DType == nil:
		return e, fmt.Errorf("tensor %q: header record has no dtype", name)
	case rec.Shape == nil:
		return e, fmt.Errorf("tensor %q: header record has no shape", name)
	case rec.DataOffsets == nil:
		return e, fmt.Errorf("tensor %q: header record has no data_offsets", name)
	}
	e.dtype = DType(*rec.DType)
	elemSize := int64(e.dtype.Size())
	if elemSize == 0 {
		return e, fmt.Errorf("tensor %q: unsupported dtype %q (want F32, F16, BF16, F64, I64 or I32)", name, *rec.DType)
	}
	e.shape = make([]int, len(*rec.Shape))
	for i, d := range *rec.Shape {
		if d < 0 {
			return e, fmt.Errorf("tensor %q: negative dimension %d in shape %v", name, d, *rec.Shape)
		}
		e.shape[i] = int(d)
	}
	// Bounding the running product by what the data buffer can hold means it never
	// overflows, and a shape that cannot fit fails here, before anything is allocated.
	count := int64(1)
	if !slices.Contains(*rec.Shape, 0) {
		for _, d := range *rec.Shape {
			if d > dataLen/elemSize/count {
				return e, fmt.Errorf("tensor %q: shape %v needs more bytes than the %d-byte data buffer holds", name, *rec.Shape, dataLen)
			}
			count *= d
		}
	} else {
		count = 0
	}
	off := *rec.DataOffsets
	if len(off) != 2 {
		return e, fmt.Errorf("tensor %q: data_offsets has %d numbers, want 2", name, len(off))
	}
	e.begin, e.end = off[0], off[1]
	switch {
	case e.begin < 0 || e.end < e.begin:
		return e, fmt.Errorf("tensor %q: data_offsets [%d, %d] are not an interval", name, e.begin, e.end)
	case e.end > dataLen:
		return e, fmt.Errorf("tensor %q: data_offsets [%d, %d] end past the %d-byte data buffer", name, e.begin, e.end, dataLen)
	case e.end-e.begin != count*elemSize:
		return e, fmt.Errorf("tensor %q: data_offsets [%d, %d] span %d bytes, but shape %v of %s needs %d",
			name, e.begin, e.end, e.end-e.begin, *rec.Shape, e.dtype, count*elemSize)
	}
	return e, nil
}

// checkLayout requires the tensors to tile the data buffer exactly, as the reference
// implementation does: no overlap (two tensors sharing bytes) and no stray bytes.
func checkLayout(entries []entry, dataLen int64) error {
	byOffset := slices.Clone(entries)
	slices.SortFunc(byOffset, func(a, b entry) int {
		if a.begin != b.begin {
			return int(min(max(a.begin-b.begin, -1), 1))
		}
		return int(min(max(a.end-b.end, -1), 1))
	})
	pos := int64(0)
	for i, e := range byOffset {
		if e.begin < pos {
			prev := byOffset[i-1]
			return fmt.Errorf("tensor %q at bytes [%d, %d) overlaps tensor %q at [%d, %d)",
				e.name, e.begin, e.end, prev.name, prev.begin, prev.end)
		}
		if e.begin > pos {
			return fmt.Errorf("data bytes [%d, %d) before tensor %q belong to no tensor", pos, e.begin, e.name)
		}
		pos = e.end
	}
	if pos != dataLen {
		return fmt.Errorf("data bytes [%d, %d) at the end of the file belong to no tensor", pos, dataLen)
	}
	return nil
}

// decodeTensor converts little-endian elements to float32 (and float64 for F64), or to
// int64 for the integer types, and rejects NaN, Inf and F64 values beyond float32's range.
func decodeTensor(e entry, b []byte) (*Tensor, error) {
	n := len(b) / e.dtype.Size()
	switch e.dtype {
	case I64:
		t := &Tensor{DType: e.dtype, Shape: e.shape, Int: make([]int64, n)}
		for i := range t.Int {
			t.Int[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return t, nil
	case I32:
		t := &Tensor{DType: e.dtype, Shape: e.shape, Int: make([]int64, n)}
		for i := range t.Int {
			t.Int[i] = int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
		return t, nil
	}
	t := &Tensor{DType: e.dtype, Shape: e.shape, F32: make([]float32, n)}
	switch e.dtype {
	case F32:
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case F16:
		for i := range t.F32 {
			t.F32[i] = f16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case BF16:
		for i := range t.F32 {
			t.F32[i] = bf16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case F64:
		t.F64 = make([]float64, n)
		for i := range t.F64 {
			v := math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("tensor %q: element %d is %v", e.name, i, v)
			}
			t.F64[i] = v
			t.F32[i] = float32(v) // rounds to nearest even
			if math.IsInf(float64(t.F32[i]), 0) {
				return nil, fmt.Errorf("tensor %q: element %d (%g) is beyond float32's range", e.name, i, v)
			}
		}
	}
	for i, v := range t.F32 {
		if v != v || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("tensor %q: element %d is %v", e.name, i, v)
		}
	}
	return t, nil
}
