package lenient

import (
	"bytes"
	stdjson "encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// Error is a JSON value outside the rules. It says what was wanted and
// never holds the value.
type Error struct {
	// Want is what the rule accepts, e.g. "an integer".
	Want string
}

// Error returns "want " and what was wanted.
func (e *Error) Error() string { return "want " + e.Want }

var (
	errString = &Error{Want: "a string or a number"}
	errBool   = &Error{Want: "a boolean (true, false, 1 or 0)"}
	errInt    = &Error{Want: "an integer"}
	errTime   = &Error{Want: "a time (milliseconds since the epoch or RFC 3339)"}
)

// String is a string under the rules: a JSON string as sent, a JSON
// number's digits exactly as sent, or "" for null.
type String string

// Bool is a boolean under the rules: true/false, "true"/"false" in any
// case, 1/0, "1"/"0", or false for null.
type Bool bool

// Int is an integer under the rules: an integer, a decimal with a zero
// fraction, a numeric string of either form, or 0 for null.
type Int int64

// Time is a time under the rules: milliseconds since the epoch (a number
// or a numeric string), or an RFC 3339 string with any fraction; "", 0
// and null give the zero time. A decoded time is in UTC.
type Time time.Time

// ReadString reads a JSON value under the string rule.
func ReadString(raw []byte) (string, error) {
	switch first(raw) {
	case '"':
		s, err := unquote(raw)
		if err != nil {
			return "", errString
		}
		return s, nil
	case 'n':
		if string(raw) == "null" {
			return "", nil
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if validNumber(raw) {
			return string(raw), nil
		}
	}
	return "", errString
}

// ReadBool reads a JSON value under the boolean rule.
func ReadBool(raw []byte) (bool, error) {
	switch string(raw) {
	case "true", "1":
		return true, nil
	case "false", "0", "null":
		return false, nil
	}
	if first(raw) == '"' {
		s, err := unquote(raw)
		switch s = strings.TrimSpace(s); {
		case err != nil:
		case s == "1" || strings.EqualFold(s, "true"):
			return true, nil
		case s == "0" || strings.EqualFold(s, "false"):
			return false, nil
		}
	}
	return false, errBool
}

// ReadInt reads a JSON value under the integer rule.
func ReadInt(raw []byte) (int64, error) {
	if n, ok := smallInt(raw); ok {
		return n, nil
	}
	var n int64
	ok := false
	switch first(raw) {
	case 'n':
		ok = string(raw) == "null"
	case '"':
		if s, err := unquote(raw); err == nil {
			n, ok = ParseInt(s)
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if validNumber(raw) {
			n, ok = ParseInt(string(raw))
		}
	}
	if !ok {
		return 0, errInt
	}
	return n, nil
}

// ParseInt parses an integer written as an integer or as a decimal with
// a zero fraction ("7", "7.0", "1e3"), with optional white space around.
func ParseInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if n, ok := smallInt([]byte(s)); ok {
		return n, true
	}
	d, ok := ParseDecimal(s)
	if !ok {
		return 0, false
	}
	return d.Integer()
}

// smallInt reads a plain integer of at most 18 digits (no sign but an
// optional minus, no leading zero), the usual case, without allocating.
func smallInt(b []byte) (int64, bool) {
	digits := b
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 || (digits[0] == '0' && len(digits) > 1) {
		return 0, false
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if len(digits) < len(b) {
		n = -n
	}
	return n, true
}

// ReadTime reads a JSON value under the time rule.
func ReadTime(raw []byte) (time.Time, error) {
	switch first(raw) {
	case 'n':
		if string(raw) == "null" {
			return time.Time{}, nil
		}
	case '"':
		s, err := unquote(raw)
		if err != nil {
			break
		}
		if s = strings.TrimSpace(s); s == "" {
			return time.Time{}, nil
		}
		if ms, ok := ParseInt(s); ok {
			return fromMillis(ms), nil
		}
		if t, ok := parseRFC3339(s); ok {
			return t, nil
		}
	default:
		if ms, err := ReadInt(raw); err == nil {
			return fromMillis(ms), nil
		}
	}
	return time.Time{}, errTime
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// parseRFC3339 reads RFC 3339 with any fraction, taking a lower-case t or
// z, or a space for the T, as RFC 3339 allows.
func parseRFC3339(s string) (time.Time, bool) {
	if len(s) > 10 && (s[10] == 't' || s[10] == ' ') {
		s = s[:10] + "T" + s[11:]
	}
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	if t = t.UTC(); t.IsZero() {
		return time.Time{}, true
	}
	return t, true
}

// UnmarshalJSON reads the string rule.
func (s *String) UnmarshalJSON(b []byte) error {
	v, err := ReadString(trim(b))
	*s = String(v)
	return err
}

// UnmarshalJSONFrom reads the string rule from the v2 engine.
func (s *String) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	v, err := ReadString(raw)
	*s = String(v)
	return At(dec, err)
}

// UnmarshalJSON reads the boolean rule.
func (v *Bool) UnmarshalJSON(b []byte) error {
	x, err := ReadBool(trim(b))
	*v = Bool(x)
	return err
}

// UnmarshalJSONFrom reads the boolean rule from the v2 engine.
func (v *Bool) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	x, err := ReadBool(raw)
	*v = Bool(x)
	return At(dec, err)
}

// UnmarshalJSON reads the integer rule.
func (n *Int) UnmarshalJSON(b []byte) error {
	x, err := ReadInt(trim(b))
	*n = Int(x)
	return err
}

// UnmarshalJSONFrom reads the integer rule from the v2 engine.
func (n *Int) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	x, err := ReadInt(raw)
	*n = Int(x)
	return At(dec, err)
}

// UnmarshalJSON reads the time rule.
func (t *Time) UnmarshalJSON(b []byte) error {
	x, err := ReadTime(trim(b))
	*t = Time(x)
	return err
}

// UnmarshalJSONFrom reads the time rule from the v2 engine.
func (t *Time) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	x, err := ReadTime(raw)
	*t = Time(x)
	return At(dec, err)
}

// first returns the first byte of raw, or 0.
func first(raw []byte) byte {
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

func trim(b []byte) []byte { return bytes.TrimSpace(b) }

// unquote decodes a JSON string token as encoding/json does: escapes
// decoded, and each byte of invalid UTF-8 (or lone surrogate) replaced by
// U+FFFD.
func unquote(raw []byte) (string, error) {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && plain(raw[1:n-1]) {
		return string(raw[1 : n-1]), nil
	}
	b, err := jsontext.AppendUnquote(nil, raw)
	if err == nil {
		return string(b), nil
	}
	// Invalid UTF-8 or a lone surrogate: encoding/json decides, replacing
	// them with U+FFFD.
	var s string
	if err := stdjson.Unmarshal(raw, &s); err != nil {
		return "", err
	}
	return s, nil
}

// plain reports whether s can stand between quotes in JSON as it is: no
// quote, backslash or control character, and valid UTF-8.
func plain(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.Valid(s) && bytes.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == '"' || r == '\\' }) < 0
		}
	}
	return true
}

// validNumber reports whether b is a JSON number.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(b)
}
