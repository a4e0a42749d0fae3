package travelroam

// This file holds the rules the public types of the answers are decoded
// with in place by the JSON v2 engine: the lenient rules for every scalar
// of a plain Go type (package lenient), plus the defined string types and
// lists those types hold. They form one set, which serves every answer:
// a rule for a type an answer does not hold is never used.
//
// A Client builds the set once (in NewClient) and passes it at the top of
// each decoding; the types' UnmarshalJSONFrom methods decode with the set
// their decoder carries (unmarshalIn). A set holds the engine's cache of
// which rule serves which type, which a set built per call would fill
// again for every answer (three to ten times the allocations of a
// decoding). Only a value decoded outside the SDK (with encoding/json, or
// the JSON v2 engine without type-specific unmarshalers) gets a set of its
// own, built once for the whole of that value.

import (
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/roamkit/travelroam/internal/lenient"
)

// newDecodeRules returns the rules of every type decoded in place, one
// per line: the rule of a defined string type or of a list that a public
// type holds, added to the rules of every scalar of a plain Go type.
func newDecodeRules() jsonv2.Options {
	return lenient.Rules(
		lenient.StringFunc[ProfileStatus](),  // ESIM, Assignment
		lenient.StringFunc[ESIMState](),      // ESIM
		lenient.StringFunc[BundleState](),    // BundleAssignment
		lenient.ListFunc[BundleAssignment](), // AppliedBundle
		lenient.ListFunc[OrderLine](),        // Order
		lenient.ListFunc[OrderESIM](),        // OrderLine
		lenient.StringFunc[Secret](),         // ESIM, Assignment, OrderESIM, OrganisationUser
		lenient.StringFunc[ICCID](),          // ESIM, Assignment, OrderESIM
		lenient.StringsFunc[ICCID](),         // OrderLine
	)
}

// unmarshalIn decodes the next value of dec into v, a pointer to a public
// type's fields without its methods, under the rules dec carries (those
// of the Client that decodes), else under a set built for it.
func unmarshalIn(dec *jsontext.Decoder, v any) error {
	if carriesRules(dec) {
		return jsonv2.UnmarshalDecode(dec, v)
	}
	return jsonv2.UnmarshalDecode(dec, v, newDecodeRules())
}

// rulesFrom returns the options to decode a value that dec has read whole
// (an order line, an order's eSIM) with: dec's own, which carry the rules
// of the Client that decodes, else those with a set built for it.
func rulesFrom(dec *jsontext.Decoder) jsonv2.Options {
	if carriesRules(dec) {
		return dec.Options()
	}
	return jsonv2.JoinOptions(dec.Options(), newDecodeRules())
}

// carriesRules reports whether dec decodes with type-specific
// unmarshalers: the SDK's rules, which every decoding of an answer passes
// at the top. (A caller who decodes a public type with the JSON v2 engine
// and unmarshalers of their own gets theirs instead: the engine does not
// tell which set an option holds.)
func carriesRules(dec *jsontext.Decoder) bool {
	_, ok := jsonv2.GetOption(dec.Options(), jsonv2.WithUnmarshalers)
	return ok
}
