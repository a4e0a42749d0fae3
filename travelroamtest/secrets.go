package travelroamtest

import (
	"maps"
	"slices"
)

// Secrets returns every secret the server has handed out or accepts, for
// tests that check that none of them reaches an output (a log, an error,
// a printed value, a recorded fixture): the credentials of every account,
// the callback signing key, and, for every eSIM ever issued (revoked ones
// included), its full ICCID, matching ID, activation code
// ("LPA:1$<SM-DP+>$<matching ID>"), PIN and PUK, in the order they were
// issued, without duplicates.
//
// It is meant for tests only: a real server never lists its secrets.
// PINs (4 digits) and PUKs (8 digits) are short enough to occur by chance
// in unrelated digits, so a test should look for them as whole values (a
// JSON string, a CSV cell, a token between non-digits).
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{s.cfg.apiKey, s.cfg.clientSecret}
	for _, key := range slices.Sorted(maps.Keys(s.accounts)) {
		out = append(out, key, s.accounts[key].secret)
	}
	if len(s.cfg.callbackKey) > 0 {
		out = append(out, string(s.cfg.callbackKey))
	}
	out = append(out, s.handedOut...)
	seen := map[string]bool{}
	return slices.DeleteFunc(out, func(v string) bool {
		dup := v == "" || seen[v]
		seen[v] = true
		return dup
	})
}

// handOut records the secrets of a newly issued eSIM. The caller holds
// s.mu.
func (s *Server) handOut(e *esim) {
	s.handedOut = append(s.handedOut, e.iccid, e.matchingID, "LPA:1$"+SMDPAddress+"$"+e.matchingID, e.pin, e.puk)
}
