package cell

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/kernels"
)

// The LSTM's gate gradients give the scalar loop's bits on every tier, for unit counts
// around the SIMD routine's eight-unit step, with gate values spread over (0, 1) and
// (−1, 1) as the activations leave them, tiny (subnormal products) and large adjoints.
func TestLSTMGateGradsSIMDSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tier := range kernels.Tiers() {
		restore, err := kernels.UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range []int{1, 7, 8, 9, 16, 23, 64, 4096} {
			in := make([][]float32, 8)
			for a := range in {
				in[a] = make([]float32, h)
				for u := range in[a] {
					switch v := rng.Float32(); {
					case a == 0 || a == 1 || a == 3: // sigmoid gates
						in[a][u] = v
					case a < 6: // tanh values, c_{t-1}
						in[a][u] = 2*v - 1
					case u%5 == 0: // adjoints: some tiny, some large
						in[a][u] = float32(rng.NormFloat64()) * 1e-39
					default:
						in[a][u] = float32(rng.NormFloat64()) * 1e3
					}
				}
			}
			out := func() (*lstmGradSlices, [4][]float32) {
				var o [4][]float32
				for j := range o {
					o[j] = make([]float32, h)
				}
				return &lstmGradSlices{i: in[0], f: in[1], g: in[2], o: in[3], tc: in[4], c: in[5], vh: in[6], vc: in[7],
					gi: o[0], gf: o[1], gc: o[2], gout: o[3]}, o
			}
			ref, want := out()
			lstmGateGradsGo(ref, 0)
			s, got := out()
			done := lstmGateGradsSIMD(s)
			lstmGateGradsGo(s, done)
			for j := range got {
				for u := range got[j] {
					if math.Float32bits(got[j][u]) != math.Float32bits(want[j][u]) {
						t.Fatalf("%v, h = %d: gradient %d of unit %d is %v, the scalar loop gives %v", tier, h, j, u, got[j][u], want[j][u])
					}
				}
			}
			if tier != kernels.Generic && h >= 8 && done == 0 && gateGradsHasSIMD {
				t.Fatalf("%v, h = %d: the SIMD routine took no unit", tier, h)
			}
		}
		restore()
	}
}

// The GRU's gate gradients likewise.
func TestGRUGateGradsSIMDSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tier := range kernels.Tiers() {
		restore, err := kernels.UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range []int{1, 7, 8, 9, 16, 23, 64, 4096} {
			in := make([][]float32, 6)
			for a := range in {
				in[a] = make([]float32, h)
				for u := range in[a] {
					switch v := rng.Float32(); {
					case a < 2: // r, z
						in[a][u] = v
					case a < 5: // n, W_hn h + b_hn, h_{t-1}
						in[a][u] = 4*v - 2
					case u%5 == 0:
						in[a][u] = float32(rng.NormFloat64()) * 1e-39
					default:
						in[a][u] = float32(rng.NormFloat64()) * 1e3
					}
				}
			}
			out := func() (*gruGradSlices, [6][]float32) {
				var o [6][]float32
				for j := range o {
					o[j] = make([]float32, h)
				}
				return &gruGradSlices{r: in[0], z: in[1], n: in[2], aux: in[3], prev: in[4], v: in[5],
					ir: o[0], iz: o[1], in: o[2], hr: o[3], hz: o[4], hn: o[5]}, o
			}
			ref, want := out()
			gruGateGradsGo(ref, 0)
			s, got := out()
			done := gruGateGradsSIMD(s)
			gruGateGradsGo(s, done)
			for j := range got {
				for u := range got[j] {
					if math.Float32bits(got[j][u]) != math.Float32bits(want[j][u]) {
						t.Fatalf("%v, h = %d: gradient %d of unit %d is %v, the scalar loop gives %v", tier, h, j, u, got[j][u], want[j][u])
					}
				}
			}
			if tier != kernels.Generic && h >= 8 && done == 0 && gateGradsHasSIMD {
				t.Fatalf("%v, h = %d: the SIMD routine took no unit", tier, h)
			}
		}
		restore()
	}
}
