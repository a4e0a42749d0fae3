package travelroam

// This file reads Travel Roam's answer to a purchase into an Order.

import (
	"errors"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/roamkit/travelroam/internal/envelope"
	"github.com/roamkit/travelroam/internal/lenient"
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
func decodeOrder(b []byte) (*Order, error) {
	if w, ref := readFlatOrder(trimBOM(b)); ref != "" {
		return w.order(ref, b), nil
	}
	return decodeOrderMemberwise(b)
}

// decodeOrderMemberwise is decodeOrder the long way, for any answer.
func decodeOrderMemberwise(b []byte) (*Order, error) {
	holder, ref, err := findOrderReference(trimBOM(b), orderRef)
	if errors.Is(err, errNoOrderReference) {
		holder, ref, err = findOrderReference(trimBOM(b), applyRef)
	}
	if err != nil {
		return nil, err
	}
	var w wireOrder
	_ = lenient.Fields(holder, &w) // holder is a valid object: nothing fails
	return w.order(ref, b), nil
}

// order returns the Order these fields describe, with reference ref and
// the body b.
func (w *wireOrder) order(ref string, b []byte) *Order {
	return &Order{
		Reference:     ref,
		Status:        string(w.Status),
		StatusMessage: string(w.StatusMessage),
		Total:         w.Total,
		Currency:      string(w.Currency),
		CreatedAt:     time.Time(w.CreatedDate),
		Assigned:      bool(w.Assigned),
		Unlimited:     bool(w.Unlimited),
		Lines:         w.Lines,
		Raw:           b,
	}
}

// readFlatOrder reads the usual answer, the order with its reference at
// the top level and every field under the rules, in one pass. ref is ""
// for any other answer, which decodeOrder then reads the long way
// (decodeOrderMemberwise gives the same result for this one, as
// FuzzDecodeOrder checks).
func readFlatOrder(b []byte) (w wireOrder, ref string) {
	var flat struct {
		Reference lenient.String `json:"orderReference"`
		wireOrder
	}
	if lenient.UnmarshalV2(b, &flat) != nil {
		return wireOrder{}, ""
	}
	return flat.wireOrder, strings.TrimSpace(string(flat.Reference))
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
// maxWrapperDepth levels down.
func findOrderReference(b []byte, field func(*wireOrderReference) jsontext.Value) (holder []byte, ref string, err error) {
	level := [][]byte{b}
	for depth := 0; depth <= maxWrapperDepth && len(level) > 0; depth++ {
		var next [][]byte
		for _, obj := range level {
			var w wireOrderReference
			if err := lenient.Fields(obj, &w); err != nil {
				return nil, "", err // only the body can fail: the wrappers were read from it
			}
			if v := field(&w); isScalar(v) {
				if ref, _ := lenient.ReadString(v); strings.TrimSpace(ref) != "" {
					return obj, strings.TrimSpace(ref), nil
				}
			}
			for _, inner := range [...]jsontext.Value{w.Data, w.Order, w.Result} {
				if envelope.IsObject(inner) {
					next = append(next, inner)
				}
			}
		}
		level = next
	}
	return nil, "", errNoOrderReference
}

// isScalar reports whether v is a JSON string or number.
func isScalar(v jsontext.Value) bool {
	k := v.Kind()
	return k == '"' || k == '0'
}

// wireOrder is the object holding the order reference, under the SDK's
// lenient rules, decoded member by member (lenient.Fields).
type wireOrder struct {
	Lines         lenient.List[OrderLine] `json:"order"`
	Total         Amount                  `json:"total"`
	Currency      lenient.String          `json:"currency"`
	Status        lenient.String          `json:"status"`
	StatusMessage lenient.String          `json:"statusMessage"`
	CreatedDate   lenient.Time            `json:"createdDate"`
	Assigned      lenient.Bool            `json:"assigned"`
	Unlimited     lenient.Bool            `json:"unlimited"`
}

// wireOrderLine is an order line under the SDK's lenient rules: "iccids"
// may be one string, "quantity" "1".
type wireOrderLine struct {
	Type          lenient.String          `json:"type"`
	Item          lenient.String          `json:"item"`
	Quantity      lenient.Int             `json:"quantity"`
	SubTotal      Amount                  `json:"subTotal"`
	PricePerUnit  Amount                  `json:"pricePerUnit"`
	ICCIDs        lenient.Strings         `json:"iccids"`
	ESIMs         lenient.List[OrderESIM] `json:"esims"`
	AllowReassign lenient.Bool            `json:"allowReassign"`
}

// UnmarshalJSON decodes an order line member by member under the SDK's
// lenient rules: a field outside them is left at zero. Only a value that
// is not a JSON object is an error.
func (l *OrderLine) UnmarshalJSON(b []byte) error {
	var w wireOrderLine
	err := lenient.Fields(b, &w)
	l.set(&w)
	return err
}

// UnmarshalJSONFrom is UnmarshalJSON for the JSON v2 engine. A line
// whose fields all follow the rules is read in one pass.
func (l *OrderLine) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	var w wireOrderLine
	if jsonv2.Unmarshal(raw, &w, dec.Options()) != nil {
		return l.UnmarshalJSON(raw)
	}
	l.set(&w)
	return nil
}

func (l *OrderLine) set(w *wireOrderLine) {
	*l = OrderLine{Type: string(w.Type), Item: string(w.Item), Quantity: int(w.Quantity), SubTotal: w.SubTotal,
		PricePerUnit: w.PricePerUnit, ICCIDs: w.ICCIDs, ESIMs: w.ESIMs, AllowReassign: bool(w.AllowReassign)}
}

// wireOrderESIM is an order's eSIM under the SDK's lenient rules.
type wireOrderESIM struct {
	ICCID       lenient.String `json:"iccid"`
	MatchingID  lenient.String `json:"matchingId"`
	SMDPAddress lenient.String `json:"smdpAddress"`
}

// UnmarshalJSON decodes an order's eSIM member by member under the SDK's
// lenient rules (an ICCID may be a number).
func (e *OrderESIM) UnmarshalJSON(b []byte) error {
	var w wireOrderESIM
	err := lenient.Fields(b, &w)
	*e = OrderESIM{ICCID: string(w.ICCID), MatchingID: string(w.MatchingID), SMDPAddress: string(w.SMDPAddress)}
	return err
}

// UnmarshalJSONFrom is UnmarshalJSON for the JSON v2 engine. An eSIM
// whose fields all follow the rules is read in one pass.
func (e *OrderESIM) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	var w wireOrderESIM
	if jsonv2.Unmarshal(raw, &w, dec.Options()) != nil {
		return e.UnmarshalJSON(raw)
	}
	*e = OrderESIM{ICCID: string(w.ICCID), MatchingID: string(w.MatchingID), SMDPAddress: string(w.SMDPAddress)}
	return nil
}
