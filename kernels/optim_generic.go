package kernels

import "math"

// adamUpdateGeneric is AdamUpdate's reference loop. The explicit float32 conversions
// round every product on its own and keep the compiler from fusing them into
// multiply-adds on the architectures where Go fuses (arm64, amd64 v3); the float64 square
// root rounded to float32 is the correctly rounded float32 square root (float64 carries
// more than twice float32's precision, so the double rounding is harmless), which is what
// the SIMD tiers' square-root instructions return.
func adamUpdateGeneric(p, g, m, v []float32, c AdamCoefficients) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	b1, a1, b2, a2 := c.Beta1, c.OneMinusBeta1, c.Beta2, c.OneMinusBeta2
	c2, eps, step, bound := c.Correction2, c.Eps, c.StepSize, c.GradBound
	for j := range p {
		gj := g[j]
		if gj > bound {
			gj = bound
		} else if gj < -bound {
			gj = -bound
		}
		mj := float32(b1*m[j]) + float32(a1*gj)
		vj := float32(b2*v[j]) + float32(float32(a2*gj)*gj)
		m[j], v[j] = mj, vj
		denom := float32(float32(math.Sqrt(float64(vj)))/c2) + eps
		p[j] -= float32(step*mj) / denom
	}
}

// sumSquaresGeneric adds x[i]² to s[i mod 16]. The product of two float32 values is exact
// in float64, so a fused multiply-add (which the compiler may choose on arm64) rounds
// exactly as the separate multiply and add do.
func sumSquaresGeneric(x []float32, s *[16]float64) {
	i := 0
	for ; i+16 <= len(x); i += 16 {
		b := (*[16]float32)(x[i : i+16])
		for j, v := range b {
			s[j] += float64(v) * float64(v)
		}
	}
	for j, v := range x[i:] {
		s[j] += float64(v) * float64(v)
	}
}
