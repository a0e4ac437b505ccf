// Package flagx holds flag.Value types for floating-point flags that are exact about the
// type the value is used as: a float32 flag parses with float32 rounding and refuses what
// float32 cannot hold (overflow to ±Inf, a non-zero value that rounds to zero or to a
// subnormal), and every float flag refuses NaN, ±Inf and values outside its stated range.
// A flag.FlagSet reports the error as one line naming the flag and the value:
//
//	invalid value "1e-46" for flag -alpha: too small for float32: it rounds to 0 (the smallest normal float32 is 1.1754944e-38)
//
// The same checks are available without flags (ParseFloat32, CheckFloat32 and their
// float64 twins) for values that arrive through options structs or files.
package flagx

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Bound is one end of the range a value must lie in; build it with Above, AtLeast, Below
// or AtMost.
type Bound struct {
	v             float64
	upper, strict bool
}

// Above requires values greater than x.
func Above(x float64) Bound { return Bound{v: x, strict: true} }

// AtLeast requires values greater than or equal to x.
func AtLeast(x float64) Bound { return Bound{v: x} }

// Below requires values less than x.
func Below(x float64) Bound { return Bound{v: x, upper: true, strict: true} }

// AtMost requires values less than or equal to x.
func AtMost(x float64) Bound { return Bound{v: x, upper: true} }

func (b Bound) admits(x float64) bool {
	switch {
	case b.upper && b.strict:
		return x < b.v
	case b.upper:
		return x <= b.v
	case b.strict:
		return x > b.v
	}
	return x >= b.v
}

func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// describe states the range the bounds allow: "> 0", "in [0, 1)".
func describe(bounds []Bound) string {
	var lo, hi *Bound
	for i := range bounds {
		if bounds[i].upper {
			hi = &bounds[i]
		} else {
			lo = &bounds[i]
		}
	}
	switch {
	case lo != nil && hi != nil:
		l, r := "[", "]"
		if lo.strict {
			l = "("
		}
		if hi.strict {
			r = ")"
		}
		return "in " + l + num(lo.v) + ", " + num(hi.v) + r
	case lo != nil && lo.strict:
		return "> " + num(lo.v)
	case lo != nil:
		return ">= " + num(lo.v)
	case hi != nil && hi.strict:
		return "< " + num(hi.v)
	case hi != nil:
		return "<= " + num(hi.v)
	}
	return ""
}

func checkBounds(x float64, bounds []Bound) error {
	for _, b := range bounds {
		if !b.admits(x) {
			return fmt.Errorf("must be %s", describe(bounds))
		}
	}
	return nil
}

// errNaN and errInf are the refusals of non-finite values.
var (
	errNaN = errors.New("NaN is not allowed")
	errInf = errors.New("infinite values are not allowed")
)

// nonZeroLiteral reports whether a syntactically valid float literal has a non-zero
// digit in its mantissa, which tells an underflow ("1e-46" parsing to 0) from a zero.
func nonZeroLiteral(s string) bool {
	s = strings.TrimLeft(s, "+-")
	hex := len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
	if hex {
		s = s[2:]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if hex && (c == 'p' || c == 'P') || !hex && (c == 'e' || c == 'E') {
			break
		}
		if c >= '1' && c <= '9' || hex && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return true
		}
	}
	return false
}

// parse reads s as a float of the given bit size (32 or 64) with strconv.ParseFloat and
// refuses syntax errors, NaN, infinities, overflow, and non-zero values that round to
// zero or to a subnormal in that size.
func parse(s string, bitSize int) (float64, error) {
	x, err := strconv.ParseFloat(s, bitSize)
	typ := "float" + strconv.Itoa(bitSize)
	largest, smallest := math.MaxFloat64, 0x1p-1022
	if bitSize == 32 {
		largest, smallest = math.MaxFloat32, 0x1p-126
	}
	var ne *strconv.NumError
	if errors.As(err, &ne) && ne.Err == strconv.ErrRange && math.IsInf(x, 0) {
		return 0, fmt.Errorf("too large for %s (the largest finite %s is %s)", typ, typ, strconv.FormatFloat(largest, 'g', -1, bitSize))
	}
	if err != nil {
		return 0, errors.New("not a number")
	}
	switch {
	case math.IsNaN(x):
		return 0, errNaN
	case math.IsInf(x, 0):
		return 0, errInf
	case x == 0 && nonZeroLiteral(s):
		return 0, fmt.Errorf("too small for %s: it rounds to 0 (the smallest normal %s is %s)", typ, typ, strconv.FormatFloat(smallest, 'g', -1, bitSize))
	case x != 0 && math.Abs(x) < smallest:
		return 0, fmt.Errorf("too small for %s: it would be a subnormal %s, which loses precision (the smallest normal is %s)", typ, typ, strconv.FormatFloat(smallest, 'g', -1, bitSize))
	}
	return x, nil
}

