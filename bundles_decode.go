package travelroam

// This file decodes bundles, in two ways that give the same result
// (FuzzCatalogueEngines compares them on arbitrary input):
//
//   - with encoding/json, through wireBundle and wireAllowance, whose
//     field types are the lenient rules (package lenient). Bundle's and
//     Allowance's UnmarshalJSON use them, and so does the catalogue's
//     fall-back when the JSON v2 engine fails;
//   - with the JSON v2 engine (bundleOptions), which reads each bundle in
//     place, member by member, with the same rules, shares repeated short
//     strings and copies lists out at their exact length: the catalogue's
//     fast path, 2.5 to 3 times as fast as encoding/json into plain
//     structs, with a third of its memory (BENCHMARKS.md).
//
// countryList and speeds (the decoders of Bundle's country lists and
// speeds) have one streaming reader each, which both paths use.

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/roamkit/travelroam/internal/lenient"
)

// wireBundle is a bundle under the lenient rules (see package lenient):
// "dataAmount": 500.0, "duration": "7", "unlimited": "true" or "groups":
// "Standard Fixed" decode, and an odd value fails with its field named.
type wireBundle struct {
	Name           lenient.String          `json:"name"`
	Description    lenient.String          `json:"description"`
	Groups         lenient.Strings         `json:"groups"`
	Countries      countryList             `json:"countries"`
	DataAmountMB   lenient.Int             `json:"dataAmount"`
	DurationDays   lenient.Int             `json:"duration"`
	Speed          speeds                  `json:"speed"`
	Autostart      lenient.Bool            `json:"autostart"`
	Unlimited      lenient.Bool            `json:"unlimited"`
	RoamingEnabled countryList             `json:"roamingEnabled"`
	ImageURL       lenient.String          `json:"imageUrl"`
	Price          Amount                  `json:"price"`
	BillingType    lenient.String          `json:"billingType"`
	Allowances     lenient.List[Allowance] `json:"allowances"`
}

func (w *wireBundle) bundle() Bundle {
	return Bundle{
		Name:           string(w.Name),
		Description:    string(w.Description),
		Groups:         w.Groups,
		Countries:      w.Countries,
		DataAmountMB:   int64(w.DataAmountMB),
		DurationDays:   int(w.DurationDays),
		Speed:          w.Speed,
		Autostart:      bool(w.Autostart),
		Unlimited:      bool(w.Unlimited),
		RoamingEnabled: w.RoamingEnabled,
		ImageURL:       string(w.ImageURL),
		Price:          w.Price,
		BillingType:    string(w.BillingType),
		Allowances:     w.Allowances,
	}
}

// UnmarshalJSON decodes a bundle under the SDK's lenient rules (see
// package lenient), with encoding/json. The catalogue decodes bundles
// with the JSON v2 engine instead (see bundleOptions), to the same
// result.
func (b *Bundle) UnmarshalJSON(data []byte) error {
	var w wireBundle
	err := json.Unmarshal(data, &w)
	*b = w.bundle()
	return err
}

// allowanceFields is Allowance without its methods, for the JSON v2
// engine to decode field by field.
type allowanceFields Allowance

// bundleOptions are the JSON v2 engine's options for bundles: the
// lenient rules for every scalar (lenient.Unmarshalers) and the list
// rule for allowances, a Bundle and an Allowance decoded in place, field
// by field, each replacing what the slot held (as their UnmarshalJSON
// does with encoding/json), and one copy of each repeated short string
// (country names, groups, speeds…). No wire copy is made: a large
// catalogue takes about a third of the memory of encoding/json.
func bundleOptions() jsonv2.Options {
	d := &bundleDecoder{in: lenient.NewInterner()}
	return jsonv2.WithUnmarshalers(jsonv2.JoinUnmarshalers(
		lenient.Unmarshalers(d.in),
		lenient.ListFunc[Allowance](),
		jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, l *countryList) error { return l.read(dec, d) }),
		jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, s *speeds) error { return s.read(dec, d) }),
		jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, b *Bundle) error { return d.readBundle(dec, b) }),
		jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, a *Allowance) error {
			*a = Allowance{}
			return jsonv2.UnmarshalDecode(dec, (*allowanceFields)(a))
		}),
	))
}

// bundleDecoder is the state of one decoding of bundles with the JSON v2
// engine: the shared strings, and scratch lists that are copied out at
// their exact length (a list grown by appending would hold up to twice
// its length). A nil *bundleDecoder shares and reuses nothing.
type bundleDecoder struct {
	in        *lenient.Interner
	countries []Country
	speeds    []string
}

func (d *bundleDecoder) interner() *lenient.Interner {
	if d == nil {
		return nil
	}
	return d.in
}

