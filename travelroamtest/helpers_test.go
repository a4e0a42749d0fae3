package travelroamtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newTestServer starts a server closed at the end of the test.
func newTestServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	srv := NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(r.body, &v), "body: %s", r.body)
	return v
}

func (r response) message(t *testing.T) string {
	t.Helper()
	msg, _ := r.json(t)["message"].(string)
	return msg
}

// send makes a request with the server's credentials to base+route.
func send(t *testing.T, srv *Server, method, url, body string, header http.Header) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	require.NoError(t, err)
	req.Header.Set("X-API-KEY", srv.APIKey)
	req.Header.Set("Clientsecret", srv.ClientSecret)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// post sends a JSON body to a route of the server's environment.
func post(t *testing.T, srv *Server, route Route, body string) response {
	t.Helper()
	return send(t, srv, http.MethodPost, srv.URL+string(route), body, nil)
}

// get sends a GET to a route (with its query) of the server's environment.
func get(t *testing.T, srv *Server, routeAndQuery string) response {
	t.Helper()
	return send(t, srv, http.MethodGet, srv.URL+routeAndQuery, "", nil)
}

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.NewEncoder(&buf).Encode(v))
	return buf.String()
}

// orderResp is the part of the order answer tests read.
type orderResp struct {
	OrderReference string          `json:"orderReference"`
	Status         string          `json:"status"`
	StatusMessage  string          `json:"statusMessage"`
	Currency       string          `json:"currency"`
	Total          json.Number     `json:"total"`
	CreatedDate    string          `json:"createdDate"`
	Assigned       bool            `json:"assigned"`
	Unlimited      bool            `json:"unlimited"`
	Order          []orderLineResp `json:"order"`
}

type orderLineResp struct {
	Type         string      `json:"type"`
	Item         string      `json:"item"`
	Quantity     int         `json:"quantity"`
	SubTotal     json.Number `json:"subTotal"`
	PricePerUnit json.Number `json:"pricePerUnit"`
	ICCIDs       []string    `json:"iccids"`
}

// buy purchases bundle (a new eSIM, or a top-up when iccid is set) and
// requires success.
func buy(t *testing.T, srv *Server, bundle, iccid string) orderResp {
	t.Helper()
	resp := post(t, srv, RouteProcessOrders, purchaseBody(bundle, iccid))
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	var o orderResp
	require.NoError(t, json.Unmarshal(resp.body, &o))
	return o
}

func purchaseBody(bundle, iccid string) string {
	if iccid == "" {
		return `{"bundleName":"` + bundle + `","orderType":"COUNTRY"}`
	}
	return `{"bundleName":"` + bundle + `","orderType":"COUNTRY","iccid":"` + iccid + `"}`
}

// testClock is a manual clock for WithClock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2025, 3, 4, 9, 12, 33, 481213000, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// iccidBody is the {"iccid": …} body of the eSIM routes.
func iccidBody(iccid string) string { return `{"iccid":"` + iccid + `"}` }
