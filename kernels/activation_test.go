package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Accuracy bound of Tanh and Sigmoid, in ulps of the float32 nearest the true value (the
// true value computed in float64; among subnormal results one ulp is 2^-149).
//
// Measured once over all 2^32 bit patterns (12 minutes on two cores, too slow for every
// test run), generic and avx512: Tanh worst 1.908 ulp (x = ±0.5101782), Sigmoid worst
// 1.480 ulp (x = -4.846455); avx512 within 1 ulp of generic everywhere. The tests below
// sweep ~1.3·10^7 patterns, spread over the whole range plus every float32 in the windows
// where the method changes regime or was worst, on every tier.
const activationMaxULP = 2

// ulp32 is the spacing of float32 numbers at |v| (v a float64 near a float32):
// 2^(e-23) for |v| in [2^e, 2^(e+1)), 2^-149 among the subnormals.
func ulp32(v float64) float64 {
	a := math.Abs(v)
	if a < 0x1p-126 {
		return 0x1p-149
	}
	_, e := math.Frexp(a) // a = f·2^e with f in [0.5, 1)
	return math.Ldexp(1, e-1-23)
}

func tanhRef(x float32) float64 { return math.Tanh(float64(x)) }

func sigmoidRef(x float32) float64 {
	v := float64(x)
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}

// ulpErr is |got - want| in ulps of the float32 nearest want; NaN against NaN is 0, a NaN
// on one side only is +Inf.
func ulpErr(got float32, want float64) float64 {
	gn, wn := math.IsNaN(float64(got)), math.IsNaN(want)
	switch {
	case gn && wn:
		return 0
	case gn || wn:
		return math.Inf(1)
	}
	return math.Abs(float64(got)-want) / ulp32(float64(float32(want)))
}

// ulpDist is the number of float32 values between a and b (0 for two NaNs).
func ulpDist(a, b float32) int64 {
	if math.IsNaN(float64(a)) || math.IsNaN(float64(b)) {
		if math.IsNaN(float64(a)) && math.IsNaN(float64(b)) {
			return 0
		}
		return math.MaxInt64
	}
	ord := func(v float32) int64 {
		b := int64(math.Float32bits(v))
		if b&(1<<31) != 0 {
			return -(b &^ (1 << 31))
		}
		return b
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return d
}

type activation struct {
	name    string
	run     func(dst, x []float32)
	generic func(dst, x []float32)
	ref     func(x float32) float64
}

var activations = []activation{
	{"Tanh", Tanh, tanhGeneric, tanhRef},
	{"Sigmoid", Sigmoid, sigmoidGeneric, sigmoidRef},
}

// activationSweep returns the inputs of the accuracy test: every 421st bit pattern
// (about 10^7, all signs, exponents and mantissa residues), and every float32 in windows
// of 2^15 patterns on each side of the regime boundaries: tiny and subnormal x, where k
// of the range reduction changes (tanh: 2|x| log2 e = ±1/2, ±3/2; sigmoid: |x| log2 e =
// 1/2, 3/2), tanh's clamp and saturation (9.01, 20), sigmoid's subnormal results (x near
// -87.3 and -103.3), its clamp (-104) and saturation to 1 (16.6), and the worst inputs
// seen while developing (tanh near ±0.51, sigmoid near -4.85 and -3.47).
func activationSweep() []float32 {
	// -short (the race detector, purego and emulated runs) takes every eighth point of the
	// bit sweep and an eighth of each neighbourhood; the full run takes them all.
	stride, reach := uint64(421), int64(1<<15)
	if testing.Short() {
		stride, reach = 8*421, 1<<12
	}
	var xs []float32
	for b := uint64(0); b < 1<<32; b += stride {
		xs = append(xs, math.Float32frombits(uint32(b)))
	}
	centers := []float32{0, 1e-30, 1e-10, 1e-4, 0.0866, 0.1733, 0.26, 0.5199, 0.51, 0.55,
		1, 2, 4.5, 9.01, 20, 0.3466, 1.0397, 3.47, 4.85, 16.6, 17.33, 87.3, 88.7, 103.3, 104}
	for _, c := range centers {
		mid := int64(math.Float32bits(c))
		for d := -reach; d < reach; d++ {
			b := mid + d
			if b < 0 {
				continue
			}
			v := math.Float32frombits(uint32(b))
			xs = append(xs, v, -v)
		}
	}
	return xs
}

// TestActivationAccuracy checks every tier against the float64 reference on the sweep
// and each SIMD tier against generic: within activationMaxULP of the truth, within 1 ulp
// of generic.
func TestActivationAccuracy(t *testing.T) {
	xs := activationSweep()
	const batch = 1 << 14
	want := make([]float64, batch)
	gen := make([]float32, batch)
	got := make([]float32, batch)
	for _, a := range activations {
		t.Run(a.name, func(t *testing.T) {
			worst := make(map[Tier]float64)
			for start := 0; start < len(xs); start += batch {
				x := xs[start:min(start+batch, len(xs))]
				for i, v := range x {
					want[i] = a.ref(v)
				}
				a.generic(gen[:len(x)], x)
				for _, tier := range Tiers() {
					restore, err := UseTier(tier)
					if err != nil {
						t.Fatal(err)
					}
					a.run(got[:len(x)], x)
					restore()
					for i, v := range x {
						e := ulpErr(got[i], want[i])
						if e > activationMaxULP {
							t.Fatalf("%s %s(%g) = %g, true %g: %.2f ulp", tier, a.name, v, got[i], want[i], e)
						}
						worst[tier] = max(worst[tier], e)
						if d := ulpDist(got[i], gen[i]); d > 1 {
							t.Fatalf("%s %s(%g) = %g, generic %g: %d ulp apart", tier, a.name, v, got[i], gen[i], d)
						}
					}
				}
			}
			for tier, w := range worst {
				t.Logf("%s: worst %.3f ulp over %d inputs", tier, w, len(xs))
			}
		})
	}
}

// TestActivationSpecials pins the values the doc comments promise, on every tier, at
// every position of a vector (the tails are processed differently).
func TestActivationSpecials(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	cases := []struct {
		x, tanh, sigmoid float32
	}{
		{0, 0, 0.5},
		{negZero, negZero, 0.5},
		{inf, 1, 1},
		{-inf, -1, 0},
		{math.MaxFloat32, 1, 1},
		{-math.MaxFloat32, -1, 0},
		{1e-30, 1e-30, 0.5},
		{-1e-30, -1e-30, 0.5},
		{math.SmallestNonzeroFloat32, math.SmallestNonzeroFloat32, 0.5},
		{-math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 0.5},
		{50, 1, 1},
		{-200, -1, 0},
		{-103, -1, float32(sigmoidRef(-103))}, // a subnormal result
	}
	for _, tier := range Tiers() {
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 7, 8, 9, 16, 17, 33} {
			for pos := range n {
				for _, c := range cases {
					x := make([]float32, n)
					for i := range x {
						x[i] = 0.25
					}
					x[pos] = c.x
					th, sg := make([]float32, n), make([]float32, n)
					Tanh(th, x)
					Sigmoid(sg, x)
					if math.Float32bits(th[pos]) != math.Float32bits(c.tanh) {
						t.Fatalf("%s n=%d: Tanh(%g) at [%d] = %g, want %g", tier, n, c.x, pos, th[pos], c.tanh)
					}
					if ulpDist(sg[pos], c.sigmoid) > 1 {
						t.Fatalf("%s n=%d: Sigmoid(%g) at [%d] = %g, want %g", tier, n, c.x, pos, sg[pos], c.sigmoid)
					}
				}
				x := make([]float32, n)
				x[pos] = nan
				th, sg := make([]float32, n), make([]float32, n)
				Tanh(th, x)
				Sigmoid(sg, x)
				if !math.IsNaN(float64(th[pos])) || !math.IsNaN(float64(sg[pos])) {
					t.Fatalf("%s n=%d: NaN at [%d] gave Tanh %g, Sigmoid %g", tier, n, pos, th[pos], sg[pos])
				}
				for i := range x {
					if i != pos && (th[i] != 0 || sg[i] != 0.5) {
						t.Fatalf("%s n=%d: a NaN at [%d] changed [%d]: %g, %g", tier, n, pos, i, th[i], sg[i])
					}
				}
			}
		}
		restore()
	}
}

// TestActivationHarness runs the tiers over every test length and offset with the output
// between NaN guard bands, inputs spread over [-12, 12] (across every regime), and
// requires 1-ulp agreement with generic and untouched inputs; then the same in place.
func TestActivationHarness(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, a := range activations {
		t.Run(a.name, func(t *testing.T) {
			forEachTier(t, func(t *testing.T) {
				for _, n := range testLengths {
					for off := 0; off < 16; off++ {
						dst, checkDst := guarded(n, off)
						x, checkX := guarded(n, (off+5)%16)
						for i := range x {
							x[i] = float32(r.Float64()*24 - 12)
						}
						x0 := snapshot(x)
						want := make([]float32, n)
						a.generic(want, x)
						a.run(dst, x)
						for i := range dst {
							if ulpDist(dst[i], want[i]) > 1 {
								t.Fatalf("n=%d off=%d: %s(%g) = %g, generic %g", n, off, a.name, x[i], dst[i], want[i])
							}
						}
						if !sameBits(x, x0) {
							t.Fatalf("n=%d off=%d: changed the input", n, off)
						}
						checkDst(t, a.name+" dst")
						checkX(t, a.name+" x")
						a.run(x, x)
						for i := range x {
							if math.Float32bits(x[i]) != math.Float32bits(dst[i]) {
								t.Fatalf("n=%d off=%d: in place [%d] = %g, out of place %g", n, off, i, x[i], dst[i])
							}
						}
						checkX(t, a.name+" in place")
					}
				}
			})
		})
	}
}
