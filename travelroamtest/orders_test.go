package travelroamtest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	uuidRE     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	iccidRE    = regexp.MustCompile(`^89(44|43|32)\d{15}$`)
	matchingRE = regexp.MustCompile(`^[A-Z0-9]{2}-[A-Z0-9]{6}-[A-Z0-9]{6}$`)
)

func TestPurchaseDrawsDownWalletExactly(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	srv := newTestServer(t, WithClock(clock.Now))
	start := srv.Balance(Sandbox)
	var spent int64
	for _, name := range []string{"esim_1GB_7D_TR_V2", "esim_3GB_30D_GB_V2", "esim_UL_1D_TR_V2", "esim_1GB_7D_REUP_V2"} {
		b := srv.mustBundle(t, name)
		o := buy(t, srv, name, "")
		spent += b.PriceCents
		require.Equal(t, start-spent, srv.Balance(Sandbox))
		require.Regexp(t, uuidRE, o.OrderReference)
		require.Equal(t, "completed", o.Status)
		require.Equal(t, "Order completed: 1 eSIMs assigned", o.StatusMessage)
		require.Equal(t, "USD", o.Currency)
		require.True(t, o.Assigned)
		require.Equal(t, b.Unlimited, o.Unlimited)
		require.Equal(t, clock.Now().Format(time.RFC3339Nano), o.CreatedDate)
		require.Equal(t, formatCents(b.PriceCents), o.Total.String())
		require.Len(t, o.Order, 1)
		line := o.Order[0]
		require.Equal(t, orderLineResp{Type: "bundle", Item: name, Quantity: 1, SubTotal: o.Total, PricePerUnit: o.Total, ICCIDs: line.ICCIDs}, line)
		require.Len(t, line.ICCIDs, 1)
		require.Regexp(t, iccidRE, line.ICCIDs[0])
		iccid := line.ICCIDs[0]
		require.Equal(t, strconv.Itoa(luhnDigit(iccid[:18])), iccid[18:], "ICCID ends with its Luhn digit")
		clock.Advance(time.Minute)
	}
	orders := srv.Orders()
	require.Len(t, orders, 4)
	require.Equal(t, Order{
		Reference: orders[0].Reference, Environment: Sandbox, APIKey: DefaultAPIKey, BundleName: "esim_1GB_7D_TR_V2",
		OrderType: "COUNTRY", ICCID: orders[0].ICCID, PriceCents: srv.mustBundle(t, "esim_1GB_7D_TR_V2").PriceCents,
		CreatedAt: clock.Now().Add(-4 * time.Minute),
	}, orders[0])
	balance := get(t, srv, "/organisation").json(t)["organisations"].([]any)[0].(map[string]any)["balance"]
	require.InDelta(t, float64(start-spent)/100, balance, 1e-9)
}

func TestInsufficientBalance(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	b := srv.mustBundle(t, "esim_5GB_30D_FR_V2")
	srv.SetBalance(Sandbox, b.PriceCents-1)
	resp := post(t, srv, RouteProcessOrders, purchaseBody(b.Name, ""))
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.Equal(t, "Insufficient balance", resp.message(t))
	require.Empty(t, srv.Orders())
	require.Equal(t, b.PriceCents-1, srv.Balance(Sandbox))

	srv.SetBalance(Sandbox, b.PriceCents)
	buy(t, srv, b.Name, "")
	require.Zero(t, srv.Balance(Sandbox))
	require.Len(t, srv.Orders(), 1)
}

func TestPurchaseValidation(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	for body, msg := range map[string]string{
		`{"orderType":"COUNTRY"}`:                                               "bundleName is required",
		`{"bundlename":"esim_1GB_7D_TR_V2","orderType":"COUNTRY"}`:              "bundleName is required",
		`{"bundleName":"esim_1GB_7D_TR_V2"}`:                                    "orderType is required",
		`{"bundleName":"esim_1GB_7D_XX_V2","orderType":"COUNTRY"}`:              "Bundle not found",
		`{"bundleName":"esim_1GB_7D_TR_V2","orderType":"COUNTRY","iccid":8944}`: "iccid must be a string",
	} {
		resp := post(t, srv, RouteProcessOrders, body)
		require.Equal(t, http.StatusBadRequest, resp.status, body)
		require.Equal(t, msg, resp.message(t), body)
	}
	require.Empty(t, srv.Orders())
	require.Equal(t, DefaultSandboxBalanceCents, srv.Balance(Sandbox))
}

