package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// adamCases are coefficient sets a run meets: PyTorch's defaults at the first step and
// after many, a large learning rate, ε = 0 (a zero second moment then divides by zero),
// β = 0, and no clamping.
func adamCases() []AdamCoefficients {
	coefs := func(lr, b1, b2, eps float64, t int, bound float32) AdamCoefficients {
		return AdamCoefficients{
			Beta1: float32(b1), OneMinusBeta1: float32(1 - b1), Beta2: float32(b2), OneMinusBeta2: float32(1 - b2),
			Correction2: float32(math.Sqrt(1 - math.Pow(b2, float64(t)))),
			Eps:         float32(eps), StepSize: float32(lr / (1 - math.Pow(b1, float64(t)))), GradBound: bound,
		}
	}
	return []AdamCoefficients{
		coefs(1e-3, 0.9, 0.999, 1e-8, 1, 0x1p63),
		coefs(1e-3, 0.9, 0.999, 1e-8, 1000, 0x1p63),
		coefs(0.5, 0.8, 0.99, 1e-6, 3, 0x1p63),
		coefs(1e-2, 0.9, 0.999, 0, 2, 0x1p63),
		coefs(1e-2, 0, 0, 1e-8, 1, 0x1p63),
		coefs(1e-3, 0.9, 0.999, 1e-8, 7, float32(math.Inf(1))),
	}
}

// adamFill gives the gradient, the moments and the parameters values of every kind an
// update meets: ordinary ones, gradients past the clamp and infinite, signed zeros,
// subnormals, a zero second moment, and (in the gradient) NaN.
func adamFill(r *rand.Rand, p, g, m, v []float32, specials bool) {
	for i := range p {
		p[i] = float32(r.NormFloat64())
		g[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(9)-6)))
		m[i] = float32(r.NormFloat64() * 1e-2)
		v[i] = float32(r.Float64() * 1e-3)
		if !specials {
			continue
		}
		switch r.IntN(16) {
		case 0:
			g[i] = float32(r.NormFloat64() * 1e30) // past ±2⁶³
		case 1:
			g[i] = float32(math.Inf(1 - 2*r.IntN(2)))
		case 2:
			g[i] = float32(math.Copysign(0, float64(1-2*r.IntN(2))))
		case 3:
			g[i] = math.Float32frombits(uint32(r.IntN(1 << 23))) // subnormal
		case 4:
			v[i], m[i] = 0, 0
		case 5:
			g[i] = float32(math.NaN())
		case 6:
			p[i] = float32(math.Copysign(0, float64(1-2*r.IntN(2))))
		}
	}
}

// sameBitsOrNaN is sameBits, except that a NaN matches any NaN: the NaN a NaN gradient
// becomes may carry a different payload on different tiers.
func sameBitsOrNaN(a, b []float32) (int, bool) {
	for i := range a {
		if math.IsNaN(float64(a[i])) && math.IsNaN(float64(b[i])) {
			continue
		}
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i, false
		}
	}
	return -1, true
}

func TestAdamUpdate(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 1))
	forEachTier(t, func(t *testing.T) {
		for ci, c := range adamCases() {
			for _, n := range testLengths {
				for off := 0; off < 16; off += 3 {
					p, checkP := guarded(n, off)
					g, checkG := guarded(n, (off+5)%16)
					m, checkM := guarded(n, (off+9)%16)
					v, checkV := guarded(n, (off+13)%16)
					adamFill(r, p, g, m, v, n%2 == 1)
					wp, wg, wm, wv := snapshot(p), snapshot(g), snapshot(m), snapshot(v)
					adamUpdateGeneric(wp, wg, wm, wv, c)
					g0 := snapshot(g)
					AdamUpdate(p, g, m, v, c)
					what := fmt.Sprintf("case %d, n=%d, off=%d", ci, n, off)
					for _, s := range []struct {
						name      string
						got, want []float32
					}{{"p", p, wp}, {"m", m, wm}, {"v", v, wv}, {"g", g, g0}} {
						if i, ok := sameBitsOrNaN(s.got, s.want); !ok {
							t.Fatalf("%s: %s[%d] = %v (%#08x), generic %v (%#08x)", what, s.name, i,
								s.got[i], math.Float32bits(s.got[i]), s.want[i], math.Float32bits(s.want[i]))
						}
					}
					checkP(t, what+" p")
					checkG(t, what+" g")
					checkM(t, what+" m")
					checkV(t, what+" v")
				}
			}
		}
	})
}

