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
	*l = nil
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '[':
	default:
		var one T
		err := json.UnmarshalDecode(dec, &one)
		*l = List[T]{one}
		return err
	}
	// Element by element, so that a type-specific unmarshaler for []T
	// (ListFunc) does not call itself.
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	var out []T
	for dec.PeekKind() != ']' {
		var one T
		err := json.UnmarshalDecode(dec, &one)
		out = append(out, one)
		if err != nil {
			*l = out
			return err
		}
	}
	_, err := dec.ReadToken()
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
	v, err := ReadStrings(dec, nil)
	*s = v
	return err
}

// ReadStrings reads a list of strings from dec, sharing the copies of
// short strings through in (which may be nil).
func ReadStrings(dec *jsontext.Decoder, in *Interner) ([]string, error) {
	return readStrings[string](dec, in)
}

// readStrings is ReadStrings for a list of any string type: element by
// element with the string rule, without a decoding call per element.
func readStrings[T ~string](dec *jsontext.Decoder, in *Interner) ([]T, error) {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return nil, err
	case '[':
	default:
		raw, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		one, err := in.ReadString(raw)
		return []T{T(one)}, At(dec, err)
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	var out []T
	for dec.PeekKind() != ']' {
		raw, err := dec.ReadValue()
		if err != nil {
			return out, err
		}
		v, err := in.ReadString(raw)
		if err != nil {
			return out, At(dec, err)
		}
		out = append(out, T(v))
	}
	_, err := dec.ReadToken()
	return nonEmpty(out), err
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
