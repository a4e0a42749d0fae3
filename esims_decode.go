package travelroam

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// Lenient decoders for the eSIM endpoints. Travel Roam passes eSIM Go's
// answers through, and the sources disagree on types (an ICCID as a number,
// a timestamp as milliseconds or RFC 3339, a quantity as 1000.00 or a
// string). Their errors never quote the value they could not read.

// lenientString decodes a JSON string, number or boolean as its text, and
// null as "".
type lenientString string

func (s *lenientString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*s = ""
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = lenientString(strings.TrimSpace(v))
	case b[0] == '{' || b[0] == '[':
		return errors.New("want a string or a number, got an object or an array")
	default:
		*s = lenientString(b) // a number (digits kept exactly) or true/false
	}
	return nil
}

// lenientInt64 decodes a whole number sent as a JSON number or string,
// with or without a fraction (1000.00 is 1000; a fraction is dropped).
// null and "" are 0.
type lenientInt64 int64

func (n *lenientInt64) UnmarshalJSON(b []byte) error {
	s, ok, err := lenientScalar(b)
	if err != nil || !ok {
		*n = 0
		return err
	}
	v, err := parseWholeNumber(s)
	if err != nil {
		return err
	}
	*n = lenientInt64(v)
	return nil
}

// lenientScalar returns the text of a JSON number or string; ok is false
// for null or an empty string.
func lenientScalar(b []byte) (s string, ok bool, err error) {
	var ls lenientString
	if err := ls.UnmarshalJSON(b); err != nil {
		return "", false, err
	}
	return string(ls), ls != "", nil
}

func parseWholeNumber(s string) (int64, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	if whole, frac, ok := strings.Cut(s, "."); ok && frac != "" && strings.Trim(frac, "0123456789") == "" {
		if v, err := strconv.ParseInt(whole, 10, 64); err == nil {
			return v, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= math.MaxInt64 {
		return 0, errors.New("want a whole number")
	}
	return int64(f), nil
}

// lenientBool decodes true/false, "true"/"false" (any case), 1/0 and
// "1"/"0"; null and "" are false.
type lenientBool bool

func (v *lenientBool) UnmarshalJSON(b []byte) error {
	s, ok, err := lenientScalar(b)
	if err != nil || !ok {
		*v = false
		return err
	}
	switch strings.ToLower(s) {
	case "true", "1", "yes":
		*v = true
	case "false", "0", "no":
		*v = false
	default:
		return errors.New("want a boolean")
	}
	return nil
}

// lenientTime decodes a timestamp sent as milliseconds since the epoch (a
// number or a string of digits; a value below 10^11 is taken as seconds),
// or as an RFC 3339 string, with or without a zone (UTC is assumed). 0,
// "", null and a form it does not know give the zero time: a timestamp in
// an unexpected form must not make a whole answer unreadable.
type lenientTime time.Time

func (t *lenientTime) UnmarshalJSON(b []byte) error {
	s, ok, err := lenientScalar(b)
	if err != nil || !ok {
		*t = lenientTime{}
		return err
	}
	*t = lenientTime(parseLenientTime(s))
	return nil
}

var lenientTimeLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// parseLenientTime reads a non-empty timestamp; see lenientTime.
func parseLenientTime(s string) time.Time {
	if s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "-:") {
		n, err := parseWholeNumber(s)
		switch {
		case err != nil || n <= 0:
			return time.Time{}
		case n < 1e11: // seconds: 10^11 ms would be 1973, before any eSIM
			return time.Unix(n, 0).UTC()
		default:
			return time.UnixMilli(n).UTC()
		}
	}
	for _, layout := range lenientTimeLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			return v.UTC()
		}
	}
	return time.Time{}
}

// unwrapPayload follows the first present, non-null wrapper key (e.g.
// "data") down to the payload, at most a few levels deep.
func unwrapPayload(b []byte, keys ...string) []byte {
	for range 4 {
		b = bytes.TrimSpace(b)
		if len(b) == 0 || b[0] != '{' {
			return b
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(b, &obj) != nil {
			return b
		}
		next := b
		for _, k := range keys {
			if v, ok := obj[k]; ok && !isJSONNull(v) {
				next = v
				break
			}
		}
		if bytes.Equal(next, b) {
			return b
		}
		b = next
	}
	return bytes.TrimSpace(b)
}

func isJSONNull(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null"
}

// decodeObjectOrFirst decodes a JSON object into v, or the first element
// of a JSON array. An empty array is an error.
func decodeObjectOrFirst(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		if len(list) == 0 {
			return errors.New("empty list")
		}
		b = list[0]
	}
	if len(b) == 0 || b[0] != '{' {
		return errors.New("want a JSON object")
	}
	return json.Unmarshal(b, v)
}
