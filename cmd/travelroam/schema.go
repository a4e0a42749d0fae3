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
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fieldReport{}, fmt.Errorf("not JSON: %w", err)
	}
	if dec.More() {
		return fieldReport{}, fmt.Errorf("not JSON: data after the first value")
	}
	w := &fieldWalker{rs: rs, seen: map[string]bool{}}
	switch x := v.(type) {
	case []any:
		w.r.Shape = "a bare array"
		if !rs.list {
			w.r.Shape = "a bare array, where an object was expected"
		}
		w.each(x, "[].")
	case map[string]any:
		if k := wrapper(rs, x); k != "" {
			w.wrapped(x, k)
			return w.r, nil
		}
		w.walk(rs.body, x, "")
	default:
		w.r.Shape = "a JSON scalar, where an object was expected"
		w.add(&w.r.Mismatched, "(top level)")
	}
	return w.r, nil
}

// fieldWalker compares a decoded JSON value with a route's schema.
type fieldWalker struct {
	rs   routeSchema
	r    fieldReport
	seen map[string]bool
}

// add records path in list once.
func (w *fieldWalker) add(list *[]string, path string) {
	if !w.seen[path] {
		w.seen[path] = true
		*list = append(*list, path)
	}
}

// wrapped walks the body inside the envelope {k: …}; the envelope's other
// keys are unexpected.
func (w *fieldWalker) wrapped(x map[string]any, k string) {
	inner := x[k]
	if _, isArr := inner.([]any); isArr {
		w.r.Shape = fmt.Sprintf("wrapped in {%q: […]}", k)
		w.each(inner, k+"[].")
	} else {
		w.r.Shape = fmt.Sprintf("wrapped in {%q: {…}}", k)
		w.walk(w.rs.body, inner, k+".")
	}
	for key := range x {
		if key != k {
			w.add(&w.r.Unexpected, key)
		}
	}
	slices.Sort(w.r.Unexpected)
}

// each walks each element of an array (or v itself when it is none).
func (w *fieldWalker) each(v any, path string) {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			w.walk(w.rs.body, e, path)
		}
		return
	}
	w.walk(w.rs.body, v, "")
}

// walk compares the object v at path with s.
func (w *fieldWalker) walk(s *schema, v any, path string) {
	obj, ok := v.(map[string]any)
	if !ok {
		if v != nil {
			w.add(&w.r.Mismatched, strings.TrimSuffix(path, ".")+" (not an object)")
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
			w.add(&w.r.Unexpected, path+k)
		} else if child := s.nested[k]; child != nil {
			w.child(child, obj[k], path+k)
		}
	}
	for _, k := range s.required {
		if _, ok := obj[k]; !ok {
			w.add(&w.r.Missing, path+k)
		}
	}
}

// child walks a nested list or object.
func (w *fieldWalker) child(s *schema, v any, path string) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			w.walk(s, e, path+"[].")
		}
	case map[string]any:
		w.walk(s, x, path+".")
	case nil:
	default:
		w.add(&w.r.Mismatched, path+" (not a list or an object)")
	}
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
