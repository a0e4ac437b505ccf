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

	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/kernels"
	"github.com/chronograd/chronograd/rtrl"
)

// Case is one traced step kind.
type Case struct {
	Algo   string `json:"algo"` // "bptt" (full BPTT) or "rtrl" (exact RTRL)
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

func trace(spec string, T int) (Case, error) {
	var algo, kindName string
	var n int
	parts := strings.Split(spec, "/")
	if len(parts) != 3 {
		return Case{}, fmt.Errorf("want algo/cell/n")
	}
	algo, kindName = parts[0], parts[1]
	if _, err := fmt.Sscan(parts[2], &n); err != nil || n <= 0 {
		return Case{}, fmt.Errorf("bad hidden size %q", parts[2])
	}
	kind, err := cell.ParseKind(kindName)
	if err != nil {
		return Case{}, err
	}
	out := 4
	if algo == "rtrl" {
		out = n
	}
	c, err := cell.New(cell.Config{Kind: kind, Hidden: n, Input: n})
	if err != nil {
		return Case{}, err
	}
	head, err := cell.NewReadout(out, n)
	if err != nil {
		return Case{}, err
	}
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	cell.InitDefault(c, rng)
	head.InitDefault(rng)
	xs := make([][]float32, T)
	ys := make([][]float32, T)
	for t := range xs {
		xs[t], ys[t] = make([]float32, n), make([]float32, out)
		for i := range xs[t] {
			xs[t][i] = float32(rng.NormFloat64())
		}
		for i := range ys[t] {
			ys[t][i] = float32(rng.NormFloat64())
		}
	}
	res := Case{Algo: algo, Cell: kind.String(), Hidden: n, Input: n, Output: out, Tier: kernels.Impl().String()}
	switch algo {
	case "bptt":
		f, err := bptt.NewFull(c, head)
		if err != nil {
			return Case{}, err
		}
		sequence := func() error {
			if err := f.Reset(nil); err != nil {
				return err
			}
			for t := range xs {
				if _, err := f.Step(xs[t], ys[t]); err != nil {
					return err
				}
			}
			return f.Finish()
		}
		if err := sequence(); err != nil {
			return Case{}, err
		}
		kernels.TraceStart()
		err = sequence()
		res.Calls, res.Steps = calls(kernels.TraceStop()), T
		if err != nil {
			return Case{}, err
		}
	case "rtrl":
		r, err := rtrl.NewRTRL(c, head)
		if err != nil {
			return Case{}, err
		}
		defer r.Close()
		for t := range 2 {
			if _, err := r.Step(xs[t], ys[t]); err != nil {
				return Case{}, err
			}
		}
		kernels.TraceStart()
		_, err = r.Step(xs[2], ys[2])
		res.Calls, res.Steps = calls(kernels.TraceStop()), 1
		if err != nil {
			return Case{}, err
		}
	default:
		return Case{}, fmt.Errorf("unknown algorithm %q (want bptt or rtrl)", algo)
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
