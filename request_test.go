package travelroam

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

// TestRequestURLs checks the URLs computed once in NewClient against the
// join done per request before, for base URLs with a trailing slash, an
// escaped character, a port and no path.
func TestRequestURLs(t *testing.T) {
	t.Parallel()
	for base, want := range map[string]string{
		"https://proxy.example/tr/":            "https://proxy.example/tr/catalogue",
		"http://127.0.0.1:8080/api/whitelabel": "http://127.0.0.1:8080/api/whitelabel/catalogue",
		"https://h.example/a%20b/api":          "https://h.example/a%20b/api/catalogue",
		"https://h.example":                    "https://h.example/catalogue",
	} {
		c, err := NewClient(testAPIKey, testSecret, WithBaseURL(base))
		require.NoError(t, err)
		u, err := c.requestURL(c.newRequest(OpCatalogue, nil))
		require.NoError(t, err)
		require.Equal(t, want, u, base)
		for _, rt := range operations() {
			u, err := c.requestURL(c.newRequest(rt.op, nil))
			require.NoError(t, err)
			require.Equal(t, routeURL(c.baseURL, rt.Path), u, rt.op)
		}
		r := c.newRequest(OpCatalogue, nil)
		r.query = url.Values{"b": {"x y"}, "a": {"1"}}
		u, err = c.requestURL(r)
		require.NoError(t, err)
		require.Equal(t, want+"?a=1&b=x+y", u)
	}
}

// TestRequestFieldsOfAGet: a GET's fields go in the query string, beside
// its query (which wins for a name in both); other methods send them as
// the JSON body, {} when there are none.
func TestRequestFieldsOfAGet(t *testing.T) {
	t.Parallel()
	c, err := NewClient(testAPIKey, testSecret, WithBaseURL(testBaseURL))
	require.NoError(t, err)
	r := c.newRequest(OpAssignments, map[string]any{"orderReference": "ref 1", "n": 2, "ok": true, "none": nil})
	r.query = url.Values{"n": {"3"}}
	u, err := c.requestURL(r)
	require.NoError(t, err)
	require.Equal(t, testBaseURL+"/getesimassignments?n=3&ok=true&orderReference=ref+1", u)
	body, err := encodeBody(r)
	require.NoError(t, err)
	require.Nil(t, body)

	r = c.newRequest(OpOrganisation, nil)
	r.method = http.MethodPost
	body, err = encodeBody(r)
	require.NoError(t, err)
	require.Equal(t, "{}", string(body))
}

// TestRequestFraming checks what reaches the transport for a read without
// a body (GET, no body, no chunking), a read with one (its exact length),
// and a write: each with its own copy of the contract's headers.
func TestRequestFraming(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var seen []*http.Request
	record := func(status int, body string) httpmock.Responder {
		return func(req *http.Request) (*http.Response, error) {
			requireContractHeaders(t, req)
			seen = append(seen, req)
			b, err := io.ReadAll(req.Body)
			require.NoError(t, err)
			require.Equal(t, req.ContentLength, int64(len(b)))
			require.Empty(t, req.TransferEncoding)
			return httpmock.NewStringResponse(status, body), nil
		}
	}
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", record(200, `{"name":"Shop","balance":1}`))
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/bundle", record(200, `{"name":"b"}`))
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/processorders", record(200, `{"orderReference":"r"}`))

	_, err := c.Organisation(t.Context())
	require.NoError(t, err)
	_, err = c.Bundle(t.Context(), "b")
	require.NoError(t, err)
	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "b"})
	require.NoError(t, err)

	require.Len(t, seen, 3)
	require.Zero(t, seen[0].ContentLength)
	require.Equal(t, int64(len(`{"bundlename":"b","bundleName":"b"}`)), seen[1].ContentLength)
	require.Equal(t, int64(len(`{"bundleName":"b","orderType":"COUNTRY"}`)), seen[2].ContentLength)
	// Changing one request's headers does not change the Client's.
	seen[0].Header.Set("X-Api-Key", "changed")
	require.Equal(t, testAPIKey, c.headers().Get("X-API-KEY"))
	_, err = c.Organisation(t.Context())
	require.NoError(t, err)
}
