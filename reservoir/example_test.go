package reservoir_test

import (
	"fmt"
	"math"

	"github.com/chronograd/chronograd/reservoir"
	"github.com/chronograd/chronograd/task"
)

// An echo-state network predicts the Mackey-Glass series one step ahead: drive the
// reservoir, collect its states with the next value as target, solve the ridge readout in
// closed form, then predict unseen steps.
func Example() {
	series, err := task.DefaultMackeyGlass().Generate(3001)
	if err != nil {
		panic(err)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range series {
		lo, hi = min(lo, v), max(hi, v)
	}
	u := func(t int) float32 { return float32(2*(series[t]-lo)/(hi-lo) - 1) } // in [−1, 1]
	net, err := reservoir.New(reservoir.Config{Units: 200, Inputs: 1, Density: 0.1, SpectralRadius: 1.25,
		InputScaling: 1, Leak: 0.3, Seed: 1})
	if err != nil {
		panic(err)
	}
	ridge, err := reservoir.NewRidgeRegression(200, 1, 100) // 100 washout steps
	if err != nil {
		panic(err)
	}
	for t := range 2000 {
		ridge.Add(net.Step([]float32{u(t)}), []float32{u(t + 1)})
	}
	readout, err := ridge.Solve(1e-5)
	if err != nil {
		panic(err)
	}
	var se, mean, varsum float64
	for t := 2000; t < 3000; t++ {
		mean += float64(u(t+1)) / 1000
	}
	y := make([]float32, 1)
	for t := 2000; t < 3000; t++ {
		readout.Predict(y, net.Step([]float32{u(t)}))
		d := float64(y[0] - u(t+1))
		se += d * d
		varsum += (float64(u(t+1)) - mean) * (float64(u(t+1)) - mean)
	}
	nrmse := math.Sqrt(se / varsum)
	fmt.Println("one-step NRMSE below 0.01:", nrmse < 0.01)
	// Output: one-step NRMSE below 0.01: true
}
