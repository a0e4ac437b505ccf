package kernels

import "math"

// Both activations are built on e^t - 1 for t <= 0, written here exactly as the assembly
// computes it, step for step, so that the tiers differ from this twin only where a fused
// multiply-add in float64 rounds twice (it then differs by at most 1 ulp):
//
//   - range reduction: k = round(t·log2 e), r = t - k·ln2 in two fused steps with ln2
//     split into a 9-bit head (k·ln2Hi is exact for |k| < 2^15) and a tail, so |r| <= ln2/2;
//   - e^r - 1 = r + r²·P(r), P the Taylor polynomial of (e^r - 1 - r)/r² through r⁶
//     (truncation error below 1e-9 relative on |r| <= ln2/2), which keeps full relative
//     accuracy as r → 0;
//   - scaling by 2^k built from exponent bits.
//
// tanh|x| = -m/(2+m) with m = e^(-2|x|) - 1 = 2^k·q + (2^k - 1), one rounding; that form
// has no cancellation near 0, so tanh(x) = x for tiny x. The sign is then copied from x,
// which keeps -0. |x| is clamped at 20 first (tanh is 1 in float32 from 9.01 on), so 2^k
// is a normal number.
//
// sigmoid: e = e^(-|x|), then 1/(1+e) for x >= 0 and e/(1+e) for x < 0 (sign bit set).
// -|x| is clamped at -104, where e^t is below half the smallest subnormal; k then reaches
// -150, so 2^k is applied as 2^k1 · 2^k2 with k2 = k>>1, both normal: the first product
// is exact-or-one-rounding and the second exact unless the result is subnormal.
//
// Both divide by a sum carried exactly as d + dl (Fast2Sum) with one Newton correction
// (divCompensated); dividing by the rounded d alone measured 2.5 ulp.
//
// Clamps are written so that NaN passes through (a comparison with NaN is false), as the
// assembly orders its MAX/MIN operands to return the NaN.
const (
	actLog2e   = float32(1.44269504088896341)
	actLn2Hi   = float32(0.693359375)
	actLn2Lo   = float32(-2.12194440e-4)
	actTanhMax = float32(20)
	actSigMin  = float32(-104)
	actP2      = float32(1.0 / 2)
	actP3      = float32(1.0 / 6)
	actP4      = float32(1.0 / 24)
	actP5      = float32(1.0 / 120)
	actP6      = float32(1.0 / 720)
	actP7      = float32(1.0 / 5040)
	actP8      = float32(1.0 / 40320)
)

// fma32 is a fused multiply-add rounded to float32, computed in float64: the product of
// two float32 is exact there (48 bits), so only the sum rounds, to float64 and then to
// float32; that double rounding differs from one rounding only in rare near-ties.
// (math.FMA would give the same float64 and costs a feature check on amd64.)
func fma32(a, b, c float32) float32 {
	return float32(float64(a)*float64(b) + float64(c))
}

// expm1Reduced splits t = k·ln2 + r and returns k and q = e^r - 1, with
// |r| <= ln2/2 (a little more from rounding t·log2 e).
func expm1Reduced(t float32) (k int32, q float32) {
	kf := float32(math.RoundToEven(float64(t * actLog2e)))
	r := fma32(kf, -actLn2Hi, t)
	r = fma32(kf, -actLn2Lo, r)
	p := fma32(actP8, r, actP7)
	p = fma32(p, r, actP6)
	p = fma32(p, r, actP5)
	p = fma32(p, r, actP4)
	p = fma32(p, r, actP3)
	p = fma32(p, r, actP2)
	r2 := float32(r * r)
	q = fma32(r2, p, r)
	return int32(kf), q
}

// pow2 returns 2^k for a k whose result is a normal float32.
func pow2(k int32) float32 { return math.Float32frombits(uint32(k<<23 + 0x3f800000)) }

func tanh32(x float32) float32 {
	a := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	if a > actTanhMax {
		a = actTanhMax
	}
	k, q := expm1Reduced(a * -2)
	s := pow2(k)
	m := fma32(s, q, s-1)
	d := 2 + m
	y := divCompensated(-m, d, (2-d)+m)
	return math.Float32frombits(math.Float32bits(y)&^(1<<31) | math.Float32bits(x)&(1<<31))
}

func sigmoid32(x float32) float32 {
	t := math.Float32frombits(math.Float32bits(x) | 1<<31)
	if t < actSigMin {
		t = actSigMin
	}
	k, q := expm1Reduced(t)
	k2 := k >> 1
	s1, s2 := pow2(k-k2), pow2(k2)
	e := float32(fma32(s1, q, s1) * s2)
	num := float32(1)
	if math.Float32bits(x)>>31 != 0 {
		num = e
	}
	d := 1 + e
	return divCompensated(num, d, (1-d)+e)
}

// divCompensated returns num/(d+dl), where d+dl is a sum carried as its rounded value d
// and the exact rounding error dl (Fast2Sum), in one division: y0 = num·(1/d), then one
// Newton correction with the residual num - y0·(d+dl), whose first part is exact in a
// fused multiply-add. Dividing by the rounded d alone costs up to 1 ulp more.
func divCompensated(num, d, dl float32) float32 {
	r0 := 1 / d
	y0 := float32(num * r0)
	c := fma32(-y0, dl, fma32(-y0, d, num))
	return fma32(c, r0, y0)
}

func tanhGeneric(dst, x []float32) {
	for i, v := range x {
		dst[i] = tanh32(v)
	}
}

func sigmoidGeneric(dst, x []float32) {
	for i, v := range x {
		dst[i] = sigmoid32(v)
	}
}
