//go:build armsimtrace

package kernels

import (
	"sort"
	"strconv"
	"sync"
)

// This file exists only in builds with the armsimtrace tag, which bench/armsim uses to
// count the kernel calls of a training step (under qemu, as arm64): the model of a step
// is the modelled cycles of each call times the number of calls.

// TraceCall is one kind of kernel call: the function (an assembly kernel such as
// "matVecNEON", or a Go fallback such as "gemmGeneric") and its integer arguments in
// order (a slice's length, 0 for pointers and floats).
type TraceCall struct {
	Fn   string
	Args []int
}

// TraceCount is a kind of call and how many times it was made.
type TraceCount struct {
	TraceCall
	Count int
}

const traceEnabled = true

var (
	traceMu     sync.Mutex
	traceOn     bool
	traceCounts map[string]*TraceCount
)

// TraceStart starts counting kernel calls, forgetting earlier counts.
func TraceStart() {
	traceMu.Lock()
	defer traceMu.Unlock()
	traceOn = true
	traceCounts = map[string]*TraceCount{}
}

// TraceStop stops counting and returns the calls made since TraceStart, most frequent
// first.
func TraceStop() []TraceCount {
	traceMu.Lock()
	defer traceMu.Unlock()
	traceOn = false
	out := make([]TraceCount, 0, len(traceCounts))
	for _, c := range traceCounts {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return traceKey(out[i].Fn, out[i].Args) < traceKey(out[j].Fn, out[j].Args)
	})
	return out
}

func traceKey(fn string, args []int) string {
	b := []byte(fn)
	for _, a := range args {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(a), 10)
	}
	return string(b)
}

func traceCall(fn string, args ...int) {
	traceMu.Lock()
	defer traceMu.Unlock()
	if !traceOn {
		return
	}
	k := traceKey(fn, args)
	c := traceCounts[k]
	if c == nil {
		c = &TraceCount{TraceCall: TraceCall{Fn: fn, Args: append([]int(nil), args...)}}
		traceCounts[k] = c
	}
	c.Count++
}
