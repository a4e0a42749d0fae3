package travelroam

import (
	"bytes"
	"context"
	"errors"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/roamkit/travelroam/internal/envelope"
	"github.com/roamkit/travelroam/internal/lenient"
)

// Bundle is a data plan that can be bought for an eSIM, as listed by
// [Client.Catalogue] and [Client.Bundle]. It decodes leniently (a count
// sent as "7" or 7.0, a flag as "true", one group as a string: the SDK's
// one set of rules, see [Bundle.UnmarshalJSON]), and marshals back to the
// wire shape, so a cached catalogue can be stored as JSON and decoded
// again.
type Bundle struct {
	// Name is the bundle's code, e.g. "esim_1GB_7D_TR_V2". It is
	// case-sensitive and is what you pass to buy the bundle.
	Name string `json:"name"`
	// Description is the display name, e.g. "eSIM, 1GB, 7 Days, Turkey, V2".
	Description string `json:"description"`
	// Groups are the bundle groups it belongs to, e.g. "Standard Fixed".
	Groups []string `json:"groups,omitempty"`
	// Countries are the bundle's base countries. It decodes from a list of
	// country objects and, leniently, from a list of ISO codes; any other
	// value (false, true, null…) gives no countries, and so does an empty
	// list (nil). A country's fields follow the SDK's lenient string rule.
	Countries []Country `json:"countries"`
	// DataAmountMB is the data included, in megabytes (1 GB = 1000 MB).
	// It is meaningless when Unlimited is true (Travel Roam may send 0 or
	// -1 then).
	DataAmountMB int64 `json:"dataAmount"`
	// DurationDays is how long the bundle lasts once started, in days.
	DurationDays int `json:"duration"`
	// Speed lists the network generations, e.g. ["4G", "5G"]. It decodes
	// from a list of strings and, leniently, from a string ("4G/5G",
	// "4G,5G") or an object (its string values and the keys set to true,
	// in key order); anything else gives no speeds.
	Speed []string `json:"speed,omitempty"`
	// Autostart is true when the bundle starts by itself (on first use or
	// on assignment).
	Autostart bool `json:"autostart"`
	// Unlimited is true for an unlimited bundle.
	Unlimited bool `json:"unlimited"`
	// RoamingEnabled lists the extra countries where the bundle also
	// works; it decodes as Countries does.
	RoamingEnabled []Country `json:"roamingEnabled,omitempty"`
	// ImageURL is a picture of the country or region.
	ImageURL string `json:"imageUrl,omitempty"`
	// Price is your cost, exact, in the organisation's currency (see
	// [Organisation]).
	Price Amount `json:"price"`
	// BillingType is how the bundle is billed, e.g. "FixedCost".
	BillingType string `json:"billingType,omitempty"`
	// Allowances details what the bundle includes (data, SMS, voice),
	// when Travel Roam sends it.
	Allowances []Allowance `json:"allowances,omitempty"`
}

// Country is a country a bundle covers.
type Country struct {
	// Name is the country's English name, e.g. "Turkey".
	Name string `json:"name"`
	// Region is its region, e.g. "Europe".
	Region string `json:"region"`
	// ISO is its ISO 3166-1 alpha-2 code, e.g. "TR".
	ISO string `json:"iso"`
}

// Allowance is one part of what a bundle includes.
type Allowance struct {
	// Type is "DATA", "SMS" or "VOICE".
	Type string `json:"type"`
	// Service is the service, e.g. "STANDARD".
	Service string `json:"service"`
	// Description describes the allowance.
	Description string `json:"description"`
	// Amount is the quantity in Unit; meaningless when Unlimited is true.
	Amount float64 `json:"amount"`
	// Unit is "MB", "MINS" or "SMS".
	Unit string `json:"unit"`
	// Unlimited is true for an unlimited allowance.
	Unlimited bool `json:"unlimited"`
}

// CountryCodes returns the ISO codes of the bundle's base countries, in
// order.
func (b Bundle) CountryCodes() []string {
	codes := make([]string, 0, len(b.Countries))
	for _, c := range b.Countries {
		codes = append(codes, c.ISO)
	}
	return codes
}

