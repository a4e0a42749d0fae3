package travelroamtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type appliedResp struct {
	Bundles []struct {
		Name        string           `json:"name"`
		Description string           `json:"description"`
		Assignments []assignmentJSON `json:"assignments"`
	} `json:"bundles"`
}

func applied(t *testing.T, srv *Server, iccid string) appliedResp {
	t.Helper()
	return appliedWith(t, srv, "", `{"iccid":"`+iccid+`"}`)
}

// appliedActive asks with "includeUsed": false, which leaves out ended
// assignments.
func appliedActive(t *testing.T, srv *Server, iccid string) appliedResp {
	t.Helper()
	return appliedWith(t, srv, "", `{"iccid":"`+iccid+`","includeUsed":false}`)
}

// appliedUsed lists every assignment, ended ones included.
func appliedUsed(t *testing.T, srv *Server, iccid string) appliedResp {
	t.Helper()
	return appliedWith(t, srv, "", `{"iccid":"`+iccid+`","includeUsed":true,"limit":200}`)
}

func appliedWith(t *testing.T, srv *Server, query, body string) appliedResp {
	t.Helper()
	resp := send(t, srv, http.MethodPost, srv.URL+string(RouteAppliedBundles)+query, body, nil)
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	var out appliedResp
	require.NoError(t, json.Unmarshal(resp.body, &out))
	return out
}

// states lists the bundle name and state of every assignment, in answer
// order.
func (r appliedResp) states() []string {
	var out []string
	for _, b := range r.Bundles {
		for _, a := range b.Assignments {
			out = append(out, b.Name+" "+a.BundleState)
		}
	}
	return out
}

func details(t *testing.T, srv *Server, iccid string) detailsJSON {
	t.Helper()
	resp := post(t, srv, RouteESIMDetails, iccidBody(iccid))
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	var out detailsJSON
	require.NoError(t, json.Unmarshal(resp.body, &out))
	return out
}

func TestDetailsFollowInstallation(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	srv := newTestServer(t, WithClock(clock.Now))
	iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]

	d := details(t, srv, iccid)
	require.Equal(t, iccid, d.ICCID)
	require.Equal(t, ProfileReleased, d.ProfileStatus)
	require.Zero(t, d.FirstInstalledDateTime)
	require.Regexp(t, matchingRE, d.MatchingID)
	require.Equal(t, SMDPAddress, d.SMDPAddress)
	raw := post(t, srv, RouteESIMDetails, iccidBody(iccid)).body
	require.Contains(t, string(raw), `"firstInstalledDateTime":0`)

	clock.Advance(time.Hour)
	require.NoError(t, srv.InstallESIM(iccid))
	d = details(t, srv, iccid)
	require.Equal(t, ProfileInstalled, d.ProfileStatus)
	require.Equal(t, clock.Now().UnixMilli(), d.FirstInstalledDateTime)

	clock.Advance(time.Hour)
	require.NoError(t, srv.SetProfileStatus(iccid, ProfileDisabled))
	require.NoError(t, srv.InstallESIM(iccid))
	d = details(t, srv, iccid)
	require.Equal(t, clock.Now().Add(-time.Hour).UnixMilli(), d.FirstInstalledDateTime, "first install is kept")

	srv.MakeAssignmentsReady()
	resp := get(t, srv, "/getesimassignments?orderReference="+srv.Orders()[0].Reference)
	require.Equal(t, timestamp(clock.Now().Add(-time.Hour)), resp.json(t)["firstInstalledDateTime"])
	require.ErrorIs(t, srv.InstallESIM("8944"), ErrUnknownICCID)
}

