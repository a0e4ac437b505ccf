// Command blastable reads `go test -bench` output of this module's benchmarks on stdin
// and prints a Markdown table of median GFLOP/s per shape: OpenBLAS, every chronograd
// tier found, and the ratio of the best chronograd tier to OpenBLAS.
//
//	go run ./cmd/blastable < bench.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// line matches e.g. "BenchmarkGemm/avx512/rtrl/n=64-2  100  123 ns/op  98.7 GFLOP/s".
var line = regexp.MustCompile(`^Benchmark(\w+)/([a-z0-9]+)/(\S+?)(-\d+)?\s+\d+\s+.*?([0-9.]+) GFLOP/s`)

type key struct{ kernel, shape string }

func main() {
	samples := map[key]map[string][]float64{}
	var order []key
	impls := map[string]bool{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		g, err := strconv.ParseFloat(m[5], 64)
		if err != nil {
			continue
		}
		k := key{m[1], m[3]}
		if samples[k] == nil {
			samples[k] = map[string][]float64{}
			order = append(order, k)
		}
		samples[k][m[2]] = append(samples[k][m[2]], g)
		impls[m[2]] = true
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "blastable:", err)
		os.Exit(1)
	}
	var tiers []string
	for _, t := range []string{"generic", "avx2", "avx512", "neon"} {
		if impls[t] {
			tiers = append(tiers, t)
		}
	}
	fmt.Printf("| kernel | shape | openblas |")
	for _, t := range tiers {
		fmt.Printf(" %s |", t)
	}
	fmt.Printf(" best/openblas |\n|---|---|---:|%s---:|\n", strings.Repeat("---:|", len(tiers)))
	for _, k := range order {
		s := samples[k]
		ob := median(s["openblas"])
		fmt.Printf("| %s | %s | %s |", k.kernel, k.shape, format(ob))
		best, bestTier := 0.0, ""
		for _, t := range tiers {
			v := median(s[t])
			fmt.Printf(" %s |", format(v))
			if v > best {
				best, bestTier = v, t
			}
		}
		if ob > 0 && best > 0 {
			fmt.Printf(" %.2f (%s) |\n", best/ob, bestTier)
		} else {
			fmt.Printf(" – |\n")
		}
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func format(v float64) string {
	if v == 0 {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}