// The generic loop is the formula it documents: the clamp, then each operation rounded
// on its own. This pins the reference itself, against float64 arithmetic rounded to
// float32 after every operation.
func TestAdamUpdateGenericIsTheFormula(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 2))
	round := func(x float64) float64 { return float64(float32(x)) }
	for _, c := range adamCases() {
		const n = 4096
		p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		adamFill(r, p, g, m, v, true)
		p0, g0, m0, v0 := snapshot(p), snapshot(g), snapshot(m), snapshot(v)
		adamUpdateGeneric(p, g, m, v, c)
		for i := range p {
			gi := float64(g0[i])
			gi = math.Max(-float64(c.GradBound), math.Min(float64(c.GradBound), gi))
			if math.IsNaN(float64(g0[i])) {
				gi = math.NaN()
			}
			mi := round(round(float64(c.Beta1)*float64(m0[i])) + round(float64(c.OneMinusBeta1)*gi))
			vi := round(round(float64(c.Beta2)*float64(v0[i])) + round(round(float64(c.OneMinusBeta2)*gi)*gi))
			den := round(round(round(math.Sqrt(vi))/float64(c.Correction2)) + float64(c.Eps))
			pi := round(float64(p0[i]) - round(round(float64(c.StepSize)*mi)/den))
			for _, s := range []struct {
				name      string
				got, want float64
			}{{"m", float64(m[i]), mi}, {"v", float64(v[i]), vi}, {"p", float64(p[i]), pi}} {
				if !(s.got == s.want || math.IsNaN(s.got) && math.IsNaN(s.want)) || math.Signbit(s.got) != math.Signbit(s.want) && !math.IsNaN(s.want) {
					t.Fatalf("element %d (g=%v, m=%v, v=%v, p=%v): %s = %v, formula %v", i, g0[i], m0[i], v0[i], p0[i], s.name, s.got, s.want)
				}
			}
		}
	}
}

func TestAdamUpdatePanicsOnLengths(t *testing.T) {
	a, b := make([]float32, 8), make([]float32, 7)
	for _, args := range [][4][]float32{{a, b, a, a}, {a, a, b, a}, {a, a, a, b}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AdamUpdate with lengths %d, %d, %d, %d did not panic", len(args[0]), len(args[1]), len(args[2]), len(args[3]))
				}
			}()
			AdamUpdate(args[0], args[1], args[2], args[3], adamCases()[0])
		}()
	}
}

// BenchmarkAdamUpdate times one Adam step over n parameters (n = 7392 is the GRU of
// n = 32 units with 32 inputs and outputs that BenchmarkOnlineObserve in package train
// learns), reporting ns per parameter.
//
//	go test ./kernels -run '^$' -bench AdamUpdate
func BenchmarkAdamUpdate(b *testing.B) {
	benchTiers(b, func(b *testing.B) {
		for _, n := range []int{1024, 7392, 100_000} {
			b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
				r := rand.New(rand.NewPCG(uint64(n), 3))
				p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
				adamFill(r, p, g, m, v, false)
				c := adamCases()[1]
				for b.Loop() {
					AdamUpdate(p, g, m, v, c)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/param")
			})
		}
	})
}

// sumSquaresDoc is SumSquares's documented loop, written out as its comment shows it.
func sumSquaresDoc(x []float32) float64 {
	var s [16]float64
	for i := range x {
		s[i%16] += float64(x[i]) * float64(x[i])
	}
	for w := 8; w >= 1; w /= 2 {
		for j := range w {
			s[j] += s[j+w]
		}
	}
	return s[0]
}

func TestSumSquares(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 3))
	check := func(t *testing.T) {
		for _, n := range testLengths {
			for off := 0; off < 16; off += 3 {
				x, checkX := guarded(n, off)
				for i := range x {
					// Magnitudes from 1e-20 to 1e20, so the partial sums round.
					x[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(41)-20)))
				}
				x0 := snapshot(x)
				got, want := SumSquares(x), sumSquaresDoc(x)
				if math.Float64bits(got) != math.Float64bits(want) {
					t.Fatalf("n=%d, off=%d: %v, the documented loop gives %v", n, off, got, want)
				}
				if !sameBits(x, x0) {
					t.Fatalf("n=%d, off=%d: the input changed", n, off)
				}
				checkX(t, fmt.Sprintf("n=%d, off=%d", n, off))
			}
		}
		// Any non-finite element makes the sum non-finite; the largest finite ones do not.
		for _, n := range []int{1, 15, 16, 17, 100} {
			for _, bad := range []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())} {
				for at := range n {
					x := benchVec(n)
					x[at] = bad
					if s := SumSquares(x); !math.IsNaN(s) && !math.IsInf(s, 0) {
						t.Fatalf("n=%d, x[%d]=%v: sum %v is finite", n, at, bad, s)
					}
				}
			}
			x := make([]float32, n)
			for i := range x {
				x[i] = -math.MaxFloat32
			}
			if s := SumSquares(x); math.IsInf(s, 0) || math.IsNaN(s) {
				t.Fatalf("n=%d elements of -MaxFloat32: sum %v", n, s)
			}
		}
	}
	t.Run("generic", func(t *testing.T) {
		restore, err := UseTier(Generic)
		if err != nil {
			t.Fatal(err)
		}
		defer restore()
		check(t)
	})
	forEachTier(t, check)
}

// BenchmarkSumSquares times the float64 sum of squares over n elements, reporting ns
// per element.
func BenchmarkSumSquares(b *testing.B) {
	benchTiers(b, func(b *testing.B) {
		for _, n := range []int{1024, 7392, 100_000} {
			b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
				x := benchVec(n)
				var s float64
				for b.Loop() {
					s += SumSquares(x)
				}
				sinkF32 = float32(s)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
			})
		}
	})
}
