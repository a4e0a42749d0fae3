package travelroamtest

import (
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLedgerRecordsRequests(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	srv := newTestServer(t, WithClock(clock.Now))
	o := buy(t, srv, "esim_1GB_7D_TR_V2", "")
	post(t, srv, RouteCatalogue, `{"countries":"TR"}`)
	get(t, srv, "/getesimassignments?orderReference="+o.OrderReference)
	send(t, srv, http.MethodGet, srv.URL+"/organisation", "", http.Header{"Clientsecret": {"wrong"}})

	require.Equal(t, 1, srv.RequestCount(RouteProcessOrders))
	require.Equal(t, 1, srv.RequestCount(RouteCatalogue))
	require.Equal(t, 1, srv.RequestCount(RouteAssignments))
	require.Equal(t, 1, srv.RequestCount(RouteOrganisation))
	require.Zero(t, srv.RequestCount(RouteRevoke))

	reqs := srv.Requests()
	require.Len(t, reqs, 4)
	p := reqs[0]
	require.Equal(t, 1, p.Seq)
	require.Equal(t, http.MethodPost, p.Method)
	require.Equal(t, "/api/whitelabel/processorders", p.Path)
	require.Equal(t, RouteProcessOrders, p.Route)
	require.Equal(t, Sandbox, p.Environment)
	require.Equal(t, purchaseBody("esim_1GB_7D_TR_V2", ""), string(p.Body))
	require.Equal(t, http.StatusOK, p.Status)
	require.Equal(t, clock.Now(), p.Time)
	require.Equal(t, clock.Now(), p.End)
	require.Equal(t, srv.APIKey, p.Header.Get("X-Api-Key"))
	require.Equal(t, "application/json", p.Header.Get("Accept"))
	require.Equal(t, "orderReference="+o.OrderReference, reqs[2].RawQuery)
	require.Equal(t, http.StatusServiceUnavailable, reqs[2].Status)
	require.Equal(t, http.StatusForbidden, reqs[3].Status)

	s := p.String()
	require.Contains(t, s, "#1 POST /api/whitelabel/processorders → 200")
	require.NotContains(t, s, srv.APIKey)
	require.NotContains(t, s, srv.ClientSecret)
	require.NotContains(t, s, "esim_1GB", "no body in String")

	// Snapshots are copies.
	reqs[0].Header.Set("X-Api-Key", "changed")
	reqs[0].Body[0] = 'X'
	require.Equal(t, srv.APIKey, srv.Requests()[0].Header.Get("X-Api-Key"))
	require.Equal(t, byte('{'), srv.Requests()[0].Body[0])
}

func TestLedgerIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithAssignmentDelay(0))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if i%2 == 0 {
				buy(t, srv, "esim_1GB_7D_TR_V2", "")
			} else {
				post(t, srv, RouteCatalogue, `{"region":"Asia"}`)
			}
			_ = srv.Requests()
			_ = srv.Orders()
			_ = srv.RequestCount(RouteCatalogue)
		})
	}
	wg.Wait()
	require.Len(t, srv.Orders(), 10)
	require.Equal(t, 10, srv.RequestCount(RouteCatalogue))
	require.Equal(t, 10, srv.RequestCount(RouteProcessOrders))
	iccids := map[string]bool{}
	for _, o := range srv.Orders() {
		iccids[o.ICCID] = true
	}
	require.Len(t, iccids, 10, "every new eSIM has its own ICCID")
	require.Equal(t, DefaultSandboxBalanceCents-10*srv.mustBundle(t, "esim_1GB_7D_TR_V2").PriceCents, srv.Balance(Sandbox))
}

func TestIdentifiersAreDeterministicFromSeed(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) []Order {
		srv := NewServer(WithSeed(seed), WithClock(newTestClock().Now))
		defer srv.Close()
		buy(t, srv, "esim_1GB_7D_TR_V2", "")
		buy(t, srv, "esim_1GB_7D_GB_V2", "")
		return srv.Orders()
	}
	require.Equal(t, run(7), run(7))
	require.NotEqual(t, run(7), run(8))
	require.Equal(t, 3, luhnDigit("7992739871"), "the classic Luhn example")
}
