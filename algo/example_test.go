package algo_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
)

// The registry: parse a specification (validated without a model), build it for a model,
// stream a sequence through it, read the gradient, close it.
func Example() {
	m, _ := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: 16, Input: 2}, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	cell.InitDefault(m.Layers[0], rng)
	m.Head.InitDefault(rng)

	spec, err := algo.Parse("tbptt:10,20")
	if err != nil {
		panic(err)
	}
	d := algo.DimsOf(cell.GRU, 16, 2, 1)
	fmt.Printf("%s: %s; %.0f FLOPs per step, %d bytes over 100 steps\n",
		spec, spec.Info().Summary, spec.FLOPsPerStep(d), spec.Bytes(d, algo.Options{Steps: 100}))

	a, err := spec.New(m, algo.Options{Steps: 100})
	if err != nil {
		panic(err)
	}
	defer a.Close()
	_ = a.Reset(nil)
	var loss float64
	for t := range 100 {
		x := []float32{float32(math.Sin(0.3 * float64(t))), 1}
		l, err := a.Step(x, cell.Values([]float32{float32(math.Sin(0.3 * float64(t+1)))}))
		if err != nil {
			panic(err)
		}
		loss += float64(l)
	}
	_ = a.Finish()
	fmt.Printf("loss %.3f, %d cell gradients, %d bytes held\n", loss, len(a.GradCell()), a.Bytes())

	_, err = algo.Parse("tbptt:20,10")
	fmt.Println(err)
	// Output:
	// tbptt:10,20: truncated to K2 steps, every K1 steps; 8736 FLOPs per step, 16168 bytes over 100 steps
	// loss 22.420, 960 cell gradients, 16168 bytes held
	// tbptt:20,10: K2=10 must be at least K1=20 (the form is tbptt:K1,K2)
}

// A model PyTorch made (an nn.GRU and an nn.Linear head saved with safetensors, as
// cmd/chronograd/testdata/gen_grad_golden.py does) loads with its tensor names, and every
// exact algorithm gives it the same gradient.
func Example_pyTorchModel() {
	m, err := cell.LoadModel("../cmd/chronograd/testdata/grad_gru.model.safetensors")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%v: H=%d, I=%d, O=%d\n", m.Layers[0].Kind(), m.Layers[0].HiddenSize(), m.Layers[0].InputSize(), m.Head.OutSize())
	bhh := m.Layers[0].Layout().BiasHH
	for _, name := range []string{"bptt", "rtrl"} {
		a, err := algo.MustParse(name).New(m, algo.Options{})
		if err != nil {
			panic(err)
		}
		_ = a.Reset(nil)
		var loss float32
		for t := range 8 {
			x := []float32{float32(t) / 8, 1, -0.5}
			l, _ := a.Step(x, cell.Values([]float32{0.25, -0.25}))
			loss += l
		}
		_ = a.Finish()
		fmt.Printf("%s: loss %.4f, ∂L/∂bias_hh_l0[0] = %.4f\n", name, loss, a.GradCell()[bhh])
		a.Close()
	}
	// Output:
	// gru: H=5, I=3, O=2
	// bptt: loss 4.7171, ∂L/∂bias_hh_l0[0] = 0.0897
	// rtrl: loss 4.7171, ∂L/∂bias_hh_l0[0] = 0.0897
}

// A two-layer LSTM trained on minibatches with cross-entropy: four sequences step
// together (x holds them one after another, as the batch's rows), each step's target is
// one class per sequence (cell.IgnoreClass: no loss at that step for that sequence), and
// the batch is spread over two goroutines, which changes no bit of the gradient.
func Example_stackedMinibatch() {
	const B, T, in, classes = 4, 12, 3, 5
	m, _ := cell.NewStack(cell.Config{Kind: cell.LSTM, Hidden: 16, Input: in}, 2, classes)
	m.Init(rand.New(rand.NewPCG(1, 2)), cell.InitDefault)

	a, err := algo.MustParse("bptt").New(m, algo.Options{Steps: T, Batch: B, Workers: 2})
	if err != nil {
		panic(err)
	}
	defer a.Close()
	_ = a.Reset(nil)
	x, y := make([]float32, B*in), make([]int32, B)
	var loss float32
	for t := range T {
		for b := range B {
			for i := range in {
				x[b*in+i] = float32(math.Sin(float64(t*(b+1)+i) / 3))
			}
			y[b] = int32((t + b) % classes)
			if t < 2 {
				y[b] = cell.IgnoreClass // the first two steps are scored for no sequence
			}
		}
		l, err := a.Step(x, cell.Classes(y...))
		if err != nil {
			panic(err)
		}
		loss += l
	}
	_ = a.Finish()
	fmt.Printf("%d layers, %d parameters; loss summed over %d scored steps of %d sequences: %.3f\n",
		len(m.Layers), m.NumParams(), T-2, B, loss)
	fmt.Printf("∂L/∂(layer 1's parameters) has %d entries\n", len(m.LayerVector(a.GradCell(), 1)))
	// Output:
	// 2 layers, 3520 parameters; loss summed over 10 scored steps of 4 sequences: 64.785
	// ∂L/∂(layer 1's parameters) has 2176 entries
}
