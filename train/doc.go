// Package train holds the optimizers (SGD, Adam) and gradient clipping, the loop that
// trains a recurrent network on a task with any of chronograd's credit-assignment
// algorithms (Run), and Online, the learner a service embeds to learn from a stream of
// events.
//
// # Online learning
//
// NewOnline builds a learner from a model, an online algorithm built for that model
// (package rtrl's, or truncated BPTT) and an optimizer. Each Observe(pred, x, y) is one
// event: the model steps on x and writes its prediction into pred, the algorithm adds the
// event's gradient, and after every UpdateEvery events with a target the accumulated
// gradient is clipped (ClipNorm) and applied by the optimizer. A steady-state event
// allocates nothing, and a bad event (wrong size, NaN) is refused with an error that
// changes nothing.
//
// An event whose target is not known (y nil, or ObserveTarget with the zero cell.Target
// or the class cell.IgnoreClass) only predicts and advances: the recurrent state and what
// the algorithm carries (exact RTRL's influence matrix, the factors and traces of the
// approximations, truncated BPTT's cached steps) move on as they would with a target,
// since none of them depends on targets, but no loss gradient is added and the optimizer
// does not run (Adam's momentum would otherwise move the weights on a zero gradient).
// Truncated BPTT also skips the backward sweep of a window without a target. DNI is the
// one algorithm that adds a gradient on such an event, by design: its synthetic gradient
// predicts the credit the future will assign to this step; it is applied with the next
// update.
//
// # The cost of an event, and UpdateEvery
//
// An event costs the algorithm's step, and, when an update is due, the update: the
// gradient's norm (for clipping and to refuse a non-finite gradient), the optimizer's
// step and a check that the new weights are finite, each a pass over the P parameters.
// The optimizer's step runs on the SIMD kernels (kernels.AdamUpdate, kernels.SumSquares,
// kernels.Axpy). CPU time per event on a GRU of 32 units with 32 inputs and 32 outputs
// (P = 7392 with the readout), from BenchmarkOnlineObserve on a 2-vCPU AMD EPYC (Zen 3,
// avx2 tier), the least disturbed of 9 rounds on a shared machine:
//
//	SnAp-1, update after every event, Adam, ClipNorm 1    19 µs   (before the SIMD update: 66 µs)
//	SnAp-1, update after every event, SGD                 15 µs   (before: 31 µs)
//	SnAp-1, update every 1000 events, Adam, ClipNorm 1    12 µs
//	SnAp-1, event without a target                        11 µs   (before, it ran Adam: 60 µs)
//	SnAp-1's step alone                                   11 µs
//	TBPTT(8, 16), update every 8 events, Adam             5.4 µs  (before: 11 µs)
//	TBPTT(8, 16), event without a target                  1.0 µs  (before: 10 µs)
//
// UpdateEvery = K spreads one update over K events with a target and applies the sum of
// their gradients at once. The weights then move K times less often: SGD's update is the
// sum of the K steps it replaces (to first order), while Adam's normalised step is about
// the learning rate whatever the gradient's size, so with Adam a larger K learns
// proportionally slower per event unless the learning rate grows with it. Choose K = 1
// when every event should count at once and the update is cheap next to the algorithm's
// step (exact RTRL's O(n⁴) step dwarfs any update), a larger K when events arrive faster
// than the updates can keep up with, and K = K1 for truncated BPTT, whose gradient comes
// every K1 steps.
//
// # Concurrency
//
// Every method of Online may be called from any goroutine: Observe and the methods that
// read or replace the learner's state are serialised by one mutex, and Snapshot and
// Checkpoint copy what they save under it and write their file after releasing it. The
// learner owns its model; a goroutine that serves predictions while another learns steps
// a model of its own and refreshes it with CopyWeights (see its example).
//
// # Checkpoints
//
// Snapshot writes the weights as a model file. Checkpoint writes everything a learner
// needs to continue bit for bit, atomically, in one safetensors file: the model file's
// tensors and metadata (so the weights keep their PyTorch names), and beside them
//
//	grad.NAME               the gradient accumulated since the last update
//	optimizer.BUFFER.NAME   the optimizer's buffers, PyTorch's names: momentum_buffer
//	                        (SGD), exp_avg and exp_avg_sq (Adam)
//	optimizer.steps         the optimizer's step count (I64)
//	algorithm.VAR           the algorithm's state (algo.Resumable): the recurrent state,
//	                        influence matrix or traces, cached steps, counters and random
//	                        stream, 1-D F32 or I64
//	learner.events          events observed (I64); learner.targets, events with a target
//	                        since the last update; learner.updates, updates applied
//
// with NAME a parameter's name (weight_ih_l0, …, head.weight, head.bias) and metadata
// "format" = "chronograd-checkpoint/1", "algorithm" (its Go type), "optimizer" (its kind),
// "update_every" and "clip_norm". Restore puts a checkpoint back into a learner built
// alike; Resume builds the learner from the file. A checkpoint that does not fit (another
// model shape, algorithm, options or optimizer; a damaged file) is refused with one line
// and changes nothing. The hyperparameters (learning rate, betas, UpdateEvery, ClipNorm)
// are not restored: they are the caller's, so a resumed learner may run with new ones.
package train
