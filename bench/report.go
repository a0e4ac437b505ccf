package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/chronograd/chronograd/internal/fsx"
)

// WriteTable prints results as an aligned text table.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "algo\tcell\tn\tT\tµs/step\tbytes\tallocs/step\tGFLOP/s\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f\t%s\t%.2g\t%.2f\t\n",
			r.Label(), r.Cell, r.Hidden, r.T, r.NsPerStep/1e3, HumanBytes(r.Bytes), r.AllocsPerStep, r.GFLOPS)
	}
	return tw.Flush()
}

// HumanBytes formats a byte count with a binary unit.
func HumanBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

var csvHeader = []string{"cell", "hidden", "input", "T", "algo", "ns_per_step", "bytes", "allocs_per_step", "gflops"}

// WriteCSV writes results with a header row; the columns are Result's JSON names, with
// the algo column holding Result.Label (a sparse case's density in parentheses) and no
// density column.
func WriteCSV(w io.Writer, results []Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, r := range results {
		row := []string{r.Cell, strconv.Itoa(r.Hidden), strconv.Itoa(r.Input), strconv.Itoa(r.T), r.Label(),
			f(r.NsPerStep), strconv.FormatInt(r.Bytes, 10), f(r.AllocsPerStep), f(r.GFLOPS)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSONLines writes one JSON object per result per line.
func WriteJSONLines(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	for _, r := range results {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// Scaling is one algorithm's fitted cost exponent in n on one cell at one T.
type Scaling struct {
	Algo     string  `json:"algo"`     // the algorithm's specification (Result.Label)
	Cell     string  `json:"cell"`     // the cell kind
	T        int     `json:"T"`        // the sequence length
	Exponent float64 `json:"exponent"` // the fitted exponent of n in the time per step
	Points   int     `json:"points"`   // the hidden sizes fitted
}

// Series groups results by (algo, cell, T), each sorted by hidden size; a sparse case's
// algo is its Label, so the same algorithm on a sparse and a dense network makes two
// series.
func Series(results []Result) map[[3]string][]Result {
	m := map[[3]string][]Result{}
	for _, r := range results {
		k := [3]string{r.Label(), r.Cell, strconv.Itoa(r.T)}
		m[k] = append(m[k], r)
	}
	for _, rs := range m {
		slices.SortFunc(rs, func(a, b Result) int { return a.Hidden - b.Hidden })
	}
	return m
}

// Exponents fits the time-per-step exponent in n of every (algo, cell, T) series with at
// least two hidden sizes, sorted by algorithm then cell.
func Exponents(results []Result) []Scaling {
	var out []Scaling
	for k, rs := range Series(results) {
		var x, y []float64
		for _, r := range rs {
			x = append(x, float64(r.Hidden))
			y = append(y, r.NsPerStep)
		}
		fit, err := FitExponent(x, y)
		if err != nil {
			continue
		}
		T, _ := strconv.Atoi(k[2])
		out = append(out, Scaling{Algo: k[0], Cell: k[1], T: T, Exponent: fit.Exponent, Points: fit.Points})
	}
	slices.SortFunc(out, func(a, b Scaling) int {
		if a.Algo != b.Algo {
			return cmpString(a.Algo, b.Algo)
		}
		if a.Cell != b.Cell {
			return cmpString(a.Cell, b.Cell)
		}
		return a.T - b.T
	})
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// WriteFileAtomic writes path through a temporary file in its directory, with permissions
// 0644 whatever the umask, so a reader never sees a half-written report and a failure
// leaves an existing file as it was. A symbolic link is written through (its target is
// replaced); a target that exists and is not a regular file (a directory, /dev/null) is
// refused.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	return fsx.WriteAtomic(path, 0o644, write)
}