func TestAppliedBundlesLifecycle(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	srv := newTestServer(t, WithClock(clock.Now), WithAssignmentDelay(time.Minute))
	o := buy(t, srv, "esim_1GB_7D_TR_V2", "")
	iccid := o.Order[0].ICCIDs[0]
	assigned := clock.Now()

	state := func() assignmentJSON {
		out := applied(t, srv, iccid)
		require.Len(t, out.Bundles, 1)
		require.Equal(t, "esim_1GB_7D_TR_V2", out.Bundles[0].Name)
		require.Equal(t, "eSIM, 1GB, 7 Days, Turkey, V2", out.Bundles[0].Description)
		require.Len(t, out.Bundles[0].Assignments, 1)
		return out.Bundles[0].Assignments[0]
	}
	a := state()
	require.Equal(t, StateProcessing, a.BundleState)
	require.Equal(t, int64(1_000_000_000), a.InitialQuantity)
	require.Equal(t, int64(1_000_000_000), a.RemainingQuantity)
	require.Equal(t, "data", a.CallTypeGroup)
	require.Equal(t, o.OrderReference+"-0", a.AssignmentReference)
	require.Equal(t, timestamp(assigned), a.AssignmentDateTime)
	require.Empty(t, a.StartTime)
	require.Empty(t, a.EndTime)

	clock.Advance(time.Minute)
	require.Equal(t, StateQueued, state().BundleState)

	clock.Advance(time.Hour)
	require.NoError(t, srv.ConsumeData(t.Context(), iccid, 250_000_000))
	a = state()
	require.Equal(t, StateActive, a.BundleState)
	require.Equal(t, int64(750_000_000), a.RemainingQuantity)
	require.Equal(t, timestamp(clock.Now()), a.StartTime)
	require.Equal(t, timestamp(clock.Now().AddDate(0, 0, 7)), a.EndTime)
	require.Equal(t, ProfileInstalled, details(t, srv, iccid).ProfileStatus, "using data means installed")

	err := srv.ConsumeData(t.Context(), iccid, 800_000_000)
	require.ErrorIs(t, err, ErrNoData)
	require.ErrorContains(t, err, "50000000 of 800000000 bytes not consumed")
	require.Equal(t, []string{"esim_1GB_7D_TR_V2 depleted"}, applied(t, srv, iccid).states(), "a depleted assignment is listed by default")
	require.Empty(t, appliedActive(t, srv, iccid).Bundles, "includeUsed false hides it")
	a = appliedUsed(t, srv, iccid).Bundles[0].Assignments[0]
	require.Equal(t, StateDepleted, a.BundleState)
	require.Zero(t, a.RemainingQuantity)

	clock.Advance(7 * 24 * time.Hour)
	require.Equal(t, StateExpired, appliedUsed(t, srv, iccid).Bundles[0].Assignments[0].BundleState)
}

func TestTopUpQueuesBehindActiveBundle(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithAssignmentDelay(0))
	iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
	require.NoError(t, srv.ConsumeData(t.Context(), iccid, 100))
	buy(t, srv, "esim_2GB_15D_TR_V2", iccid)
	out := applied(t, srv, iccid)
	require.Equal(t, []string{"esim_2GB_15D_TR_V2 queued", "esim_1GB_7D_TR_V2 active"}, out.states(), "most recent first")
	require.Equal(t, srv.Orders()[1].Reference+"-1", out.Bundles[0].Assignments[0].AssignmentReference)

	// 1 GB - 100 B left on the first; the rest spills into the second.
	require.NoError(t, srv.ConsumeData(t.Context(), iccid, 1_000_000_000))
	require.Equal(t, []string{"esim_2GB_15D_TR_V2 active", "esim_1GB_7D_TR_V2 depleted"}, applied(t, srv, iccid).states(),
		"the depleted one is listed by default")
	out = appliedActive(t, srv, iccid)
	require.Equal(t, []string{"esim_2GB_15D_TR_V2 active"}, out.states(), "includeUsed false hides the depleted one")
	require.Equal(t, int64(2_000_000_000-100), out.Bundles[0].Assignments[0].RemainingQuantity)
	require.Equal(t, []string{"esim_2GB_15D_TR_V2 active", "esim_1GB_7D_TR_V2 depleted"}, appliedUsed(t, srv, iccid).states())

	require.NoError(t, srv.ExpireBundles(iccid))
	require.Empty(t, appliedActive(t, srv, iccid).Bundles)
	require.NotNil(t, appliedActive(t, srv, iccid).Bundles, "an empty list, not null")
	require.Contains(t, string(post(t, srv, RouteAppliedBundles, `{"iccid":"`+iccid+`","includeUsed":false}`).body), `"bundles":[]`)
	require.Equal(t, []string{"esim_2GB_15D_TR_V2 expired", "esim_1GB_7D_TR_V2 expired"}, applied(t, srv, iccid).states(), "listed by default")
	require.Equal(t, []string{"esim_2GB_15D_TR_V2 expired", "esim_1GB_7D_TR_V2 expired"}, appliedUsed(t, srv, iccid).states())
	require.ErrorIs(t, srv.ConsumeData(t.Context(), iccid, 1), ErrNoData)
}

func TestExpireUnusedBundleLapses(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
	require.NoError(t, srv.ExpireBundles(iccid))
	require.Equal(t, []string{"esim_1GB_7D_TR_V2 lapsed"}, applied(t, srv, iccid).states(), "a lapsed assignment is listed by default")
	require.Empty(t, appliedActive(t, srv, iccid).Bundles, "includeUsed false hides it")
	require.Equal(t, StateLapsed, appliedUsed(t, srv, iccid).Bundles[0].Assignments[0].BundleState)
}

