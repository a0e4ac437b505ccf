package kernels

// AdamCoefficients are the scalars of one Adam step, each already rounded to float32 (as
// PyTorch rounds its Python scalars when it applies them to float32 tensors): see
// AdamUpdate.
type AdamCoefficients struct {
	Beta1, OneMinusBeta1 float32 // β1 and 1−β1
	Beta2, OneMinusBeta2 float32 // β2 and 1−β2
	Correction2          float32 // √(1−β2ᵗ), the second moment's bias correction
	Eps                  float32 // ε, added to the denominator
	StepSize             float32 // lr/(1−β1ᵗ), the step size with the first moment's bias correction
	// GradBound clamps every gradient element to [−GradBound, GradBound] before it
	// enters the moments (+Inf: no clamping).
	GradBound float32
}

// AdamUpdate applies one step of Adam to the parameters p from their gradient g,
// updating the first and second moment estimates m and v in place. Every product, sum,
// square root and quotient is rounded to float32 on its own, in PyTorch's order, and no
// multiply-add is fused, so every tier gives the generic loop's bits:
//
//	for i := range p {
//		gi := g[i]
//		if gi > c.GradBound { gi = c.GradBound } else if gi < -c.GradBound { gi = -c.GradBound }
//		m[i] = c.Beta1*m[i] + c.OneMinusBeta1*gi
//		v[i] = c.Beta2*v[i] + (c.OneMinusBeta2*gi)*gi
//		p[i] -= (c.StepSize * m[i]) / (sqrt(v[i])/c.Correction2 + c.Eps)
//	}
//
// g, m and v must have len(p) elements (a different length panics, naming it); none may
// overlap another.
func AdamUpdate(p, g, m, v []float32, c AdamCoefficients) {
	checkLen("AdamUpdate", "g", len(g), len(p))
	checkLen("AdamUpdate", "m", len(m), len(p))
	checkLen("AdamUpdate", "v", len(v), len(p))
	adamUpdate(p, g, m, v, c)
}

// SumSquares returns Σ x[i]² in float64, the square of the Euclidean norm that gradient
// clipping needs. Each square of a float32 is exact in float64, so only the additions
// round; they run in 16 interleaved partial sums, element i going to sum i mod 16, which
// are then added pairwise, so every tier gives the same bits:
//
//	var s [16]float64
//	for i := range x { s[i%16] += float64(x[i]) * float64(x[i]) }
//	for w := 8; w >= 1; w /= 2 { for j := range w { s[j] += s[j+w] } }
//	return s[0]
//
// The result is finite exactly when every element is (float32 squares cannot overflow
// float64 in any slice that fits in memory), so it doubles as a finiteness check.
func SumSquares(x []float32) float64 {
	var s [16]float64
	sumSquares(x, &s)
	for w := 8; w >= 1; w /= 2 {
		for j := range w {
			s[j] += s[j+w]
		}
	}
	return s[0]
}
