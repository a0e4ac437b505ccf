package kernels

import "fmt"

// RowPattern is which entries of a Rows×Cols matrix are kept, in compressed sparse row
// (CSR) form without values: row i keeps the columns Index[Start[i]:Start[i+1]], in
// increasing order. The values stay in a dense Mat whose other entries are zero, so a
// change to that matrix (an optimizer step on a sparse weight matrix) needs no copy, and
// a product may read the matrix through the pattern (SparseMatVecAdd) or densely
// (MatVecAdd) with the same result up to rounding.
type RowPattern struct {
	Rows, Cols int     // the matrix's shape
	Start      []int32 // len Rows+1: row i's kept columns are Index[Start[i]:Start[i+1]]
	Index      []int32 // the kept columns, row after row, increasing within a row
}

// NewRowPattern returns the pattern of the entries of a rows×cols matrix that keep
// (row-major, length rows·cols) marks. It panics when keep has the wrong length.
func NewRowPattern(rows, cols int, keep []bool) RowPattern {
	if rows < 0 || cols < 0 || len(keep) != rows*cols {
		panic(fmt.Sprintf("kernels: NewRowPattern(%d, %d): %d marks, want %d", rows, cols, len(keep), rows*cols))
	}
	p := RowPattern{Rows: rows, Cols: cols, Start: make([]int32, rows+1)}
	n := 0
	for _, k := range keep {
		if k {
			n++
		}
	}
	p.Index = make([]int32, 0, n)
	for i := range rows {
		for j, k := range keep[i*cols : (i+1)*cols] {
			if k {
				p.Index = append(p.Index, int32(j))
			}
		}
		p.Start[i+1] = int32(len(p.Index))
	}
	return p
}

// SparsePays reports whether, on the active tier, SparseMatVecAdd and SparseMatTVecAdd
// through a pattern keeping kept of a rows×cols matrix's entries beat MatVecAdd and
// MatTVecAdd on the dense matrix. The crossovers are BenchmarkSparseMatVec's and
// BenchmarkSparseMatTVec's (bench/RESULTS.md, issue 17): a dense SIMD row streams 8 to 16
// multiply-adds a cycle while a kept entry costs an index and two scalar loads, so on the
// SIMD tiers the pattern pays only below 5% of the entries and for rows of at least 128
// (shorter rows do not amortise the sparse loop's per-row work); against the generic
// tier's dense loops it pays up to about 25%.
func SparsePays(rows, cols, kept int) bool {
	all := float64(rows) * float64(cols)
	if active == Generic {
		return float64(kept) < 0.25*all
	}
	return cols >= 128 && float64(kept) < 0.05*all
}

// Kept is the number of kept entries.
func (p *RowPattern) Kept() int { return len(p.Index) }

// Row returns the kept columns of row i.
func (p *RowPattern) Row(i int) []int32 { return p.Index[p.Start[i]:p.Start[i+1]] }

// check panics, naming op and the sizes, unless p is a well-formed pattern for a.
func (p *RowPattern) check(op string, a Mat) {
	a.check(op)
	if p == nil {
		panic(fmt.Sprintf("kernels: %s: nil pattern", op))
	}
	if p.Rows != a.Rows || p.Cols != a.Cols || len(p.Start) != p.Rows+1 || int(p.Start[p.Rows]) != len(p.Index) {
		panic(fmt.Sprintf("kernels: %s: pattern of %d×%d (%d row starts, %d entries) for a %d×%d matrix",
			op, p.Rows, p.Cols, len(p.Start), len(p.Index), a.Rows, a.Cols))
	}
}

// SparseMatVecAdd adds A·x to y reading only the entries of A that p keeps:
//
//	for i := 0; i < a.Rows; i++ { for k := p.Start[i]; k < p.Start[i+1]; k++ {
//		y[i] += a.Data[i*a.Stride+int(p.Index[k])] * x[p.Index[k]] } }
//
// It equals MatVecAdd when A is zero outside the pattern, up to the order in which each
// row's terms are summed. Its cost is one multiply-add and two loads per kept entry.
// The column indices are trusted to lie in [0, a.Cols) (NewRowPattern makes them so).
func SparseMatVecAdd(y []float32, a Mat, p *RowPattern, x []float32) {
	p.check("SparseMatVecAdd", a)
	checkLen("SparseMatVecAdd", "x", len(x), a.Cols)
	checkLen("SparseMatVecAdd", "y", len(y), a.Rows)
	if len(p.Index) == 0 {
		return
	}
	sparseMatVecAdd(y, a, p, x)
}

// SparseMatTVecAdd adds Aᵀ·x to y reading only the entries of A that p keeps (the
// backward pass of SparseMatVecAdd):
//
//	for i := 0; i < a.Rows; i++ { for k := p.Start[i]; k < p.Start[i+1]; k++ {
//		y[p.Index[k]] += a.Data[i*a.Stride+int(p.Index[k])] * x[i] } }
func SparseMatTVecAdd(y []float32, a Mat, p *RowPattern, x []float32) {
	p.check("SparseMatTVecAdd", a)
	checkLen("SparseMatTVecAdd", "x", len(x), a.Rows)
	checkLen("SparseMatTVecAdd", "y", len(y), a.Cols)
	if len(p.Index) == 0 {
		return
	}
	sparseMatTVecAdd(y, a, p, x)
}
