//go:build !armsimtrace

package kernels

// traceEnabled is true only in builds with the armsimtrace tag (see trace_armsim.go),
// where traceCall counts kernel calls for bench/armsim's whole-step model. Call sites
// test it first, so that in every other build the compiler drops them before it weighs
// a wrapper for inlining.
const traceEnabled = false

// traceCall records one call into an assembly kernel (or a Go fallback that a SIMD tier
// takes): fn names the function, args are its integer arguments in order (a slice's
// length, 0 for pointers and floats).
func traceCall(fn string, args ...int) {}
