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
