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
	checkSIMDSameBits(t, func(h int) func(simd bool) ([][]float32, int) {
		in := gateOperands(rng, h, 6, 2, func(a int, v float32) float32 {
			switch {
			case a == 0 || a == 1 || a == 3: // sigmoid gates
				return v
			default: // tanh values, c_{t-1}
				return 2*v - 1
			}
		})
		return func(simd bool) ([][]float32, int) {
			o := gateOutputs(h, 4)
			s := &lstmGradSlices{i: in[0], f: in[1], g: in[2], o: in[3], tc: in[4], c: in[5], vh: in[6], vc: in[7],
				gi: o[0], gf: o[1], gc: o[2], gout: o[3]}
			done := 0
			if simd {
				done = lstmGateGradsSIMD(s)
			}
			lstmGateGradsGo(s, done)
			return o, done
		}
	})
}

// The GRU's gate gradients likewise.
func TestGRUGateGradsSIMDSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	checkSIMDSameBits(t, func(h int) func(simd bool) ([][]float32, int) {
		in := gateOperands(rng, h, 5, 1, func(a int, v float32) float32 {
			if a < 2 { // r, z
				return v
			}
			return 4*v - 2 // n, W_hn h + b_hn, h_{t-1}
		})
		return func(simd bool) ([][]float32, int) {
			o := gateOutputs(h, 6)
			s := &gruGradSlices{r: in[0], z: in[1], n: in[2], aux: in[3], prev: in[4], v: in[5],
				ir: o[0], iz: o[1], in: o[2], hr: o[3], hz: o[4], hn: o[5]}
			done := 0
			if simd {
				done = gruGateGradsSIMD(s)
			}
			gruGateGradsGo(s, done)
			return o, done
		}
	})
}

// The LSTM's direct VJP likewise, both into its own outputs and in place over the
// adjoint it reads (dPrev may alias dNext).
func TestLSTMDirectVJPSIMDSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	checkSIMDSameBits(t, func(h int) func(simd bool) ([][]float32, int) {
		in := gateOperands(rng, h, 3, 2, func(a int, v float32) float32 {
			if a < 2 { // f, o
				return v
			}
			return 2*v - 1 // tanh(c')
		})
		return func(simd bool) ([][]float32, int) {
			o := gateOutputs(h, 4)
			copy(o[2], in[3])
			copy(o[3], in[4])
			done := 0
			for j, s := range []*lstmDirectSlices{
				{f: in[0], o: in[1], tc: in[2], vh: in[3], vc: in[4], dh: o[0], dc: o[1]},
				{f: in[0], o: in[1], tc: in[2], vh: o[2], vc: o[3], dh: o[2], dc: o[3]},
			} {
				d := 0
				if simd {
					d = lstmDirectVJPSIMD(s)
				}
				lstmDirectVJPGo(s, d)
				if j == 0 {
					done = d
				}
			}
			return o, done
		}
	})
}

// The vanilla tanh step's derivative and leaky state likewise, with and without a leak.
func TestVanillaTanhStepSIMDSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, alpha := range []float32{1, 0.3} {
		checkSIMDSameBits(t, func(h int) func(simd bool) ([][]float32, int) {
			in := gateOperands(rng, h, 2, 0, func(a int, v float32) float32 {
				if a == 0 { // φ = tanh(u)
					return 2*v - 1
				}
				return 4*v - 2 // s_{t-1}
			})
			return func(simd bool) ([][]float32, int) {
				o := gateOutputs(h, 2)
				copy(o[0], in[0])
				done := 0
				if simd {
					done = vanillaTanhStepSIMD(o[0], o[1], in[1], alpha, 1-alpha)
				}
				vanillaTanhStepGo(o[0], o[1], in[1], alpha, 1-alpha, done)
				return o, done
			}
		})
	}
}

// LSTM's cell update c' = f ⊙ c + i ⊙ g likewise.
func TestLSTMCellSIMDSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	checkSIMDSameBits(t, func(h int) func(simd bool) ([][]float32, int) {
		in := gateOperands(rng, h, 4, 0, func(a int, v float32) float32 {
			switch a {
			case 0, 2: // f, i
				return v
			case 1: // c_{t-1}
				return 8*v - 4
			default: // g
				return 2*v - 1
			}
		})
		return func(simd bool) ([][]float32, int) {
			o := gateOutputs(h, 2)
			done := 0
			if simd {
				done = lstmCellSIMD(o[0], o[1], in[0], in[1], in[2], in[3])
			}
			lstmCellGo(o[0], o[1], in[0], in[1], in[2], in[3], done)
			return o, done
		}
	})
}

// GRU's candidate pre-activation and state update likewise.
func TestGRUForwardSIMDSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	checkSIMDSameBits(t, func(h int) func(simd bool) ([][]float32, int) {
		in := gateOperands(rng, h, 5, 0, func(a int, v float32) float32 {
			switch a {
			case 0, 3: // r, z
				return v
			default: // W_in x + b_in, W_hn h + b_hn, h_{t-1}
				return 4*v - 2
			}
		})
		return func(simd bool) ([][]float32, int) {
			o := gateOutputs(h, 3) // hn, n, h'
			copy(o[1], in[1])
			done := 0
			if simd {
				done = gruCandidateSIMD(o[0], o[1], in[0], in[2])
			}
			gruCandidateGo(o[0], o[1], in[0], in[2], done)
			d := 0
			if simd {
				d = gruStateSIMD(o[2], in[3], o[1], in[4])
			}
			gruStateGo(o[2], in[3], o[1], in[4], d)
			return o, min(done, d)
		}
	})
}

