package expm

import "fmt"

// A skew-symmetric A (Aᵀ = −A) is determined by its strictly upper triangle U:
// A = U − Uᵀ. The packed form lists U's n(n−1)/2 entries row by row:
// (0,1), (0,2), …, (0,n−1), (1,2), …, (n−2,n−1). The full form is expRNN's: an n×n
// matrix of which only the strictly upper triangle is read (triu(raw, 1)).

// SkewLen returns n(n−1)/2, the number of free parameters of an n×n skew-symmetric
// matrix and the length of its packed strictly upper triangle.
func SkewLen(n int) int { return n * (n - 1) / 2 }

// SkewFromPacked sets the n×n matrix a to U − Uᵀ, where U is the strictly upper
// triangular matrix whose entries are listed row by row in packed (len SkewLen(n)).
func SkewFromPacked(a, packed []float64, n int) {
	checkLens("SkewFromPacked", n, a, packed)
	k := 0
	for i := range n {
		a[i*n+i] = 0
		for j := i + 1; j < n; j++ {
			a[i*n+j] = packed[k]
			a[j*n+i] = -packed[k]
			k++
		}
	}
}

// PackedFromSkew sets packed (len SkewLen(n)) to the strictly upper triangle of the n×n
// matrix a, row by row. For skew-symmetric a it inverts SkewFromPacked.
func PackedFromSkew(packed, a []float64, n int) {
	checkLens("PackedFromSkew", n, a, packed)
	k := 0
	for i := range n {
		k += copy(packed[k:], a[i*n+i+1:(i+1)*n])
	}
}

// SkewFromUpper sets the n×n matrix a to triu(raw, 1) − triu(raw, 1)ᵀ, reading only the
// strictly upper triangle of the n×n matrix raw (expRNN's parametrisation). a may alias raw.
func SkewFromUpper(a, raw []float64, n int) {
	checkLens("SkewFromUpper", n, a, nil)
	checkLens("SkewFromUpper", n, raw, nil)
	for i := range n {
		a[i*n+i] = 0
		for j := i + 1; j < n; j++ {
			v := raw[i*n+j]
			a[i*n+j] = v
			a[j*n+i] = -v
		}
	}
}

// SkewPart sets dst to (A − Aᵀ)/2, the skew-symmetric part of the n×n matrix a (its
// orthogonal projection onto the skew-symmetric matrices). dst may alias a.
func SkewPart(dst, a []float64, n int) {
	checkLens("SkewPart", n, dst, nil)
	checkLens("SkewPart", n, a, nil)
	for i := range n {
		dst[i*n+i] = 0
		for j := i + 1; j < n; j++ {
			v := (a[i*n+j] - a[j*n+i]) / 2
			dst[i*n+j] = v
			dst[j*n+i] = -v
		}
	}
}

// SkewGrad maps ∂f/∂A (n×n, da) to ∂f/∂U for A = U − Uᵀ: packed (len SkewLen(n)) gets the
// strictly upper triangle of dA − dAᵀ, row by row, since U_ij enters A_ij with sign + and
// A_ji with sign −.
func SkewGrad(packed, da []float64, n int) {
	checkLens("SkewGrad", n, da, packed)
	k := 0
	for i := range n {
		for j := i + 1; j < n; j++ {
			packed[k] = da[i*n+j] - da[j*n+i]
			k++
		}
	}
}

// SkewGradUpper is SkewGrad for expRNN's full form: it sets the n×n draw to
// triu(dA − dAᵀ, 1), the gradient with respect to raw of f(SkewFromUpper(raw)), zero on
// and below the diagonal. draw may alias da.
func SkewGradUpper(draw, da []float64, n int) {
	checkLens("SkewGradUpper", n, draw, nil)
	checkLens("SkewGradUpper", n, da, nil)
	for i := range n {
		for j := i + 1; j < n; j++ {
			g := da[i*n+j] - da[j*n+i]
			draw[i*n+j] = g
			draw[j*n+i] = 0
		}
		draw[i*n+i] = 0
	}
}

// checkLens panics, naming the sizes, if full is not n×n or packed (when not nil) is not
// SkewLen(n) long: a caller's programming error, as a kernel's mismatched lengths are.
func checkLens(op string, n int, full, packed []float64) {
	if n < 0 || len(full) != n*n {
		panic(fmt.Sprintf("expm: %s: matrix has %d values, want %d×%d", op, len(full), n, n))
	}
	if packed != nil && len(packed) != SkewLen(n) {
		panic(fmt.Sprintf("expm: %s: packed triangle has %d values, want %d for n = %d", op, len(packed), SkewLen(n), n))
	}
}
