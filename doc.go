// Package chronograd trains recurrent networks through time.
//
// The module is layered; imports only point down:
//
//	cmd/chronograd   command-line interface: profile, bench, train, grad, diagnose, cpu
//	bench            cost profiler: time, memory, allocations, scaling fits, plots
//	bptt, rtrl       the credit-assignment algorithms, one file per algorithm
//	cell             recurrent cells (vanilla with leak, GRU, LSTM as PyTorch defines
//	                 them), echo-state reservoirs, initialisers, readout, model files
//	kernels          float32 SIMD kernels (AVX2+FMA, AVX-512, NEON) chosen at run time,
//	                 each with a pure-Go twin that tests prove equivalent
//
// The library is cgo-free. This root package holds only documentation.
package chronograd
