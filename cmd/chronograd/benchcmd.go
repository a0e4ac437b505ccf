package main

import (
	"fmt"
	"io"
	"time"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/bench"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/flagx"
)

// runBench measures one algorithm on one cell: time per step, bytes held, allocations
// per step and GFLOP/s. With -json it prints one JSON object per line with exactly the
// fields cell, hidden, input, T, algo, ns_per_step, bytes, allocs_per_step, gflops,
// batch, layers (ns_per_step is the time of one step of the whole minibatch), and density
// when -density is below 1.
func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stdout)
	cellName := fs.String("cell", "gru", "cell: "+cell.KindNames())
	hidden := fs.Int("hidden", 32, "hidden units n")
	input := fs.Int("input", 8, "input size I")
	output := fs.Int("output", 1, "readout outputs O")
	steps := fs.Int("T", 100, "sequence length T")
	algoSpec := fs.String("algo", "bptt", "algorithm: "+algo.Forms())
	attention := fs.String("attention", "", "give the model the attention component `K_ATT,K_TOP[,M]` (as train does)")
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	repeats := fs.Int("repeats", 5, "timed repeats (the median is reported)")
	minTime := fs.Duration("min-time", 50*time.Millisecond, "least time per repeat")
	seed := fs.Uint64("seed", 1, "seed of the weights, the data and randomised algorithms")
	density := flagx.Float64Flag(fs, "density", 1, "fraction of each W_hh row kept by a random mask (1: dense)", flagx.Above(0), flagx.AtMost(1))
	layers := fs.Int("layers", 1, "stacked layers")
	batch := fs.Int("batch", 1, "minibatch: sequences stepped together (the time per step is the whole batch's)")
	workers := fs.Int("workers", 1, "goroutines a minibatch is spread over")
	limit := memLimitFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	kind, err := cell.ParseKind(*cellName)
	if err != nil {
		return err
	}
	switch {
	case *hidden < 1 || *input < 1 || *output < 1 || *steps < 1:
		return fmt.Errorf("-hidden, -input, -output and -T must be at least 1, got %d, %d, %d and %d", *hidden, *input, *output, *steps)
	case *layers < 1 || *batch < 1 || *workers < 1:
		return fmt.Errorf("-layers, -batch and -workers must be at least 1, got %d, %d and %d", *layers, *batch, *workers)
	case *repeats < 1 || *minTime <= 0:
		return fmt.Errorf("-repeats must be at least 1 and -min-time positive, got %d and %v", *repeats, *minTime)
	case *repeats > maxRepeats:
		return fmt.Errorf("-repeats %d is more than %d", *repeats, maxRepeats)
	}
	spec, err := algo.Parse(*algoSpec)
	if err != nil {
		return fmt.Errorf("-algo %w", err)
	}
	dims, err := modelDims(kind, *layers, *hidden, *input, *output)
	if err != nil {
		return err
	}
	if *attention != "" {
		if dims.Attention, err = cell.ParseAttention(*attention); err != nil {
			return fmt.Errorf("-%w", err)
		}
	}
	if err := spec.Supports(dims); err != nil {
		return fmt.Errorf("-algo %s: %w", spec, err)
	}
	c := bench.Case{Algo: spec, Cell: kind, Hidden: *hidden, Input: *input, Output: *output, T: *steps, Layers: *layers, Batch: *batch, Workers: *workers, Attention: dims.Attention, Density: *density}
	if err := checkBench(c, *repeats, limit); err != nil {
		return err
	}
	r, err := bench.Measure(c, bench.Options{Repeats: *repeats, MinTime: *minTime, Seed: *seed, MemLimit: limit.Bytes})
	if err != nil {
		return err
	}
	if *asJSON {
		return bench.WriteJSONLines(stdout, []bench.Result{r})
	}
	return bench.WriteTable(stdout, []bench.Result{r})
}
