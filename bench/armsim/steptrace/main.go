//go:build armsimtrace

// Command steptrace counts the kernel calls of training steps, for bench/armsim's
// whole-step model. It is built with the armsimtrace tag (which makes package kernels
// count its calls) and run as linux/arm64 under qemu, so the calls are the NEON tier's,
// the blocked Gemm driver's micro-kernel calls included:
//
//	GOARCH=arm64 go run -tags armsimtrace -exec qemu-aarch64-static ./bench/armsim/steptrace
//
// For each case it prints one JSON object: the case, the time steps it covers and the
// calls with their counts. A BPTT case is one sequence of T steps (forward steps, then
// Finish's backward sweep) after one untraced sequence; an RTRL case is one online step
// after two untraced ones. Shapes follow the benchmarks: I = n inputs; O = 4 outputs for
// BPTT (bptt's BenchmarkBPTT), O = n for RTRL (rtrl's BenchmarkRTRL); a target every step.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/kernels"
)

// Case is one traced step kind.
type Case struct {
	Algo   string `json:"algo"` // an algorithm specification of package algo's registry
	Cell   string `json:"cell"`
	Hidden int    `json:"n"`
	Input  int    `json:"input"`
	Output int    `json:"output"`
	Steps  int    `json:"steps"` // time steps the counts cover
	Tier   string `json:"tier"`
	Calls  []Call `json:"calls"`
}

// Call is one kind of kernel call and its count over Steps time steps.
type Call struct {
	Fn    string `json:"fn"`
	Args  []int  `json:"args"`
	Count int    `json:"count"`
}

func main() {
	cases := flag.String("cases", "bptt/gru/64,bptt/lstm/128,rtrl/gru/64,rtrl/lstm/128", "algo/cell/n, comma-separated")
	T := flag.Int("T", 100, "time steps of a BPTT sequence")
	flag.Parse()
	enc := json.NewEncoder(os.Stdout)
	for _, c := range strings.Split(*cases, ",") {
		out, err := trace(c, *T)
		if err != nil {
			fmt.Fprintf(os.Stderr, "steptrace: %s: %v\n", c, err)
			os.Exit(1)
		}
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(os.Stderr, "steptrace: %v\n", err)
			os.Exit(1)
		}
	}
}

func trace(text string, T int) (Case, error) {
	var name, kindName string
	var n int
	parts := strings.Split(text, "/")
	if len(parts) != 3 {
		return Case{}, fmt.Errorf("want algo/cell/n")
	}
	name, kindName = parts[0], parts[1]
	if _, err := fmt.Sscan(parts[2], &n); err != nil || n <= 0 {
		return Case{}, fmt.Errorf("bad hidden size %q", parts[2])
	}
	kind, err := cell.ParseKind(kindName)
	if err != nil {
		return Case{}, err
	}
	out := 4
	if strings.HasPrefix(name, "rtrl") {
		out = n
	}
	m, err := cell.NewModel(cell.Config{Kind: kind, Hidden: n, Input: n}, out)
	if err != nil {
		return Case{}, err
	}
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	m.Init(rng, cell.InitDefault)
	xs := make([][]float32, T)
	ys := make([]cell.Target, T)
	for t := range xs {
		xs[t] = make([]float32, n)
		y := make([]float32, out)
		for i := range xs[t] {
			xs[t][i] = float32(rng.NormFloat64())
		}
		for i := range y {
			y[i] = float32(rng.NormFloat64())
		}
		ys[t] = cell.Values(y)
	}
	spec, err := algo.Parse(name)
	if err != nil {
		return Case{}, err
	}
	a, err := spec.New(m, algo.Options{Steps: T})
	if err != nil {
		return Case{}, err
	}
	defer a.Close()
	res := Case{Algo: name, Cell: kind.String(), Hidden: n, Input: n, Output: out, Tier: kernels.Impl().String()}
	if !spec.Info().Forward {
		// A BPTT case: one sequence after an untraced one.
		sequence := func() error {
			if err := a.Reset(nil); err != nil {
				return err
			}
			for t := range xs {
				if _, err := a.Step(xs[t], ys[t]); err != nil {
					return err
				}
			}
			return a.Finish()
		}
		if err := sequence(); err != nil {
			return Case{}, err
		}
		kernels.TraceStart()
		err = sequence()
		res.Calls, res.Steps = calls(kernels.TraceStop()), T
		return res, err
	}
	// A forward-mode case: one online step after two untraced ones.
	for t := range 2 {
		if _, err := a.Step(xs[t], ys[t]); err != nil {
			return Case{}, err
		}
	}
	kernels.TraceStart()
	_, err = a.Step(xs[2], ys[2])
	res.Calls, res.Steps = calls(kernels.TraceStop()), 1
	if err != nil {
		return Case{}, err
	}
	return res, nil
}

func calls(tc []kernels.TraceCount) []Call {
	out := make([]Call, len(tc))
	for i, c := range tc {
		out[i] = Call{Fn: c.Fn, Args: c.Args, Count: c.Count}
	}
	return out
}
