package kernels_test

import (
	"fmt"

	"github.com/chronograd/chronograd/kernels"
)

// MatVec computes y = A·x for a row-major A; here a 2×3 matrix times a 3-vector.
func ExampleMatVec() {
	a := kernels.MatOf(2, 3, []float32{
		1, 2, 3,
		4, 5, 6,
	})
	x := []float32{1, 0, -1}
	y := make([]float32, 2)
	kernels.MatVec(y, a, x)
	fmt.Println(y)
	// Output: [-2 -2]
}

// MatVec also takes a view of part of a larger matrix: Slice keeps the parent's stride,
// and the columns outside the view are neither read nor written.
func ExampleMatVec_slice() {
	big := kernels.MatOf(3, 4, []float32{
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
	})
	a := big.Slice(1, 3, 1, 3) // rows 1-2, columns 1-2: [[6 7] [10 11]]
	y := make([]float32, 2)
	kernels.MatVec(y, a, []float32{1, 1})
	fmt.Println(y)
	// Output: [13 21]
}

// Gemm adds A·B to C, so C's old values are kept: here C starts as the identity and
// ends as I + A·B. MatMul stores A·B instead.
func ExampleGemm() {
	a := kernels.MatOf(2, 3, []float32{
		1, 2, 3,
		4, 5, 6,
	})
	b := kernels.MatOf(3, 2, []float32{
		1, 0,
		0, 1,
		1, 1,
	})
	c := kernels.MatOf(2, 2, []float32{
		1, 0,
		0, 1,
	})
	kernels.Gemm(c, a, b)
	fmt.Println(c.Row(0), c.Row(1))

	kernels.MatMul(c, a, b)
	fmt.Println(c.Row(0), c.Row(1))
	// Output:
	// [5 5] [10 12]
	// [4 5] [10 11]
}

// A weight matrix packed once multiplies every step's batch of columns with Gemm's bits:
// here W (4×3) times two steps' X (3×2 each, two sequences), packed for B = 2 columns.
func ExampleGemmPacked() {
	w := kernels.MatOf(4, 3, []float32{
		1, 0, 0,
		0, 1, 0,
		0, 0, 1,
		1, 1, 1,
	})
	var pw kernels.Packed
	pw.Pack(w, 2)
	for _, x := range [][]float32{{1, 2, 3, 4, 5, 6}, {0, 1, 0, -1, 1, 1}} {
		c := kernels.NewMat(4, 2)
		kernels.GemmPacked(c, &pw, kernels.MatOf(3, 2, x))
		fmt.Println(c.Data)
	}
	// Output:
	// [1 2 3 4 5 6 9 12]
	// [0 1 0 -1 1 1 1 1]
}

// Transpose turns a minibatch's rows (one per sequence) into the feature-major layout
// the products take: here two sequences of three inputs.
func ExampleTranspose() {
	rows := kernels.MatOf(2, 3, []float32{
		1, 2, 3,
		4, 5, 6,
	})
	fm := kernels.NewMat(3, 2)
	kernels.Transpose(fm, rows)
	fmt.Println(fm.Data)
	// Output: [1 4 2 5 3 6]
}
