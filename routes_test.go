package travelroam

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam/travelroamtest"
)

// TestWithRouteRefusesBadRoutes: an unknown operation, a method that is
// not a token or a path that is not a plain path relative to the base URL
// make NewClient fail with a *ValidationError.
func TestWithRouteRefusesBadRoutes(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]Option{
		"unknown operation": WithRoute("refund", Route{"POST", "/refund"}),
		"empty method":      WithRoute(OpOrganisation, Route{"", "/organization"}),
		"method with space": WithRoute(OpOrganisation, Route{"GET X", "/organization"}),
		"relative path":     WithRoute(OpOrganisation, Route{"GET", "organization"}),
		"scheme-relative":   WithRoute(OpOrganisation, Route{"GET", "//evil.example/organization"}),
		"absolute URL":      WithRoute(OpOrganisation, Route{"GET", "https://evil.example/organization"}),
		"query":             WithRoute(OpOrganisation, Route{"GET", "/organization?x=1"}),
		"fragment":          WithRoute(OpOrganisation, Route{"GET", "/organization#x"}),
		"dot-dot":           WithRoute(OpRevokeESIM, Route{"POST", "/esims/../revoke"}),
		"line break":        WithRoute(OpRevokeESIM, Route{"POST", "/esims/revoke\r\nX: y"}),
	} {
		_, err := NewClient(testAPIKey, testSecret, opt)
		require.ErrorAs(t, err, new(*ValidationError), name)
	}
	c, err := NewClient(testAPIKey, testSecret, WithRoute(OpOrganisation, Route{"GET", "/a"}), WithRoute(OpOrganisation, Route{"POST", "/b"}))
	require.NoError(t, err)
	require.Equal(t, Route{"POST", "/b"}, c.routes[OpOrganisation].Route, "the last one wins")
	r, ok := OpRevokeESIM.DefaultRoute()
	require.True(t, ok)
	require.Equal(t, "POST /esims/revoke", r.String())
	_, ok = Operation("refund").DefaultRoute()
	require.False(t, ok)
}

// TestWithRouteReachesTheAlternatives: the contract's alternative routes,
// as the fake serves them, through WithRoute: only the method and path
// change, never the fields.
func TestWithRouteReachesTheAlternatives(t *testing.T) {
	t.Parallel()
	srv := travelroamtest.NewServer()
	t.Cleanup(srv.Close)
	client := func(opts ...Option) *Client {
		c, err := NewClient(srv.APIKey, srv.ClientSecret, append([]Option{WithBaseURL(srv.URL),
			WithHTTPClient(srv.Client()), WithPurchaseInterval(0)}, opts...)...)
		require.NoError(t, err)
		t.Cleanup(c.CloseIdleConnections)
		return c
	}
	last := func() travelroamtest.Request {
		reqs := srv.Requests()
		return reqs[len(reqs)-1]
	}
	for _, rt := range []Route{{"GET", "/organization"}, {"GET", "/organizationdetails"}, {"POST", "/organisation"}} {
		org, err := client(WithRoute(OpOrganisation, rt)).Organisation(t.Context())
		require.NoError(t, err, rt)
		require.NotEmpty(t, org.Currency)
		req := last()
		require.Equal(t, rt.Method, req.Method)
		require.Equal(t, "/api/whitelabel"+rt.Path, req.Path)
		if rt.Method == http.MethodPost {
			require.JSONEq(t, `{}`, string(req.Body), "POST sends {} when the operation has no fields")
		}
	}

	c := client()
	order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	iccid := ICCID(srv.Orders()[0].ICCID)
	_, err = client(WithRoute(OpAssignments, Route{"POST", "/getesimassignments"})).Assignments(t.Context(), order.Reference)
	req := last()
	require.Equal(t, http.MethodPost, req.Method)
	require.Empty(t, req.RawQuery)
	require.JSONEq(t, `{"orderReference":"`+order.Reference+`"}`, string(req.Body), "the fields move to the body")
	_ = err // the fake reads the reference from the query only: any answer will do here

	rc := client(WithRoute(OpRevokeESIM, Route{"DELETE", "/esims/revoke"}))
	require.NoError(t, rc.RevokeESIM(t.Context(), iccid))
	req = last()
	require.Equal(t, http.MethodDelete, req.Method)
	require.JSONEq(t, `{"iccid":"`+string(iccid)+`"}`, string(req.Body), "DELETE carries the JSON body")
	_, err = c.ESIM(t.Context(), iccid)
	require.ErrorIs(t, err, ErrNotFound, "revoked through the alternative route")

	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	iccid2 := srv.Orders()[len(srv.Orders())-1].ICCID
	require.NoError(t, client(WithRoute(OpRevokeESIM, Route{"POST", "/revokeesim"})).RevokeESIM(t.Context(), ICCID(iccid2)))
	require.Equal(t, "/api/whitelabel/revokeesim", last().Path)
}

// TestOperationTable: the one table names every operation once, each name
// of a row is distinct from the other rows' (also ignoring case), and
// each row's call is a method of *Client that observers and
// travelroamotel's spans name.
func TestOperationTable(t *testing.T) {
	t.Parallel()
	seen := map[string]Operation{}
	client := reflect.TypeFor[*Client]()
	for _, o := range operations() {
		for _, name := range []string{string(o.op), o.call, o.label, o.Route.String()} {
			k := strings.ToLower(name)
			if prev, ok := seen[k]; ok && prev != o.op {
				t.Errorf("%q of %s is also a name of %s", name, o.op, prev)
			}
			seen[k] = o.op
		}
		_, ok := client.MethodByName(o.call)
		require.True(t, ok, "%s: no method Client.%s", o.op, o.call)
		r, ok := o.op.DefaultRoute()
		require.True(t, ok)
		require.Equal(t, o.Route, r)
		require.Equal(t, o.label, o.op.label())
	}
	_, ok := client.MethodByName(callWaitForAssignments)
	require.True(t, ok)
	require.Empty(t, Operation("refund").label())
}