func TestTopUpCompatibility(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithAccount("other-key", "other-secret"))
	iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
	balance := srv.Balance(Sandbox)

	o := buy(t, srv, "esim_3GB_30D_TR_V2", iccid)
	require.Equal(t, []string{iccid}, o.Order[0].ICCIDs)
	require.Equal(t, "Order completed: 1 bundle applied to eSIM", o.StatusMessage)
	require.Equal(t, balance-srv.mustBundle(t, "esim_3GB_30D_TR_V2").PriceCents, srv.Balance(Sandbox))
	require.True(t, srv.Orders()[1].TopUp)
	buy(t, srv, "esim_UL_7D_TR_V2", iccid)

	balance = srv.Balance(Sandbox)
	for bundle, msg := range map[string]string{
		"esim_1GB_7D_GB_V2":   "Bundle is not compatible with this eSIM", // another country
		"esim_1GB_7D_TR_U":    "Bundle is not compatible with this eSIM", // another provider
		"esim_1GB_7D_REUP_V2": "Bundle is not compatible with this eSIM", // a regional bundle
	} {
		resp := post(t, srv, RouteProcessOrders, purchaseBody(bundle, iccid))
		require.Equal(t, http.StatusBadRequest, resp.status, bundle)
		require.Equal(t, msg, resp.message(t), bundle)
	}
	resp := post(t, srv, RouteProcessOrders, purchaseBody("esim_1GB_7D_TR_V2", "8944000000000000000"))
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.Equal(t, "ICCID not found", resp.message(t))

	other := http.Header{"X-Api-Key": {"other-key"}, "Clientsecret": {"other-secret"}}
	resp = send(t, srv, http.MethodPost, srv.URL+"/processorders", purchaseBody("esim_1GB_7D_TR_V2", iccid), other)
	require.Equal(t, http.StatusBadRequest, resp.status, "another account's eSIM")
	require.Equal(t, "ICCID not found", resp.message(t))
	require.Equal(t, balance, srv.Balance(Sandbox))
	require.Len(t, srv.Orders(), 3)

	applied := post(t, srv, RouteAppliedBundles, iccidBody(iccid)).json(t)["bundles"].([]any)
	require.Len(t, applied, 3)
}

func TestAssignmentsProcessingThenReadyInVirtualTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithInMemoryNetwork(), WithAssignmentDelay(90*time.Second), WithAssignmentRetryAfter(7))
		defer srv.Close()
		o := buy(t, srv, "esim_1GB_7D_TR_V2", "")
		url := "/getesimassignments?orderReference=" + o.OrderReference

		resp := get(t, srv, url)
		require.Equal(t, http.StatusServiceUnavailable, resp.status)
		require.Equal(t, "Processing – please come back later", resp.message(t))
		require.Equal(t, "7", resp.header.Get("Retry-After"))
		applied := post(t, srv, RouteAppliedBundles, iccidBody(o.Order[0].ICCIDs[0])).json(t)
		require.Contains(t, mustJSON(t, applied), `"bundleState":"processing"`)

		time.Sleep(89 * time.Second)
		require.Equal(t, http.StatusServiceUnavailable, get(t, srv, url).status)
		time.Sleep(time.Second)
		resp = get(t, srv, url)
		require.Equal(t, http.StatusOK, resp.status)
		var a installJSON
		require.NoError(t, json.Unmarshal(resp.body, &a))
		require.Equal(t, o.Order[0].ICCIDs[0], a.ICCID)
		require.Regexp(t, matchingRE, a.MatchingID)
		require.Equal(t, SMDPAddress, a.SMDPAddress)
		require.Equal(t, ProfileReleased, a.ProfileStatus)
		require.Regexp(t, `^\d{4}$`, a.PIN)
		require.Regexp(t, `^\d{8}$`, a.PUK)
		require.Empty(t, a.FirstInstalledDateTime)
		applied = post(t, srv, RouteAppliedBundles, iccidBody(a.ICCID)).json(t)
		require.Contains(t, mustJSON(t, applied), `"bundleState":"queued"`)
	})
}

