package travelroam

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

// Test credentials. They are long and distinctive so that a leak test can
// search every log line and error string for them.
const (
	testAPIKey    = "tk_live_SECRETKEY_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
	testSecret    = "cs_SECRETSECRET_9876543210zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQ"
	testBaseURL   = "https://api.test/api/whitelabel"
	testICCID     = "8944538532012345678"
	testMatchingI = "K2-1Z8QAB-3XYV7P"
)

// newMockClient returns a Client whose requests go to a fresh httpmock
// transport (no network), with jitter off and pacing off unless opts say
// otherwise.
func newMockClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]Option{
		WithBaseURL(testBaseURL),
		WithHTTPClient(&http.Client{Transport: mt}),
		WithPurchaseInterval(0),
	}, opts...)
	c, err := NewClient(testAPIKey, testSecret, all...)
	require.NoError(t, err)
	c.jitter = func(time.Duration) time.Duration { return 0 }
	return c, mt
}

// fixture returns the bytes of testdata/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// fixtureResponder answers with status and the fixture's bytes.
func fixtureResponder(t testing.TB, status int, name string) httpmock.Responder {
	return httpmock.NewBytesResponder(status, fixture(t, name)).HeaderSet(http.Header{"Content-Type": {"application/json"}})
}

// requireContractHeaders asserts the headers every request must carry.
func requireContractHeaders(t *testing.T, req *http.Request) {
	t.Helper()
	require.Equal(t, testAPIKey, req.Header.Get("X-API-KEY"))
	require.Equal(t, testSecret, req.Header.Get("Clientsecret"))
	require.Equal(t, "application/json", req.Header.Get("Content-Type"))
	require.Equal(t, "application/json", req.Header.Get("Accept"))
	require.Equal(t, "travelroam-go/"+Version, req.Header.Get("User-Agent"))
	require.Empty(t, req.Header.Get("Idempotency-Key"))
	require.Empty(t, req.Header.Get("X-Idempotency-Key"))
}

// requireJSONBody asserts that the request body is a JSON object equal to
// want (exact keys and values).
func requireJSONBody(t *testing.T, req *http.Request, want map[string]any) {
	t.Helper()
	b, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	req.Body = io.NopCloser(bytes.NewReader(b))
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got), "body %s", b)
	require.Equal(t, want, got)
}
