package fakeserver

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunServesAndStops(t *testing.T) {
	callbacks := make(chan string, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		callbacks <- string(body)
	}))
	defer receiver.Close()

	ctx, cancel := context.WithCancel(t.Context())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, "travelroam fake", []string{"-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-env", "live", "-seed", "3",
			"-api-key", "k", "-client-secret", "s", "-callback-url", receiver.URL, "-assignment-delay", "0s"}, &out, io.Discard)
	}()
	urlRE := regexp.MustCompile(`Base URL: +(http://127\.0\.0\.1:\d+/api/whitelabel)\n`)
	adminRE := regexp.MustCompile(`Admin API \(test hooks.*\): (http://127\.0\.0\.1:\d+)\n`)
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Press Ctrl+C") }, time.Minute, 5*time.Millisecond)
	banner := out.String()
	require.Contains(t, banner, "Travel Roam fake API (live)")
	require.Contains(t, banner, "X-API-KEY:        k\n")
	require.Contains(t, banner, "  export TRAVELROAM_API_KEY=k\n  export TRAVELROAM_CLIENT_SECRET=s\n")
	require.Regexp(t, `export TRAVELROAM_BASE_URL=http://127\.0\.0\.1:\d+/sandbox/api/whitelabel\n`, banner)
	require.Regexp(t, `export TRAVELROAM_LIVE_BASE_URL=http://127\.0\.0\.1:\d+/live/api/whitelabel\n`, banner)
	require.Contains(t, banner, "-H 'Content-Type: application/json' -d '{\"iccid\"")
	base := urlRE.FindStringSubmatch(banner)[1]
	admin := adminRE.FindStringSubmatch(banner)[1]

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	status, body := call(t, hc, http.MethodGet, base+"/organisation", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `"balance":500,`, "the live wallet")

	status, body = call(t, hc, http.MethodPost, base+"/processorders", `{"bundleName":"esim_1GB_7D_TR_V2","orderType":"COUNTRY"}`, nil)
	require.Equal(t, http.StatusOK, status, body)
	iccid := regexp.MustCompile(`"iccids":\["(\d+)"\]`).FindStringSubmatch(body)[1]
	status, body = call(t, hc, http.MethodPost, admin+"/consume", `{"iccid":"`+iccid+`","bytes":600000000}`, jsonType)
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, <-callbacks, `"alertType":"FirstUse"`)
	require.Contains(t, <-callbacks, `"alertType":"Utilisation"`)
	status, body = call(t, hc, http.MethodGet, admin+"/orders", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, iccid)
	status, body = call(t, hc, http.MethodPost, admin+"/balance", `{"env":"prod","cents":1}`, jsonType)
	require.Equal(t, http.StatusBadRequest, status, body)
	tr.CloseIdleConnections()

	cancel()
	require.NoError(t, <-done)
	require.True(t, strings.HasSuffix(out.String(), "Shutting down.\n"))
}

var jsonType = http.Header{"Content-Type": {"application/json"}}

// call sends a request with the test credentials and extra headers and
// reads the answer.
func call(t *testing.T, hc *http.Client, method, url, body string, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-API-KEY", "k")
	req.Header.Set("Clientsecret", "s")
	for k, v := range h {
		if k == "Host" {
			req.Host = v[0]
			continue
		}
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(raw)
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-env", "prod"},
		{"-assignment-delay", "-1s"},
		{"-api-key", ""},
		{"extra"},
		{"-nope"},
	} {
		err := Run(t.Context(), "x", args, io.Discard, io.Discard)
		require.ErrorIs(t, err, ErrUsage, "%v", args)
	}
	for _, args := range [][]string{
		{"-addr", "256.0.0.1:99999"},
		{"-addr", "127.0.0.1:0", "-admin-addr", "256.0.0.1:1"},
	} {
		err := Run(t.Context(), "x", args, io.Discard, io.Discard)
		require.Error(t, err, "%v", args)
		require.NotErrorIs(t, err, ErrUsage, "%v", args)
	}
	var usage bytes.Buffer
	require.ErrorIs(t, Run(t.Context(), "travelroam fake", []string{"-h"}, io.Discard, &usage), flag.ErrHelp)
	require.Contains(t, usage.String(), "Usage: travelroam fake [flags]")
	require.Contains(t, usage.String(), "Content-Type: application/json (415)", "the usage text states the admin API's safety rules")
	require.Contains(t, usage.String(), "against DNS rebinding")
}

func TestDefaultConfig(t *testing.T) {
	require.Equal(t, Config{
		Addr: "127.0.0.1:8080", AdminAddr: "127.0.0.1:8081", Env: "sandbox", APIKey: travelroamtest.DefaultAPIKey,
		ClientSecret: travelroamtest.DefaultClientSecret, Seed: travelroamtest.DefaultSeed,
		AssignmentDelay: travelroamtest.DefaultAssignmentDelay,
	}, DefaultConfig())
}

