package expm

import (
	"errors"
	"fmt"
	"math"

	"github.com/chronograd/chronograd/kernels"
)

// Exp32 computes W = exp(A) in float32 for the n×n row-major matrix A, every O(n³) step a
// product on package kernels' float32 SIMD Gemm, and the adjoint of the derivative of
// that same computation (∂f/∂A from ∂f/∂W). It is what an orthogonal recurrent cell
// runs once per parameter update: the float64 Workspace is accurate to ~1e-13 but runs
// its pure-Go products at about 3 GFLOP/s, against 60–100 for kernels.Gemm.
//
// The method is scaling and squaring with a truncated Taylor series: X = A/2ˢ,
// T_m(X) = Σ_{k≤m} X^k/k!, W = T_m(X)^(2ˢ). T_m is evaluated by the Paterson–Stockmeyer
// scheme: the powers X², …, X^p, then a Horner recurrence in X^p whose coefficients are
// blocks Σ_{i<p} c_{jp+i}·X^i (m = q·p; (m, p) ∈ {(2, 2), (4, 2), (6, 3), (8, 4), (12, 4),
// (16, 4), (20, 5)}, costing p−1 + q−1 products). The degree and s are chosen to
// minimise the products plus squarings subject to ‖X‖₁ ≤ θ_m, where θ_m is the largest
// norm with Σ_{k≥m} θ^k/k! ≤ u = 2⁻²⁴ (float32's unit roundoff), so the truncation errors
// ‖T_m(X) − exp(X)‖ ≤ u and, for the derivative, ‖L_{T_m}(X, E) − L(X, E)‖ ≤ u·‖E‖ in any
// consistent norm: below the rounding of the results to float32. For an exactly skew-symmetric A (an orthogonal cell's) they are chosen from
// α = √‖A²‖₁ ≥ ‖A‖₂ instead when it is smaller: A is normal, so ‖X^k‖₂ ≤ (α/2ˢ)^k and the
// bound holds in the 2-norm; for a dense A, α is several times below ‖A‖₁ (about
// 0.4·√n times for a random one), which saves squarings and the rounding they amplify.
// A² is the power P_2, so this costs no product. Unlike a Padé approximant it needs no linear solve, so everything runs on the
// Gemm kernel; the price is a degree about twice Padé's for the same norm: 5 products
// cover ‖X‖₁ ≤ θ₁₂ ≈ 1.31, 7 cover θ₂₀ ≈ 3.58 (Henaff's initialisation, ‖A‖₁ ≤ π, needs
// no squaring).
//
// Accuracy: the rest of the error is float32 rounding in the products (each about
// √n·u relative to the operands' norms) and its doubling through each squaring: for a
// skew-symmetric A, W deviates from exp(A) and from orthogonality by roughly 2ˢ·√n·u.
// The tests measure both against the float64 Workspace's Padé exponential.
//
// Adjoint differentiates the evaluation itself (reverse mode through the squarings, the
// Horner recurrence and the powers, reading the intermediate matrices the last Exp kept),
// so the gradient it returns is exact for the W that Exp computed, up to rounding; it
// costs twice Exp's products. An Exp32 holds up to 2p + q + s + 4 n×n float32 matrices
// and allocates only when a larger degree or more squarings than before are needed. It
// is not safe for concurrent use.
type Exp32 struct {
	n int

	// The last Exp, which Adjoint differentiates.
	done        bool
	deg, p, s   int
	x           []float32   // X = A/2ˢ (the power P_1)
	pow         [][]float32 // pow[i] = X^(i+2), i = 0 … p−2
	hor         [][]float32 // hor[j−1] = Y_j, the left operand of a Horner product, j = 1 … q−1
	sq          [][]float32 // sq[k] = R_k, the operand of squaring k = 0 … s−1
	grads       [][]float32 // Adjoint's ∂/∂P_i, i = 1 … p
	rb, rb2, tr []float32   // Adjoint's scratch
	col         []float64   // column sums for the norm
}

// taylorDegrees are the (m, p) pairs Exp32 chooses from: degree m = q·p evaluated with
// the powers X², …, X^p (p−1 products) and a Horner recurrence of q−1 products.
var taylorDegrees = [...]struct{ m, p int }{{2, 2}, {4, 2}, {6, 3}, {8, 4}, {12, 4}, {16, 4}, {20, 5}}

