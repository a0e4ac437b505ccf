package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// MulInPlace and GemmPacked compute the loops of their doc comments on every tier, for
// row counts around the micro-kernels' tiles, K within one K block and across several,
// strided X, A and C, without writing outside the rows they are given.
func TestPackedProducts(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	forEveryTier(t, func(t *testing.T) {
		for _, k := range []int{1, 3, 8, 16, 17, 33, 64, 129, 300, 520} {
			for _, rows := range []int{1, 5, 6, 7, 8, 9, 16, 23, 64} {
				for _, stride := range []int{k, k + 3} {
					name := fmt.Sprintf("K=%d rows=%d stride=%d", k, rows, stride)
					b := NewMat(k, k)
					randFill(r, b.Data)
					pb := NewPackedMat(k, k)
					if k%2 == 0 {
						pb.Pack(b)
					} else {
						bt := NewMat(k, k)
						for i := range k {
							for j := range k {
								bt.Set(j, i, b.At(i, j))
							}
						}
						pb.PackTransposed(bt)
					}
					x, checkX := guardedMat(r, matShape{rows, k, stride}, rows%16)
					x0 := snapshot(x.Data)
					// The reference, in float64 from the original rows.
					want := make([]float64, rows*k)
					mag := make([]float64, rows*k)
					for i := range rows {
						for j := range k {
							for kk := range k {
								v := float64(x0[i*stride+kk]) * float64(b.At(kk, j))
								want[i*k+j] += v
								mag[i*k+j] += math.Abs(v)
							}
						}
					}
					c, checkC := guardedMat(r, matShape{rows, k, stride + 1}, (rows+3)%16)
					c0 := snapshot(c.Data)
					a := Mat{Rows: rows, Cols: k, Stride: stride, Data: x0}
					GemmPacked(c, a, pb)
					MulInPlace(x, pb)
					for i := range rows {
						for j := range k {
							w, m := want[i*k+j], mag[i*k+j]
							if got := x.At(i, j); !closeTo(got, float32(w), float32(m)) {
								t.Fatalf("%s: MulInPlace (%d, %d) = %v, want %v", name, i, j, got, w)
							}
							c0ij := c0[i*(stride+1)+j]
							if got := c.At(i, j); !closeTo(got, float32(w)+c0ij, float32(m)+abs32(c0ij)) {
								t.Fatalf("%s: GemmPacked (%d, %d) = %v, want %v", name, i, j, got, w+float64(c0ij))
							}
						}
					}
					checkX(t, name+" X")
					checkC(t, name+" C")
				}
			}
		}
	})
}

// A PackedMat packed under one tier and used under another still gives the product
// (through its plain copy), and rows computed concurrently in ranges equal the whole.
func TestPackedMatAcrossTiersAndRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	const k, rows = 96, 200
	b := NewMat(k, k)
	randFill(r, b.Data)
	pb := NewPackedMat(k, k)
	pb.Pack(b)
	x := NewMat(rows, k)
	randFill(r, x.Data)
	whole := NewMat(rows, k)
	copy(whole.Data, x.Data)
	MulInPlace(whole, pb)
	var wg sync.WaitGroup
	for lo := 0; lo < rows; lo += 37 {
		wg.Add(1)
		go func(lo int) {
			defer wg.Done()
			MulInPlace(x.Slice(lo, min(rows, lo+37), 0, k), pb)
		}(lo)
	}
	wg.Wait()
	if !sameBits(x.Data, whole.Data) {
		t.Fatal("rows computed in ranges differ from the whole")
	}
	for _, tier := range Tiers() {
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		y := NewMat(rows, k)
		copy(y.Data, x.Data)
		MulInPlace(y, pb) // packed for the default tier, used under this one
		z := NewMat(rows, k)
		copy(z.Data, x.Data)
		mulInPlaceGeneric(z, b)
		for i := range y.Data {
			if !closeTo(y.Data[i], z.Data[i], 1e3) {
				t.Fatalf("%v: element %d is %v, generic %v", tier, i, y.Data[i], z.Data[i])
			}
		}
		restore()
	}
}

func TestPackedMatPanics(t *testing.T) {
	pb := NewPackedMat(4, 4)
	for _, c := range []struct {
		name, want string
		f          func()
	}{
		{"pack shape", "B is 3×4, the PackedMat 4×4", func() { pb.Pack(NewMat(3, 4)) }},
		{"pack transposed shape", "A is 4×5, the PackedMat 4×4", func() { pb.PackTransposed(NewMat(4, 5)) }},
		{"in place width", "X is 2×3, B 4×4", func() { MulInPlace(NewMat(2, 3), pb) }},
		{"in place square", "B must be square", func() { MulInPlace(NewMat(2, 4), NewPackedMat(4, 5)) }},
		{"gemm shapes", "GemmPacked: C is 2×4, A is 2×3", func() { GemmPacked(NewMat(2, 4), NewMat(2, 3), pb) }},
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, c.want) {
					t.Errorf("%s: panic %q, want one containing %q", c.name, msg, c.want)
				}
			}()
			c.f()
		}()
	}
	if PackedMatFloats(3, 40) != 3*40+3*64 {
		t.Errorf("PackedMatFloats(3, 40) = %d", PackedMatFloats(3, 40))
	}
}

// A steady-state packed product allocates nothing.
func TestPackedAllocations(t *testing.T) {
	pb := NewPackedMat(64, 64)
	b, x, c := NewMat(64, 64), NewMat(50, 64), NewMat(50, 64)
	pb.Pack(b)
	MulInPlace(x, pb)
	if n := testing.AllocsPerRun(20, func() {
		pb.Pack(b)
		MulInPlace(x, pb)
		GemmPacked(c, x, pb)
	}); n != 0 {
		t.Fatalf("%v allocations per call", n)
	}
}
