package flagx

import (
	"flag"
	"io"
	"math"
	"strings"
	"testing"
)

func TestParseFloat32(t *testing.T) {
	cases := []struct {
		in     string
		bounds []Bound
		want   float32
		err    string // "" for success
	}{
		{"0.01", nil, 0.01, ""},
		{"-2.5", nil, -2.5, ""},
		{"0", nil, 0, ""},
		{"-0", nil, 0, ""},
		{"0.000e-99", nil, 0, ""},
		{"0x0p-200", nil, 0, ""},
		{"0x1p-3", nil, 0.125, ""},
		{"1_000", nil, 1000, ""},
		{"3.4028235e38", nil, math.MaxFloat32, ""},
		{"1.1754944e-38", nil, 0x1p-126, ""},
		{"1e-38", nil, 0, "subnormal"},
		{"1e-46", nil, 0, "too small for float32: it rounds to 0"},
		{"-1e-46", nil, 0, "rounds to 0"},
		{"1e-400", nil, 0, "rounds to 0"},
		{"0x1p-160", nil, 0, "rounds to 0"},
		{"1.5e-45", nil, 0, "subnormal"},
		{"1e39", nil, 0, "too large for float32 (the largest finite float32 is 3.4028235e+38)"},
		{"-1e39", nil, 0, "too large for float32"},
		{"3.4028236e38", nil, 0, "too large"},
		{"1e400", nil, 0, "too large"},
		{"NaN", nil, 0, "NaN is not allowed"},
		{"nan", nil, 0, "NaN"},
		{"Inf", nil, 0, "infinite"},
		{"-Infinity", nil, 0, "infinite"},
		{"+inf", nil, 0, "infinite"},
		{"", nil, 0, "not a number"},
		{"abc", nil, 0, "not a number"},
		{" 1", nil, 0, "not a number"},
		{"1,5", nil, 0, "not a number"},
		{"0", []Bound{Above(0)}, 0, "must be > 0"},
		{"-1", []Bound{Above(0)}, 0, "must be > 0"},
		{"1e-6", []Bound{Above(0)}, 1e-6, ""},
		{"0", []Bound{AtLeast(0), Below(1)}, 0, ""},
		{"1", []Bound{AtLeast(0), Below(1)}, 0, "must be in [0, 1)"},
		{"-0.5", []Bound{AtLeast(0), Below(1)}, 0, "must be in [0, 1)"},
		{"1", []Bound{Above(0), AtMost(1)}, 1, ""},
		{"1.0000001", []Bound{Above(0), AtMost(1)}, 0, "must be in (0, 1]"},
		{"5", []Bound{AtMost(4)}, 0, "must be <= 4"},
		{"4", []Bound{Below(4)}, 0, "must be < 4"},
		{"-1", []Bound{AtLeast(0)}, 0, "must be >= 0"},
		// Bounds are compared after rounding to float32: 0.99999999 rounds to 1.
		{"0.99999999", []Bound{Below(1)}, 0, "must be < 1"},
		// Underflow is reported before the range.
		{"1e-46", []Bound{Above(0)}, 0, "rounds to 0"},
	}
	for _, c := range cases {
		got, err := ParseFloat32(c.in, c.bounds...)
		if c.err == "" {
			if err != nil || got != c.want {
				t.Errorf("ParseFloat32(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseFloat32(%q) = %v, %v; want an error containing %q", c.in, got, err, c.err)
		}
	}
}

func TestParseFloat64(t *testing.T) {
	cases := []struct {
		in     string
		bounds []Bound
		want   float64
		err    string
	}{
		{"1e39", nil, 1e39, ""},
		{"1e-46", nil, 1e-46, ""},
		{"1e-300", nil, 1e-300, ""},
		{"0.1", nil, 0.1, ""},
		{"1e-320", nil, 0, "subnormal float64"},
		{"1e-400", nil, 0, "too small for float64: it rounds to 0"},
		{"1e309", nil, 0, "too large for float64"},
		{"NaN", nil, 0, "NaN"},
		{"-inf", nil, 0, "infinite"},
		{"x", nil, 0, "not a number"},
		{"0", []Bound{Above(0)}, 0, "must be > 0"},
	}
	for _, c := range cases {
		got, err := ParseFloat64(c.in, c.bounds...)
		if c.err == "" {
			if err != nil || got != c.want {
				t.Errorf("ParseFloat64(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseFloat64(%q) = %v, %v; want an error containing %q", c.in, got, err, c.err)
		}
	}
}

func TestCheck(t *testing.T) {
	nan32, inf32 := float32(math.NaN()), float32(math.Inf(-1))
	cases := []struct {
		err  error
		want string
	}{
		{CheckFloat32(nan32), "NaN: NaN is not allowed"},
		{CheckFloat32(inf32), "-Inf: infinite values are not allowed"},
		{CheckFloat32(1e-40), "1e-40: subnormal float32"},
		{CheckFloat32(0, Above(0)), "0: must be > 0"},
		{CheckFloat32(0.5, AtLeast(0), Below(1)), ""},
		{CheckFloat32(0), ""},
		{CheckFloat64(math.NaN()), "NaN: NaN is not allowed"},
		{CheckFloat64(math.Inf(1), AtLeast(0)), "+Inf: infinite"},
		{CheckFloat64(-1, AtLeast(0)), "-1: must be >= 0"},
		{CheckFloat64(1e-40), ""},
	}
	for i, c := range cases {
		switch {
		case c.want == "" && c.err != nil:
			t.Errorf("case %d: %v", i, c.err)
		case c.want != "" && (c.err == nil || !strings.HasPrefix(c.err.Error(), c.want)):
			t.Errorf("case %d: %v, want %q", i, c.err, c.want)
		}
	}
}

// Through a FlagSet, each refusal is one line naming the flag and the value, and the
// destination keeps its value.
func TestFlags(t *testing.T) {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var alpha float32
	Float32Var(fs, &alpha, "alpha", 1, "leak", Above(0), AtMost(1))
	lr := Float32Flag(fs, "lr", 0.01, "learning rate", Above(0))
	clip := Float64Flag(fs, "clip", 0, "gradient clip", AtLeast(0))
	var mom float64
	Float64Var(fs, &mom, "momentum", 0.9, "momentum", AtLeast(0), Below(1))
	if alpha != 1 || *lr != 0.01 || *clip != 0 || mom != 0.9 {
		t.Fatalf("defaults %v %v %v %v", alpha, *lr, *clip, mom)
	}
	refused := map[string]string{
		"-alpha=1e-46":    `invalid value "1e-46" for flag -alpha: too small for float32: it rounds to 0`,
		"-alpha=0":        `invalid value "0" for flag -alpha: must be in (0, 1]`,
		"-lr=1e39":        `invalid value "1e39" for flag -lr: too large for float32`,
		"-lr=NaN":         `invalid value "NaN" for flag -lr: NaN is not allowed`,
		"-momentum=NaN":   `invalid value "NaN" for flag -momentum: NaN is not allowed`,
		"-momentum=1":     `invalid value "1" for flag -momentum: must be in [0, 1)`,
		"-clip=NaN":       `invalid value "NaN" for flag -clip: NaN is not allowed`,
		"-clip=-1":        `invalid value "-1" for flag -clip: must be >= 0`,
		"-clip=+Inf":      `invalid value "+Inf" for flag -clip: infinite values are not allowed`,
		"-lr=0.1.2":       `invalid value "0.1.2" for flag -lr: not a number`,
		"-alpha=1.000001": `invalid value "1.000001" for flag -alpha: must be in (0, 1]`,
	}
	for arg, want := range refused {
		err := fs.Parse([]string{arg})
		if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v\nwant %s", arg, err, want)
		}
	}
	if alpha != 1 || *lr != 0.01 || *clip != 0 || mom != 0.9 {
		t.Fatalf("refused values changed the flags: %v %v %v %v", alpha, *lr, *clip, mom)
	}
	if err := fs.Parse([]string{"-alpha=0.5", "-lr", "3e-4", "-clip=1", "-momentum=0"}); err != nil {
		t.Fatal(err)
	}
	if alpha != 0.5 || *lr != 3e-4 || *clip != 1 || mom != 0 {
		t.Fatalf("parsed %v %v %v %v", alpha, *lr, *clip, mom)
	}
	if got := fs.Lookup("lr").Value.String(); got != "0.0003" {
		t.Errorf("String() = %q, want the shortest float32 form", got)
	}
	if got := fs.Lookup("lr").DefValue; got != "0.01" {
		t.Errorf("DefValue = %q", got)
	}
	// PrintDefaults builds zero Values to find defaults; they must not panic.
	var usage strings.Builder
	fs.SetOutput(&usage)
	fs.PrintDefaults()
	if !strings.Contains(usage.String(), "-lr value") || !strings.Contains(usage.String(), "(default 0.01)") {
		t.Errorf("usage:\n%s", usage.String())
	}
}
