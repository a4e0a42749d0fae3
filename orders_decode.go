package travelroam

// This file reads Travel Roam's answer to a purchase into an Order.

import (
	"errors"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/roamkit/travelroam/internal/envelope"
	"github.com/roamkit/travelroam/internal/lenient"
	"github.com/roamkit/travelroam/internal/redact"
)

// decodeOrder reads a purchase answer. It first looks for the
// orderReference: at the top level, then inside "data", "order" (when an
// object) and "result", a few levels down; a string or a number (its
// digits kept exactly) counts. Without one, it looks for an
// applyReference the same way: eSIM Go answers a top-up ("apply a
// bundle") with {"esims":[{"iccid":…,"status":"Bundle applied"}],
// "applyReference":…} and no orderReference, a paid success whose
// reference is the apply reference. Once found, it returns an Order,
// never an error: the object holding the reference is decoded member by
// member under the lenient rules, any field outside them left at zero,
// and Raw keeps b. Without a reference (or valid JSON), it returns an
// error.
//
// A leading UTF-8 byte order mark is ignored (Raw keeps it).
func decodeOrder(b []byte, rules jsonv2.Options) (*Order, error) {
	var o Order
	if lenient.UnmarshalV2(trimBOM(b), &o, rules) == nil {
		if ref := strings.TrimSpace(o.Reference); ref != "" {
			return o.with(ref, b), nil
		}
	}
	return decodeOrderMemberwise(b, rules)
}

// decodeOrderMemberwise is decodeOrder the long way, for any answer
// (for the usual one, with the reference at the top level and every
// field under the rules, it gives the same result, as FuzzDecodeOrder
// checks).
func decodeOrderMemberwise(b []byte, rules jsonv2.Options) (*Order, error) {
	holder, ref, err := findOrderReference(trimBOM(b), orderRef)
	if errors.Is(err, errNoOrderReference) {
		holder, ref, err = findOrderReference(trimBOM(b), applyRef)
	}
	if err != nil {
		return nil, err
	}
	var o Order
	_ = lenient.Fields(holder, &o, rules) // holder is a valid object: nothing fails
	return o.with(ref, b), nil
}

// with returns the order with reference ref and the body b, its status
// message masked (internal/redact: ICCIDs, activation codes, matching
// IDs, labelled PINs and PUKs) because an order prints whole; Raw keeps
// it as sent.
func (o *Order) with(ref string, b []byte) *Order {
	o.Reference, o.Raw = ref, Secret(b)
	o.StatusMessage = redact.Text(o.StatusMessage)
	return o
}

var errNoOrderReference = errors.New("no orderReference or applyReference in the answer")

// wireOrderReference is what the search for the reference reads of each
// object: the references, and the wrappers that may hold them.
type wireOrderReference struct {
	Reference      jsontext.Value `json:"orderReference"`
	ApplyReference jsontext.Value `json:"applyReference"`
	Data           jsontext.Value `json:"data"`
	Order          jsontext.Value `json:"order"`
	Result         jsontext.Value `json:"result"`
}

// The references findOrderReference looks for.
func orderRef(w *wireOrderReference) jsontext.Value { return w.Reference }
func applyRef(w *wireOrderReference) jsontext.Value { return w.ApplyReference }

// findOrderReference returns the object holding the reference that field
// selects (orderRef or applyRef) and the reference, searching the top
// level, then "data", "order" and "result", breadth first, at most
// envelope.MaxDepth levels down (envelope.Walk).
func findOrderReference(b []byte, field func(*wireOrderReference) jsontext.Value) (holder []byte, ref string, err error) {
	err = envelope.Walk(b, func(obj []byte) (next [][]byte, found bool, err error) {
		var w wireOrderReference
		if err := lenient.Fields(obj, &w); err != nil {
			return nil, false, err // only the body can fail: the wrappers were read from it
		}
		if v := field(&w); isScalar(v) {
			if s, _ := lenient.ReadString(v); strings.TrimSpace(s) != "" {
				holder, ref = obj, strings.TrimSpace(s)
				return nil, true, nil
			}
		}
		for _, inner := range [...]jsontext.Value{w.Data, w.Order, w.Result} {
			if envelope.IsObject(inner) {
				next = append(next, inner)
			}
		}
		return next, false, nil
	})
	switch {
	case err != nil && !errors.Is(err, envelope.ErrTooDeep):
		return nil, "", err
	case holder == nil:
		return nil, "", errNoOrderReference
	}
	return holder, ref, nil
}

// isScalar reports whether v is a JSON string or number.
func isScalar(v jsontext.Value) bool {
	k := v.Kind()
	return k == '"' || k == '0'
}

// orderLineFields is OrderLine without its methods, for the JSON v2
// engine to decode field by field: "iccids" may be one string,
// "quantity" "1", "esims" one object.
type orderLineFields OrderLine

// UnmarshalJSON decodes an order line member by member under the SDK's
// lenient rules: a field outside them is left at zero. Only a value that
// is not a JSON object is an error.
func (l *OrderLine) UnmarshalJSON(b []byte) error {
	*l = OrderLine{}
	return lenient.Fields(b, (*orderLineFields)(l), newDecodeRules())
}

// UnmarshalJSONFrom is UnmarshalJSON for the JSON v2 engine. A line
// whose fields all follow the rules is read in one pass.
func (l *OrderLine) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	*l = OrderLine{}
	return lenient.OnePassOrFields(raw, (*orderLineFields)(l), rulesFrom(dec))
}

// orderESIMFields is OrderESIM without its methods, for the JSON v2
// engine to decode field by field (an ICCID may be a number).
type orderESIMFields OrderESIM

// UnmarshalJSON decodes an order's eSIM member by member under the SDK's
// lenient rules (an ICCID may be a number).
func (e *OrderESIM) UnmarshalJSON(b []byte) error {
	*e = OrderESIM{}
	return lenient.Fields(b, (*orderESIMFields)(e), newDecodeRules())
}

// UnmarshalJSONFrom is UnmarshalJSON for the JSON v2 engine. An eSIM
// whose fields all follow the rules is read in one pass.
func (e *OrderESIM) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	*e = OrderESIM{}
	return lenient.OnePassOrFields(raw, (*orderESIMFields)(e), rulesFrom(dec))
}
