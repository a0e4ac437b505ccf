package kernels

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Transpose gives every element its place on every tier, for shapes around its 8×8
// blocks and four-row groups and strided views on both sides, and leaves dst's padding
// alone; mismatched shapes panic with a message naming them.
func TestTranspose(t *testing.T) {
	forEveryTier(t, testTranspose)
}

func testTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, rows := range []int{0, 1, 3, 4, 5, 8, 12, 16, 33, 128} {
		for _, cols := range []int{0, 1, 2, 7, 8, 9, 32, 45} {
			for _, pad := range []int{0, 3} {
				src := Mat{Rows: rows, Cols: cols, Stride: cols + pad, Data: make([]float32, max(0, rows*(cols+pad)))}
				randFill(rng, src.Data)
				dst := Mat{Rows: cols, Cols: rows, Stride: rows + pad, Data: make([]float32, max(0, cols*(rows+pad)))}
				for i := range dst.Data {
					dst.Data[i] = -7
				}
				Transpose(dst, src)
				for i := range rows {
					for j := range cols {
						if dst.At(j, i) != src.At(i, j) {
							t.Fatalf("%d×%d pad %d: (%d, %d) is %v, want %v", rows, cols, pad, j, i, dst.At(j, i), src.At(i, j))
						}
					}
				}
				for j := range cols {
					for k := rows; k < rows+pad && j*dst.Stride+k < len(dst.Data); k++ {
						if dst.Data[j*dst.Stride+k] != -7 {
							t.Fatalf("%d×%d pad %d: padding written", rows, cols, pad)
						}
					}
				}
			}
		}
	}
	defer func() {
		if r := recover(); !strings.Contains(fmt.Sprint(r), "Transpose: dst is 3×4, src is 3×4") {
			t.Fatalf("panic %v, want one naming the shapes", r)
		}
	}()
	Transpose(NewMat(3, 4), NewMat(3, 4))
}
