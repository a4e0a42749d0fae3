package lenient

import (
	stdjson "encoding/json"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// List is a list under the rules: a JSON array, a single value (a list of
// one), or null (no list). Each element is decoded as a T. An empty list
// decodes as nil.
type List[T any] []T

// UnmarshalJSON reads the list rule with encoding/json.
func (l *List[T]) UnmarshalJSON(b []byte) error {
	b = trim(b)
	var out []T
	var err error
	switch first(b) {
	case 'n':
		if string(b) != "null" {
			return stdjson.Unmarshal(b, &out) // not JSON: encoding/json says so
		}
	case '[':
		err = stdjson.Unmarshal(b, &out)
	default:
		var one T
		err = stdjson.Unmarshal(b, &one)
		out = []T{one}
	}
	*l = nonEmpty(out)
	return err
}

// UnmarshalJSONFrom reads the list rule from the v2 engine.
func (l *List[T]) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	var out []T
	var err error
	switch dec.PeekKind() {
	case 'n':
		_, err = dec.ReadToken()
	case '[':
		err = json.UnmarshalDecode(dec, &out)
	default:
		var one T
		err = json.UnmarshalDecode(dec, &one)
		out = []T{one}
	}
	*l = nonEmpty(out)
	return err
}

// Strings is a list of strings under the rules: the list rule, with the
// string rule for each element.
type Strings []string

// UnmarshalJSON reads a list of strings with encoding/json.
func (s *Strings) UnmarshalJSON(b []byte) error {
	var l List[String]
	err := l.UnmarshalJSON(b)
	*s = stringsOf(l)
	return err
}

// UnmarshalJSONFrom reads a list of strings from the v2 engine.
func (s *Strings) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*s = nil
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '[':
	default:
		var one String
		err := one.UnmarshalJSONFrom(dec)
		*s = Strings{string(one)}
		return err
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	var out []string
	for dec.PeekKind() != ']' {
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		v, err := ReadString(raw)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	*s = nonEmpty(out)
	return nil
}

func stringsOf(l []String) Strings {
	if len(l) == 0 {
		return nil
	}
	out := make(Strings, len(l))
	for i, v := range l {
		out[i] = string(v)
	}
	return out
}

func nonEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}