// thetaTaylor32[i] is θ_m for taylorDegrees[i]: the largest θ with
// Σ_{k≥m} θ^k/k! ≤ 2⁻²⁴, found by bisection in float64 (the tail is increasing in θ).
// That sum bounds both truncations: the exponential's, Σ_{k>m} ‖X‖^k/k!, and its
// derivative's, ‖L(X, E) − L_{T_m}(X, E)‖ ≤ Σ_{k>m} k·‖X‖^{k−1}/k!·‖E‖ = Σ_{k≥m} ‖X‖^k/k!·‖E‖.
var thetaTaylor32 = func() [len(taylorDegrees)]float64 {
	var out [len(taylorDegrees)]float64
	for i, d := range taylorDegrees {
		lo, hi := 0.0, 64.0
		for range 200 {
			mid := (lo + hi) / 2
			if taylorTail(mid, d.m-1) <= 0x1p-24 {
				lo = mid
			} else {
				hi = mid
			}
		}
		out[i] = lo
	}
	return out
}()

// taylorTail is Σ_{k>m} θ^k/k!, summed until the terms no longer change it.
func taylorTail(theta float64, m int) float64 {
	term := 1.0
	for k := 1; k <= m; k++ {
		term *= theta / float64(k)
	}
	var sum float64
	for k := m + 1; k < m+400; k++ {
		term *= theta / float64(k)
		if sum+term == sum {
			break
		}
		sum += term
	}
	return sum
}

// invFactorial32[k] is 1/k! rounded to float32.
var invFactorial32 = func() [21]float32 {
	var out [21]float32
	f := 1.0
	for k := range out {
		if k > 0 {
			f /= float64(k)
		}
		out[k] = float32(f)
	}
	return out
}()

// maxSquarings32 bounds s: beyond ‖A‖₁ = θ₂₀·2²⁴ ≈ 6.0e7 the squarings' error growth 2ˢ·u
// reaches 1 and the float32 result has no correct digit.
const maxSquarings32 = 24

// NewExp32 returns an Exp32 for n×n matrices, 1 ≤ n ≤ MaxN.
func NewExp32(n int) (*Exp32, error) {
	if n < 1 || n > MaxN {
		return nil, fmt.Errorf("expm: matrix order %d out of range [1, %d]", n, MaxN)
	}
	return &Exp32{n: n, col: make([]float64, n)}, nil
}

// N returns the matrix order.
func (e *Exp32) N() int { return e.n }

// Last returns the Taylor degree m and the number of squarings s of the last Exp (0, 0
// before the first).
func (e *Exp32) Last() (m, s int) { return e.deg, e.s }

// Products returns the number of n×n products the last Exp computed (Adjoint computes
// twice as many): p−1 powers, q−1 Horner steps and s squarings.
func (e *Exp32) Products() int {
	if !e.done {
		return 0
	}
	return e.p - 1 + e.deg/e.p - 1 + e.s
}

// Bytes returns the memory the Exp32 holds now.
func (e *Exp32) Bytes() int {
	b := 4*(len(e.x)+len(e.rb)+len(e.rb2)+len(e.tr)) + 8*len(e.col)
	for _, set := range [][][]float32{e.pow, e.hor, e.sq, e.grads} {
		for _, m := range set {
			b += 4 * len(m)
		}
	}
	return b
}

// grow returns set with at least k n×n matrices, allocating the missing ones.
func (e *Exp32) grow(set [][]float32, k int) [][]float32 {
	for len(set) < k {
		set = append(set, make([]float32, e.n*e.n))
	}
	return set
}

func (e *Exp32) mat(d []float32) kernels.Mat { return kernels.MatOf(e.n, e.n, d) }

