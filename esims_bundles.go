package travelroam

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/roamkit/travelroam/internal/envelope"
	"github.com/roamkit/travelroam/internal/lenient"
)

// BundleState is the state of a bundle assignment on an eSIM, as
// documented by eSIM Go. The SDK decodes it in lower case whatever case
// the server used ("Active" and "active" both give "active"), so compare
// it with == against these known values; a state the SDK does not know
// is kept, lower-cased:
//
//   - "processing": being applied (up to 10 minutes); the eSIM can
//     already be installed.
//   - "queued": assigned, not used yet.
//   - "active": in use, with data left, within its validity.
//   - "depleted": no data left, still within its validity.
//   - "expired": its validity is over.
//   - "revoked": removed.
//   - "lapsed": expired without ever being used.
//
// [BundleAssignment.Ended] reports the last four.
type BundleState string

// The states of an assignment that has ended ([BundleAssignment.Ended]).
const (
	bundleDepleted BundleState = "depleted"
	bundleExpired  BundleState = "expired"
	bundleRevoked  BundleState = "revoked"
	bundleLapsed   BundleState = "lapsed"
)

// AppliedBundle is a bundle on an eSIM ([Client.AppliedBundles]) with its
// assignments: one per purchase of the bundle (a bundle bought twice has
// two), or one per period of a long bundle.
type AppliedBundle struct {
	// Name is the bundle's name, e.g. "esim_1GB_7D_TR_V2".
	Name string `json:"name"`
	// Description is its human-readable description.
	Description string `json:"description"`
	// Assignments are the bundle's assignments to the eSIM.
	Assignments []BundleAssignment `json:"assignments"`
}

// BundleAssignment is one assignment of a bundle to an eSIM, with the data
// (or minutes, or messages) it has left.
type BundleAssignment struct {
	// ID identifies the assignment.
	ID string `json:"id"`
	// CallTypeGroup is what the assignment counts, e.g. "data" (also SMS
	// or voice groups).
	CallTypeGroup string `json:"callTypeGroup"`
	// InitialQuantity and RemainingQuantity are in bytes for data (1 GB
	// is 1,000,000,000).
	InitialQuantity   int64 `json:"initialQuantity"`
	RemainingQuantity int64 `json:"remainingQuantity"`
	// StartTime and EndTime bound the validity; zero until the bundle
	// starts.
	StartTime time.Time `json:"startTime"`
	EndTime   time.Time `json:"endTime"`
	// AssignedAt is when the bundle was assigned (bought).
	AssignedAt time.Time `json:"assignmentDateTime"`
	// AssignmentReference is the reference of the assignment, usually the
	// order reference with a suffix.
	AssignmentReference string `json:"assignmentReference"`
	// BundleState is the state, in lower case, e.g. "active".
	BundleState BundleState `json:"bundleState"`
	// Unlimited is true for an unlimited bundle.
	Unlimited bool `json:"unlimited"`
}

// bundleAssignmentFields is BundleAssignment without its methods, for
// the JSON v2 engine to decode field by field.
type bundleAssignmentFields BundleAssignment

// UnmarshalJSON decodes an assignment under the SDK's lenient rules:
// quantities may be 1000.00 or strings, times RFC 3339 or milliseconds,
// the state any case. A value outside the rules is an error that names
// its field.
func (a *BundleAssignment) UnmarshalJSON(b []byte) error { return lenient.UnmarshalFrom(b, a) }

// UnmarshalJSONFrom is UnmarshalJSON for the JSON v2 engine.
func (a *BundleAssignment) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*a = BundleAssignment{}
	err := unmarshalIn(dec, (*bundleAssignmentFields)(a))
	a.BundleState = BundleState(strings.ToLower(string(a.BundleState)))
	return err
}

// appliedBundleFields is AppliedBundle without its methods, for the JSON
// v2 engine to decode field by field; a single assignment counts as a
// list of one.
type appliedBundleFields AppliedBundle

// UnmarshalJSON decodes an applied bundle under the SDK's lenient rules.
func (b *AppliedBundle) UnmarshalJSON(data []byte) error { return lenient.UnmarshalFrom(data, b) }

// UnmarshalJSONFrom is UnmarshalJSON for the JSON v2 engine.
func (b *AppliedBundle) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*b = AppliedBundle{}
	return unmarshalIn(dec, (*appliedBundleFields)(b))
}