// broadcastRows writes each source value into its whole row and nothing past the rows,
// on every tier, for row lengths around the avx2 routine's eight floats.
func TestBroadcastRows(t *testing.T) {
	onEveryTier(t, func(tier kernels.Tier) {
		for _, rows := range []int{0, 1, 5} {
			for _, b := range []int{1, 2, 7, 8, 9, 15, 16, 17, 32, 33} {
				src := make([]float32, rows)
				for r := range src {
					src[r] = float32(r) + 0.5
				}
				dst := make([]float32, rows*b+3)
				for i := range dst {
					dst[i] = -1
				}
				broadcastRows(dst, src, b)
				for i, v := range dst {
					want := float32(-1)
					if i < rows*b {
						want = src[i/b]
					}
					if v != want {
						t.Fatalf("%v, %d rows of %d: dst[%d] = %v, want %v", tier, rows, b, i, v, want)
					}
				}
			}
		}
	})
}

// storeColumns writes row r of src into row r of dst at column col and nothing else, on
// every tier, for row lengths around the avx2 routine's eight floats.
func TestStoreColumns(t *testing.T) {
	onEveryTier(t, func(tier kernels.Tier) {
		for _, rows := range []int{1, 5} {
			for _, seqs := range []int{1, 3, 7, 8, 9, 16, 17, 32} {
				for _, col := range []int{0, 3} {
					cols := col + seqs + 2
					src := make([]float32, rows*seqs)
					for i := range src {
						src[i] = float32(i) + 0.5
					}
					dst := make([]float32, rows*cols)
					for i := range dst {
						dst[i] = -1
					}
					storeColumns(dst, src, col, cols, seqs)
					for i, v := range dst {
						r, j := i/cols, i%cols-col
						want := float32(-1)
						if j >= 0 && j < seqs {
							want = src[r*seqs+j]
						}
						if v != want {
							t.Fatalf("%v, %d rows of %d at column %d of %d: dst[%d] = %v, want %v", tier, rows, seqs, col, cols, i, v, want)
						}
					}
				}
			}
		}
	})
}

// gateOperands returns gates operands of h values, operand a being gate(a, u) of a
// uniform u in [0, 1), then adjoints more: the state's adjoints (normal, every fifth
// tiny enough for subnormal products, the rest large).
func gateOperands(rng *rand.Rand, h, gates, adjoints int, gate func(a int, u float32) float32) [][]float32 {
	in := make([][]float32, gates+adjoints)
	for a := range in {
		in[a] = make([]float32, h)
		for u := range in[a] {
			switch v := rng.Float32(); {
			case a < gates:
				in[a][u] = gate(a, v)
			case u%5 == 0:
				in[a][u] = float32(rng.NormFloat64()) * 1e-39
			default:
				in[a][u] = float32(rng.NormFloat64()) * 1e3
			}
		}
	}
	return in
}

// gateOutputs returns n zeroed outputs of h values.
func gateOutputs(h, n int) [][]float32 {
	o := make([][]float32, n)
	for j := range o {
		o[j] = make([]float32, h)
	}
	return o
}

// checkSIMDSameBits, on every tier and for unit counts h around the routines'
// eight-unit step, gets from prepare(h) a run over fresh operands of h units and requires
// run(true) (the SIMD routine, then the scalar loop for the rest) to give run(false)'s
// bits (the scalar loop alone), and the routine to take the units on a SIMD tier where it
// exists (run returns the outputs and the units the routine took).
func checkSIMDSameBits(t *testing.T, prepare func(h int) (run func(simd bool) ([][]float32, int))) {
	t.Helper()
	onEveryTier(t, func(tier kernels.Tier) {
		for _, h := range []int{1, 7, 8, 9, 16, 23, 64, 4096} {
			run := prepare(h)
			want, _ := run(false)
			got, done := run(true)
			for j := range got {
				for u := range got[j] {
					if math.Float32bits(got[j][u]) != math.Float32bits(want[j][u]) {
						t.Fatalf("%v, h = %d: gradient %d of unit %d is %v, the scalar loop gives %v", tier, h, j, u, got[j][u], want[j][u])
					}
				}
			}
			if tier != kernels.Generic && h >= 8 && done == 0 && elementwiseHasSIMD {
				t.Fatalf("%v, h = %d: the SIMD routine took no unit", tier, h)
			}
		}
	})
}

// onEveryTier runs f with each kernel tier of this machine active in turn (and the tier
// restored even when f fails): testutil.ForEachTier's job for this package's internal
// tests, which cannot import testutil (it imports cell).
func onEveryTier(t *testing.T, f func(tier kernels.Tier)) {
	t.Helper()
	for _, tier := range kernels.Tiers() {
		restore, err := kernels.UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		func() {
			defer restore()
			f(tier)
		}()
	}
}