func TestAppliedBundlesIncludeUsedAndLimit(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	srv := newTestServer(t, WithClock(clock.Now), WithAssignmentDelay(0))
	iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
	require.NoError(t, srv.ConsumeData(t.Context(), iccid, 1_000_000_000)) // the first is depleted
	for i := range 19 {                                                    // 19 top-ups, alternating bundles
		clock.Advance(time.Minute)
		buy(t, srv, []string{"esim_3GB_30D_TR_V2", "esim_UL_1D_TR_V2"}[i%2], iccid)
	}
	refs := func(r appliedResp) []string {
		var out []string
		for _, b := range r.Bundles {
			for _, a := range b.Assignments {
				out = append(out, a.AssignmentReference)
			}
		}
		return out
	}
	order := func(n int) string { return srv.Orders()[n].Reference + "-" + itoa(n) }

	def := applied(t, srv, iccid)
	require.Len(t, refs(def), DefaultAppliedLimit)
	require.Len(t, def.Bundles, 2)
	require.Equal(t, "esim_3GB_30D_TR_V2", def.Bundles[0].Name, "the bundle of the latest assignment comes first")
	require.Equal(t, order(19), def.Bundles[0].Assignments[0].AssignmentReference)
	require.Equal(t, order(17), def.Bundles[0].Assignments[1].AssignmentReference, "most recent first within a bundle")
	require.Equal(t, order(18), def.Bundles[1].Assignments[0].AssignmentReference)
	require.NotContains(t, refs(def), order(0), "the cap of 15 keeps the most recent")

	all := appliedUsed(t, srv, iccid)
	require.Len(t, refs(all), 20)
	require.Equal(t, "esim_1GB_7D_TR_V2", all.Bundles[2].Name)
	require.Equal(t, StateDepleted, all.Bundles[2].Assignments[0].BundleState)
	require.Len(t, refs(appliedWith(t, srv, "", `{"iccid":"`+iccid+`","limit":200}`)), 20, "without includeUsed the depleted one is listed")
	require.Len(t, refs(appliedWith(t, srv, "", `{"iccid":"`+iccid+`","includeUsed":false,"limit":200}`)), 19, "includeUsed false hides it")

	// The same parameters in the query string, and every accepted spelling.
	for _, q := range []string{"?includeUsed=true&limit=200", "?includeUsed=1&limit=200", "?includeUsed=TRUE&limit=200"} {
		require.Len(t, refs(appliedWith(t, srv, q, iccidBody(iccid))), 20, q)
	}
	for _, b := range []string{`"includeUsed":"true","limit":"200"`, `"includeUsed":1,"limit":200`} {
		require.Len(t, refs(appliedWith(t, srv, "", `{"iccid":"`+iccid+`",`+b+`}`)), 20, b)
	}
	three := appliedWith(t, srv, "?limit=3", iccidBody(iccid))
	require.Equal(t, []string{order(19), order(17), order(18)}, refs(three))
	require.Len(t, refs(appliedWith(t, srv, "?limit=3", `{"iccid":"`+iccid+`","limit":1}`)), 1, "the body wins")
	require.Len(t, refs(appliedWith(t, srv, "?includeUsed=false", `{"iccid":"`+iccid+`","limit":200}`)), 19)

	for body, msg := range map[string]string{
		`"limit":0`:             "limit must be between 1 and 200",
		`"limit":201`:           "limit must be between 1 and 200",
		`"limit":"many"`:        "limit must be between 1 and 200",
		`"includeUsed":"maybe"`: "includeUsed must be a boolean",
	} {
		resp := post(t, srv, RouteAppliedBundles, `{"iccid":"`+iccid+`",`+body+`}`)
		require.Equal(t, http.StatusBadRequest, resp.status, body)
		require.Equal(t, msg, resp.message(t), body)
	}
}

func TestUnlimitedBundleNeverDepletes(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithAssignmentDelay(0))
	iccid := buy(t, srv, "esim_UL_1D_TR_V2", "").Order[0].ICCIDs[0]
	require.NoError(t, srv.ConsumeData(t.Context(), iccid, 50_000_000_000))
	a := applied(t, srv, iccid).Bundles[0].Assignments[0]
	require.Equal(t, StateActive, a.BundleState)
	require.True(t, a.Unlimited)
	require.Equal(t, int64(-1), a.InitialQuantity)
	require.Equal(t, int64(-1), a.RemainingQuantity)
}

