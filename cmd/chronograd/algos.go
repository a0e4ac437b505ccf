package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/chronograd/chronograd/bench"
	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/rtrl"
	"github.com/chronograd/chronograd/train"
)

// The -algo table shared by grad, bench, train and the profile: every credit-assignment
// algorithm by name, with the form of its parameters and a parser that validates them
// before any file is read.

// sequencer is implemented by algorithms that do better with the whole sequence at once
// (checkpointed BPTT reads the inputs again instead of copying them).
type sequencer interface {
	Sequence(s0 []float32, xs, ys [][]float32) (float32, error)
}

// algoRun is what an algorithm's constructor may use besides the model.
type algoRun struct {
	steps int    // T, the sequence length
	seed  uint64 // for randomised algorithms (UORO)
}

// builder constructs an algorithm for a model and a run.
type builder = func(m *cell.Model, r algoRun) (train.Algorithm, error)

// algorithm is one -algo choice: its name, the form of its parameters after the colon,
// and a parser that validates them before any file is read and returns the constructor.
type algorithm struct {
	name, params string // params in brackets ("[:W]") may be left out
	parse        func(arg string) (builder, error)
}

// algorithms lists every -algo choice, one entry each.
var algorithms = []algorithm{
	{"bptt", "", noParams(func(m *cell.Model, _ algoRun) (train.Algorithm, error) { return as(bptt.NewFull(m.Cell, m.Head)) })},
	// More than T slots cannot help, and clamping keeps a huge S from allocating.
	{"bptt-checkpoint", "S", intParams("S", func(m *cell.Model, r algoRun, p []int) (train.Algorithm, error) {
		return as(bptt.NewCheckpointed(m.Cell, m.Head, max(1, min(p[0], r.steps))))
	})},
	{"tbptt", "K1,K2", intParams("K1,K2", func(m *cell.Model, _ algoRun, p []int) (train.Algorithm, error) {
		return as(bptt.NewTruncated(m.Cell, m.Head, p[0], p[1]))
	}, orderedK1K2)},
	// rtrl:W splits the sensitivity update over W goroutines (rtrl.Workers).
	{"rtrl", "[:W]", optional(intParams("W", func(m *cell.Model, _ algoRun, p []int) (train.Algorithm, error) {
		return as(rtrl.NewRTRL(m.Cell, m.Head, rtrl.Workers(p[0])))
	}), "1")},
	{"snap1", "", noParams(func(m *cell.Model, _ algoRun) (train.Algorithm, error) { return as(rtrl.NewSnAp1(m.Cell, m.Head)) })},
	{"uoro", "", noParams(func(m *cell.Model, r algoRun) (train.Algorithm, error) {
		return as(rtrl.NewUORO(m.Cell, m.Head, rtrl.Seed(r.seed)))
	})},
	{"rflo", "", noParams(func(m *cell.Model, _ algoRun) (train.Algorithm, error) { return as(rtrl.NewRFLO(m.Cell, m.Head)) })},
	{"eprop", "", noParams(func(m *cell.Model, _ algoRun) (train.Algorithm, error) { return as(rtrl.NewEProp(m.Cell, m.Head)) })},
	// tbptt-adaptive:δ's window starts at KMax = min(100, T) and is re-estimated every 200 steps, so on a
	// sequence shorter than that it is full BPTT.
	{"tbptt-adaptive", "δ", floatParam("δ", func(m *cell.Model, r algoRun, delta float64) (train.Algorithm, error) {
		return as(bptt.NewAdaptive(m.Cell, m.Head, bptt.AdaptiveConfig{Delta: delta, KMax: max(2, min(100, r.steps)), Seed: r.seed}))
	})},
}

// as converts a concrete algorithm and its constructor's error.
func as[A train.Algorithm](a A, err error) (train.Algorithm, error) {
	if err != nil {
		return nil, err
	}
	return a, nil
}

func noParams(build builder) func(string) (builder, error) {
	return func(arg string) (builder, error) {
		if arg != "" {
			return nil, fmt.Errorf("takes no parameters, got %q", arg)
		}
		return build, nil
	}
}

// intParams parses the comma-separated positive integers named by names ("K1,K2") and
// runs the checks on them.
func intParams(names string, build func(*cell.Model, algoRun, []int) (train.Algorithm, error), checks ...func([]int) error) func(string) (builder, error) {
	name := strings.Split(names, ",")
	return func(arg string) (builder, error) {
		fields := strings.Split(arg, ",")
		if arg == "" || len(fields) != len(name) {
			return nil, fmt.Errorf("needs %d integer parameter(s) %s, got %q", len(name), names, arg)
		}
		p := make([]int, len(name))
		for i, f := range fields {
			v, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("%s=%q is not an integer", name[i], f)
			}
			if v < 1 {
				return nil, fmt.Errorf("%s=%d must be at least 1", name[i], v)
			}
			p[i] = v
		}
		for _, check := range checks {
			if err := check(p); err != nil {
				return nil, err
			}
		}
		return func(m *cell.Model, r algoRun) (train.Algorithm, error) { return build(m, r, p) }, nil
	}
}

func orderedK1K2(p []int) error {
	if p[1] < p[0] {
		return fmt.Errorf("K2=%d must be at least K1=%d", p[1], p[0])
	}
	return nil
}

func (a algorithm) form() string {
	switch {
	case a.params == "":
		return a.name
	case strings.HasPrefix(a.params, "["):
		return a.name + a.params
	}
	return a.name + ":" + a.params
}

// optional lets NAME alone stand for NAME:def.
func optional(parse func(string) (builder, error), def string) func(string) (builder, error) {
	return func(arg string) (builder, error) {
		if arg == "" {
			arg = def
		}
		return parse(arg)
	}
}

// algoForms lists the -algo forms, comma-separated.
func algoForms() string {
	var forms []string
	for _, a := range algorithms {
		forms = append(forms, a.form())
	}
	return strings.Join(forms, ", ")
}

// parseAlgo maps NAME or NAME:PARAMS to a constructor.
func parseAlgo(spec string) (builder, error) {
	name, arg, _ := strings.Cut(spec, ":")
	for _, a := range algorithms {
		form := a.form()
		if a.name == name {
			build, err := a.parse(arg)
			if err != nil {
				return nil, fmt.Errorf("-algo %s: %v (the form is %s)", spec, err, form)
			}
			return build, nil
		}
	}
	return nil, fmt.Errorf("-algo %q: unknown algorithm (want one of %s)", spec, algoForms())
}

// floatParam parses one number in (0, 1), named name.
func floatParam(name string, build func(*cell.Model, algoRun, float64) (train.Algorithm, error)) func(string) (func(*cell.Model, algoRun) (train.Algorithm, error), error) {
	return func(arg string) (func(*cell.Model, algoRun) (train.Algorithm, error), error) {
		v, err := strconv.ParseFloat(arg, 64)
		if err != nil {
			return nil, fmt.Errorf("%s=%q is not a number", name, arg)
		}
		if !(v > 0 && v < 1) {
			return nil, fmt.Errorf("%s=%v must be in (0, 1)", name, v)
		}
		return func(m *cell.Model, r algoRun) (train.Algorithm, error) { return build(m, r, v) }, nil
	}
}

// factoryOf adapts a constructor to the profiler's Factory for sequences of the given
// length.
func factoryOf(build builder, steps int, seed uint64) bench.Factory {
	return func(c cell.Cell, head *cell.Readout) (train.Algorithm, error) {
		return build(&cell.Model{Cell: c, Head: head}, algoRun{steps: steps, seed: seed})
	}
}
