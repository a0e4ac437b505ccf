package kernels

import (
	"encoding/binary"
	"math"
	"testing"
)

// The fuzz targets decode arbitrary bytes into sizes, offsets and float32 values (any bit
// pattern, so NaN, Inf, subnormals and huge values all appear) and compare every tier
// with generic. Run one with, for example, go test -fuzz=FuzzMatVec ./kernels.

func floatsFrom(data []byte, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		if len(data) >= 4 {
			s[i] = math.Float32frombits(binary.LittleEndian.Uint32(data))
			data = data[4:]
		} else {
			s[i] = float32(i%7) - 3
		}
	}
	return s
}

// fuzzClose is closeTo with a magnitude computed in float64 so that overflowing partial
// sums of huge random values are judged sanely: when the exact magnitude overflows
// float32, any result of the right kind is accepted.
func fuzzClose(got, want float32, mag float64) bool {
	if mag > math.MaxFloat32/64 || math.IsNaN(mag) {
		return math.IsNaN(float64(got)) == math.IsNaN(float64(want)) || math.IsInf(float64(got), 0) || math.IsInf(float64(want), 0)
	}
	return closeTo(got, want, float32(mag))
}

func eachTierFuzz(t *testing.T, f func()) {
	for _, tier := range Tiers() {
		if tier == Generic {
			continue
		}
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		f()
		restore()
	}
}

func FuzzLevel1(f *testing.F) {
	f.Add(uint16(17), uint8(3), float32(0.5), []byte("seed data for level-1 kernels....."))
	f.Add(uint16(0), uint8(0), float32(0), []byte{})
	f.Add(uint16(64), uint8(15), float32(-2), make([]byte, 300))
	f.Fuzz(func(t *testing.T, n16 uint16, off uint8, alpha float32, data []byte) {
		n := int(n16 % 600)
		o := int(off % 16)
		x := floatsFrom(data, o+n)[o:]
		y := floatsFrom(reverse(data), n)
		d := floatsFrom(data[len(data)/2:], n)
		eachTierFuzz(t, func() {
			var mag float64
			for i := range x {
				mag += math.Abs(float64(x[i]) * float64(y[i]))
			}
			if got, want := Dot(x, y), dotGeneric(x, y); !fuzzClose(got, want, mag) {
				t.Fatalf("%s Dot n=%d: %v, generic %v", Impl(), n, got, want)
			}
			for _, k := range elementwiseKernels {
				got, want := snapshot(d), snapshot(d)
				k.run(got, x, y, alpha)
				k.generic(want, x, y, alpha)
				for i := range got {
					m := float64(k.mag(d[i], x[i], y[i], alpha))
					if !fuzzClose(got[i], want[i], m) {
						t.Fatalf("%s %s n=%d [%d]: %v, generic %v", Impl(), k.name, n, i, got[i], want[i])
					}
				}
			}
		})
	})
}

// FuzzActivation feeds arbitrary float32 bit patterns (every special value reachable)
// at arbitrary lengths and offsets: each tier within 1 ulp of generic, generic within
// activationMaxULP of the float64 truth, in place equal to out of place.
func FuzzActivation(f *testing.F) {
	f.Add(uint16(17), uint8(3), []byte("seed data for the activation kernels"))
	f.Add(uint16(0), uint8(0), []byte{})
	f.Add(uint16(40), uint8(7), []byte{0, 0, 0x80, 0x7f, 0, 0, 0x80, 0xff, 1, 0, 0xc0, 0x7f, 0, 0, 0, 0x80})
	f.Fuzz(func(t *testing.T, n16 uint16, off uint8, data []byte) {
		n := int(n16 % 600)
		o := int(off % 16)
		x := floatsFrom(data, o+n)[o:]
		for _, a := range activations {
			want := make([]float32, n)
			a.generic(want, x)
			for i, v := range x {
				if e := ulpErr(want[i], a.ref(v)); e > activationMaxULP {
					t.Fatalf("generic %s(%g) = %g, true %g: %.2f ulp", a.name, v, want[i], a.ref(v), e)
				}
			}
			eachTierFuzz(t, func() {
				got := make([]float32, n)
				a.run(got, x)
				in := snapshot(x)
				a.run(in, in)
				for i := range got {
					if ulpDist(got[i], want[i]) > 1 || math.Float32bits(in[i]) != math.Float32bits(got[i]) {
						t.Fatalf("%s %s(%g) n=%d [%d]: %g (in place %g), generic %g", Impl(), a.name, x[i], n, i, got[i], in[i], want[i])
					}
				}
			})
		}
	})
}

func reverse(b []byte) []byte {
	r := make([]byte, len(b))
	for i, v := range b {
		r[len(b)-1-i] = v
	}
	return r
}

func fuzzMat(rows, cols, pad int, data []byte) Mat {
	stride := cols + pad
	m := Mat{Rows: rows, Cols: cols, Stride: stride}
	m.Data = floatsFrom(data, m.extent())
	return m
}

