package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/chronograd/chronograd/kernels"
)

// runProfile measures the kernels every algorithm spends its time in, for each tier
// this CPU runs, as the median of several short timed repeats.
func runProfile(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("profile", stdout)
	budget := fs.Duration("time", 20*time.Millisecond, "time per repeat of one measurement")
	repeats := fs.Int("repeats", 5, "repeats per measurement (the median is shown)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *budget <= 0 || *repeats <= 0 {
		return fmt.Errorf("-time and -repeats must be positive, got %v and %d", *budget, *repeats)
	}
	if err := runCPU(nil, stdout, stderr); err != nil {
		return err
	}
	type shape struct {
		kernel string
		n      int
		flops  float64
		op     func() func()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	mat := func(r, c int) kernels.Mat {
		m := kernels.NewMat(r, c)
		for i := range m.Data {
			m.Data[i] = float32(rng.Float64()*2-1) * 1e-3
		}
		return m
	}
	vec := func(n int) []float32 { return mat(1, n).Data }
	var shapes []shape
	for _, n := range []int{64, 256} {
		shapes = append(shapes,
			shape{"MatVec", n, 2 * float64(n*n), func() func() {
				a, x, y := mat(n, n), vec(n), vec(n)
				return func() { kernels.MatVec(y, a, x) }
			}},
			shape{"MatTVecAdd", n, 2 * float64(n*n), func() func() {
				a, x, y := mat(n, n), vec(n), vec(n)
				return func() { kernels.MatTVecAdd(y, a, x) }
			}},
			shape{"Ger", n, 2 * float64(n*n), func() func() {
				a, x, y := mat(n, n), vec(n), vec(n)
				return func() { kernels.Ger(a, 1e-6, x, y) }
			}},
			shape{"Gemm", n, 2 * float64(n*n*n), func() func() {
				a, b, c := mat(n, n), mat(n, n), mat(n, n)
				return func() { kernels.Gemm(c, a, b) }
			}})
	}
	shapes = append(shapes, shape{"Gemm rtrl", 32, 2 * 32 * 32 * 32 * 32, func() func() {
		j, m, c := mat(32, 32), mat(32, 32*32), mat(32, 32*32)
		return func() { kernels.Gemm(c, j, m) }
	}})

	tiers := kernels.Tiers()
	fmt.Fprintf(stdout, "\nkernel throughput, GFLOP/s (median of %d repeats of %v)\n", *repeats, *budget)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "kernel\tn\t")
	for _, t := range tiers {
		fmt.Fprintf(tw, "%s\t", t)
	}
	fmt.Fprintln(tw)
	for _, s := range shapes {
		fmt.Fprintf(tw, "%s\t%d\t", s.kernel, s.n)
		for _, t := range tiers {
			restore, err := kernels.UseTier(t)
			if err != nil {
				return err
			}
			f := s.op()
			fmt.Fprintf(tw, "%.1f\t", s.flops/medianSeconds(f, *budget, *repeats)/1e9)
			restore()
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// medianSeconds returns the median time of one call of f over repeats timed batches.
func medianSeconds(f func(), budget time.Duration, repeats int) float64 {
	f() // warm caches and any first-use buffers
	per := make([]float64, repeats)
	for r := range per {
		calls := 0
		start := time.Now()
		for time.Since(start) < budget {
			for range 8 {
				f()
			}
			calls += 8
		}
		per[r] = time.Since(start).Seconds() / float64(calls)
	}
	slices.Sort(per)
	return per[len(per)/2]
}