// Exp sets dst to exp(A) for the n×n row-major a and keeps what Adjoint needs. dst may
// alias a. It returns an error, leaving dst unchanged and Adjoint unusable until the next
// successful Exp, when a length is not n·n, A holds a NaN or an infinity, or
// ‖A‖₁ > θ₂₀·2²⁴ ≈ 6.0e7 (where no digit of the float32 result would be correct).
func (e *Exp32) Exp(dst, a []float32) error {
	n := e.n
	if len(a) != n*n || len(dst) != n*n {
		return fmt.Errorf("expm: Exp32.Exp: A has %d values and dst %d, want %d (n = %d)", len(a), len(dst), n*n, n)
	}
	e.done = false
	colsum := e.col[:n]
	norm := norm1F32(a, n, colsum)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		for k, v := range a {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("expm: Exp32.Exp: A[%d][%d] is %v", k/n, k%n, v)
			}
		}
		return fmt.Errorf("expm: Exp32.Exp: ‖A‖₁ overflows")
	}
	// For a skew-symmetric A (normal, so ‖A^k‖₂ = ‖A‖₂^k), α = √‖A²‖₁ ≥ ‖A‖₂ bounds the
	// 2-norm truncation error as ‖A‖₁ does, and is smaller when A is dense; A² is P_2
	// (scaled by 4⁻ˢ below), so it costs no extra product.
	alpha := norm
	skew := n > 1 && isSkew32(a, n)
	if skew {
		e.pow = e.grow(e.pow, 1)
		kernels.MatMul(e.mat(e.pow[0]), e.mat(a), e.mat(a))
		alpha = min(norm, math.Sqrt(norm1F32(e.pow[0], n, colsum)))
	}
	di, s := chooseTaylor(alpha)
	if s > maxSquarings32 {
		return fmt.Errorf("expm: Exp32.Exp: ‖A‖₁ = %.3g is too large (above %.2g, exp(A) has no correct digit in float32)",
			norm, math.Ldexp(thetaTaylor32[len(thetaTaylor32)-1], maxSquarings32))
	}
	m, p := taylorDegrees[di].m, taylorDegrees[di].p
	q := m / p
	e.deg, e.p, e.s = m, p, s
	if len(e.x) != n*n {
		e.x = make([]float32, n*n)
	}
	e.pow = e.grow(e.pow, p-1)
	e.hor = e.grow(e.hor, q-1)
	e.sq = e.grow(e.sq, s)

	scale := float32(math.Ldexp(1, -s))
	for k, v := range a {
		e.x[k] = v * scale // exact: a power of two
	}
	// P_i = P_{i−1}·X.
	power := func(i int) []float32 { // P_i, i = 1 … p
		if i == 1 {
			return e.x
		}
		return e.pow[i-2]
	}
	first := 2
	if skew { // P_2 = A²·4⁻ˢ, already computed (the scaling is exact)
		kernels.Scale(float32(math.Ldexp(1, -2*s)), e.pow[0])
		first = 3
	}
	for i := first; i <= p; i++ {
		kernels.MatMul(e.mat(power(i)), e.mat(power(i-1)), e.mat(e.x))
	}
	// Y_{q−1} = B_{q−1} + c_m·P_p; Y_j = Y_{j+1}·P_p + B_j; T = Y_0; R_0 = T.
	y := func(j int) []float32 {
		switch {
		case j > 0:
			return e.hor[j-1]
		case s > 0:
			return e.sq[0]
		}
		return dst
	}
	c := invFactorial32[:]
	block := func(out []float32, j int) { // out = B_j = c_{jp}·I + Σ_{0<i<p} c_{jp+i}·P_i
		copy(out, e.x)
		kernels.Scale(c[j*p+1], out)
		for i := 2; i < p; i++ {
			kernels.Axpy(c[j*p+i], power(i), out)
		}
		for d := range n {
			out[d*n+d] += c[j*p]
		}
	}
	top := y(q - 1)
	block(top, q-1)
	kernels.Axpy(c[m], power(p), top)
	for j := q - 2; j >= 0; j-- {
		out := y(j)
		block(out, j)
		kernels.Gemm(e.mat(out), e.mat(y(j+1)), e.mat(power(p)))
	}
	// R_{k+1} = R_k².
	for k := range s {
		out := dst
		if k+1 < s {
			out = e.sq[k+1]
		}
		kernels.MatMul(e.mat(out), e.mat(e.sq[k]), e.mat(e.sq[k]))
	}
	e.done = true
	return nil
}

// chooseTaylor returns the index into taylorDegrees and the squarings s that cover norm
// with the fewest products plus squarings (ties: fewer squarings, then lower degree).
func chooseTaylor(norm float64) (di, s int) {
	best, bestS, bestCost := -1, 0, math.MaxInt
	for i, d := range taylorDegrees {
		si := 0
		if norm > thetaTaylor32[i] {
			si = max(0, int(math.Ceil(math.Log2(norm/thetaTaylor32[i]))))
			for math.Ldexp(norm, -si) > thetaTaylor32[i] {
				si++
			}
		}
		cost := d.p - 1 + d.m/d.p - 1 + si
		if cost < bestCost || (cost == bestCost && si < bestS) {
			best, bestS, bestCost = i, si, cost
		}
	}
	return best, bestS
}

// errNoExp is Adjoint's error before a successful Exp.
var errNoExp = errors.New("expm: Exp32.Adjoint: no successful Exp to differentiate")

