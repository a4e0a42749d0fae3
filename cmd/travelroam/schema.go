package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// schema is what the contract (shared api-reference.md §3) says a JSON
// object of an answer holds: the fields it must have, those it may have,
// and the schemas of nested objects (or arrays of objects) by field name.
// doctor compares raw answers with it, beside the SDK's lenient decode.
type schema struct {
	required []string
	optional []string
	nested   map[string]*schema
}

func (s *schema) known(key string) bool {
	return slices.Contains(s.required, key) || slices.Contains(s.optional, key)
}

// routeSchema is the expected answer of one route.
type routeSchema struct {
	body *schema
	// wrappers are the envelopes the SDK also accepts around the body,
	// e.g. {"organisations": [...]} or {"data": ...}.
	wrappers []string
	// list is true when the body may also be a bare array of bodies.
	list bool
}

// The expected answers, field for field from the contract's §3.
var (
	countrySchema   = &schema{required: []string{"name", "region", "iso"}}
	allowanceSchema = &schema{required: []string{"type", "service", "amount", "unit", "unlimited"}, optional: []string{"description"}}
	bundleSchema    = &schema{
		required: []string{"name", "description", "countries", "dataAmount", "duration", "speed", "autostart", "unlimited", "price", "billingType"},
		optional: []string{"groups", "roamingEnabled", "imageUrl", "allowances"},
		nested:   map[string]*schema{"countries": countrySchema, "roamingEnabled": countrySchema, "allowances": allowanceSchema},
	}
	catalogueSchema = &schema{
		required: []string{"bundles", "pageCount", "rows", "pageSize"},
		nested:   map[string]*schema{"bundles": bundleSchema},
	}
	organisationSchema = &schema{
		required: []string{"balance", "currency"},
		optional: []string{"name", "apiKey", "taxLiable", "addr1", "addr2", "city", "country", "postcode", "callbackUrl", "notes",
			"groups", "testCredit", "testCreditExpiry", "businessType", "website", "productDescription", "users"},
		nested: map[string]*schema{"users": {optional: []string{"firstName", "lastName", "role", "emailAddress", "phoneNumber", "timeZone"}}},
	}
	esimDetailsSchema = &schema{
		required: []string{"iccid", "matchingId", "smdpAddress", "profileStatus", "firstInstalledDateTime"},
		optional: []string{"pin", "puk", "customerRef", "appleInstallUrl",
			"state", "androidInstallUrl", "phoneNumber", "msisdn"}, // eSIM Go v2.5
	}
	appliedBundlesSchema = &schema{
		required: []string{"bundles"},
		nested: map[string]*schema{"bundles": {
			required: []string{"name", "description", "assignments"},
			nested: map[string]*schema{"assignments": {
				required: []string{"id", "callTypeGroup", "initialQuantity", "remainingQuantity", "assignmentDateTime",
					"assignmentReference", "bundleState", "unlimited"},
				optional: []string{"startTime", "endTime"}, // absent until the bundle starts
			}},
		}},
	}
	locationSchema    = &schema{required: []string{"mobileNetworkCode", "networkName", "networkBrandName", "country", "lastSeen"}}
	assignmentsSchema = &schema{
		required: []string{"iccid", "matchingId", "smdpAddress"},
		optional: []string{"profileStatus", "pin", "puk", "firstInstalledDateTime", "appleInstallUrl", "rspUrl", "bundle", "reference"},
	}
)

// fieldReport is the result of comparing an answer with its schema.
type fieldReport struct {
	// Shape describes an accepted but unusual form, e.g. "wrapped in
	// {\"data\": …}", or what the answer was instead of JSON.
	Shape string
	// Unexpected and Missing are field paths such as "bundles[].colour".
	Unexpected, Missing []string
	// Mismatched are paths whose value is not an object where one was
	// expected.
	Mismatched []string
}

func (r *fieldReport) differs() bool {
	return len(r.Unexpected)+len(r.Missing)+len(r.Mismatched) > 0
}

// checkFields parses body strictly and compares its keys with rs.
func checkFields(rs routeSchema, body []byte) (fieldReport, error) {
	var r fieldReport
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return r, fmt.Errorf("not JSON: %w", err)
	}
	if dec.More() {
		return r, fmt.Errorf("not JSON: data after the first value")
	}
	seen := map[string]bool{}
	add := func(list *[]string, path string) {
		if !seen[path] {
			seen[path] = true
			*list = append(*list, path)
		}
	}
	var walk func(s *schema, v any, path string)
	walk = func(s *schema, v any, path string) {
		obj, ok := v.(map[string]any)
		if !ok {
			if v != nil {
				add(&r.Mismatched, strings.TrimSuffix(path, ".")+" (not an object)")
			}
			return
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !s.known(k) {
				add(&r.Unexpected, path+k)
				continue
			}
			child := s.nested[k]
			if child == nil {
				continue
			}
			switch x := obj[k].(type) {
			case []any:
				for _, e := range x {
					walk(child, e, path+k+"[].")
				}
			case map[string]any:
				walk(child, x, path+k+".")
			case nil:
			default:
				add(&r.Mismatched, path+k+" (not a list or an object)")
			}
		}
		for _, k := range s.required {
			if _, ok := obj[k]; !ok {
				add(&r.Missing, path+k)
			}
		}
	}
	each := func(v any, path string) {
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				walk(rs.body, e, path)
			}
			return
		}
		walk(rs.body, v, "")
	}
	switch x := v.(type) {
	case []any:
		if !rs.list {
			r.Shape = "a bare array, where an object was expected"
		} else {
			r.Shape = "a bare array"
		}
		each(x, "[].")
	case map[string]any:
		if w := wrapper(rs, x); w != "" {
			inner := x[w]
			if _, isArr := inner.([]any); isArr {
				r.Shape = fmt.Sprintf("wrapped in {%q: […]}", w)
				each(inner, w+"[].")
			} else {
				r.Shape = fmt.Sprintf("wrapped in {%q: {…}}", w)
				walk(rs.body, inner, w+".")
			}
			for k := range x {
				if k != w {
					add(&r.Unexpected, k)
				}
			}
			slices.Sort(r.Unexpected)
			return r, nil
		}
		walk(rs.body, x, "")
	default:
		r.Shape = "a JSON scalar, where an object was expected"
		add(&r.Mismatched, "(top level)")
	}
	return r, nil
}

// wrapper returns the envelope key of obj when obj has none of the body's
// required fields and one of the route's wrappers.
func wrapper(rs routeSchema, obj map[string]any) string {
	for _, k := range rs.body.required {
		if _, ok := obj[k]; ok {
			return ""
		}
	}
	for _, w := range rs.wrappers {
		if _, ok := obj[w]; ok {
			return w
		}
	}
	return ""
}
