// Package chronograd trains recurrent networks through time.
//
// The module is layered; imports only point down (a test pins it):
//
//	cmd/chronograd   command-line interface: profile (the default), bench, train, grad,
//	                 diagnose, cpu
//	bench            cost profiler: time, memory, allocations, scaling fits, the plots
//	train, task      optimizers, the training loop and the online learner; synthetic tasks
//	algo             the Algorithm interface and the registry of every algorithm: its
//	                 name, parameters, applicable cells, FLOP and memory models, constructor
//	bptt, rtrl       the credit-assignment algorithms, one file per algorithm: full,
//	                 checkpointed, truncated and adaptive BPTT, full BPTT and Sparse
//	                 Attentive Backtracking of models with attention; exact RTRL, SnAp-1, SnAp-2,
//	                 UORO, RFLO, e-prop
//	diagnose         gradient-decay measurements (numbers only; the plot is in bench)
//	reservoir        echo-state networks with ridge and recursive-least-squares readouts
//	cell             the cell interface and one file per cell kind (vanilla with leak, GRU,
//	                 LSTM as PyTorch defines them; expRNN's orthogonal cell), initialisers,
//	                 readout, losses, the attention component over a memory of past
//	                 states, models and model files
//	kernels          float32 SIMD kernels (AVX2+FMA, AVX-512, NEON) chosen at run time,
//	                 each with a pure-Go twin that tests prove equivalent
//	internal/...     float64 reference cells (ref), safetensors files, shared linear
//	                 algebra (linalg), the matrix exponential (expm), test helpers
//
// The numeric core (kernels, cell, bptt, rtrl, algo, diagnose, train, task, reservoir)
// links no plotting, font or terminal package, and the library is cgo-free. This root
// package holds only documentation.
package chronograd
