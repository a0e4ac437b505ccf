package train_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/rtrl"
	"github.com/chronograd/chronograd/train"
)

// A stream learner that checkpoints and resumes: the service checkpoints its learner
// (weights, Adam's moments, SnAp-1's traces, the recurrent state, the event counts) now
// and then; after a restart, Resume rebuilds the learner from the file and it carries on
// exactly where the checkpointed one was. Here the "restart" is in the same process, so
// the original can show that the resumed learner predicts bit for bit as it does.
func ExampleOnline_Checkpoint() {
	newLearner := func() *train.Online {
		m, err := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: 8, Input: 1}, 1)
		if err != nil {
			panic(err)
		}
		rng := rand.New(rand.NewPCG(1, 2)) // math/rand/v2
		cell.InitDefault(m.Layers[0], rng)
		m.Head.InitDefault(rng)
		alg, err := rtrl.NewSnAp1(m, rtrl.SnAp1Options{})
		if err != nil {
			panic(err)
		}
		l, err := train.NewOnline(m, alg, &train.Adam{LR: 0.01}, train.OnlineConfig{ClipNorm: 1})
		if err != nil {
			panic(err)
		}
		return l
	}
	// event t of a sine wave: x_t and the next value as its target.
	event := func(t int) (x, y []float32) {
		return []float32{float32(math.Sin(0.3 * float64(t)))}, []float32{float32(math.Sin(0.3 * float64(t+1)))}
	}
	dir, err := os.MkdirTemp("", "learner")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "learner.ckpt")

	learner := newLearner()
	pred := make([]float32, 1)
	for t := range 500 {
		x, y := event(t)
		if _, err := learner.Observe(pred, x, y); err != nil {
			panic(err)
		}
	}
	if err := learner.Checkpoint(path); err != nil { // atomic: a crash leaves the old file
		panic(err)
	}

	// After a restart: the model comes from the checkpoint, the algorithm is built for it
	// (the same kind and options as before), the optimizer is given its hyperparameters
	// again and the checkpoint supplies its moments.
	resumed, err := train.Resume(path, func(m *cell.Model) (algo.Algorithm, error) {
		return rtrl.NewSnAp1(m, rtrl.SnAp1Options{})
	}, &train.Adam{LR: 0.01}, train.OnlineConfig{ClipNorm: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println("resumed after", resumed.Events(), "events")

	same := true
	predResumed := make([]float32, 1)
	for t := 500; t < 700; t++ {
		x, y := event(t)
		if t%5 == 0 {
			y = nil // no target: the state moves on, the optimizer does not run
		}
		if _, err := learner.Observe(pred, x, y); err != nil {
			panic(err)
		}
		if _, err := resumed.Observe(predResumed, x, y); err != nil {
			panic(err)
		}
		same = same && math.Float32bits(pred[0]) == math.Float32bits(predResumed[0])
	}
	fmt.Println("predictions identical to the learner that never stopped:", same)
	fmt.Println("events:", resumed.Events(), "updates:", resumed.Updates())
	// Output:
	// resumed after 500 events
	// predictions identical to the learner that never stopped: true
	// events: 700 updates: 660
}

// One goroutine learns from a stream while another serves predictions. The learner is
// safe to share: Observe, CopyWeights, Checkpoint, Snapshot, Restore and Reset take its
// lock. The serving goroutine never reads the learner's model (Observe updates it in
// place); it steps a model of its own, with its own state and cache, and refreshes that
// model's weights with CopyWeights, which copies them under the lock, between two events.
// Run it with go test -race: the race detector finds nothing to report.
func ExampleOnline_CopyWeights() {
	cfg := cell.Config{Kind: cell.LSTM, Hidden: 8, Input: 1}
	m, err := cell.NewModel(cfg, 1)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(3, 4)) // math/rand/v2
	cell.InitDefault(m.Layers[0], rng)
	m.Head.InitDefault(rng)
	alg, err := rtrl.NewSnAp1(m, rtrl.SnAp1Options{})
	if err != nil {
		panic(err)
	}
	learner, err := train.NewOnline(m, alg, &train.Adam{LR: 0.01}, train.OnlineConfig{ClipNorm: 1})
	if err != nil {
		panic(err)
	}
	wave := func(t int) float32 { return float32(math.Sin(0.3 * float64(t))) }

	// The server's own copy of the model, with its own state and step cache.
	served, err := cell.NewModel(cfg, 1)
	if err != nil {
		panic(err)
	}
	state, cache := make([]float32, served.StateSize()), served.NewStepCache()
	// predict runs the served model over a window of the wave and returns the squared
	// error of its next-value predictions.
	predict := func(from int) float64 {
		clear(state)
		y := make([]float32, 1)
		var sse float64
		for t := from; t < from+50; t++ {
			served.Forward(cache, state, state, []float32{wave(t)})
			served.Head.Forward(y, served.TopHidden(state))
			if t >= from+20 { // after a warm-up
				sse += math.Pow(float64(y[0]-wave(t+1)), 2)
			}
		}
		return sse
	}
	if err := learner.CopyWeights(served); err != nil {
		panic(err)
	}
	before := predict(10_000)

	var wg sync.WaitGroup
	wg.Go(func() { // the learner: events with their targets
		pred := make([]float32, 1)
		for t := range 3000 {
			if _, err := learner.Observe(pred, []float32{wave(t)}, []float32{wave(t + 1)}); err != nil {
				panic(err)
			}
		}
	})
	requests := 0
	wg.Go(func() { // the server: requests answered from the latest weights
		for range 40 {
			if err := learner.CopyWeights(served); err != nil {
				panic(err)
			}
			predict(20_000)
			requests++
		}
	})
	wg.Wait()

	if err := learner.CopyWeights(served); err != nil { // the weights after the last event
		panic(err)
	}
	fmt.Println("requests served:", requests, "events learned:", learner.Events())
	fmt.Println("the served model predicts better after learning:", predict(10_000) < before/4)
	// Output:
	// requests served: 40 events learned: 3000
	// the served model predicts better after learning: true
}
