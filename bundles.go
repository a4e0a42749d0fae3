package travelroam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
)

// Bundle is a data plan that can be bought for an eSIM, as listed by
// [Client.Catalogue] and [Client.Bundle]. It marshals back to the wire
// shape, so a cached catalogue can be stored as JSON and decoded again.
type Bundle struct {
	// Name is the bundle's code, e.g. "esim_1GB_7D_TR_V2". It is
	// case-sensitive and is what you pass to buy the bundle.
	Name string `json:"name"`
	// Description is the display name, e.g. "eSIM, 1GB, 7 Days, Turkey, V2".
	Description string `json:"description"`
	// Groups are the bundle groups it belongs to, e.g. "Standard Fixed".
	Groups []string `json:"groups,omitempty"`
	// Countries are the bundle's base countries.
	Countries CountryList `json:"countries"`
	// DataAmountMB is the data included, in megabytes (1 GB = 1000 MB).
	// It is meaningless when Unlimited is true (Travel Roam may send 0 or
	// -1 then).
	DataAmountMB int64 `json:"dataAmount"`
	// DurationDays is how long the bundle lasts once started, in days.
	DurationDays int `json:"duration"`
	// Speed lists the network generations, e.g. ["4G", "5G"].
	Speed Speeds `json:"speed,omitempty"`
	// Autostart is true when the bundle starts by itself (on first use or
	// on assignment).
	Autostart bool `json:"autostart"`
	// Unlimited is true for an unlimited bundle.
	Unlimited bool `json:"unlimited"`
	// RoamingEnabled lists the extra countries where the bundle also works.
	RoamingEnabled CountryList `json:"roamingEnabled,omitempty"`
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
// matches [ErrNotFound]; an empty name matches [ErrInvalidInput].
func (c *Client) Bundle(ctx context.Context, name string) (*Bundle, error) {
	if strings.TrimSpace(name) == "" {
		return nil, invalid("bundle", "Name", "empty: pass the bundle's name, e.g. \"esim_1GB_7D_TR_V2\"")
	}
	// The key is unproven (it comes from client code nothing calls):
	// both spellings, the same value; a server ignores the one it does
	// not know.
	fields := struct {
		Lower string `json:"bundlename"`
		Camel string `json:"bundleName"`
	}{name, name}
	return read(ctx, c, c.newRequest(OpBundle, fields), decodeBundle)
}

// bundleWire decodes a bare bundle in one pass while catching the
// wrappers {"bundle": …} and {"data": …}.
type bundleWire struct {
	Bundle
	Wrapped json.RawMessage `json:"bundle"`
	Data    json.RawMessage `json:"data"`
}

// decodeBundle accepts a bare bundle object, {"bundle": …}, {"data": …}
// and a one-element list or {"bundles": […]}.
func decodeBundle(b []byte) (*Bundle, error) { return decodeBundleAt(b, 0) }

// maxWrapperDepth bounds how many {"data": …}-style wrappers a decoder
// unwraps: each level re-reads the body, so an unbounded nesting would
// cost quadratic time.
const maxWrapperDepth = 4

var errWrappersTooDeep = errors.New("response wrappers nested too deeply")

func decodeBundleAt(b []byte, depth int) (*Bundle, error) {
	if depth > maxWrapperDepth {
		return nil, errWrappersTooDeep
	}
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var list []Bundle
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, err
		}
		return firstBundle(list)
	}
	var w struct {
		bundleWire
		Bundles []Bundle `json:"bundles"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, err
	}
	for _, inner := range []json.RawMessage{w.Wrapped, w.Data} {
		if inner = bytes.TrimSpace(inner); len(inner) > 0 && (inner[0] == '{' || inner[0] == '[') {
			return decodeBundleAt(inner, depth+1)
		}
	}
	if w.Bundles != nil {
		return firstBundle(w.Bundles)
	}
	if w.Name == "" {
		return nil, errors.New("response has no bundle name")
	}
	return &w.Bundle, nil
}

func firstBundle(list []Bundle) (*Bundle, error) {
	if len(list) == 0 || list[0].Name == "" {
		return nil, errors.New("response has no bundle")
	}
	return &list[0], nil
}

// Speeds lists network generations, e.g. ["4G", "5G"]. It decodes from a
// JSON array of strings and, leniently, from a string ("4G/5G", "4G,5G")
// or an object (its string values and the keys set to true).
type Speeds []string

// UnmarshalJSON decodes a list, a string, an object or null.
func (s *Speeds) UnmarshalJSON(b []byte) error {
	v, ok := fastSpeeds(b)
	if !ok {
		var err error
		if v, err = decodeSpeeds(b); err != nil {
			return err
		}
	}
	*s = v
	return nil
}

// decodeSpeeds is the full path of Speeds.UnmarshalJSON.
func decodeSpeeds(b []byte) ([]string, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	var out []string
	if str, ok := v.(string); ok {
		for _, part := range strings.FieldsFunc(str, func(r rune) bool { return r == ',' || r == '/' || r == ';' }) {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	} else {
		collectSpeeds(v, &out)
	}
	return out, nil
}

// collectSpeeds gathers the strings of a list or an object: an object
// gives its keys set to true and its other values, in key order.
func collectSpeeds(v any, out *[]string) {
	switch v := v.(type) {
	case string:
		*out = append(*out, v)
	case []any:
		for _, item := range v {
			collectSpeeds(item, out)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if v[k] == true {
				*out = append(*out, k)
			} else {
				collectSpeeds(v[k], out)
			}
		}
	}
}

// fastSpeeds decodes the usual shapes, a list of strings or null, the
// way decodeSpeeds would; ok is false for anything else.
func fastSpeeds(b []byte) ([]string, bool) {
	r := &fastReader{b: b}
	v, ok := r.speedList(0)
	return v, ok && r.end()
}

// CountryList is a list of countries. It decodes from a JSON array of
// country objects and, leniently, from an array of ISO codes, or from
// false, true or null (no countries). An empty list decodes as nil.
type CountryList []Country

// UnmarshalJSON decodes a list of countries, a boolean or null.
func (l *CountryList) UnmarshalJSON(b []byte) error {
	v, ok := fastCountries(b)
	if !ok {
		var err error
		if v, err = decodeCountries(b); err != nil {
			return err
		}
	}
	*l = v
	return nil
}

// decodeCountries is the full path of CountryList.UnmarshalJSON.
func decodeCountries(b []byte) (CountryList, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '[' {
		var v any
		return nil, json.Unmarshal(b, &v) // a boolean, a number, a string or null: no list
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return nil, err
	}
	var out CountryList
	for _, item := range items {
		var c Country
		if item[0] == '"' {
			if err := json.Unmarshal(item, &c.ISO); err != nil {
				return nil, err
			}
		} else if err := json.Unmarshal(item, &c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// fastCountries decodes the usual shapes (a list of country objects or
// codes, null, true, false) the way decodeCountries would; ok is false
// for anything else.
func fastCountries(b []byte) (CountryList, bool) {
	r := &fastReader{b: b}
	v, ok := r.countryList(0)
	return v, ok && r.end()
}

// internSpeed returns the common speed names without allocating.
func internSpeed(b []byte) string {
	switch string(b) {
	case "2G":
		return "2G"
	case "3G":
		return "3G"
	case "4G":
		return "4G"
	case "5G":
		return "5G"
	case "LTE":
		return "LTE"
	}
	return string(b)
}

// internRegion returns the region names without allocating.
func internRegion(b []byte) string {
	for _, r := range [...]Region{RegionEurope, RegionAsia, RegionAfrica, RegionNorthAmerica, RegionSouthAmerica,
		RegionOceania, RegionMiddleEast, RegionGlobal} {
		if string(b) == string(r) {
			return string(r)
		}
	}
	return string(b)
}
