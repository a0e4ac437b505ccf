package main

import (
	"fmt"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/internal/memlimit"
)

// checkAlgorithmMemory refuses, before anything is allocated, an algorithm whose memory
// model (caches, influence matrices, traces, for the whole minibatch) is over the memory
// limit.
func checkAlgorithmMemory(spec algo.Spec, d algo.Dims, o algo.Options) error {
	what := fmt.Sprintf("-algo %s on %d layer(s) of %v with n=%d", spec, d.L, d.Kind, d.H)
	if o.Batch > 1 {
		what += fmt.Sprintf(" for a batch of %d", o.Batch)
	}
	return memlimit.Check(what, spec.Bytes(d, o), 0)
}
