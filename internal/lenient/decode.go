package lenient

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// Options returns the JSON v2 engine's options that give encoding/json's
// semantics (names matched exactly, else ignoring case with Unicode
// folding; the last of duplicate names wins; invalid UTF-8 becomes
// U+FFFD; at most 10,000 levels of nesting; merging into existing values)
// without its separate validation pass: the engine validates as it
// decodes and stops at the first error.
func Options() json.Options {
	return json.JoinOptions(jsonv1.DefaultOptionsV1(), jsonv1.ReportErrorsWithLegacySemantics(false))
}

// unmarshal is json.Unmarshal with [Options], then opts. It passes the
// two parts of Options on their own, so that a decoding with at most one
// option of its own allocates for neither (Options joins them into a new
// value).
func unmarshal(b []byte, v any, opts []json.Options) error {
	legacy, errs := jsonv1.DefaultOptionsV1(), jsonv1.ReportErrorsWithLegacySemantics(false)
	switch len(opts) {
	case 0:
		return json.Unmarshal(b, v, legacy, errs)
	case 1:
		return json.Unmarshal(b, v, legacy, errs, opts[0])
	}
	return json.Unmarshal(b, v, withOptions(opts)...)
}

// withOptions returns the parts of [Options], then opts, in one new list.
func withOptions(opts []json.Options) []json.Options {
	all := make([]json.Options, 2, 2+len(opts))
	all[0], all[1] = jsonv1.DefaultOptionsV1(), jsonv1.ReportErrorsWithLegacySemantics(false)
	return append(all, opts...)
}

// FieldError is an [*Error] with the place of the value: Field is the
// path of member names and array positions from the top of the document,
// joined by "/", e.g. "bundles/3/duration".
type FieldError struct {
	// Field is the path of the value, as sent.
	Field string
	// Err is the *Error.
	Err error
}

// Error returns the quoted path, then what was wanted, e.g.
// "bundles/3/duration": want an integer.
func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Err.Error()
	}
	return strconv.Quote(e.Field) + ": " + e.Err.Error()
}

// Unwrap returns the *Error.
func (e *FieldError) Unwrap() error { return e.Err }

// Unmarshal decodes b into v, a pointer to a zero value (or one holding
// preallocated slices), with the v2 engine, [Options] and opts.
//
// When that fails, a value outside the rules gives a [*FieldError]. Any
// other failure is decided by encoding/json: b is decoded again with it
// into a fresh value, and its error is returned, or its value if it
// accepts b. So errors are encoding/json's, and so is the final word on
// an input the engines would read differently.
func Unmarshal(b []byte, v any, opts ...json.Options) error {
	err := UnmarshalV2(b, v, opts...)
	if err == nil {
		return nil
	}
	if fe := AsFieldError(err); fe != nil {
		return fe
	}
	again := reflect.New(reflect.TypeOf(v).Elem())
	if err := stdjson.Unmarshal(b, again.Interface()); err != nil {
		return err
	}
	reflect.ValueOf(v).Elem().Set(again.Elem())
	return nil
}

// UnmarshalV2 decodes b into v with the v2 engine, [Options] and opts
// only.
func UnmarshalV2(b []byte, v any, opts ...json.Options) error {
	return unmarshal(b, v, opts)
}

// UnmarshalFrom decodes b into v through its UnmarshalJSONFrom method,
// with [Options]: the UnmarshalJSON of a type whose streaming method
// holds its rules. An error from a rule is returned as it is (a
// [*FieldError] when it lies below the top).
func UnmarshalFrom(b []byte, v json.UnmarshalerFrom) error {
	err := unmarshal(b, v, nil)
	if fe := AsFieldError(err); fe != nil {
		return fe
	}
	return err
}

// At places an [*Error] at the value dec read last: it returns a
// [*FieldError] naming that value's path, which stays with the error
// whatever wraps it (or reports it verbatim, as encoding/json's legacy
// semantics do). Any other error is returned as it is.
func At(dec *jsontext.Decoder, err error) error {
	if le, ok := err.(*Error); ok {
		return &FieldError{Field: pointerPath(dec.StackPointer()), Err: le}
	}
	return err
}