func TestLocation(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	srv := newTestServer(t, WithClock(clock.Now))
	iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
	resp := post(t, srv, RouteLocation, iccidBody(iccid))
	require.Equal(t, http.StatusNotFound, resp.status)
	require.Equal(t, "No location data for this eSIM", resp.message(t))

	loc := Location{MobileNetworkCode: "TURTS", NetworkName: "Turkcell Iletisim Hizmetleri A.S.", NetworkBrandName: "Turkcell", Country: "TR"}
	require.NoError(t, srv.SetLocation(iccid, loc))
	resp = post(t, srv, RouteLocation, iccidBody(iccid))
	require.Equal(t, http.StatusOK, resp.status)
	require.JSONEq(t, `{"mobileNetworkCode":"TURTS","networkName":"Turkcell Iletisim Hizmetleri A.S.",
		"networkBrandName":"Turkcell","country":"TR","lastSeen":"`+timestamp(clock.Now())+`"}`, string(resp.body))

	// Given only a country, a known operator fills the blanks.
	clock.Advance(time.Hour)
	require.NoError(t, srv.SetLocation(iccid, Location{Country: "FR"}))
	require.JSONEq(t, `{"mobileNetworkCode":"FRAF1","networkName":"Orange France","networkBrandName":"Orange",
		"country":"FR","lastSeen":"`+timestamp(clock.Now())+`"}`, string(post(t, srv, RouteLocation, iccidBody(iccid)).body))
	require.NoError(t, srv.SetLocation(iccid, Location{Country: "NO", NetworkBrandName: "Telenor Norway"}))
	require.Equal(t, "Telenor Norway", post(t, srv, RouteLocation, iccidBody(iccid)).json(t)["networkBrandName"])
	require.NoError(t, srv.SetLocation(iccid, Location{Country: "MN"}))
	require.Equal(t, "", post(t, srv, RouteLocation, iccidBody(iccid)).json(t)["mobileNetworkCode"], "no known operator: as given")

	for _, country := range []string{"", "Turkey", "tr", "TUR"} {
		require.ErrorContains(t, srv.SetLocation(iccid, Location{MobileNetworkCode: "TURTS", Country: country}), "ISO 3166-1 alpha-2", country)
	}
	require.Equal(t, "MN", post(t, srv, RouteLocation, iccidBody(iccid)).json(t)["country"], "a refused location changes nothing")
	for _, n := range knownNetworks {
		require.Regexp(t, `^[A-Z]{3}[A-Z0-9]{2}$`, n.MobileNetworkCode, "TADIG-style: ISO alpha-3 + 2")
		require.True(t, isISOAlpha2(n.Country))
	}
	_, found := KnownNetwork("zz")
	require.False(t, found)
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	o := buy(t, srv, "esim_1GB_7D_TR_V2", "")
	iccid := o.Order[0].ICCIDs[0]
	balance := srv.Balance(Sandbox)

	resp := post(t, srv, RouteRevoke, iccidBody(iccid))
	require.Equal(t, http.StatusOK, resp.status)
	require.JSONEq(t, `{"status":"Successfully revoked eSIM"}`, string(resp.body))
	require.Equal(t, balance, srv.Balance(Sandbox), "no refund")

	for _, route := range []Route{RouteESIMDetails, RouteAppliedBundles, RouteLocation, RouteRevoke} {
		resp = post(t, srv, route, iccidBody(iccid))
		require.Equal(t, http.StatusBadRequest, resp.status, route)
		require.Equal(t, "ICCID not found", resp.message(t), route)
	}
	resp = get(t, srv, "/getesimassignments?orderReference="+o.OrderReference)
	require.Equal(t, http.StatusGone, resp.status, "a revoked eSIM's order")
	require.Equal(t, "eSIM has been deactivated", resp.message(t))
	resp = post(t, srv, RouteProcessOrders, purchaseBody("esim_1GB_7D_TR_V2", iccid))
	require.Equal(t, "ICCID not found", resp.message(t))
	require.True(t, errors.Is(srv.ConsumeData(t.Context(), iccid, 1), ErrUnknownICCID))
	require.NotContains(t, srv.SetLocation(iccid, Location{}).Error(), iccid, "errors redact the ICCID")
}

func TestESIMRoutesValidateBody(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithICCIDNotFoundStatus(http.StatusNotFound), WithAccount("k2", "s2"))
	resp := post(t, srv, RouteESIMDetails, `{}`)
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.Equal(t, "iccid is required", resp.message(t))
	resp = post(t, srv, RouteESIMDetails, `{"ICCID":"8944538532012345678"}`)
	require.Equal(t, "iccid is required", resp.message(t), "keys are case-sensitive")
	resp = post(t, srv, RouteESIMDetails, `{"iccid":8944538532012345678}`)
	require.Equal(t, "iccid must be a string", resp.message(t))
	resp = post(t, srv, RouteESIMDetails, iccidBody("8944538532012345678"))
	require.Equal(t, http.StatusNotFound, resp.status)
	require.Equal(t, "ICCID not found", resp.message(t))

	iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
	foreign := send(t, srv, http.MethodPost, srv.URL+"/esims/details", iccidBody(iccid), http.Header{"X-Api-Key": {"k2"}, "Clientsecret": {"s2"}})
	require.Equal(t, http.StatusNotFound, foreign.status)
	require.Equal(t, "ICCID not found", foreign.message(t))
}
