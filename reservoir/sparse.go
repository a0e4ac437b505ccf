package reservoir

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/chronograd/chronograd/internal/linalg"
	"github.com/chronograd/chronograd/kernels"
)

// SparseMat is a float32 matrix in compressed sparse row (CSR) form: the non-zeros of row i
// are Values[RowStart[i]:RowStart[i+1]] in columns ColIndex[RowStart[i]:RowStart[i+1]],
// in increasing column order. A product costs O(non-zeros).
type SparseMat struct {
	Rows, Cols int       // the matrix's shape
	RowStart   []int32   // len Rows+1: row i's entries are [RowStart[i], RowStart[i+1])
	ColIndex   []int32   // the column of each entry
	Values     []float32 // the value of each entry
}

// NonZeros is the number of stored entries.
func (s *SparseMat) NonZeros() int { return len(s.Values) }

// MatVec stores S·x in y:
//
//	for i := range y { y[i] = 0; for k := RowStart[i]; k < RowStart[i+1]; k++ { y[i] += Values[k] * x[ColIndex[k]] } }
//
// It panics, naming the sizes, when len(x) != Cols or len(y) != Rows.
func (s *SparseMat) MatVec(y, x []float32) {
	s.resCheckVec("MatVec", y, x)
	for i := range y {
		y[i] = 0
	}
	s.resMulAdd(y, x)
}

// MatVecAdd adds S·x to y, with the same size rules as MatVec.
func (s *SparseMat) MatVecAdd(y, x []float32) {
	s.resCheckVec("MatVecAdd", y, x)
	s.resMulAdd(y, x)
}

func (s *SparseMat) resCheckVec(op string, y, x []float32) {
	if len(x) != s.Cols || len(y) != s.Rows {
		panic(fmt.Sprintf("reservoir: SparseMat.%s: %d×%d matrix with len(x) = %d, len(y) = %d", op, s.Rows, s.Cols, len(x), len(y)))
	}
}

func (s *SparseMat) resMulAdd(y, x []float32) {
	for i := range y {
		lo, hi := s.RowStart[i], s.RowStart[i+1]
		vals, cols := s.Values[lo:hi], s.ColIndex[lo:hi]
		var sum float32
		for k, v := range vals {
			sum += v * x[cols[k]]
		}
		y[i] += sum
	}
}

// Dense returns S as a dense matrix (for tests and small-size inspection).
func (s *SparseMat) Dense() kernels.Mat {
	m := kernels.NewMat(s.Rows, s.Cols)
	for i := range s.Rows {
		for k := s.RowStart[i]; k < s.RowStart[i+1]; k++ {
			m.Set(i, int(s.ColIndex[k]), s.Values[k])
		}
	}
	return m
}

// Validate checks the CSR structure: sizes, monotone row starts, column indices in range
// and increasing within a row, finite values.
func (s *SparseMat) Validate() error {
	switch {
	case s.Rows < 0 || s.Cols < 0:
		return fmt.Errorf("reservoir: sparse matrix has negative size %d×%d", s.Rows, s.Cols)
	case len(s.RowStart) != s.Rows+1:
		return fmt.Errorf("reservoir: sparse matrix with %d rows has %d row starts, want %d", s.Rows, len(s.RowStart), s.Rows+1)
	case len(s.ColIndex) != len(s.Values):
		return fmt.Errorf("reservoir: sparse matrix has %d column indices for %d values", len(s.ColIndex), len(s.Values))
	case s.RowStart[0] != 0 || int(s.RowStart[s.Rows]) != len(s.Values):
		return fmt.Errorf("reservoir: sparse matrix row starts run from %d to %d, want 0 to %d", s.RowStart[0], s.RowStart[s.Rows], len(s.Values))
	}
	for i := range s.Rows {
		lo, hi := s.RowStart[i], s.RowStart[i+1]
		if hi < lo {
			return fmt.Errorf("reservoir: sparse matrix row %d starts at %d and ends at %d", i, lo, hi)
		}
		for k := lo; k < hi; k++ {
			c := s.ColIndex[k]
			if c < 0 || int(c) >= s.Cols || (k > lo && c <= s.ColIndex[k-1]) {
				return fmt.Errorf("reservoir: sparse matrix row %d has column index %d out of order or range (%d columns)", i, c, s.Cols)
			}
			if v := float64(s.Values[k]); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("reservoir: sparse matrix element (%d, %d) is %v", i, c, v)
			}
		}
	}
	return nil
}

// SpectralRadius returns the largest eigenvalue modulus of the square matrix s (see the
// package-level SpectralRadius for the method).
func (s *SparseMat) SpectralRadius() (float64, error) {
	if err := s.Validate(); err != nil {
		return 0, err
	}
	if s.Rows != s.Cols {
		return 0, fmt.Errorf("reservoir: spectral radius of a %d×%d matrix: not square", s.Rows, s.Cols)
	}
	return linalg.ArnoldiRadius(s.Rows, func(dst, src []float64) {
		for i := range dst {
			var sum float64
			for k := s.RowStart[i]; k < s.RowStart[i+1]; k++ {
				sum += float64(s.Values[k]) * src[s.ColIndex[k]]
			}
			dst[i] = sum
		}
	})
}

// ScaleToSpectralRadius multiplies s in place so that its spectral radius becomes target.
func (s *SparseMat) ScaleToSpectralRadius(target float64) error {
	rho, err := s.SpectralRadius()
	if err != nil {
		return err
	}
	factor, err := linalg.ScaleFactor(rho, float64(linalg.Norm32(s.Values)), target)
	if err != nil {
		return err
	}
	kernels.Scale(float32(factor), s.Values)
	return nil
}

// randomSparse draws an n×n matrix whose entries are independently non-zero with
// probability density, with standard normal values. Positions are drawn by geometric
// skips over the row-major index space, so the cost is O(non-zeros), not O(n²).
func randomSparse(n int, density float64, rng *rand.Rand) (*SparseMat, error) {
	total := int64(n) * int64(n)
	if expect := float64(total) * density; expect > math.MaxInt32/2 {
		return nil, fmt.Errorf("reservoir: a %d×%d reservoir with density %v has too many non-zeros", n, n, density)
	}
	s := &SparseMat{Rows: n, Cols: n, RowStart: make([]int32, n+1)}
	logMiss := math.Log1p(-density)
	pos := int64(-1)
	for {
		if density >= 1 {
			pos++
		} else {
			// Failures before the next success: floor(log(U)/log(1−p)), U in (0, 1].
			skip := math.Floor(math.Log1p(-rng.Float64()) / logMiss)
			if skip >= float64(total) {
				break
			}
			pos += 1 + int64(skip)
		}
		if pos >= total {
			break
		}
		row, col := pos/int64(n), pos%int64(n)
		s.RowStart[row+1]++
		s.ColIndex = append(s.ColIndex, int32(col))
		s.Values = append(s.Values, float32(rng.NormFloat64()))
	}
	for i := range n {
		s.RowStart[i+1] += s.RowStart[i]
	}
	return s, nil
}