// readBundle decodes one bundle in place, replacing what b held.
func (d *bundleDecoder) readBundle(dec *jsontext.Decoder, b *Bundle) error {
	*b = Bundle{}
	switch dec.PeekKind() {
	case '{':
	case 'n':
		_, err := dec.ReadToken()
		return err
	default:
		if err := dec.SkipValue(); err != nil {
			return err
		}
		return errors.New("want a bundle object")
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		key, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if err := d.readBundleField(dec, b, bundleKey(key)); err != nil {
			return lenient.At(dec, err)
		}
	}
	_, err := dec.ReadToken()
	return err
}

// The members of a bundle, numbered as in bundleKeys.
const (
	memberName = iota
	memberDescription
	memberGroups
	memberCountries
	memberDataAmount
	memberDuration
	memberSpeed
	memberAutostart
	memberUnlimited
	memberRoamingEnabled
	memberImageURL
	memberPrice
	memberBillingType
	memberAllowances
)

// bundleKeys are the JSON names of a bundle's members (those of Bundle's
// fields).
var bundleKeys = [...]string{memberName: "name", memberDescription: "description", memberGroups: "groups",
	memberCountries: "countries", memberDataAmount: "dataAmount", memberDuration: "duration", memberSpeed: "speed",
	memberAutostart: "autostart", memberUnlimited: "unlimited", memberRoamingEnabled: "roamingEnabled",
	memberImageURL: "imageUrl", memberPrice: "price", memberBillingType: "billingType", memberAllowances: "allowances"}

// bundleKey returns the number of the member named key (a raw JSON
// string), matched exactly, else ignoring case as encoding/json does; -1
// for none.
func bundleKey(key []byte) int {
	if len(key) > 2 && key[0] == '"' {
		inner := key[1 : len(key)-1]
		for i, k := range bundleKeys {
			if string(inner) == k {
				return i
			}
		}
	}
	name, _ := lenient.ReadString(key)
	for i, k := range bundleKeys {
		if strings.EqualFold(name, k) {
			return i
		}
	}
	return -1
}

// readBundleField reads the value of the member numbered field into b,
// under the rules wireBundle gives the same member; an unknown member
// (-1) is skipped.
func (d *bundleDecoder) readBundleField(dec *jsontext.Decoder, b *Bundle, field int) error {
	switch field {
	case memberGroups:
		var err error
		b.Groups, err = lenient.ReadStrings(dec, d.in)
		return err
	case memberCountries:
		return (*countryList)(&b.Countries).read(dec, d)
	case memberSpeed:
		return (*speeds)(&b.Speed).read(dec, d)
	case memberRoamingEnabled:
		return (*countryList)(&b.RoamingEnabled).read(dec, d)
	case memberPrice:
		return b.Price.UnmarshalJSONFrom(dec)
	case memberAllowances:
		return (*lenient.List[Allowance])(&b.Allowances).UnmarshalJSONFrom(dec)
	}
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return d.setBundleScalar(b, field, raw)
}

// setBundleScalar sets the scalar member numbered field of b from its
// value raw; an unknown member (-1) is skipped.
func (d *bundleDecoder) setBundleScalar(b *Bundle, field int, raw jsontext.Value) (err error) {
	switch field {
	case memberName:
		b.Name, err = lenient.ReadString(raw)
	case memberDescription:
		b.Description, err = lenient.ReadString(raw)
	case memberDataAmount:
		b.DataAmountMB, err = lenient.ReadInt(raw)
	case memberDuration:
		var n int64
		n, err = lenient.ReadInt(raw)
		b.DurationDays = int(n)
	case memberAutostart:
		b.Autostart, err = lenient.ReadBool(raw)
	case memberUnlimited:
		b.Unlimited, err = lenient.ReadBool(raw)
	case memberImageURL:
		b.ImageURL, err = lenient.ReadString(raw)
	case memberBillingType:
		b.BillingType, err = d.in.ReadString(raw)
	}
	return err
}

// wireAllowance is an allowance under the lenient rules.
type wireAllowance struct {
	Type        lenient.String  `json:"type"`
	Service     lenient.String  `json:"service"`
	Description lenient.String  `json:"description"`
	Amount      lenient.Decimal `json:"amount"`
	Unit        lenient.String  `json:"unit"`
	Unlimited   lenient.Bool    `json:"unlimited"`
}

func (w *wireAllowance) allowance() Allowance {
	return Allowance{Type: string(w.Type), Service: string(w.Service), Description: string(w.Description),
		Amount: w.Amount.Float64(), Unit: string(w.Unit), Unlimited: bool(w.Unlimited)}
}

// UnmarshalJSON decodes an allowance under the SDK's lenient rules, with
// encoding/json.
func (a *Allowance) UnmarshalJSON(data []byte) error {
	var w wireAllowance
	err := json.Unmarshal(data, &w)
	*a = w.allowance()
	return err
}