func TestAssignmentsErrorsAndStyles(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithAccount("k2", "s2"))
	resp := get(t, srv, "/getesimassignments?orderReference=6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10")
	require.Equal(t, http.StatusBadRequest, resp.status, "eSIM Go answers a bad reference 400")
	require.Equal(t, "Order not found", resp.message(t))
	resp = get(t, srv, "/getesimassignments")
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.Equal(t, "orderReference is required", resp.message(t))

	o := buy(t, srv, "esim_1GB_7D_TR_V2", "")
	other := buy(t, srv, "esim_1GB_7D_GB_V2", "")
	srv.MakeAssignmentsReady(o.OrderReference)
	require.Equal(t, http.StatusOK, get(t, srv, "/getesimassignments?orderReference="+o.OrderReference).status)
	require.Equal(t, http.StatusServiceUnavailable, get(t, srv, "/getesimassignments?orderReference="+other.OrderReference).status)
	srv.MakeAssignmentsReady()
	require.Equal(t, http.StatusOK, get(t, srv, "/getesimassignments?orderReference="+other.OrderReference).status)

	empty := newTestServer(t, WithPendingStyle(PendingEmpty200))
	o = buy(t, empty, "esim_1GB_7D_TR_V2", "")
	resp = get(t, empty, "/getesimassignments?orderReference="+o.OrderReference)
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, "", resp.json(t)["matchingId"])
	require.Equal(t, o.Order[0].ICCIDs[0], resp.json(t)["iccid"])

	notFound := newTestServer(t, WithPendingStyle(Pending404))
	o = buy(t, notFound, "esim_1GB_7D_TR_V2", "")
	resp = get(t, notFound, "/getesimassignments?orderReference="+o.OrderReference)
	require.Equal(t, http.StatusNotFound, resp.status, "404 while not ready")
	require.Equal(t, "Assignments not found", resp.message(t))
	notFound.MakeAssignmentsReady()
	require.Equal(t, http.StatusOK, get(t, notFound, "/getesimassignments?orderReference="+o.OrderReference).status)
	require.Equal(t, http.StatusBadRequest, get(t, notFound, "/getesimassignments?orderReference=nope").status, "unknown stays 400")

	foreign := send(t, srv, http.MethodGet, srv.URL+"/getesimassignments?orderReference="+other.OrderReference, "",
		http.Header{"X-Api-Key": {"k2"}, "Clientsecret": {"s2"}})
	require.Equal(t, http.StatusBadRequest, foreign.status, "another account's order is unknown")
	require.Equal(t, "Order not found", foreign.message(t))

	ready := newTestServer(t, WithAssignmentDelay(0))
	o = buy(t, ready, "esim_1GB_7D_TR_V2", "")
	require.Equal(t, http.StatusOK, get(t, ready, "/getesimassignments?orderReference="+o.OrderReference).status)
}

func TestPurchaseSpacingIsRecorded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithInMemoryNetwork())
		defer srv.Close()
		buy(t, srv, "esim_1GB_7D_TR_V2", "")
		time.Sleep(5 * time.Second)
		buy(t, srv, "esim_1GB_7D_TR_V2", "")
		get(t, srv, "/organisation")
		time.Sleep(4 * time.Second)
		buy(t, srv, "esim_1GB_7D_TR_V2", "")

		var purchases []Request
		for _, r := range srv.Requests() {
			if r.Route == RouteProcessOrders {
				purchases = append(purchases, r)
			}
		}
		require.Len(t, purchases, 3)
		require.False(t, purchases[0].TooSoon)
		require.Zero(t, purchases[0].SincePreviousPurchase)
		require.Equal(t, 5*time.Second, purchases[1].SincePreviousPurchase)
		require.False(t, purchases[1].TooSoon)
		require.Equal(t, 4*time.Second, purchases[2].SincePreviousPurchase)
		require.True(t, purchases[2].TooSoon)
		require.Equal(t, 9*time.Second, purchases[2].Time.Sub(purchases[0].Time))
	})
}

func TestConcurrentPurchasesAreFlagged(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	srv.InjectFault(RouteProcessOrders, Latency(200*time.Millisecond))
	done := make(chan response)
	go func() { done <- post(t, srv, RouteProcessOrders, purchaseBody("esim_1GB_7D_TR_V2", "")) }()
	require.Eventually(t, func() bool { return srv.RequestCount(RouteProcessOrders) == 1 }, time.Minute, time.Millisecond)
	buy(t, srv, "esim_1GB_7D_TR_V2", "")
	require.Equal(t, http.StatusOK, (<-done).status)
	reqs := srv.Requests()
	require.True(t, reqs[1].TooSoon, "arrived while the first purchase was in flight")
	require.Len(t, srv.Orders(), 2)
	require.Equal(t, "latency 200ms", reqs[0].Fault)
	require.Equal(t, http.StatusOK, reqs[0].Status)
}
