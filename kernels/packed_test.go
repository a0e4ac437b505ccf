package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// packedShapes cover partial row panels (M not a multiple of 6 or 8), partial column
// blocks, several K blocks (K past 128, 256 and 512), thin products that the tiers run
// outside the blocked driver (N < 4, tiny M·N·K), and a minibatch step's shapes.
var packedShapes = [][3]int{
	{1, 1, 1}, {3, 5, 7}, {6, 16, 9}, {7, 5, 300}, {8, 32, 16}, {9, 33, 130},
	{17, 48, 300}, {31, 1, 5}, {200, 2, 64}, {64, 40, 513}, {130, 17, 257},
	{512, 32, 128}, {128, 8, 512}, {37, 19, 23},
}

// GemmPacked has Gemm's bits (GemmTN's when packed with PackT) on every tier, serial and
// split over workers, and a packed copy is a snapshot: writing A after Pack changes
// nothing until A is packed again.
func TestPackedWorkersSameBits(t *testing.T) {
	pools := []*Workers{nil, NewWorkers(2), NewWorkers(3)}
	defer func() {
		for _, w := range pools {
			w.Close()
		}
	}()
	var p, pt Packed // reused across shapes and tiers, as a caller reuses them
	for _, tier := range Tiers() {
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range packedShapes {
			m, n, k := s[0], s[1], s[2]
			for _, pad := range []int{0, 3} {
				rng := rand.New(rand.NewPCG(uint64(m*n+pad), uint64(k)))
				a := newGemmCase(rng, m, n, k, pad).a
				at := transposeMat(a, pad)
				b := newGemmCase(rng, k, 1, n, pad).a
				c0 := NewMat(m, n)
				randFill(rng, c0.Data)
				// Packed for B's width, and (below) for another: the bits hold either way.
				p.Pack(a, n)
				pt.PackT(at, n)
				want, wantT := NewMat(m, n), NewMat(m, n)
				copy(want.Data, c0.Data)
				copy(wantT.Data, c0.Data)
				Gemm(want, a, b)
				GemmTN(wantT, at, b)
				// A snapshot: overwrite the sources; the packed products must not see it
				// on the tiers that pack (the generic one reads its source, as documented).
				saved, savedT := slices.Clone(a.Data), slices.Clone(at.Data)
				if len(p.data) > 0 {
					for i := range a.Data {
						a.Data[i] = 1e30
					}
				}
				if len(pt.data) > 0 {
					for i := range at.Data {
						at.Data[i] = 1e30
					}
				}
				name := fmt.Sprintf("%v %dx%dx%d pad %d", tier, m, n, k, pad)
				for _, w := range pools {
					got, gotT := NewMat(m, n), NewMat(m, n)
					copy(got.Data, c0.Data)
					copy(gotT.Data, c0.Data)
					if w == nil {
						GemmPacked(got, &p, b)
						GemmPacked(gotT, &pt, b)
					} else {
						GemmPackedOn(w, got, &p, b)
						GemmPackedOn(w, gotT, &pt, b)
					}
					// Products outside the blocked driver read the source: restore it for
					// them and compare only what the packed copy computed.
					if !slices.Equal(got.Data, want.Data) && !usesSource(&p, got, b) {
						t.Errorf("%s on %d workers: GemmPacked has other bits than Gemm", name, w.Size())
					}
					if !slices.Equal(gotT.Data, wantT.Data) && !usesSource(&pt, gotT, b) {
						t.Errorf("%s on %d workers: GemmPacked(PackT) has other bits than GemmTN", name, w.Size())
					}
				}
				copy(a.Data, saved)
				copy(at.Data, savedT)
				// With the sources back, every product (blocked or not) matches.
				for _, w := range pools {
					got, gotT := NewMat(m, n), NewMat(m, n)
					copy(got.Data, c0.Data)
					copy(gotT.Data, c0.Data)
					GemmPackedOn(w, got, &p, b)
					GemmPackedOn(w, gotT, &pt, b)
					if !slices.Equal(got.Data, want.Data) || !slices.Equal(gotT.Data, wantT.Data) {
						t.Errorf("%s on %d workers: packed products differ from Gemm/GemmTN", name, w.Size())
					}
					var q, qt Packed
					q.Pack(a, 40-n)
					qt.PackT(at, 40-n)
					copy(got.Data, c0.Data)
					copy(gotT.Data, c0.Data)
					GemmPackedOn(w, got, &q, b)
					GemmPackedOn(w, gotT, &qt, b)
					if !slices.Equal(got.Data, want.Data) || !slices.Equal(gotT.Data, wantT.Data) {
						t.Errorf("%s on %d workers: products packed for %d columns differ from Gemm/GemmTN", name, w.Size(), 40-n)
					}
				}
			}
		}
		restore()
	}
}

// usesSource reports whether GemmPacked runs this product on p's source rather than on
// the packed copy (the generic tier, or a product the tier runs outside the blocked
// driver).
func usesSource(p *Packed, c, b Mat) bool {
	return !packedRuns(c, p)
}

// A Packed made on one tier still gives the active tier's bits after a switch; packing
// allocates nothing once its memory has grown; a steady-state product allocates nothing.
func TestPackedTierSwitchAndAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	a, b := NewMat(130, 257), NewMat(257, 32)
	randFill(rng, a.Data)
	randFill(rng, b.Data)
	var p Packed
	p.Pack(a, 32)
	for _, tier := range Tiers() {
		restore, err := UseTier(tier)
		if err != nil {
			t.Fatal(err)
		}
		want, got := NewMat(130, 32), NewMat(130, 32)
		Gemm(want, a, b)
		GemmPacked(got, &p, b)
		if !slices.Equal(got.Data, want.Data) {
			t.Errorf("%v: a copy packed on another tier gave other bits than Gemm", tier)
		}
		restore()
	}
	p.Pack(a, 32)
	c := NewMat(130, 32)
	for _, tier := range Tiers() {
		restore, _ := UseTier(tier)
		for _, n := range []int{1, 8, 9, 32} {
			p.Pack(a, n)
			q := Packed{}
			q.PackT(a, n)
			if p.Bytes() != PackedBytes(130, 257, n) || q.Bytes() != PackedBytes(257, 130, n) {
				t.Errorf("%v, n = %d: Pack holds %d bytes, PackT %d; PackedBytes says %d and %d", tier, n, p.Bytes(), q.Bytes(), PackedBytes(130, 257, n), PackedBytes(257, 130, n))
			}
		}
		restore()
	}
	p.Pack(a, 32)
	if n := testing.AllocsPerRun(5, func() { p.Pack(a, 32) }); n != 0 {
		t.Errorf("packing again allocates %v times", n)
	}
	if n := testing.AllocsPerRun(5, func() { GemmPacked(c, &p, b) }); n != 0 {
		t.Errorf("GemmPacked allocates %v times", n)
	}
}

// Shapes that do not match panic with a message naming them.
func TestPackedShapeMismatch(t *testing.T) {
	var p Packed
	p.Pack(NewMat(4, 5), 3)
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.Contains(s, "GemmPacked: C is 4×3, A is 4×5, B is 6×3") {
			t.Fatalf("panic %v, want one naming the shapes", r)
		}
	}()
	GemmPacked(NewMat(4, 3), &p, NewMat(6, 3))
}
