package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
)

// A sparse case measures the algorithm on a masked W_hh, reports the density its mask
// kept, labels the result with it, and fits it as a series of its own.
func TestMeasureSparse(t *testing.T) {
	spec := algo.MustParse("snap2")
	opt := Options{Repeats: 1, MinTime: 1, Seed: 1}
	var rs []Result
	for _, n := range []int{16, 32} {
		for _, density := range []float64{0, 0.1} {
			r, err := Measure(Case{Algo: spec, Cell: cell.GRU, Hidden: n, Input: 3, Output: 1, T: 4, Density: density}, opt)
			if err != nil {
				t.Fatal(err)
			}
			if r.AllocsPerStep != 0 {
				t.Errorf("n=%d density %v: %v allocations per step", n, density, r.AllocsPerStep)
			}
			rs = append(rs, r)
		}
	}
	dense, sparse := rs[2], rs[3]
	if dense.Density != 0 || dense.Label() != "snap2" || sparse.Density != 0.1 || sparse.Label() != "snap2 (density 0.1)" {
		t.Fatalf("dense %+v (%s), sparse %+v (%s)", dense, dense.Label(), sparse, sparse.Label())
	}
	if sparse.Bytes*5 > dense.Bytes {
		t.Errorf("at density %v SnAp-2 holds %d bytes, dense %d", sparse.Density, sparse.Bytes, dense.Bytes)
	}
	var buf bytes.Buffer
	if err := WriteJSONLines(&buf, []Result{sparse}); err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(buf.Bytes(), &obj); err != nil || obj["density"] != 0.1 || obj["algo"] != "snap2" {
		t.Fatalf("JSON %s (%v)", buf.String(), err)
	}
	if exps := Exponents(rs); len(exps) != 2 || !strings.Contains(exps[0].Algo+exps[1].Algo, "(density") {
		t.Fatalf("exponents %+v: want a dense and a sparse series", exps)
	}
	for _, bad := range []float64{-0.1, 1.5} {
		if _, err := Measure(Case{Algo: spec, Cell: cell.GRU, Hidden: 8, Input: 3, Output: 1, T: 4, Density: bad}, opt); err == nil || !strings.Contains(err.Error(), "out of range (0, 1]") {
			t.Errorf("density %v: %v", bad, err)
		}
	}
}