// ParseFloat32 parses s as a float32 as strconv.ParseFloat(s, 32) does, and refuses NaN,
// ±Inf, values that overflow float32, non-zero values that round to zero or to a
// subnormal float32, and values outside bounds. Errors are short phrases ("must be > 0")
// meant to follow the name of the flag or option and its value.
func ParseFloat32(s string, bounds ...Bound) (float32, error) {
	x, err := parse(s, 32)
	if err != nil {
		return 0, err
	}
	if err := checkBounds(x, bounds); err != nil {
		return 0, err
	}
	return float32(x), nil
}

// ParseFloat64 parses s as strconv.ParseFloat(s, 64) does, and refuses NaN, ±Inf,
// overflow, non-zero values that round to zero or to a subnormal, and values outside
// bounds.
func ParseFloat64(s string, bounds ...Bound) (float64, error) {
	x, err := parse(s, 64)
	if err != nil {
		return 0, err
	}
	if err := checkBounds(x, bounds); err != nil {
		return 0, err
	}
	return x, nil
}

// CheckFloat32 refuses a float32 that is NaN, ±Inf, subnormal or outside bounds, for
// values set in code rather than parsed (option structs). The error names the value.
func CheckFloat32(x float32, bounds ...Bound) error {
	return check(float64(x), 0x1p-126, bounds, 32)
}

// CheckFloat64 refuses a float64 that is NaN, ±Inf, subnormal or outside bounds. The
// error names the value.
func CheckFloat64(x float64, bounds ...Bound) error {
	return check(x, 0x1p-1022, bounds, 64)
}

func check(x, smallest float64, bounds []Bound, bitSize int) error {
	var err error
	switch {
	case math.IsNaN(x):
		err = errNaN
	case math.IsInf(x, 0):
		err = errInf
	case x != 0 && math.Abs(x) < smallest:
		err = fmt.Errorf("subnormal float%d (the smallest normal is %s)", bitSize, strconv.FormatFloat(smallest, 'g', -1, bitSize))
	default:
		err = checkBounds(x, bounds)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", strconv.FormatFloat(x, 'g', -1, bitSize), err)
	}
	return nil
}

// Float32 is a flag.Value that stores into *P the float32 that ParseFloat32 reads,
// within Bounds.
type Float32 struct {
	P      *float32
	Bounds []Bound
}

// Set parses s with ParseFloat32 and stores the value; on error *P is unchanged.
func (f *Float32) Set(s string) error {
	x, err := ParseFloat32(s, f.Bounds...)
	if err != nil {
		return err
	}
	*f.P = x
	return nil
}

// String formats the current value with the fewest digits that read back as the same
// float32.
func (f *Float32) String() string {
	if f == nil || f.P == nil {
		return "0"
	}
	return strconv.FormatFloat(float64(*f.P), 'g', -1, 32)
}

// Float64 is a flag.Value that stores into *P the float64 that ParseFloat64 reads,
// within Bounds.
type Float64 struct {
	P      *float64
	Bounds []Bound
}

// Set parses s with ParseFloat64 and stores the value; on error *P is unchanged.
func (f *Float64) Set(s string) error {
	x, err := ParseFloat64(s, f.Bounds...)
	if err != nil {
		return err
	}
	*f.P = x
	return nil
}

// String formats the current value with the fewest digits that read back exactly.
func (f *Float64) String() string {
	if f == nil || f.P == nil {
		return "0"
	}
	return strconv.FormatFloat(*f.P, 'g', -1, 64)
}

// Float32Var defines a float32 flag on fs (flag.CommandLine when fs is nil) that stores
// into p, starting at value, and accepts only values within bounds.
func Float32Var(fs *flag.FlagSet, p *float32, name string, value float32, usage string, bounds ...Bound) {
	if fs == nil {
		fs = flag.CommandLine
	}
	*p = value
	fs.Var(&Float32{P: p, Bounds: bounds}, name, usage)
}

// Float32Flag defines a float32 flag as Float32Var does and returns where it is stored.
func Float32Flag(fs *flag.FlagSet, name string, value float32, usage string, bounds ...Bound) *float32 {
	p := new(float32)
	Float32Var(fs, p, name, value, usage, bounds...)
	return p
}

// Float64Var defines a float64 flag on fs (flag.CommandLine when fs is nil) that stores
// into p, starting at value, and accepts only values within bounds.
func Float64Var(fs *flag.FlagSet, p *float64, name string, value float64, usage string, bounds ...Bound) {
	if fs == nil {
		fs = flag.CommandLine
	}
	*p = value
	fs.Var(&Float64{P: p, Bounds: bounds}, name, usage)
}

// Float64Flag defines a float64 flag as Float64Var does and returns where it is stored.
func Float64Flag(fs *flag.FlagSet, name string, value float64, usage string, bounds ...Bound) *float64 {
	p := new(float64)
	Float64Var(fs, p, name, value, usage, bounds...)
	return p
}