// IsData reports whether the assignment counts data: its call type group
// is "data" (in any case) or not given.
func (a BundleAssignment) IsData() bool {
	return a.CallTypeGroup == "" || strings.EqualFold(a.CallTypeGroup, "data")
}

// UsedBytes returns how much has been used: InitialQuantity minus
// RemainingQuantity, never below 0.
func (a BundleAssignment) UsedBytes() int64 {
	return max(a.InitialQuantity-a.RemainingQuantity, 0)
}

// UsedFraction returns the share used, from 0 to 1; 0 for an unlimited
// assignment or one whose initial quantity is unknown.
func (a BundleAssignment) UsedFraction() float64 {
	if a.Unlimited || a.InitialQuantity <= 0 {
		return 0
	}
	return min(float64(a.UsedBytes())/float64(a.InitialQuantity), 1)
}

// Ended reports whether the assignment is over at now: depleted,
// expired, revoked or lapsed, or past its EndTime.
func (a BundleAssignment) Ended(now time.Time) bool {
	switch BundleState(strings.ToLower(string(a.BundleState))) {
	case bundleDepleted, bundleExpired, bundleRevoked, bundleLapsed:
		return true
	}
	return !a.EndTime.IsZero() && !now.Before(a.EndTime)
}

// RemainingDataBytes returns the data left on an eSIM at now: the sum of
// RemainingQuantity over the data assignments (see
// [BundleAssignment.IsData]) that have not ended (processing, queued,
// active, or a state the SDK does not know). unlimited is true when one of
// them is unlimited; remaining then counts only the limited ones.
func RemainingDataBytes(bundles []AppliedBundle, now time.Time) (remaining int64, unlimited bool) {
	for _, b := range bundles {
		for _, a := range b.Assignments {
			if !a.IsData() || a.Ended(now) {
				continue
			}
			if a.Unlimited {
				unlimited = true
				continue
			}
			// Saturate rather than wrap to a negative amount of data.
			remaining += min(max(a.RemainingQuantity, 0), math.MaxInt64-remaining)
		}
	}
	return remaining, unlimited
}

// AppliedBundles returns the bundles on the eSIM with the given ICCID, with
// the data each has left: what a "data left" screen needs (see
// [RemainingDataBytes]). Call it when the traveller asks; Travel Roam asks
// not to poll it or store the result.
//
// Ended assignments may be listed: Travel Roam's real output shows an
// expired, used-up assignment for a request with the ICCID alone (eSIM
// Go's documentation says it hides them; do not rely on either). Tell
// them apart with [BundleAssignment.Ended] (by bundle state, or EndTime
// passed); [RemainingDataBytes] skips them, so an eSIM whose only bundle
// ended has 0 bytes left, not an error. At most 15 assignments, the most
// recent, are listed.
func (c *Client) AppliedBundles(ctx context.Context, iccid ICCID, opts ...CallOption) ([]AppliedBundle, error) {
	if err := checkICCID(OpAppliedBundles.label(), iccid); err != nil {
		return nil, err
	}
	r := c.newRequest(OpAppliedBundles, iccidBody(iccid))
	ctx, cancel, err := prepareCall(ctx, &r, OpAppliedBundles.label(), kindsRead, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	return readInPlace(ctx, c, r, decodeAppliedBundles)
}

// decodeAppliedBundles accepts {"bundles": […]}, {"data": …}, a bare
// array, or a single bundle object.
func decodeAppliedBundles(b []byte, rules jsonv2.Options) ([]AppliedBundle, error) {
	b = envelope.Unwrap(b, "data", "bundles")
	switch {
	case envelope.IsArray(b):
		var list []AppliedBundle
		if err := lenient.Unmarshal(b, &list, rules); err != nil {
			return nil, err
		}
		return list, nil
	case envelope.IsObject(b):
		var one AppliedBundle
		if err := lenient.Unmarshal(b, &one, rules); err != nil {
			return nil, err
		}
		if one.Name != "" || len(one.Assignments) > 0 {
			return []AppliedBundle{one}, nil
		}
		var keys map[string]json.RawMessage
		_ = json.Unmarshal(b, &keys)
		if _, ok := keys["bundles"]; ok || len(keys) == 0 {
			return []AppliedBundle{}, nil // {"bundles": null} or {}: no bundles
		}
		return nil, errors.New("no bundles in the answer")
	}
	return nil, errors.New("want a JSON object or array")
}