// startAdmin starts a fake with its admin API on a loopback port.
func startAdmin(t *testing.T) (*Fake, *http.Client) {
	t.Helper()
	c := DefaultConfig()
	c.Addr, c.AdminAddr, c.AssignmentDelay = "127.0.0.1:0", "127.0.0.1:0", 0
	f, err := Start(c)
	require.NoError(t, err)
	t.Cleanup(f.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return f, &http.Client{Transport: tr}
}

func TestAdminRefusesForeignRequests(t *testing.T) {
	f, hc := startAdmin(t)
	port := f.AdminURL[strings.LastIndex(f.AdminURL, ":")+1:]
	balance := func() int64 { return f.Server.Balance(travelroamtest.Sandbox) }
	before := balance()
	setBalance := `{"env":"sandbox","cents":1}`

	cases := []struct {
		name   string
		method string
		header http.Header
		body   string
		status int
	}{
		{"text/plain cross-origin POST (no preflight in a browser)", http.MethodPost,
			http.Header{"Content-Type": {"text/plain;charset=UTF-8"}, "Origin": {"http://evil.example"}}, setBalance, http.StatusForbidden},
		{"text/plain POST from the admin's own origin", http.MethodPost,
			http.Header{"Content-Type": {"text/plain"}, "Origin": {f.AdminURL}}, setBalance, http.StatusUnsupportedMediaType},
		{"form POST without Origin", http.MethodPost,
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, setBalance, http.StatusUnsupportedMediaType},
		{"POST without Content-Type", http.MethodPost, nil, setBalance, http.StatusUnsupportedMediaType},
		{"JSON POST from a foreign Origin", http.MethodPost,
			http.Header{"Content-Type": {"application/json"}, "Origin": {"http://localhost:3000"}}, setBalance, http.StatusForbidden},
		{"JSON POST with a null Origin (sandboxed frame)", http.MethodPost,
			http.Header{"Content-Type": {"application/json"}, "Origin": {"null"}}, setBalance, http.StatusForbidden},
		{"JSON POST with a foreign Host (DNS rebinding)", http.MethodPost,
			http.Header{"Content-Type": {"application/json"}, "Host": {"evil.example:" + port}}, setBalance, http.StatusForbidden},
		{"JSON POST with the right host on another port", http.MethodPost,
			http.Header{"Content-Type": {"application/json"}, "Host": {"127.0.0.1:1"}}, setBalance, http.StatusForbidden},
		{"GET /orders with a foreign Host (DNS rebinding reads the orders)", http.MethodGet,
			http.Header{"Host": {"rebind.evil.example:" + port}}, "", http.StatusForbidden},
		{"GET /orders from a foreign Origin", http.MethodGet,
			http.Header{"Origin": {"http://evil.example"}}, "", http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := "/balance"
			if tc.method == http.MethodGet {
				path = "/orders"
			}
			status, body := call(t, hc, tc.method, f.AdminURL+path, tc.body, tc.header)
			require.Equal(t, tc.status, status, body)
			require.NotContains(t, body, `"reference"`, "no order data in a refusal")
			require.Equal(t, before, balance(), "a refused request changes nothing")
		})
	}
}

func TestAdminAcceptsLocalJSON(t *testing.T) {
	f, hc := startAdmin(t)
	port := f.AdminURL[strings.LastIndex(f.AdminURL, ":")+1:]
	for i, h := range []http.Header{
		{"Content-Type": {"application/json"}},
		{"Content-Type": {"application/json; charset=utf-8"}, "Origin": {f.AdminURL}},
		{"Content-Type": {"application/json"}, "Host": {"localhost:" + port}, "Origin": {"http://localhost:" + port}},
		{"Content-Type": {"application/json"}, "Host": {"LOCALHOST:" + port}},
	} {
		status, body := call(t, hc, http.MethodPost, f.AdminURL+"/balance", `{"env":"sandbox","cents":`+string(rune('1'+i))+`}`, h)
		require.Equal(t, http.StatusOK, status, "%v: %s", h, body)
		require.Equal(t, int64(1+i), f.Server.Balance(travelroamtest.Sandbox))
	}
	status, body := call(t, hc, http.MethodGet, f.AdminURL+"/orders", "", http.Header{"Host": {"[::1]:" + port}})
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, "[]\n", body)
}

func TestAllowedHosts(t *testing.T) {
	require.Equal(t, map[string]bool{"127.0.0.1:8081": true, "localhost:8081": true, "[::1]:8081": true}, allowedHosts("127.0.0.1:8081"))
	require.Equal(t, map[string]bool{"0.0.0.0:9": true, "localhost:9": true, "127.0.0.1:9": true, "[::1]:9": true}, allowedHosts("0.0.0.0:9"))
	require.Equal(t, map[string]bool{"weird": true}, allowedHosts("weird"))
}

func TestStartFailsCleanly(t *testing.T) {
	c := DefaultConfig()
	c.Addr = "127.0.0.1:0"
	c.AdminAddr = "256.0.0.1:1"
	_, err := Start(c)
	require.Error(t, err)
	c.Env = "prod"
	_, err = Start(c)
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrUsage))
}
