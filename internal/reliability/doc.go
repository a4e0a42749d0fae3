// Package reliability is the SDK's reliability suite: the scenarios of
// RELIABILITY.md (S1–S20 for reads, purchases and polling, W1–W14 for the
// callback handler), each proving one of the guarantees G1–G10 against
// the travelroamtest fake, with figures counted from the fake's ledger and
// from a rig that counts dials, bytes, connections and response bodies
// (internal/testrig). Time-heavy scenarios run in virtual time.
//
// It has no code of its own: run it with the rest of the tests, or alone,
// rewriting the figures at the end of RELIABILITY.md:
//
//	go test -race -count=1 ./internal/reliability/ -args -reliability.report=../../RELIABILITY.md
package reliability