// AsFieldError returns the [*FieldError] (or the bare [*Error], at the
// top of the document) that err carries from a rule, or nil.
func AsFieldError(err error) error {
	var le *Error
	if err == nil || !errors.As(err, &le) {
		return nil
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		if fe.Field == "" {
			return fe.Err
		}
		return fe
	}
	var se *json.SemanticError
	if errors.As(err, &se) {
		if field := pointerPath(se.JSONPointer); field != "" {
			return &FieldError{Field: field, Err: le}
		}
	}
	return le
}

// pointerPath writes a JSON pointer as a path of at most 200 bytes.
func pointerPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		if len(tok) > 40 {
			tok = strings.ToValidUTF8(tok[:40], "") + "…"
		}
		b.WriteString(tok)
		if b.Len() > 200 {
			return b.String()[:200] + "…"
		}
	}
	return b.String()
}

// Fields decodes the JSON object b into the struct *v member by member:
// each member whose name matches a field's JSON name (exactly, else
// ignoring case as encoding/json does; the last of duplicates wins) is
// decoded on its own with the v2 engine, [Options] and opts, and one
// whose value does not decode leaves its field at zero instead of
// failing the whole; when that value is an object and the field a
// struct, the object is decoded member by member in turn. Members
// without a field are skipped.
//
// A field tagged lenient:"strict" is the exception: a value of it that
// does not decode fails the whole with a [*FieldError] naming it. Fields
// also fails when b is not one valid JSON object.
func Fields(b []byte, v any, opts ...json.Options) error {
	rv := reflect.ValueOf(v).Elem()
	names := jsonNames(rv.Type())
	dec := jsontext.NewDecoder(bytes.NewBuffer(b), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if dec.PeekKind() != '{' {
		if _, err := dec.ReadValue(); err != nil {
			return err
		}
		return &Error{Want: "a JSON object"}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	opts = withOptions(opts)
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		name := tok.String()
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if i := matchName(names, name); i >= 0 {
			if err := setField(rv, i, name, raw, opts); err != nil {
				return err
			}
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return &Error{Want: "one JSON object"}
	}
	return nil
}

// setField decodes raw, the value of the member name, into the field
// numbered i of the struct rv, as [Fields] says.
func setField(rv reflect.Value, i int, name string, raw jsontext.Value, opts []json.Options) error {
	f := rv.Field(i)
	nv := reflect.New(f.Type())
	err := json.Unmarshal(raw, nv.Interface(), opts...)
	switch {
	case err == nil:
		f.Set(nv.Elem())
	case rv.Type().Field(i).Tag.Get("lenient") == "strict":
		return strictError(name, err)
	default:
		f.SetZero()
		if f.Kind() == reflect.Struct && raw.Kind() == '{' {
			_ = Fields(raw, f.Addr().Interface(), opts[2:]...) // an object: it fails on nothing; opts less withOptions' two
		}
	}
	return nil
}

// OnePassOrFields decodes the JSON value b into *v, a zero struct, in one
// pass when every member follows the rules (the usual case), else member
// by member ([Fields]), leaving each member outside them at zero, with
// the v2 engine, [Options] and opts (e.g. a decoder's) both ways. It
// fails only for a value that is not a JSON object, or a strict member
// outside the rules.
func OnePassOrFields(b []byte, v any, opts ...json.Options) error {
	if unmarshal(b, v, opts) == nil {
		return nil
	}
	reflect.ValueOf(v).Elem().SetZero()
	return Fields(b, v, opts...)
}

// strictError names the member name in the error err of its value.
func strictError(name string, err error) error {
	fe := &FieldError{Field: name, Err: err}
	switch inner := AsFieldError(err).(type) {
	case *FieldError:
		fe.Field, fe.Err = name+"/"+inner.Field, inner.Err
	case *Error:
		fe.Err = inner
	default:
		fe.Err = &Error{Want: "a value of another type"}
	}
	return fe
}

// jsonNames returns the JSON name of each field of t, "" for none.
func jsonNames(t reflect.Type) []string {
	names := make([]string, t.NumField())
	for i := range names {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() || tag == "-":
		case tag != "":
			names[i] = tag
		default:
			names[i] = f.Name
		}
	}
	return names
}

// matchName returns the index of the name that equals name, else of the
// first that equals it ignoring case, else -1.
func matchName(names []string, name string) int {
	fold := -1
	for i, n := range names {
		switch {
		case n == "":
		case n == name:
			return i
		case fold < 0 && strings.EqualFold(n, name):
			fold = i
		}
	}
	return fold
}
