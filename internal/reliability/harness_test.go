package reliability_test

import (
	"testing"

	"github.com/roamkit/travelroam/internal/testrig"
)

// The reliability suite proves the guarantees
// listed in RELIABILITY.md (G1-G10 of the team's reliability note) with
// its scenarios (S1-S20, W1-W14), against the travelroamtest fake. Every scenario runs on a
// rig: a fresh fake, and a Client that reaches it through a transport that
// counts dials, bytes read, connections and response bodies (opened and
// closed), and can refuse dials. Each rig checks on cleanup that every
// response body was closed and every connection closed once the client's
// idle connections and the server are closed (S16), and adds its ledger's
// figures to the scenario's record (report_test.go).

// testBundle is a cheap bundle of the fake's catalogue.
const testBundle = testrig.TestBundle

// rig and rigOptions are the shared harness's (internal/testrig).
type (
	rig        = testrig.Rig
	rigOptions = testrig.Options
)

// newRig returns a rig whose figures are added to rec when it closes.
func newRig(t *testing.T, rec *record, o rigOptions) *rig {
	t.Helper()
	o.OnClose = rec.addRig
	return testrig.New(t, o)
}

var (
	refuseNext                  = testrig.RefuseNext
	refuseRandomly              = testrig.RefuseRandomly
	newRand                     = testrig.NewRand
	purchases                   = testrig.Purchases
	requestsTo                  = testrig.RequestsTo
	requireNoIdempotencyHeaders = testrig.RequireNoIdempotencyHeaders
	isDialRefused               = testrig.IsDialRefused
	orderRefs                   = testrig.OrderRefs
)
