package kernels

import "fmt"

// Mat is a view of a row-major float32 matrix with an explicit row stride (BLAS's lda):
// element (i, j) is Data[i*Stride+j]. Data must hold at least (Rows-1)*Stride+Cols
// elements when Rows and Cols are positive; the elements between Cols and Stride in each
// row are never read or written.
type Mat struct {
	Rows, Cols, Stride int       // the shape, and the distance between rows' starts
	Data               []float32 // the elements, row after row
}

// NewMat allocates a zeroed rows×cols matrix with Stride == cols.
func NewMat(rows, cols int) Mat {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("kernels: NewMat(%d, %d): negative size", rows, cols))
	}
	return Mat{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
}

// MatOf views data as a rows×cols matrix with Stride == cols. It panics when data is too
// short.
func MatOf(rows, cols int, data []float32) Mat {
	m := Mat{Rows: rows, Cols: cols, Stride: cols, Data: data}
	if !m.valid() {
		m.check("MatOf")
	}
	return m
}

// Row returns row i as a slice of length Cols.
func (m Mat) Row(i int) []float32 {
	return m.Data[i*m.Stride : i*m.Stride+m.Cols]
}

// At returns element (i, j).
func (m Mat) At(i, j int) float32 { return m.Data[i*m.Stride+j] }

// Set sets element (i, j).
func (m Mat) Set(i, j int, v float32) { m.Data[i*m.Stride+j] = v }

// Slice returns the view of rows [r0, r1) and columns [c0, c1), sharing m's data.
func (m Mat) Slice(r0, r1, c0, c1 int) Mat {
	if r0 < 0 || r1 < r0 || r1 > m.Rows || c0 < 0 || c1 < c0 || c1 > m.Cols {
		panic(fmt.Sprintf("kernels: Slice(%d, %d, %d, %d) of a %d×%d matrix", r0, r1, c0, c1, m.Rows, m.Cols))
	}
	if r1 == r0 || c1 == c0 {
		return Mat{Rows: r1 - r0, Cols: c1 - c0, Stride: m.Stride}
	}
	off := r0*m.Stride + c0
	return Mat{Rows: r1 - r0, Cols: c1 - c0, Stride: m.Stride, Data: m.Data[off : off+(r1-r0-1)*m.Stride+(c1-c0)]}
}

// extent is the number of elements of Data the view spans.
func (m Mat) extent() int {
	if m.Rows == 0 || m.Cols == 0 {
		return 0
	}
	return (m.Rows-1)*m.Stride + m.Cols
}

// valid reports whether m is a valid view (see check).
func (m Mat) valid() bool {
	return m.Rows >= 0 && m.Cols >= 0 && (m.Rows <= 1 || m.Stride >= m.Cols) && len(m.Data) >= m.extent()
}

// check panics, naming op and the sizes, when m is not a valid view.
func (m Mat) check(op string) {
	switch {
	case m.Rows < 0 || m.Cols < 0:
		panic(fmt.Sprintf("kernels: %s: negative matrix size %d×%d", op, m.Rows, m.Cols))
	case m.Rows > 1 && m.Stride < m.Cols:
		panic(fmt.Sprintf("kernels: %s: stride %d is less than the %d columns", op, m.Stride, m.Cols))
	case len(m.Data) < m.extent():
		panic(fmt.Sprintf("kernels: %s: %d×%d matrix with stride %d needs %d elements, has %d",
			op, m.Rows, m.Cols, m.Stride, m.extent(), len(m.Data)))
	}
}

func checkLen(op, name string, got, want int) {
	if got != want {
		panic(fmt.Sprintf("kernels: %s: len(%s) = %d, want %d", op, name, got, want))
	}
}

// Transpose writes srcᵀ into dst: dst (src.Cols × src.Rows) gets element (j, i) = src's
// (i, j). A minibatch moves between batch-major rows (one per sequence, as a caller
// gives inputs) and the feature-major layout its products take with it. dst must not
// overlap src. On amd64 8×8 blocks go through registers; elsewhere, and for the edges,
// four rows of src are read together, so each write is four consecutive floats of a row
// of dst.
func Transpose(dst, src Mat) {
	if !dst.valid() {
		dst.check("Transpose dst")
	}
	if !src.valid() {
		src.check("Transpose src")
	}
	if dst.Rows != src.Cols || dst.Cols != src.Rows {
		panic(fmt.Sprintf("kernels: Transpose: dst is %d×%d, src is %d×%d", dst.Rows, dst.Cols, src.Rows, src.Cols))
	}
	r := 0
	if transposeStrips(dst, src, src.Rows/8, src.Cols/8) {
		// The blocks covered rows [0, 8·⌊rows/8⌋) of src in columns [0, 8·⌊cols/8⌋):
		// those rows' last columns here (if cols is not a multiple of 8), the remaining
		// rows whole below.
		r = src.Rows / 8 * 8
		if src.Cols%8 != 0 {
			for r0 := 0; r0 < r; r0 += 4 {
				transpose4(dst, src, r0, src.Cols/8*8)
			}
		}
	}
	for ; r+4 <= src.Rows; r += 4 {
		transpose4(dst, src, r, 0)
	}
	for ; r < src.Rows; r++ {
		for j, v := range src.Row(r) {
			dst.Data[j*dst.Stride+r] = v
		}
	}
}

// transpose4 writes rows r…r+3 of src, from column j0 on, into dst's columns r…r+3.
func transpose4(dst, src Mat, r, j0 int) {
	s0 := src.Row(r)
	s1, s2, s3 := src.Row(r + 1)[:len(s0)], src.Row(r + 2)[:len(s0)], src.Row(r + 3)[:len(s0)]
	for j := j0; j < len(s0); j++ {
		o := j*dst.Stride + r
		d := dst.Data[o : o+4 : o+4]
		d[0], d[1], d[2], d[3] = s0[j], s1[j], s2[j], s3[j]
	}
}
