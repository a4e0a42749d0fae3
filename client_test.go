package travelroam

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

func TestNewClientErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		key, secret string
		opts        []Option
		want        string
	}{
		{"empty key", "", testSecret, nil, "both required"},
		{"empty secret", testAPIKey, "", nil, "both required"},
		{"blank key", "  ", testSecret, nil, "both required"},
		{"line break in key", "key\r\nX-Evil: 1", testSecret, nil, "line breaks"},
		{"line break in secret", testAPIKey, "secret\n", nil, "line breaks"},
		{"relative base URL", testAPIKey, testSecret, []Option{WithBaseURL("/api")}, "absolute http or https"},
		{"ftp base URL", testAPIKey, testSecret, []Option{WithBaseURL("ftp://example.com/api")}, "absolute http or https"},
		{"no host", testAPIKey, testSecret, []Option{WithBaseURL("https://")}, "absolute http or https"},
		{"unparsable base URL", testAPIKey, testSecret, []Option{WithBaseURL("https://exa mple.com/%zz")}, "absolute http or https"},
		{"user info", testAPIKey, testSecret, []Option{WithBaseURL("https://user:pass@example.com/api")}, "user info"},
		{"query", testAPIKey, testSecret, []Option{WithBaseURL("https://example.com/api?api_key=x")}, "query"},
		{"fragment", testAPIKey, testSecret, []Option{WithBaseURL("https://example.com/api#x")}, "fragment"},
		{"nil HTTP client", testAPIKey, testSecret, []Option{WithHTTPClient(nil)}, "must not be nil"},
		{"nil logger", testAPIKey, testSecret, []Option{WithLogger(nil)}, "must not be nil"},
		{"user agent line break", testAPIKey, testSecret, []Option{WithUserAgent("shop\r\nX: y")}, "line breaks"},
		{"negative retries", testAPIKey, testSecret, []Option{WithMaxRetries(-1)}, "between 0 and 10, got -1"},
		{"too many retries", testAPIKey, testSecret, []Option{WithMaxRetries(11)}, "between 0 and 10, got 11"},
		{"negative purchase interval", testAPIKey, testSecret, []Option{WithPurchaseInterval(-time.Second)}, "must not be negative"},
		{"short interval, sandbox default", testAPIKey, testSecret, []Option{WithPurchaseInterval(4 * time.Second)}, "below the 5s"},
		{"short interval, live", testAPIKey, testSecret, []Option{WithBaseURL(LiveURL), WithPurchaseInterval(0)}, "below the 5s"},
		{"short interval, travelroam.com base", testAPIKey, testSecret,
			[]Option{WithBaseURL("https://api.TravelRoam.com./api/whitelabel"), WithPurchaseInterval(time.Second)}, "below the 5s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tc.key, tc.secret, tc.opts...)
			require.Nil(t, c)
			require.ErrorContains(t, err, tc.want)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve, "bad input to NewClient is a *ValidationError")
			require.Equal(t, "NewClient", ve.Op)
			require.NotEmpty(t, ve.Field)
			require.True(t, strings.HasPrefix(err.Error(), "travelroam: NewClient: invalid "), err.Error())
			require.NotContains(t, err.Error(), testAPIKey)
			require.NotContains(t, err.Error(), testSecret)
		})
	}
}

func TestNewClientAccepts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []Option
		base string
	}{
		{"default is sandbox", nil, "https://sandbox.travelroam.com/api/whitelabel"},
		{"explicit sandbox", []Option{WithBaseURL(sandboxURL)}, "https://sandbox.travelroam.com/api/whitelabel"},
		{"live", []Option{WithBaseURL(LiveURL)}, "https://travelroam.com/api/whitelabel"},
		{"last base URL wins", []Option{WithBaseURL(LiveURL), WithBaseURL("https://proxy.example/tr/")}, "https://proxy.example/tr"},
		{"short interval on another host", []Option{WithBaseURL("http://127.0.0.1:8080/api"), WithPurchaseInterval(0)}, "http://127.0.0.1:8080/api"},
		{"look-alike host is not Travel Roam", []Option{WithBaseURL("https://nottravelroam.com"), WithPurchaseInterval(time.Second)}, "https://nottravelroam.com"},
		{"5s on live", []Option{WithBaseURL(LiveURL), WithPurchaseInterval(5 * time.Second)}, "https://travelroam.com/api/whitelabel"},
		{"nil option ignored", []Option{nil}, "https://sandbox.travelroam.com/api/whitelabel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(testAPIKey, testSecret, tc.opts...)
			require.NoError(t, err)
			require.Equal(t, tc.base, c.BaseURL())
		})
	}
	require.Equal(t, "https://travelroam.com/api/whitelabel", LiveURL)
}

