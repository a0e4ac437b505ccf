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
// exactly as the separate multiply and add do. The sums are locals so that they live in
// registers: through the pointer, every addition would go to memory and back.
func sumSquaresGeneric(x []float32, s *[16]float64) {
	s0, s1, s2, s3, s4, s5, s6, s7 := s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
	s8, s9, s10, s11, s12, s13, s14, s15 := s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15]
	i := 0
	for ; i+16 <= len(x); i += 16 {
		b := (*[16]float32)(x[i : i+16])
		s0 += float64(b[0]) * float64(b[0])
		s1 += float64(b[1]) * float64(b[1])
		s2 += float64(b[2]) * float64(b[2])
		s3 += float64(b[3]) * float64(b[3])
		s4 += float64(b[4]) * float64(b[4])
		s5 += float64(b[5]) * float64(b[5])
		s6 += float64(b[6]) * float64(b[6])
		s7 += float64(b[7]) * float64(b[7])
		s8 += float64(b[8]) * float64(b[8])
		s9 += float64(b[9]) * float64(b[9])
		s10 += float64(b[10]) * float64(b[10])
		s11 += float64(b[11]) * float64(b[11])
		s12 += float64(b[12]) * float64(b[12])
		s13 += float64(b[13]) * float64(b[13])
		s14 += float64(b[14]) * float64(b[14])
		s15 += float64(b[15]) * float64(b[15])
	}
	*s = [16]float64{s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15}
	for j, v := range x[i:] {
		s[j] += float64(v) * float64(v)
	}
}
