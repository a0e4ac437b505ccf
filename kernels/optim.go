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