func FuzzMatVec(f *testing.F) {
	f.Add(uint8(5), uint8(17), uint8(2), []byte("matvec seed bytes, any will do........"))
	f.Add(uint8(1), uint8(1), uint8(0), []byte{0, 0, 0x80, 0x7f})
	f.Fuzz(func(t *testing.T, r8, c8, p8 uint8, data []byte) {
		rows, cols, pad := int(r8%70)+1, int(c8%140)+1, int(p8%5)
		a := fuzzMat(rows, cols, pad, data)
		x := floatsFrom(reverse(data), cols)
		xr := floatsFrom(data[len(data)/3:], rows)
		eachTierFuzz(t, func() {
			for _, acc := range []bool{false, true} {
				got, want := snapshot(xr), snapshot(xr)
				matVec(got, a, x, acc)
				matVecGeneric(want, a, x, acc)
				for i := range got {
					mag := 0.0
					if acc {
						mag = math.Abs(float64(xr[i]))
					}
					for j := range x {
						mag += math.Abs(float64(a.At(i, j)) * float64(x[j]))
					}
					if !fuzzClose(got[i], want[i], mag) {
						t.Fatalf("%s MatVec %dx%d acc=%v y[%d]: %v, generic %v", Impl(), rows, cols, acc, i, got[i], want[i])
					}
				}
			}
			got, want := snapshot(x), snapshot(x)
			MatTVecAdd(got, a, xr)
			matTVecAddGeneric(want, a, xr)
			for j := range got {
				mag := math.Abs(float64(x[j]))
				for i := range xr {
					mag += math.Abs(float64(a.At(i, j)) * float64(xr[i]))
				}
				if !fuzzClose(got[j], want[j], mag) {
					t.Fatalf("%s MatTVecAdd %dx%d y[%d]: %v, generic %v", Impl(), rows, cols, j, got[j], want[j])
				}
			}
		})
	})
}

func FuzzGer(f *testing.F) {
	f.Add(uint8(5), uint8(17), uint8(2), float32(0.5), []byte("ger seed bytes, any will do........"))
	f.Fuzz(func(t *testing.T, r8, c8, p8 uint8, alpha float32, data []byte) {
		rows, cols, pad := int(r8%70)+1, int(c8%140)+1, int(p8%5)
		a := fuzzMat(rows, cols, pad, data)
		x := floatsFrom(reverse(data), rows)
		y := floatsFrom(data[len(data)/3:], cols)
		eachTierFuzz(t, func() {
			got := Mat{Rows: rows, Cols: cols, Stride: a.Stride, Data: snapshot(a.Data)}
			want := Mat{Rows: rows, Cols: cols, Stride: a.Stride, Data: snapshot(a.Data)}
			Ger(got, alpha, x, y)
			gerGeneric(want, alpha, x, y)
			for i := 0; i < rows; i++ {
				for j := 0; j < cols; j++ {
					mag := math.Abs(float64(a.At(i, j))) + math.Abs(float64(alpha)*float64(x[i])*float64(y[j]))
					if !fuzzClose(got.At(i, j), want.At(i, j), mag) {
						t.Fatalf("%s Ger %dx%d [%d][%d]: %v, generic %v", Impl(), rows, cols, i, j, got.At(i, j), want.At(i, j))
					}
				}
			}
		})
	})
}

func FuzzGemm(f *testing.F) {
	f.Add(uint8(5), uint8(17), uint8(9), uint8(1), []byte("gemm seed bytes, any will do........"))
	f.Add(uint8(33), uint8(70), uint8(40), uint8(0), make([]byte, 64))
	f.Fuzz(func(t *testing.T, m8, n8, k8, p8 uint8, data []byte) {
		m, n, k, pad := int(m8%80)+1, int(n8%150)+1, int(k8%90)+1, int(p8%4)
		a := fuzzMat(m, k, pad, data)
		b := fuzzMat(k, n, pad, reverse(data))
		c0 := fuzzMat(m, n, pad, data[len(data)/2:])
		eachTierFuzz(t, func() {
			got := Mat{Rows: m, Cols: n, Stride: c0.Stride, Data: snapshot(c0.Data)}
			want := Mat{Rows: m, Cols: n, Stride: c0.Stride, Data: snapshot(c0.Data)}
			Gemm(got, a, b)
			gemmGeneric(want, a, b)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					mag := math.Abs(float64(c0.At(i, j)))
					for l := 0; l < k; l++ {
						mag += math.Abs(float64(a.At(i, l)) * float64(b.At(l, j)))
					}
					if !fuzzClose(got.At(i, j), want.At(i, j), mag) {
						t.Fatalf("%s Gemm %dx%dx%d [%d][%d]: %v, generic %v", Impl(), m, n, k, i, j, got.At(i, j), want.At(i, j))
					}
				}
			}
		})
	})
}
