// Package bench is chronograd's cost profiler: for each algorithm × cell × hidden size ×
// sequence length it measures the time per step (median of repeats), the bytes the
// algorithm holds, the allocations per step and the achieved GFLOP/s (from the
// algorithm registry's FLOP model, algo.Spec.FLOPsPerStep), fits each algorithm's cost
// exponent in n, and writes a text table, CSV, JSON and SVG plots. Frontier puts the cost
// beside the accuracy: every online algorithm's gradient against the exact one on the
// same model and stream, plotted by PlotFrontier.
package bench