func TestWithHTTPClientCopies(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", fixtureResponder(t, 200, "organisation_wrapped.json"))
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := &http.Client{Transport: mt, Jar: jar}
	var logs lockedBuffer
	c, err := NewClient(testAPIKey, testSecret, WithBaseURL(testBaseURL), WithHTTPClient(hc),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NoError(t, err)
	_, err = c.Organisation(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, mt.GetTotalCallCount(), "requests go through the caller's transport")
	require.Same(t, mt, hc.Transport, "the caller's client is not modified (no logging wrapper)")
	require.Zero(t, hc.Timeout, "the caller's client gets no timeout")
	require.Same(t, jar, hc.Jar)
	require.NotSame(t, hc, c.readHTTP)
	require.Equal(t, defaultReadTimeout, attemptTimeout(t, c.readHTTP), "the SDK's own copy gets the per-attempt timeout")
	require.Equal(t, defaultWriteTimeout, attemptTimeout(t, c.writeHTTP))

	hc2 := &http.Client{Transport: mt, Timeout: 3 * time.Second}
	c2, err := NewClient(testAPIKey, testSecret, WithHTTPClient(hc2))
	require.NoError(t, err)
	require.Equal(t, 3*time.Second, attemptTimeout(t, c2.readHTTP), "the caller's timeout wins")
	require.Equal(t, 3*time.Second, attemptTimeout(t, c2.writeHTTP))
	require.Zero(t, c2.readHTTP.Timeout, "applied per attempt by the SDK's transport, not by http.Client")
}

func attemptTimeout(t *testing.T, hc *http.Client) time.Duration {
	t.Helper()
	at, ok := hc.Transport.(*attemptTransport)
	require.True(t, ok, "%T", hc.Transport)
	return at.timeout
}

func TestUserAgent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts []Option
		want string
	}{
		{nil, "travelroam-go/" + Version},
		{[]Option{WithUserAgent(" myshop/1.2 ")}, "myshop/1.2 travelroam-go/" + Version},
		{[]Option{WithUserAgent("")}, "travelroam-go/" + Version},
	} {
		c, mt := newMockClient(t, tc.opts...)
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", func(req *http.Request) (*http.Response, error) {
			require.Equal(t, tc.want, req.Header.Get("User-Agent"))
			return fixtureResponder(t, 200, "organisation_flat.json")(req)
		})
		_, err := c.Organisation(t.Context())
		require.NoError(t, err)
		require.Equal(t, 1, mt.GetTotalCallCount())
	}
}

func TestClientFormattingHidesCredentials(t *testing.T) {
	t.Parallel()
	c, _ := newMockClient(t)
	outputs := []string{c.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%T %p"} {
		outputs = append(outputs, fmt.Sprintf(verb, c))
		outputs = append(outputs, fmt.Sprintf(verb, struct{ C *Client }{c}))
		outputs = append(outputs, fmt.Sprintf(verb, []any{c}))
	}
	for _, out := range outputs {
		require.NotContains(t, out, testAPIKey)
		require.NotContains(t, out, testSecret)
		require.NotContains(t, out, "SECRET")
	}
	require.Equal(t, "travelroam.Client{BaseURL: "+testBaseURL+", APIKey: [redacted], ClientSecret: [redacted]}", fmt.Sprintf("%+v", c))
}

// TestNoSecretsInLogsOrErrors runs many operations, failures included,
// with debug logging on, and searches every log line and error string.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var logs lockedBuffer
		logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c, mt := newMockClient(t, WithLogger(logger))
		iccidMsg := `{"message":"ICCID ` + testICCID + ` not found for key ` + testAPIKey[:8] + `"}`
		mt.RegisterResponder(http.MethodPost, testBaseURL+"/bundle", httpmock.ResponderFromMultipleResponses([]*http.Response{
			httpmock.NewStringResponse(400, iccidMsg),
			httpmock.NewStringResponse(200, `{"name":"x","price":"`+testICCID+`x"}`),
		}))
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation",
			httpmock.NewStringResponder(503, `{"message":"down `+testICCID+`"}`).HeaderSet(http.Header{"Retry-After": {"1"}}))
		mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue",
			httpmock.NewErrorResponder(errors.New("read tcp 10.0.0.1:443: connection reset by peer")))

		var errs []error
		_, err := c.Bundle(t.Context(), testICCID)
		errs = append(errs, err)
		_, err = c.Bundle(t.Context(), "esim_1GB_7D_TR_V2")
		errs = append(errs, err)
		_, err = c.Organisation(t.Context())
		errs = append(errs, err)
		_, err = c.Catalogue(t.Context(), CatalogueOptions{Countries: []string{"TR"}})
		errs = append(errs, err)
		for _, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Region: RegionEurope}) {
			errs = append(errs, err)
		}
		_, err = c.Catalogue(t.Context(), CatalogueOptions{Countries: []string{testICCID}})
		errs = append(errs, err)

		var texts []string
		for _, err := range errs {
			require.Error(t, err)
			texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%s", err))
		}
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		require.GreaterOrEqual(t, len(lines), 1+1+4+4+4, "one line per attempt (an undecodable 200 is not asked for again)")
		for _, text := range append(texts, lines...) {
			require.NotContains(t, text, testAPIKey)
			require.NotContains(t, text, testSecret)
			require.NotContains(t, text, testICCID)
			require.NotContains(t, text, testBaseURL, "no URLs")
		}
		statuses := map[string]bool{}
		for _, line := range lines {
			for _, key := range []string{`"msg":"travelroam: request"`, `"method":"`, `"route":"/`, `"attempt":`, `"duration":`} {
				require.Contains(t, line, key)
			}
			require.True(t, strings.Contains(line, `"status":`) || strings.Contains(line, `"error":"transport_error"`), line)
			for _, s := range []string{`"status":400`, `"status":200`, `"status":503`, `"attempt":4`} {
				statuses[s] = statuses[s] || strings.Contains(line, s)
			}
		}
		require.Equal(t, map[string]bool{`"status":400`: true, `"status":200`: true, `"status":503`: true, `"attempt":4`: true}, statuses)
	})
}

// lockedBuffer is a bytes.Buffer safe for concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestTravelRoamHostNeedsHTTPS(t *testing.T) {
	t.Parallel()
	_, err := NewClient(testAPIKey, testSecret, WithBaseURL("http://sandbox.travelroam.com/api/whitelabel"))
	require.ErrorContains(t, err, "https")
	require.NotContains(t, err.Error(), testAPIKey)
	_, err = NewClient(testAPIKey, testSecret, WithBaseURL("http://127.0.0.1:8080/api/whitelabel"))
	require.NoError(t, err, "plain http is fine for a local fake")
}
