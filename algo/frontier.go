package algo

import "fmt"

// FrontierSettings lists the settings at which the cost–accuracy frontier measures the
// named algorithm over sequences of T steps: truncated BPTT at windows K1 = K2 of 1, 2,
// 4, … steps and T itself; every other algorithm at the settings its registry entry
// gives, else at its profile setting, else at its name alone when that parses. It
// returns nil for an unknown name, and for an algorithm it cannot set up that way.
func FrontierSettings(name string, T int) []Spec {
	T = max(1, T)
	for _, e := range registry {
		if e.Name != name {
			continue
		}
		var texts []string
		switch {
		case e.frontier != nil:
			texts = e.frontier(T)
		case e.profile != nil:
			texts = []string{e.profile(T)}
		default:
			texts = []string{e.Name}
		}
		var out []Spec
		for _, t := range texts {
			if s, err := Parse(t); err == nil {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// truncationWindows is truncated BPTT's frontier: windows K1 = K2 = 1, 2, 4, … below T,
// and T (the whole sequence, where truncation costs nothing).
func truncationWindows(T int) []string {
	var out []string
	for k := 1; k < T; k *= 2 {
		out = append(out, fmt.Sprintf("tbptt:%d,%d", k, k))
	}
	return append(out, fmt.Sprintf("tbptt:%d,%d", T, T))
}
