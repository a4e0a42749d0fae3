package travelroam

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/roamkit/travelroam/internal/lenient"
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

// ParseAmount parses a decimal such as "1.85", "-3", "0.10" or "1.5e2".
func ParseAmount(s string) (Amount, error) {
	a, ok := parseDecimal(strings.TrimSpace(s))
	if !ok {
		return Amount{}, fmt.Errorf("travelroam: invalid amount %q", s)
	}
	return a, nil
}

func parseDecimal(s string) (Amount, bool) {
	d, ok := lenient.ParseDecimal(s)
	return Amount{units: d.Units, scale: d.Scale}, ok
}

// String returns the amount as decimal text with the precision it was
// given, e.g. "1.85", "0.10" or "-3".
func (a Amount) String() string { return a.decimal().String() }

func (a Amount) decimal() lenient.Decimal { return lenient.Decimal{Units: a.units, Scale: a.scale} }

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

// UnmarshalJSON reads a JSON number, a JSON string holding a number
// (white space around it is ignored), or null (zero). Anything else is
// an error that does not quote the value.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var d lenient.Decimal
	err := d.UnmarshalJSON(b)
	*a = Amount{units: d.Units, scale: d.Scale}
	return err
}

// UnmarshalJSONFrom is UnmarshalJSON for the JSON v2 engine.
func (a *Amount) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	var d lenient.Decimal
	err := d.UnmarshalJSONFrom(dec)
	*a = Amount{units: d.Units, scale: d.Scale}
	return err
}
