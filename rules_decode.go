package travelroam

// This file holds the rules each answer's public types are decoded with
// in place by the JSON v2 engine: the lenient rules for every scalar of a
// plain Go type (package lenient), plus the defined string types and
// lists each type holds. They are built once: each holds the engine's
// cache of which rule serves which type, which a value built per call
// would fill again for every answer (three to ten times the allocations
// of a decoding). They are never changed after they are built.

import (
	jsonv2 "github.com/go-json-experiment/json"

	"github.com/roamkit/travelroam/internal/lenient"
)

var (
	// plainRules decode a struct of plain Go types (Location,
	// OrganisationUser).
	plainRules = lenient.Rules()
	// userRules decode an OrganisationUser (its contact details are
	// secrets).
	userRules = lenient.Rules(lenient.StringFunc[Secret]())
	// esimRules decode ESIM and Assignment.
	esimRules = lenient.Rules(lenient.StringFunc[ProfileStatus](), lenient.StringFunc[ESIMState](),
		lenient.StringFunc[ICCID](), lenient.StringFunc[Secret]())
	// appliedBundleRules decode AppliedBundle and BundleAssignment.
	appliedBundleRules = lenient.Rules(lenient.StringFunc[BundleState](), lenient.ListFunc[BundleAssignment]())
	// orderRules decode an Order; orderLineRules an OrderLine and an
	// OrderESIM, with lenient.Options (a line is read on its own).
	orderRules     = lenient.Rules(lenient.ListFunc[OrderLine]())
	orderLineRules = jsonv2.JoinOptions(lenient.Options(), lenient.Rules(lenient.ListFunc[OrderESIM](),
		lenient.StringsFunc[ICCID](), lenient.StringFunc[ICCID](), lenient.StringFunc[Secret]()))
	// callbackRules decode a callback's body, with lenient.Options.
	callbackRules = jsonv2.JoinOptions(lenient.Options(), plainRules)
)
