package travelroamtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Errors of the test hooks.
var (
	// ErrUnknownICCID means no eSIM with that ICCID exists (any more).
	ErrUnknownICCID = errors.New("travelroamtest: unknown ICCID")
	// ErrNoData means the eSIM has no bundle left to consume data from.
	ErrNoData = errors.New("travelroamtest: no data left on the eSIM")
)

// withESIM runs fn on the eSIM with the lock held.
func (s *Server) withESIM(iccid string, fn func(e *esim)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.esims[iccid]
	if e == nil {
		return fmt.Errorf("%w: %s", ErrUnknownICCID, redact(iccid))
	}
	fn(e)
	return nil
}

// InstallESIM marks the eSIM as installed on a phone: profileStatus
// "Installed", and firstInstalledDateTime set to now (kept if it was
// installed before).
func (s *Server) InstallESIM(iccid string) error {
	now := s.now()
	return s.withESIM(iccid, func(e *esim) { e.install(now) })
}

func (e *esim) install(now time.Time) {
	e.profileStatus = ProfileInstalled
	if e.installed.IsZero() {
		e.installed = now
	}
}

// SetProfileStatus sets the eSIM's profileStatus, e.g. [ProfileEnabled] or
// [ProfileDeleted], without other changes.
func (s *Server) SetProfileStatus(iccid, status string) error {
	return s.withESIM(iccid, func(e *esim) { e.profileStatus = status })
}

// SetLocation records the network the eSIM was last seen on, with
// lastSeen = now. loc.Country must be an ISO alpha-2 code such as "TR";
// when loc has no network code and the fake knows an operator of that
// country ([KnownNetwork]), the operator's code and names fill the blanks:
// Location{Country: "FR"} answers "FRAF1", Orange France.
func (s *Server) SetLocation(iccid string, loc Location) error {
	now := s.now()
	var bad error
	err := s.withESIM(iccid, func(e *esim) {
		if !isISOAlpha2(loc.Country) {
			bad = fmt.Errorf("travelroamtest: location country %q is not an ISO 3166-1 alpha-2 code", loc.Country)
			return
		}
		if known, found := KnownNetwork(loc.Country); found && loc.MobileNetworkCode == "" {
			loc.MobileNetworkCode = known.MobileNetworkCode
			loc.NetworkName = cmp.Or(loc.NetworkName, known.NetworkName)
			loc.NetworkBrandName = cmp.Or(loc.NetworkBrandName, known.NetworkBrandName)
		}
		e.location, e.lastSeen = &loc, now
	})
	return cmp.Or(err, bad)
}

// ExpireBundles ends the validity of every bundle of the eSIM now: started
// ones become "expired" (endTime = now), never-used ones "lapsed".
func (s *Server) ExpireBundles(iccid string) error {
	now := s.now()
	return s.withESIM(iccid, func(e *esim) {
		for _, a := range e.assignments {
			switch {
			case a.forced != "":
			case a.start.IsZero():
				a.forced = StateLapsed
			case now.Before(a.end):
				a.end = now
			}
		}
	})
}

// ConsumeData makes the eSIM use n bytes, as a phone would: the eSIM
// counts as installed, the active bundle is drawn down, and when it is
// used up (or there is none) the next bundle starts (first use sets its
// startTime, and endTime = start + duration). It sends the usage callbacks
// this crosses (FirstUse at the first use of a bundle, then Utilisation at
// 50 %, 80 % and 100 %) synchronously, and returns their delivery errors,
// with [ErrNoData] if some bytes found no bundle.
func (s *Server) ConsumeData(ctx context.Context, iccid string, n int64) error {
	if n <= 0 {
		return fmt.Errorf("travelroamtest: bytes to consume must be positive, got %d", n)
	}
	var alerts []alert
	var left int64
	err := s.withESIM(iccid, func(e *esim) {
		alerts, left = e.consume(s.now(), n, s.cfg.callbackFormat)
	})
	if err != nil {
		return err
	}
	var noData error
	if left > 0 {
		noData = fmt.Errorf("%w: %d of %d bytes not consumed", ErrNoData, left, n)
	}
	return errors.Join(noData, s.deliver(ctx, alerts))
}

// SetBalance sets the main account's wallet balance in env, in cents.
func (s *Server) SetBalance(env Environment, cents int64) {
	mustf(cents >= 0, "balance must not be negative")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[s.APIKey].balance[env] = cents
}

// Balance returns the main account's wallet balance in env, in cents.
func (s *Server) Balance(env Environment) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accounts[s.APIKey].balance[env]
}

// MakeAssignmentsReady makes the installation data of the given orders
// (all orders when none is given) available now, and their bundles leave
// "processing".
func (s *Server) MakeAssignmentsReady(orderRefs ...string) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for ref, o := range s.orders {
		if len(orderRefs) > 0 && !slices.Contains(orderRefs, ref) {
			continue
		}
		o.readyAt = minTime(o.readyAt, now)
		if e := s.esims[o.ICCID]; e != nil {
			for _, a := range e.assignments {
				if strings.HasPrefix(a.reference, ref+"-") {
					a.readyAt = minTime(a.readyAt, now)
				}
			}
		}
	}
}

// Bundles returns the whole catalogue in the order /catalogue pages
// through it.
func (s *Server) Bundles() []Bundle {
	out := make([]Bundle, len(s.catalogue))
	for i, b := range s.catalogue {
		out[i] = b.clone()
	}
	return out
}

// Bundle returns the catalogue bundle with exactly this name.
func (s *Server) Bundle(name string) (Bundle, bool) {
	b, found := s.bundleByName[name]
	if !found {
		return Bundle{}, false
	}
	return b.clone(), true
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// redact keeps the last four digits of an ICCID for error messages.
func redact(iccid string) string {
	if len(iccid) <= 4 {
		return "****"
	}
	return strings.Repeat("*", len(iccid)-4) + iccid[len(iccid)-4:]
}

func (b Bundle) clone() Bundle {
	b.Groups = slices.Clone(b.Groups)
	b.Countries = slices.Clone(b.Countries)
	b.Speed = slices.Clone(b.Speed)
	b.RoamingEnabled = slices.Clone(b.RoamingEnabled)
	return b
}
