package lenient

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Unmarshalers returns the rules as type-specific unmarshalers for the
// v2 engine: decoded with json.WithUnmarshalers(Unmarshalers(in)), every
// string, bool, int, int64, float64 (the decimal rule), time.Time and
// []string (the list rule) follows the rules (a defined string type
// through [StringFunc]), so that a struct of plain Go types
// decodes leniently in place, without a wire copy. Named types keep their
// own methods. Strings are shared through in (which may be nil).
func Unmarshalers(in *Interner) *json.Unmarshalers {
	return json.JoinUnmarshalers(
		scalarFunc(ReadString),
		scalarFunc(ReadBool),
		scalarFunc(ReadInt),
		scalarFunc(func(raw []byte) (int, error) {
			n, err := ReadInt(raw)
			if int64(int(n)) != n {
				return 0, errInt
			}
			return int(n), err
		}),
		scalarFunc(func(raw []byte) (float64, error) {
			d, err := ReadDecimal(raw)
			return d.Float64(), err
		}),
		scalarFunc(ReadTime),
		json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *[]string) error {
			var err error
			*v, err = ReadStrings(dec, in)
			return err
		}),
	)
}

// ListFunc returns the list rule for a []T as a type-specific unmarshaler
// for the v2 engine.
func ListFunc[T any]() *json.Unmarshalers {
	return json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *[]T) error {
		return (*List[T])(v).UnmarshalJSONFrom(dec)
	})
}

// StringsFunc returns the list rule with the string rule for each
// element, for a []T of the defined string type T (a list of ICCIDs), as
// a type-specific unmarshaler for the v2 engine: [ListFunc] with
// [StringFunc] gives the same result at the cost of a decoding call per
// element.
func StringsFunc[T ~string]() *json.Unmarshalers {
	return json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *[]T) error {
		var err error
		*v, err = readStrings[T](dec, nil)
		return err
	})
}

// StringFunc returns the string rule for the defined string type T (a
// status, a state, a secret) as a type-specific unmarshaler for the v2
// engine.
func StringFunc[T ~string]() *json.Unmarshalers {
	return scalarFunc(func(raw []byte) (T, error) {
		s, err := ReadString(raw)
		return T(s), err
	})
}

// Rules returns the v2 engine's option that applies the rules to every
// scalar of a plain Go type ([Unmarshalers], sharing nothing), and to
// the types the funcs in extra cover ([StringFunc], [ListFunc]…): a
// public struct decodes in place under it, without a wire copy.
func Rules(extra ...*json.Unmarshalers) json.Options {
	return json.WithUnmarshalers(json.JoinUnmarshalers(append([]*json.Unmarshalers{Unmarshalers(nil)}, extra...)...))
}

func scalarFunc[T any](read func([]byte) (T, error)) *json.Unmarshalers {
	return json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *T) error {
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		*v, err = read(raw)
		return At(dec, err)
	})
}
