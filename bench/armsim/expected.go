package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// The committed figures are the tool's -json lines, sorted by kernel and core, in
// expected.json next to this file. -check fails when a committed kernel's marked loop is
// gone, when a marked loop has no committed figure, or when a kernel's modelled
// FLOP/cycle (cycles per iteration, for a loop without arithmetic) is more than the
// tolerance worse than committed.

func readFigures(path string) ([]figure, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the committed figures: %v", err)
	}
	var figs []figure
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var f figure
		if err := json.Unmarshal(line, &f); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		if f.Kernel == "" || f.Core == "" || f.CyclesPerIter <= 0 {
			return nil, fmt.Errorf("%s:%d: a figure needs kernel, core and cycles_per_iter", path, n)
		}
		figs = append(figs, f)
	}
	if len(figs) == 0 {
		return nil, fmt.Errorf("%s holds no figures", path)
	}
	return figs, sc.Err()
}

func writeFigures(path string, figs []figure) error {
	sorted := append([]figure(nil), figs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Kernel != sorted[j].Kernel {
			return sorted[i].Kernel < sorted[j].Kernel
		}
		return sorted[i].Core < sorted[j].Core
	})
	var b bytes.Buffer
	if err := printJSON(&b, sorted); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// compare returns one line per committed figure that got worse than tol allows, per
// committed kernel whose loop is missing, and per modelled kernel with no committed
// figure.
func compare(want, got []figure, tol float64) []string {
	key := func(f figure) string { return f.Kernel + " on " + f.Core }
	have := map[string]figure{}
	for _, f := range got {
		have[key(f)] = f
	}
	committed := map[string]bool{}
	var problems []string
	for _, w := range want {
		committed[key(w)] = true
		g, ok := have[key(w)]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: no marked loop (committed %.2f FLOP/cycle, %s)", key(w), w.FLOPPerCycle, w.Loop))
		case w.FLOPsPerIter > 0 && g.FLOPPerCycle < (1-tol)*w.FLOPPerCycle:
			problems = append(problems, fmt.Sprintf("%s: %.3f FLOP/cycle, %.1f%% below the committed %.3f (%s)",
				key(w), g.FLOPPerCycle, 100*(1-g.FLOPPerCycle/w.FLOPPerCycle), w.FLOPPerCycle, g.Bottleneck))
		case w.FLOPsPerIter == 0 && g.CyclesPerIter > (1+tol)*w.CyclesPerIter:
			problems = append(problems, fmt.Sprintf("%s: %.2f cycles per iteration, %.1f%% above the committed %.2f",
				key(w), g.CyclesPerIter, 100*(g.CyclesPerIter/w.CyclesPerIter-1), w.CyclesPerIter))
		}
	}
	for _, g := range got {
		if !committed[key(g)] {
			problems = append(problems, fmt.Sprintf("%s: marked loop %s has no committed figure", key(g), g.Loop))
		}
	}
	return problems
}
