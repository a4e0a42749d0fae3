// Package replicas proves, with real OS processes, what the store modules
// promise when several replicas of a service share one Travel Roam
// account (issue 12): its tests start copies of their own test binary as
// buyers and callback receivers against one travelroamtest fake on
// loopback and one PostgreSQL, Redis or SQLite store, kill one with
// SIGKILL in the middle of a purchase, and check the fake's ledger. It is
// a module of its own so that the root module needs no database driver;
// it has no code besides its tests.
//
// Run it (the figures of RELIABILITY.md's "Several replicas" section)
// from the repository's root with
//
//	scripts/services.sh start && eval "$(scripts/services.sh env)"
//	(cd internal/replicas && go test -race -count=1 ./... -args -replicas.report=../../RELIABILITY.md)
package replicas
