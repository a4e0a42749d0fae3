// Package e2e is the SDK's end-to-end suite: every method of the
// travelroam.Client against the travelroamtest fake, through real HTTP on
// loopback, and through the fake's in-memory network inside
// testing/synctest for the time-heavy parts (ten minutes of assignment
// polling take milliseconds). Every test captures the SDK's logs and
// error strings and fails if a credential, a full ICCID or an activation
// code appears in them.
//
// It has no code of its own: run it with
//
//	go test -race ./internal/e2e/
package e2e
