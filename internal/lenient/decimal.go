package lenient

import (
	"math"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// MaxScale is the most digits a Decimal keeps after the point.
const MaxScale = 18

// Decimal is an exact decimal number: Units × 10^-Scale. It keeps the
// precision it was given ("1.850" has Scale 3). It is the rule for money
// and for quantities that may have a fraction.
type Decimal struct {
	// Units is the value times 10^Scale.
	Units int64
	// Scale is the number of digits after the point, 0 to MaxScale.
	Scale int32
}

var errDecimal = &Error{Want: "a number"}

// ParseDecimal parses a decimal such as "1.85", "-3", "+.5", "12." or
// "1.5e2" exactly. It fails for anything else, for more than 19
// significant digits, more than MaxScale digits after the point once
// trailing zeros are dropped, or an exponent beyond ±MaxScale.
func ParseDecimal(s string) (Decimal, bool) {
	if s == "" || len(s) > 64 {
		return Decimal{}, false
	}
	s, exp, ok := cutExponent(s)
	if !ok {
		return Decimal{}, false
	}
	neg, s := cutSign(s)
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return Decimal{}, false
	}
	// Trailing zeros of the fraction are added back at the end while they
	// fit, so that "1.850" keeps its precision and "1.000…0" with many
	// zeros is still 1.
	core := strings.TrimRight(frac, "0")
	u, ok := significand(intPart, core)
	if !ok {
		return Decimal{}, false
	}
	u, scale, ok := rescale(u, len(core)-exp, neg)
	if !ok {
		return Decimal{}, false
	}
	u, scale = keepZeros(u, scale, len(frac)-len(core))
	v := int64(u) // -2^63 when u is 2^63
	if neg {
		v = -v
	}
	return Decimal{Units: v, Scale: int32(scale)}, true
}

// cutExponent splits "1.5e2" into "1.5" and 2; an exponent beyond
// ±MaxScale or not an integer fails.
func cutExponent(s string) (string, int, bool) {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return s, 0, true
	}
	e, err := strconv.Atoi(s[i+1:])
	if err != nil || e > MaxScale || e < -MaxScale {
		return "", 0, false
	}
	return s[:i], e, true
}

// cutSign drops a leading "-" or "+" and reports the "-".
func cutSign(s string) (neg bool, rest string) {
	switch {
	case strings.HasPrefix(s, "-"):
		return true, s[1:]
	case strings.HasPrefix(s, "+"):
		return false, s[1:]
	}
	return false, s
}

// significand reads the digits of intPart then core as one integer.
// Leading zeros do not count against precision; more than 19 significant
// digits (what a uint64 surely holds; the int64 range is checked later)
// fail.
func significand(intPart, core string) (uint64, bool) {
	var u uint64
	digits := 0
	for _, part := range [2]string{intPart, core} {
		for i := 0; i < len(part); i++ {
			if u == 0 && part[i] == '0' {
				continue
			}
			digits++
			if digits > 19 {
				return 0, false
			}
			u = u*10 + uint64(part[i]-'0')
		}
	}
	return u, true
}

// rescale brings u × 10^-scale to a scale from 0 to MaxScale without
// losing a digit, and checks that it fits an int64 (-2^63 included when
// neg).
func rescale(u uint64, scale int, neg bool) (uint64, int, bool) {
	for scale < 0 {
		if u > math.MaxInt64/10 {
			return 0, 0, false
		}
		u *= 10
		scale++
	}
	for scale > MaxScale && u%10 == 0 && u != 0 {
		u /= 10
		scale--
	}
	if u == 0 {
		scale = min(scale, MaxScale)
	}
	if scale > MaxScale || u > math.MaxInt64 && !(neg && u == 1<<63) {
		return 0, 0, false
	}
	return u, scale, true
}

// keepZeros adds back up to zeros trailing zeros of the fraction while
// the scale and the int64 range allow.
func keepZeros(u uint64, scale, zeros int) (uint64, int) {
	for ; zeros > 0 && scale < MaxScale && u <= math.MaxInt64/10; zeros-- {
		u *= 10
		scale++
	}
	return u, scale
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ReadDecimal reads a JSON value under the decimal rule: a number or a
// numeric string; null gives 0.
func ReadDecimal(raw []byte) (Decimal, error) {
	var d Decimal
	ok := false
	switch first(raw) {
	case 'n':
		ok = string(raw) == "null"
	case '"':
		if s, err := unquote(raw); err == nil {
			d, ok = ParseDecimal(strings.TrimSpace(s))
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if validNumber(raw) {
			d, ok = ParseDecimal(string(raw))
		}
	}
	if !ok {
		return Decimal{}, errDecimal
	}
	return d, nil
}

// String returns the decimal as text with its precision, e.g. "1.850".
func (d Decimal) String() string {
	neg := d.Units < 0
	u := uint64(d.Units)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u, 10)
	if d.Scale > 0 {
		if len(s) <= int(d.Scale) {
			s = strings.Repeat("0", int(d.Scale)-len(s)+1) + s
		}
		s = s[:len(s)-int(d.Scale)] + "." + s[len(s)-int(d.Scale):]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Float64 returns the nearest float64.
func (d Decimal) Float64() float64 {
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

// Trunc returns the integer part, cut toward zero.
func (d Decimal) Trunc() int64 {
	v := d.Units
	for s := d.Scale; s > 0; s-- {
		v /= 10
	}
	return v
}

// Integer returns the value as an int64 when it has no fraction.
func (d Decimal) Integer() (int64, bool) {
	v, s := d.Units, d.Scale
	for ; s > 0 && v%10 == 0; s-- {
		v /= 10
	}
	return v, s == 0
}

// HasFraction reports whether the decimal was written with digits after
// the point, even zeros ("1000.00").
func (d Decimal) HasFraction() bool { return d.Scale > 0 }

// UnmarshalJSON reads the decimal rule.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	v, err := ReadDecimal(trim(b))
	*d = v
	return err
}

// UnmarshalJSONFrom reads the decimal rule from the v2 engine.
func (d *Decimal) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	v, err := ReadDecimal(raw)
	*d = v
	return At(dec, err)
}
