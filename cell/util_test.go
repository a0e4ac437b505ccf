package cell_test

import "math"

func tanh(x float32) float32 { return float32(math.Tanh(float64(x))) }
func nan() float64           { return math.NaN() }
