package travelroamtest

import (
	"net/http"
	"strings"
	"time"
)

// Profile statuses of an eSIM (contract §3.5).
const (
	ProfileReleased  = "Released"
	ProfileInstalled = "Installed"
	ProfileEnabled   = "Enabled"
	ProfileDisabled  = "Disabled"
	ProfileDeleted   = "Deleted"
	// ProfileDeactivated is the profile status of a deactivated eSIM
	// (eSIM Go v2.5).
	ProfileDeactivated = "Deactivated"
)

// Bundle states of an assignment (contract §3.6), lower case as in eSIM
// Go's example.
const (
	StateProcessing = "processing"
	StateQueued     = "queued"
	StateActive     = "active"
	StateDepleted   = "depleted"
	StateExpired    = "expired"
	StateLapsed     = "lapsed"
)

// SMDPAddress is the SM-DP+ address of every fake eSIM.
const SMDPAddress = "rsp.fake.local"

// esim is an eSIM of an account in one environment.
type esim struct {
	iccid, owner         string
	env                  Environment
	matchingID, pin, puk string
	profileStatus        string
	installed            time.Time // zero until first installed
	coverage, provider   string    // of the first bundle: top-ups must match
	assignments          []*assignment
	location             *Location
	lastSeen             time.Time
	device               *deviceJSON // the phone it was installed on, made up at the first profile status callback
	state                string      // eSIM Go v2.5 "state"; "" is Active
}

// assignment is one bundle applied to an eSIM.
type assignment struct {
	id, reference   string
	bundle          *Bundle
	assigned        time.Time
	readyAt         time.Time // "processing" until then
	start, end      time.Time // zero until first use
	initial, remain int64     // bytes; -1 for unlimited
	forced          string    // a state set by a test hook
	alerted         int       // highest usage alert sent: 0, 1 (FirstUse), 50, 80, 100
}

// state is the assignment's bundle state at now.
func (a *assignment) state(now time.Time) string {
	switch {
	case a.forced != "":
		return a.forced
	case a.start.IsZero() && now.Before(a.readyAt):
		return StateProcessing
	case a.start.IsZero():
		return StateQueued
	case !now.Before(a.end):
		return StateExpired
	case !a.bundle.Unlimited && a.remain == 0:
		return StateDepleted
	}
	return StateActive
}

// lookupESIM finds an eSIM the caller may see: its own, in the
// environment called. The caller holds s.mu.
func (s *Server) lookupESIM(c *call, iccid string) *esim {
	e := s.esims[strings.TrimSpace(iccid)]
	if e == nil || e.owner != c.account || e.env != c.env {
		return nil
	}
	return e
}

// esimFromBody reads {"iccid": …} and finds the eSIM, or answers the
// error.
func (s *Server) esimFromBody(c *call) (*esim, *reply) {
	iccid, bad := c.body.required("iccid")
	if bad != nil {
		return nil, bad
	}
	e := s.lookupESIM(c, iccid)
	if e == nil {
		rp := errorReply(s.cfg.iccidStatus, "ICCID not found")
		return nil, &rp
	}
	return e, nil
}

type detailsJSON struct {
	ICCID                  string `json:"iccid"`
	PIN                    string `json:"pin"`
	PUK                    string `json:"puk"`
	MatchingID             string `json:"matchingId"`
	SMDPAddress            string `json:"smdpAddress"`
	ProfileStatus          string `json:"profileStatus"`
	FirstInstalledDateTime int64  `json:"firstInstalledDateTime"`
	CustomerRef            string `json:"customerRef"`
	State                  string `json:"state"`
}

// handleDetails serves POST /esims/details {"iccid": …}.
func (s *Server) handleDetails(c *call) reply {
	e, bad := s.esimFromBody(c)
	if bad != nil {
		return *bad
	}
	var installed int64
	if !e.installed.IsZero() {
		installed = e.installed.UnixMilli()
	}
	return ok(detailsJSON{
		ICCID: e.iccid, PIN: e.pin, PUK: e.puk, MatchingID: e.matchingID, SMDPAddress: SMDPAddress,
		ProfileStatus: e.profileStatus, FirstInstalledDateTime: installed, State: e.stateOrActive(),
	})
}

type appliedJSON struct {
	Bundles []appliedBundleJSON `json:"bundles"`
}

type appliedBundleJSON struct {
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Assignments []assignmentJSON `json:"assignments"`
}

type assignmentJSON struct {
	ID                  string `json:"id"`
	CallTypeGroup       string `json:"callTypeGroup"`
	InitialQuantity     int64  `json:"initialQuantity"`
	RemainingQuantity   int64  `json:"remainingQuantity"`
	StartTime           string `json:"startTime,omitempty"`
	EndTime             string `json:"endTime,omitempty"`
	AssignmentDateTime  string `json:"assignmentDateTime"`
	AssignmentReference string `json:"assignmentReference"`
	BundleState         string `json:"bundleState"`
	Unlimited           bool   `json:"unlimited"`
}

