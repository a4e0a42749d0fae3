package travelroam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
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
	body := struct {
		Name string `json:"bundlename"` // all lower case, unlike /processorders
	}{name}
	return read(ctx, c, request{method: http.MethodPost, route: routeBundle, body: body}, decodeBundle)
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
func decodeBundle(b []byte) (*Bundle, error) {
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
			return decodeBundle(inner)
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
	if v, ok := parseSimpleStrings(b); ok {
		*s = v
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	var out []string
	collectSpeeds(v, &out)
	*s = out
	return nil
}

func collectSpeeds(v any, out *[]string) {
	switch v := v.(type) {
	case string:
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '/' || r == ';' }) {
			if part = strings.TrimSpace(part); part != "" {
				*out = append(*out, part)
			}
		}
	case []any:
		for _, item := range v {
			collectSpeeds(item, out)
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if v[k] == true {
				*out = append(*out, k)
			} else {
				collectSpeeds(v[k], out)
			}
		}
	}
}

// CountryList is a list of countries. It decodes from a JSON array of
// country objects and, leniently, from an array of ISO codes, or from
// false, true or null (no countries).
type CountryList []Country

// UnmarshalJSON decodes a list of countries, a boolean or null.
func (l *CountryList) UnmarshalJSON(b []byte) error {
	if v, ok := parseSimpleCountries(b); ok {
		*l = v
		return nil
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '[' {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*l = nil
		return nil // a boolean, a number, a string or null: no list
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	out := make(CountryList, 0, len(items))
	for _, item := range items {
		var c Country
		if item[0] == '"' {
			if err := json.Unmarshal(item, &c.ISO); err != nil {
				return err
			}
		} else if err := json.Unmarshal(item, &c); err != nil {
			return err
		}
		out = append(out, c)
	}
	*l = out
	return nil
}

// The fast paths below decode the common shapes of Speeds and
// CountryList in one pass without reflection. They accept only JSON that
// encoding/json would decode to the same value (plain strings without
// escapes, the exact field names) and report ok=false for anything else,
// which the caller then decodes in full.

// parseSimpleStrings decodes an array of plain strings, or null.
func parseSimpleStrings(b []byte) (out []string, ok bool) {
	i, empty, ok := openArray(b)
	if !ok || empty {
		return nil, ok
	}
	out = make([]string, 0, bytes.Count(b, []byte{','})+1)
	for {
		s, j, ok := plainString(b, i)
		if !ok {
			return nil, false
		}
		out = append(out, internSpeed(s))
		var more bool
		if i, more, ok = nextElement(b, j); !ok || !more {
			return out, ok
		}
	}
}

// parseSimpleCountries decodes an array of {"name", "region", "iso"}
// objects with plain string values, or null.
func parseSimpleCountries(b []byte) (out CountryList, ok bool) {
	i, empty, ok := openArray(b)
	if !ok || empty {
		return nil, ok
	}
	out = make(CountryList, 0, bytes.Count(b, []byte{'{'}))
	for {
		var c Country
		if c, i, ok = plainCountry(b, i); !ok {
			return nil, false
		}
		out = append(out, c)
		var more bool
		if i, more, ok = nextElement(b, i); !ok || !more {
			return out, ok
		}
	}
}

// plainCountry decodes one country object starting at b[i].
func plainCountry(b []byte, i int) (c Country, next int, ok bool) {
	if i >= len(b) || b[i] != '{' {
		return c, 0, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return c, i + 1, true
	}
	for {
		key, j, ok := plainString(b, i)
		if j = skipSpace(b, j); !ok || j >= len(b) || b[j] != ':' {
			return c, 0, false
		}
		val, j, ok := plainString(b, skipSpace(b, j+1))
		if !ok {
			return c, 0, false
		}
		switch string(key) {
		case "name":
			c.Name = string(val)
		case "region":
			c.Region = internRegion(val)
		case "iso":
			c.ISO = string(val)
		default:
			return c, 0, false
		}
		if j = skipSpace(b, j); j < len(b) && b[j] == '}' {
			return c, j + 1, true
		}
		if j >= len(b) || b[j] != ',' {
			return c, 0, false
		}
		i = skipSpace(b, j+1)
	}
}

// openArray reads "[" or "null" at the start of b. i is the first
// element; empty is true for "[]" and "null".
func openArray(b []byte) (i int, empty, ok bool) {
	i = skipSpace(b, 0)
	if len(b)-i >= 4 && string(b[i:i+4]) == "null" {
		return 0, true, skipSpace(b, i+4) == len(b)
	}
	if i >= len(b) || b[i] != '[' {
		return 0, false, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return 0, true, skipSpace(b, i+1) == len(b)
	}
	return i, false, true
}

// nextElement reads the "," or the final "]" after an element ending at
// b[j]. After a comma, more is true and i is the next element; after the
// closing bracket, which must end b, more is false.
func nextElement(b []byte, j int) (i int, more, ok bool) {
	j = skipSpace(b, j)
	switch {
	case j < len(b) && b[j] == ',':
		return skipSpace(b, j+1), true, true
	case j < len(b) && b[j] == ']':
		return 0, false, skipSpace(b, j+1) == len(b)
	}
	return 0, false, false
}

// plainString reads a JSON string without escapes or control characters
// at b[i] and returns its contents (valid UTF-8) and the index after it.
func plainString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	ascii := true
	j := i + 1
	for ; j < len(b) && b[j] != '"'; j++ {
		switch c := b[j]; {
		case c == '\\' || c < 0x20:
			return nil, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if j >= len(b) || (!ascii && !utf8.Valid(b[i+1:j])) {
		return nil, 0, false
	}
	return b[i+1 : j], j + 1, true
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

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