// Adjoint sets da to ∂f/∂A for a scalar f of the W that the last successful Exp computed,
// given g = ∂f/∂W: the adjoint of the derivative of Exp's evaluation (so, for W = exp(A),
// the adjoint of the Fréchet derivative L(Aᵀ, G), up to Exp's truncation and rounding).
// da may alias g. It returns an error for a wrong length or when no Exp has succeeded
// since the last failure. A NaN or infinity in g propagates into da.
func (e *Exp32) Adjoint(da, g []float32) error {
	n := e.n
	if len(da) != n*n || len(g) != n*n {
		return fmt.Errorf("expm: Exp32.Adjoint: G has %d values and dA %d, want %d (n = %d)", len(g), len(da), n*n, n)
	}
	if !e.done {
		return errNoExp
	}
	p, s := e.p, e.s
	q := e.deg / p
	for _, b := range []*[]float32{&e.rb, &e.rb2, &e.tr} {
		if len(*b) != n*n {
			*b = make([]float32, n*n)
		}
	}
	e.grads = e.grow(e.grads, p)
	for _, gr := range e.grads[:p] {
		clear(gr)
	}
	power := func(i int) []float32 {
		if i == 1 {
			return e.x
		}
		return e.pow[i-2]
	}
	// R̄_k = R̄_{k+1}·R_kᵀ + R_kᵀ·R̄_{k+1}, from R̄_s = G down to R̄_0 = Ȳ_0.
	cur, next := e.rb, e.rb2
	copy(cur, g)
	for k := s - 1; k >= 0; k-- {
		transposeF32(e.tr, e.sq[k], n)
		kernels.MatMul(e.mat(next), e.mat(cur), e.mat(e.tr))
		kernels.GemmTN(e.mat(next), e.mat(e.sq[k]), e.mat(cur))
		cur, next = next, cur
	}
	// Horner: Y_j = Y_{j+1}·P_p + B_j gives B̄_j = Ȳ_j, P̄_p += Y_{j+1}ᵀ·Ȳ_j,
	// Ȳ_{j+1} = Ȳ_j·P_pᵀ; the top Y_{q−1} = B_{q−1} + c_m·P_p gives P̄_p += c_m·Ȳ_{q−1}.
	c := invFactorial32[:]
	addBlock := func(j int, yb []float32) { // P̄_i += c_{jp+i}·B̄_j, 0 < i < p
		for i := 1; i < p; i++ {
			kernels.Axpy(c[j*p+i], yb, e.grads[i-1])
		}
	}
	pp := power(p)
	if q > 1 {
		transposeF32(e.tr, pp, n)
	}
	for j := 0; j < q-1; j++ {
		addBlock(j, cur)
		kernels.GemmTN(e.mat(e.grads[p-1]), e.mat(e.hor[j]), e.mat(cur))
		kernels.MatMul(e.mat(next), e.mat(cur), e.mat(e.tr))
		cur, next = next, cur
	}
	addBlock(q-1, cur)
	kernels.Axpy(c[e.deg], cur, e.grads[p-1])
	// Powers: P_i = P_{i−1}·X gives P̄_{i−1} += P̄_i·Xᵀ and X̄ += P_{i−1}ᵀ·P̄_i.
	if p > 1 {
		transposeF32(e.tr, e.x, n)
	}
	for i := p; i >= 2; i-- {
		kernels.Gemm(e.mat(e.grads[i-2]), e.mat(e.grads[i-1]), e.mat(e.tr))
		kernels.GemmTN(e.mat(e.grads[0]), e.mat(power(i-1)), e.mat(e.grads[i-1]))
	}
	copy(da, e.grads[0])
	kernels.Scale(float32(math.Ldexp(1, -s)), da) // exact: a power of two
	return nil
}

// isSkew32 reports whether the n×n matrix a is exactly skew-symmetric.
func isSkew32(a []float32, n int) bool {
	for i := range n {
		if a[i*n+i] != 0 {
			return false
		}
		for j := i + 1; j < n; j++ {
			if a[i*n+j] != -a[j*n+i] {
				return false
			}
		}
	}
	return true
}

// norm1F32 is the 1-norm (largest absolute column sum) of the n×n matrix a, in float64.
func norm1F32(a []float32, n int, colsum []float64) float64 {
	colsum = colsum[:n]
	clear(colsum)
	for i := range n {
		for j, v := range a[i*n : (i+1)*n] {
			colsum[j] += math.Abs(float64(v))
		}
	}
	var m float64
	for _, v := range colsum {
		m = max(m, v)
	}
	return m
}

// transposeF32 writes the transpose of the n×n matrix a into dst (dst ≠ a).
func transposeF32(dst, a []float32, n int) {
	const tile = 32
	for i0 := 0; i0 < n; i0 += tile {
		for j0 := 0; j0 < n; j0 += tile {
			for i := i0; i < min(i0+tile, n); i++ {
				for j := j0; j < min(j0+tile, n); j++ {
					dst[j*n+i] = a[i*n+j]
				}
			}
		}
	}
}
