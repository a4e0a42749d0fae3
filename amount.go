package travelroam

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Amount is an exact decimal sum of money in the organisation's currency,
// such as a bundle price or a wallet balance. It decodes from a JSON number
// or a JSON string without passing through float64, so "1.85" stays 1.85.
// The zero value is 0.
//
// An Amount keeps the precision it was given ("1.85" and "1.850" print
// differently), so compare amounts with [Amount.Cmp], not ==.
type Amount struct {
	units int64 // the value times 10^scale
	scale int32 // digits after the decimal point, 0..18
}

const maxAmountScale = 18

// ParseAmount parses a decimal such as "1.85", "-3", "0.10" or "1.5e2".
func ParseAmount(s string) (Amount, error) {
	a, ok := parseDecimal(strings.TrimSpace(s))
	if !ok {
		return Amount{}, fmt.Errorf("travelroam: invalid amount %q", s)
	}
	return a, nil
}

// AmountFromCents returns an amount of n hundredths, e.g. 185 gives 1.85.
func AmountFromCents(n int64) Amount { return Amount{units: n, scale: 2} }

func parseDecimal(s string) (Amount, bool) {
	if s == "" || len(s) > 64 {
		return Amount{}, false
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > maxAmountScale || e < -maxAmountScale {
			return Amount{}, false
		}
		exp, s = e, s[:i]
	}
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && frac == "" || hasDot && frac == "" && intPart == "" {
		return Amount{}, false
	}
	var u uint64
	digits := 0
	for _, part := range [2]string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c < '0' || c > '9' {
				return Amount{}, false
			}
			if u == 0 && c == '0' {
				continue // leading zeros do not count against precision
			}
			digits++
			if digits > 19 { // 19 digits fit in a uint64; the int64 range is checked below
				return Amount{}, false
			}
			u = u*10 + uint64(c-'0')
		}
	}
	scale := len(frac) - exp
	for scale < 0 {
		if u > math.MaxInt64/10 {
			return Amount{}, false
		}
		u *= 10
		scale++
	}
	for scale > maxAmountScale {
		if u%10 != 0 {
			return Amount{}, false
		}
		u /= 10
		scale--
	}
	if u > math.MaxInt64 {
		return Amount{}, false
	}
	v := int64(u)
	if neg {
		v = -v
	}
	return Amount{units: v, scale: int32(scale)}, true
}

// String returns the amount as decimal text with the precision it was
// given, e.g. "1.85", "0.10" or "-3".
func (a Amount) String() string {
	neg := a.units < 0
	u := uint64(a.units)
	if neg {
		u = uint64(-a.units)
	}
	s := strconv.FormatUint(u, 10)
	if a.scale > 0 {
		if len(s) <= int(a.scale) {
			s = strings.Repeat("0", int(a.scale)-len(s)+1) + s
		}
		s = s[:len(s)-int(a.scale)] + "." + s[len(s)-int(a.scale):]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Float64 returns the nearest float64, for display or arithmetic where
// exactness does not matter.
func (a Amount) Float64() float64 {
	f, _ := strconv.ParseFloat(a.String(), 64)
	return f
}

// IsZero reports whether the amount is zero.
func (a Amount) IsZero() bool { return a.units == 0 }

// Sign returns -1, 0 or +1.
func (a Amount) Sign() int {
	switch {
	case a.units < 0:
		return -1
	case a.units > 0:
		return 1
	}
	return 0
}

// Cmp compares a and b and returns -1, 0 or +1. Amounts too far apart to
// align exactly compare by their float64 values.
func (a Amount) Cmp(b Amount) int {
	x, y, ok := align(a, b)
	if !ok {
		fa, fb := a.Float64(), b.Float64()
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// Add returns a+b. It fails only when the exact result does not fit in 18
// significant digits.
func (a Amount) Add(b Amount) (Amount, error) {
	x, y, ok := align(a, b)
	s := max(a.scale, b.scale)
	if !ok || (y > 0 && x > math.MaxInt64-y) || (y < 0 && x < math.MinInt64-y) {
		return Amount{}, errors.New("travelroam: amount overflow")
	}
	return Amount{units: x + y, scale: s}, nil
}

// Sub returns a-b. It fails only when the exact result does not fit.
func (a Amount) Sub(b Amount) (Amount, error) {
	return a.Add(Amount{units: -b.units, scale: b.scale})
}

// align returns the unscaled values of a and b at the larger scale.
func align(a, b Amount) (int64, int64, bool) {
	x, y := a.units, b.units
	for s := a.scale; s < b.scale; s++ {
		if x > math.MaxInt64/10 || x < math.MinInt64/10 {
			return 0, 0, false
		}
		x *= 10
	}
	for s := b.scale; s < a.scale; s++ {
		if y > math.MaxInt64/10 || y < math.MinInt64/10 {
			return 0, 0, false
		}
		y *= 10
	}
	return x, y, true
}

// MarshalJSON writes the amount as a JSON number with its exact digits.
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalJSON reads a JSON number, a JSON string holding a number, or
// null (zero).
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*a = Amount{}
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
		if s == "" {
			*a = Amount{}
			return nil
		}
	}
	v, ok := parseDecimal(s)
	if !ok {
		return fmt.Errorf("travelroam: invalid amount %.40q", string(b))
	}
	*a = v
	return nil
}
