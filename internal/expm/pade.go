package expm

import "math/big"

// padeDegrees are the diagonal Padé degrees m the scaling and squaring algorithms choose
// from, cheapest first: each costs one more matrix product than the previous (m = 13 costs
// six products, against five for m = 9, but covers 2.6 times the norm).
var padeDegrees = [...]int{3, 5, 7, 9, 13}

// thetaExp[i] is Higham's θ_m for m = padeDegrees[i] (Higham 2005, Table 2.3): the
// largest 1-norm of A for which the degree-(m, m) Padé approximant r_m satisfies
// r_m(A) = exp(A + ΔA) with a backward error ‖ΔA‖₁ ≤ 2⁻⁵³·‖A‖₁ (the unit roundoff of
// float64), bounded through the power series of h(x) = log(e⁻ˣ·r_m(x)).
var thetaExp = [...]float64{
	1.495585217958292e-2,
	2.539398330063230e-1,
	9.504178996162932e-1,
	2.097847961257068e0,
	5.371920351148152e0,
}

// ellFrechet[i] is Al-Mohy and Higham's ℓ_m for m = padeDegrees[i] (Al-Mohy & Higham 2009,
// Table 6.1): the largest 1-norm of A for which the Fréchet derivative of r_m at A, in any
// direction E, is the Fréchet derivative of exp at A + ΔA in the direction E + ΔE with both
// relative backward errors below 2⁻⁵³. They are a little smaller than θ_m, so a derivative
// may use one more squaring than the exponential alone.
var ellFrechet = [...]float64{1.08e-2, 2.00e-1, 7.83e-1, 1.78e0, 4.74e0}

// padeCoeffs[i] holds the coefficients c_0..c_m of the numerator p_m(x) = Σ c_j·x^j of
// the degree-(m, m) Padé approximant of eˣ for m = padeDegrees[i]; the denominator is
// p_m(−x). They are c_j = (2m−j)!·m! / ((2m)!·j!·(m−j)!), computed as exact rationals and
// rounded once to float64 (c_0 = 1; Higham's integer b_j are these times (2m)!/m!).
var padeCoeffs = func() [len(padeDegrees)][]float64 {
	var out [len(padeDegrees)][]float64
	for i, m := range padeDegrees {
		c := make([]float64, m+1)
		r := big.NewRat(1, 1)
		for j := 0; j <= m; j++ {
			c[j], _ = r.Float64()
			// c_{j+1} = c_j·(m−j) / ((2m−j)·(j+1))
			r.Mul(r, big.NewRat(int64(m-j), int64((2*m-j)*(j+1))))
		}
		out[i] = c
	}
	return out
}()