// Defaults and bounds of the applied bundles' "limit" (eSIM Go's).
const (
	// DefaultAppliedLimit is how many assignments /esims/applied/bundles
	// lists when the request sets no "limit".
	DefaultAppliedLimit = 15
	// MaxAppliedLimit is the largest "limit" accepted (the least is 1).
	MaxAppliedLimit = 200
)

// handleAppliedBundles serves POST /esims/applied/bundles {"iccid": …}:
// the eSIM's bundles, each with its assignments, most recent first. Ended
// assignments (expired, depleted, lapsed) are listed, as Travel Roam's
// real output shows for a request with the ICCID alone; "includeUsed":
// false leaves them out (eSIM Go's filter). At most "limit" (1–200,
// default 15) assignments are listed; both may come in the body or the
// query string.
func (s *Server) handleAppliedBundles(c *call) reply {
	e, bad := s.esimFromBody(c)
	if bad != nil {
		return *bad
	}
	includeUsed, bad := c.boolParamOr("includeUsed", true)
	if bad != nil {
		return *bad
	}
	limit, bad := c.intParam("limit", DefaultAppliedLimit, 1, MaxAppliedLimit)
	if bad != nil {
		return *bad
	}
	now := s.now()
	out := appliedJSON{Bundles: []appliedBundleJSON{}}
	index := map[string]int{}
	shown := 0
	for i := len(e.assignments) - 1; i >= 0 && shown < limit; i-- {
		a := e.assignments[i]
		if !includeUsed && a.ended(now) {
			continue
		}
		shown++
		j, seen := index[a.bundle.Name]
		if !seen {
			j = len(out.Bundles)
			index[a.bundle.Name] = j
			out.Bundles = append(out.Bundles, appliedBundleJSON{Name: a.bundle.Name, Description: a.bundle.Description})
		}
		out.Bundles[j].Assignments = append(out.Bundles[j].Assignments, a.wire(now))
	}
	return ok(out)
}

// ended reports whether the assignment is used up or over: expired,
// depleted or lapsed.
func (a *assignment) ended(now time.Time) bool {
	switch a.state(now) {
	case StateExpired, StateDepleted, StateLapsed:
		return true
	}
	return false
}

func (a *assignment) wire(now time.Time) assignmentJSON {
	out := assignmentJSON{
		ID: a.id, CallTypeGroup: "data", InitialQuantity: a.initial, RemainingQuantity: a.remain,
		AssignmentDateTime: timestamp(a.assigned), AssignmentReference: a.reference,
		BundleState: a.state(now), Unlimited: a.bundle.Unlimited,
	}
	if !a.start.IsZero() {
		out.StartTime, out.EndTime = timestamp(a.start), timestamp(a.end)
	}
	return out
}

// Location is the last network an eSIM was seen on (see
// [Server.SetLocation]).
type Location struct {
	// MobileNetworkCode is the operator's TADIG-style code, e.g. "TURTS"
	// (Turkcell) or "FRAF1" (Orange France), as eSIM Go sends it (not
	// MCC+MNC digits). The fake sends it as given.
	MobileNetworkCode string
	// NetworkName is the operator's legal name.
	NetworkName string
	// NetworkBrandName is the operator's brand, e.g. "Turkcell".
	NetworkBrandName string
	// Country is the ISO 3166-1 alpha-2 code of the country, e.g. "TR".
	Country string
}

type locationJSON struct {
	MobileNetworkCode string `json:"mobileNetworkCode"`
	NetworkName       string `json:"networkName"`
	NetworkBrandName  string `json:"networkBrandName"`
	Country           string `json:"country"`
	LastSeen          string `json:"lastSeen"`
}

// handleLocation serves POST /esims/location {"iccid": …}: the last
// network seen, or 404 for an eSIM never seen on a network.
func (s *Server) handleLocation(c *call) reply {
	e, bad := s.esimFromBody(c)
	if bad != nil {
		return *bad
	}
	if e.location == nil {
		return errorReply(http.StatusNotFound, "No location data for this eSIM")
	}
	l := e.location
	return ok(locationJSON{
		MobileNetworkCode: l.MobileNetworkCode, NetworkName: l.NetworkName,
		NetworkBrandName: l.NetworkBrandName, Country: l.Country, LastSeen: timestamp(e.lastSeen),
	})
}

type statusJSON struct {
	Status string `json:"status"`
}

// handleRevoke serves POST /esims/revoke {"iccid": …}: the eSIM leaves
// the account at once, without refund; later calls about it fail with
// "ICCID not found".
func (s *Server) handleRevoke(c *call) reply {
	e, bad := s.esimFromBody(c)
	if bad != nil {
		return *bad
	}
	delete(s.esims, e.iccid)
	return ok(statusJSON{Status: "Successfully revoked eSIM"})
}