// Bundle returns the bundle with the given name (case-sensitive, e.g.
// "esim_1GB_7D_TR_V2"). An unknown name gives an [*APIError] that
// matches [ErrNotFound]; an empty name is a [*ValidationError].
func (c *Client) Bundle(ctx context.Context, name string, opts ...CallOption) (*Bundle, error) {
	if strings.TrimSpace(name) == "" {
		return nil, invalid(OpBundle.label(), "Name", "empty: pass the bundle's name, e.g. \"esim_1GB_7D_TR_V2\"")
	}
	// The key is unproven (it comes from client code nothing calls):
	// both spellings, the same value; a server ignores the one it does
	// not know.
	fields := struct {
		Lower string `json:"bundlename"`
		Camel string `json:"bundleName"`
	}{name, name}
	r := c.newRequest(OpBundle, fields)
	ctx, cancel, err := prepareCall(ctx, &r, OpBundle.label(), kindsRead, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	return read(ctx, c, r, decodeBundle)
}

// decodeBundle accepts a bare bundle object, {"bundle": …}, {"data": …}
// and a one-element list or {"bundles": […]}, the wrappers read by
// envelope.Descend.
func decodeBundle(b []byte) (*Bundle, error) {
	var bundle *Bundle
	err := envelope.Descend(b, func(v []byte) (inner []byte, err error) {
		bundle, inner, err = decodeBundleLevel(v)
		return inner, err
	})
	if err != nil {
		return nil, err
	}
	return bundle, nil
}

// bundleAnswer is a bare bundle, read in one pass with the wrappers that
// may hold it instead.
type bundleAnswer struct {
	wireBundle
	Wrapped jsontext.Value `json:"bundle"`
	Data    jsontext.Value `json:"data"`
	Bundles []Bundle       `json:"bundles"`
}

// decodeBundleLevel decodes one level of a bundle answer: the bundle, or
// the value of its "bundle" (else "data") member when that is an object
// or an array (a wrapped answer).
func decodeBundleLevel(b []byte) (*Bundle, []byte, error) {
	b = bytes.TrimSpace(b)
	if envelope.IsArray(b) {
		var list []Bundle
		if err := lenient.Unmarshal(b, &list, bundleOptions()); err != nil {
			return nil, nil, err
		}
		bundle, err := firstBundle(list)
		return bundle, nil, err
	}
	var w bundleAnswer
	if err := lenient.Unmarshal(b, &w); err != nil {
		return nil, nil, err
	}
	for _, inner := range []jsontext.Value{w.Wrapped, w.Data} {
		if envelope.IsObject(inner) || envelope.IsArray(inner) {
			return nil, inner, nil
		}
	}
	if w.Bundles != nil {
		bundle, err := firstBundle(w.Bundles)
		return bundle, nil, err
	}
	if w.Name == "" {
		return nil, nil, errors.New("response has no bundle name")
	}
	bundle := w.bundle()
	return &bundle, nil, nil
}

func firstBundle(list []Bundle) (*Bundle, error) {
	if len(list) == 0 || list[0].Name == "" {
		return nil, errors.New("response has no bundle")
	}
	return &list[0], nil
}

// speeds lists network generations, e.g. ["4G", "5G"]. It decodes from a
// JSON array of strings and, leniently, from a string ("4G/5G", "4G,5G")
// or an object (its string values and the keys set to true, in key
// order); anything else gives no speeds.
type speeds []string

// UnmarshalJSON decodes a list, a string, an object or null.
func (s *speeds) UnmarshalJSON(b []byte) error { return lenient.UnmarshalFrom(b, s) }

// UnmarshalJSONFrom is UnmarshalJSON for the JSON v2 engine, reading the
// value as a stream.
func (s *speeds) UnmarshalJSONFrom(dec *jsontext.Decoder) error { return s.read(dec, nil) }

// countryList is a list of countries. It decodes from a JSON array of
// country objects and, leniently, from an array of ISO codes; any other
// value (false, true, null…) gives no countries. An empty list decodes
// as nil. The fields of a country follow the SDK's lenient string rule.
type countryList []Country

// UnmarshalJSON decodes a list of countries, or another value as none.
func (l *countryList) UnmarshalJSON(b []byte) error { return lenient.UnmarshalFrom(b, l) }

// UnmarshalJSONFrom is UnmarshalJSON for the JSON v2 engine, reading the
// value as a stream.
func (l *countryList) UnmarshalJSONFrom(dec *jsontext.Decoder) error { return l.read(dec, nil) }
