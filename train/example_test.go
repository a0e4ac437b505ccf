package train_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/rtrl"
	"github.com/chronograd/chronograd/train"
)

// A service that learns online: every event is one Observe call (input in, prediction
// and loss out, weights updated by SnAp-1), allocation-free, with a snapshot written
// atomically while it runs. Here the events are a noisy sine wave and the model learns to
// predict the next value.
func ExampleOnline() {
	m, err := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: 16, Input: 1}, 1)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cell.InitDefault(m.Layers[0], rng)
	m.Head.InitDefault(rng)
	alg, err := rtrl.NewSnAp1(m, rtrl.SnAp1Options{})
	if err != nil {
		panic(err)
	}
	learner, err := train.NewOnline(m, alg, &train.Adam{LR: 0.001}, train.OnlineConfig{ClipNorm: 1})
	if err != nil {
		panic(err)
	}

	pred, x, y := make([]float32, 1), make([]float32, 1), make([]float32, 1)
	var first, last float64
	for event := 0; event < 6000; event++ {
		x[0] = float32(math.Sin(0.2*float64(event)) + 0.01*rng.NormFloat64())
		y[0] = float32(math.Sin(0.2 * float64(event+1)))
		loss, err := learner.Observe(pred, x, y)
		if err != nil { // a bad event is refused with an error; the learner carries on
			fmt.Println("refused:", err)
			continue
		}
		switch {
		case event < 500:
			first += float64(loss) / 500
		case event >= 5500:
			last += float64(loss) / 500
		}
	}
	_, err = learner.Observe(pred, []float32{float32(math.NaN())}, y)
	fmt.Println("a NaN input:", err)

	dir, _ := os.MkdirTemp("", "online")
	defer os.RemoveAll(dir)
	if err := learner.Snapshot(filepath.Join(dir, "model.safetensors")); err != nil {
		panic(err)
	}
	fmt.Println("events:", learner.Events())
	fmt.Println("loss fell more than tenfold:", last < first/10)
	// Output:
	// a NaN input: train: input[0] is NaN
	// events: 6000
	// loss fell more than tenfold: true
}