// read is UnmarshalJSONFrom within the decoding d (which may be nil).
func (s *speeds) read(dec *jsontext.Decoder, d *bundleDecoder) error {
	*s = nil
	if dec.PeekKind() != '"' {
		var out []string
		if d != nil {
			out = d.speeds[:0]
		}
		err := collectSpeeds(dec, &out, d.interner())
		if d != nil {
			d.speeds, out = out, slices.Clone(out)
		}
		if len(out) > 0 {
			*s = out
		}
		return err
	}
	str, err := readJSONString(dec)
	for _, part := range strings.FieldsFunc(str, func(r rune) bool { return r == ',' || r == '/' || r == ';' }) {
		if part = strings.TrimSpace(part); part != "" {
			*s = append(*s, part)
		}
	}
	return err
}

// collectSpeeds gathers the strings of the next value: a string itself, a
// list its elements', an object its keys set to true and its other
// values', in key order (the last of duplicate keys wins). Other values
// give nothing.
func collectSpeeds(dec *jsontext.Decoder, out *[]string, in *lenient.Interner) error {
	switch dec.PeekKind() {
	case '"':
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		s, err := in.ReadString(raw)
		*out = append(*out, s)
		return lenient.At(dec, err)
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		for dec.PeekKind() != ']' {
			if err := collectSpeeds(dec, out, in); err != nil {
				return err
			}
		}
		_, err := dec.ReadToken()
		return err
	case '{':
		return collectSpeedObject(dec, out, in)
	}
	return dec.SkipValue()
}

func collectSpeedObject(dec *jsontext.Decoder, out *[]string, in *lenient.Interner) error {
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	members := map[string][]string{} // a key set to true holds nil
	for dec.PeekKind() != '}' {
		key, err := readJSONString(dec)
		if err != nil {
			return err
		}
		var vals []string
		if dec.PeekKind() == 't' {
			_, err = dec.ReadToken()
		} else {
			vals = []string{}
			err = collectSpeeds(dec, &vals, in)
		}
		if err != nil {
			return err
		}
		members[key] = vals
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(members)) {
		if members[k] == nil {
			*out = append(*out, k)
		} else {
			*out = append(*out, members[k]...)
		}
	}
	return nil
}

// readJSONString reads the next string (a member name or a value) as
// encoding/json decodes it.
func readJSONString(dec *jsontext.Decoder) (string, error) {
	raw, err := dec.ReadValue()
	if err != nil {
		return "", err
	}
	return lenient.ReadString(raw)
}

// read is UnmarshalJSONFrom within the decoding d (which may be nil).
func (l *countryList) read(dec *jsontext.Decoder, d *bundleDecoder) error {
	*l = nil
	if dec.PeekKind() != '[' {
		return dec.SkipValue()
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	var out []Country
	if d != nil {
		out = d.countries[:0]
	}
	for dec.PeekKind() != ']' {
		var c Country
		if err := readCountry(dec, &c, d.interner()); err != nil {
			return err
		}
		out = append(out, c)
	}
	if d != nil {
		d.countries, out = out, slices.Clone(out)
	}
	if len(out) > 0 {
		*l = out
	}
	_, err := dec.ReadToken()
	return err
}

var errCountry = &lenient.Error{Want: "a country object, an ISO code or null"}

// readCountry reads one element of a countryList: a country object, an
// ISO code, or null (a zero Country).
func readCountry(dec *jsontext.Decoder, c *Country, in *lenient.Interner) error {
	switch dec.PeekKind() {
	case '"':
		raw, err := dec.ReadValue()
		if err == nil {
			c.ISO, err = in.ReadString(raw)
		}
		return lenient.At(dec, err)
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '{':
	default:
		if err := dec.SkipValue(); err != nil {
			return err
		}
		return lenient.At(dec, errCountry)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		key, err := dec.ReadValue()
		if err != nil {
			return err
		}
		dst := countryField(c, key)
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if dst == nil {
			continue
		}
		if *dst, err = in.ReadString(raw); err != nil {
			return lenient.At(dec, err)
		}
	}
	_, err := dec.ReadToken()
	return err
}

// countryField returns the field of c that the member name key (a raw
// JSON string) sets, matched as encoding/json matches names, or nil.
func countryField(c *Country, key []byte) *string {
	switch string(key) {
	case `"name"`:
		return &c.Name
	case `"region"`:
		return &c.Region
	case `"iso"`:
		return &c.ISO
	}
	name, _ := lenient.ReadString(key)
	switch {
	case strings.EqualFold(name, "name"):
		return &c.Name
	case strings.EqualFold(name, "region"):
		return &c.Region
	case strings.EqualFold(name, "iso"):
		return &c.ISO
	}
	return nil
}
