package main

import (
	"bytes"
	"context"
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
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-env", "live", "-seed", "3",
			"-api-key", "k", "-client-secret", "s", "-callback-url", receiver.URL, "-assignment-delay", "0s"}, &out, io.Discard)
	}()
	urlRE := regexp.MustCompile(`Base URL: +(http://127\.0\.0\.1:\d+/api/whitelabel)\n`)
	adminRE := regexp.MustCompile(`Admin API \(test hooks\): (http://127\.0\.0\.1:\d+)\n`)
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Press Ctrl+C") }, 5*time.Second, 5*time.Millisecond)
	banner := out.String()
	require.Contains(t, banner, "Travel Roam fake API (live)")
	require.Contains(t, banner, "X-API-KEY:        k\n")
	require.Contains(t, banner, "curl -s -X POST")
	base := urlRE.FindStringSubmatch(banner)[1]
	admin := adminRE.FindStringSubmatch(banner)[1]

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	status, body := call(t, hc, http.MethodGet, base+"/organisation", "")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `"balance":500,`, "the live wallet")

	status, body = call(t, hc, http.MethodPost, base+"/processorders", `{"bundleName":"esim_1GB_7D_TR_V2","orderType":"COUNTRY"}`)
	require.Equal(t, http.StatusOK, status, body)
	iccid := regexp.MustCompile(`"iccids":\["(\d+)"\]`).FindStringSubmatch(body)[1]
	status, body = call(t, hc, http.MethodPost, admin+"/consume", `{"iccid":"`+iccid+`","bytes":600000000}`)
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, <-callbacks, `"alertType":"FirstUse"`)
	require.Contains(t, <-callbacks, `"alertType":"Utilisation"`)
	status, body = call(t, hc, http.MethodGet, admin+"/orders", "")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, iccid)
	status, body = call(t, hc, http.MethodPost, admin+"/balance", `{"env":"prod","cents":1}`)
	require.Equal(t, http.StatusBadRequest, status, body)
	tr.CloseIdleConnections()

	cancel()
	require.NoError(t, <-done)
	require.True(t, strings.HasSuffix(out.String(), "Shutting down.\n"))
}

// call sends a request with the test credentials and reads the answer.
func call(t *testing.T, hc *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-API-KEY", "k")
	req.Header.Set("Clientsecret", "s")
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
		{"-addr", "256.0.0.1:99999"},
		{"-addr", "127.0.0.1:0", "-admin-addr", "256.0.0.1:1"},
	} {
		err := run(t.Context(), args, io.Discard, io.Discard)
		require.Error(t, err, "%v", args)
	}
}

func TestFlagDefaults(t *testing.T) {
	f, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, flags{
		addr: "127.0.0.1:8080", adminAddr: "127.0.0.1:8081", env: "sandbox", apiKey: travelroamtest.DefaultAPIKey,
		clientSecret: travelroamtest.DefaultClientSecret, seed: travelroamtest.DefaultSeed,
		assignmentDelay: travelroamtest.DefaultAssignmentDelay,
	}, f)
}
