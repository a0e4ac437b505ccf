package ref

import "math"

// orthogonalStep is the orthogonal cell's step: z = W_ih x + b_ih + W·h_{t-1},
// h_t = sign(z)·max(|z| + b, 0) with b = bias_hh_l0, W from OrthoWeights.
func (c *Cell) orthogonalStep(hp, x []float64) []float64 {
	h, in := c.H, c.I
	wih := c.Params[:h*in]
	w := OrthoWeights(c.Params[h*in:h*(in+h)], h, c.Cayley)
	bih := c.Params[h*(in+h) : h*(in+h+1)]
	b := c.Params[h*(in+h+1):]
	next := make([]float64, h)
	for u := range h {
		z := bih[u]
		for m := range in {
			z += wih[u*in+m] * x[m]
		}
		for m := range h {
			z += w[u*h+m] * hp[m]
		}
		next[u] = ModReLU(z, b[u])
	}
	return next
}

// ModReLU is sign(z)·max(|z| + b, 0), 0 at z = 0.
func ModReLU(z, b float64) float64 {
	mag := math.Max(math.Abs(z)+b, 0)
	switch {
	case z > 0:
		return mag
	case z < 0:
		return -mag
	}
	return 0
}

// OrthoWeights returns the orthogonal cell's W (n×n, row-major) for the n×n parameter m:
// A = (m − mᵀ)/2, then exp(A) by the Taylor series of A/2ᵏ (‖A/2ᵏ‖₁ ≤ 1/2, forty terms,
// a truncation far below float64's rounding) squared k times, or, with cayley,
// (I + A)⁻¹(I − A) by Gauss–Jordan elimination with partial pivoting. Plain loops, O(n³)
// per call.
func OrthoWeights(m []float64, n int, cayley bool) []float64 {
	a := make([]float64, n*n)
	for i := range n {
		for j := range n {
			a[i*n+j] = (m[i*n+j] - m[j*n+i]) / 2
		}
	}
	if cayley {
		return cayleyRef(a, n)
	}
	var norm float64
	for j := range n {
		var s float64
		for i := range n {
			s += math.Abs(a[i*n+j])
		}
		norm = math.Max(norm, s)
	}
	k := 0
	for norm/math.Ldexp(1, k) > 0.5 {
		k++
	}
	x := make([]float64, n*n)
	for i, v := range a {
		x[i] = math.Ldexp(v, -k)
	}
	sum, term := identity(n), identity(n)
	for j := 1; j <= 40; j++ {
		term = mul(term, x, n)
		for i := range term {
			term[i] /= float64(j)
			sum[i] += term[i]
		}
	}
	for range k {
		sum = mul(sum, sum, n)
	}
	return sum
}

func identity(n int) []float64 {
	e := make([]float64, n*n)
	for i := range n {
		e[i*n+i] = 1
	}
	return e
}

func mul(a, b []float64, n int) []float64 {
	c := make([]float64, n*n)
	for i := range n {
		for k := range n {
			for j := range n {
				c[i*n+j] += a[i*n+k] * b[k*n+j]
			}
		}
	}
	return c
}

// cayleyRef solves (I + A)·W = I − A by Gauss–Jordan elimination with partial pivoting.
func cayleyRef(a []float64, n int) []float64 {
	l, r := identity(n), identity(n)
	for i := range a {
		l[i] += a[i]
		r[i] -= a[i]
	}
	for col := range n {
		piv := col
		for i := col + 1; i < n; i++ {
			if math.Abs(l[i*n+col]) > math.Abs(l[piv*n+col]) {
				piv = i
			}
		}
		for j := range n {
			l[col*n+j], l[piv*n+j] = l[piv*n+j], l[col*n+j]
			r[col*n+j], r[piv*n+j] = r[piv*n+j], r[col*n+j]
		}
		d := l[col*n+col]
		for j := range n {
			l[col*n+j] /= d
			r[col*n+j] /= d
		}
		for i := range n {
			if i == col {
				continue
			}
			f := l[i*n+col]
			for j := range n {
				l[i*n+j] -= f * l[col*n+j]
				r[i*n+j] -= f * r[col*n+j]
			}
		}
	}
	return r
}
