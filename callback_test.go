package travelroam

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// testCallbackToken is long and distinctive so that leak tests can look
// for it.
const testCallbackToken = "cbtok_SECRETTOKEN_0123456789abcdef"

// cbSink is a callback function that counts its calls per dedupe key.
type cbSink struct {
	mu     sync.Mutex
	calls  map[string]int
	events []*CallbackEvent
	err    func(n int) error // error to return on the nth call (1-based), nil: none
}

func newSink() *cbSink { return &cbSink{calls: map[string]int{}} }

func (s *cbSink) fn(_ context.Context, ev *CallbackEvent) error {
	s.mu.Lock()
	s.calls[ev.DedupeKey()]++
	s.events = append(s.events, ev)
	n := len(s.events)
	s.mu.Unlock()
	if s.err != nil {
		return s.err(n)
	}
	return nil
}

func (s *cbSink) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events)
}

// post sends body to h as a POST to target, with header name/value pairs.
func post(h http.Handler, target string, body []byte, hdr ...string) *httptest.ResponseRecorder {
	return send(h, http.MethodPost, target, body, hdr...)
}

func send(h http.Handler, method, target string, body []byte, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func mac(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}

func signHex(key, body []byte) string { return hex.EncodeToString(mac(key, body)) }
func signB64(key, body []byte) string { return base64.StdEncoding.EncodeToString(mac(key, body)) }

// v3Body returns a newer-format event; remaining makes it distinct.
func v3Body(remaining int64) []byte {
	return fmt.Appendf(nil, `{"iccid":%q,"alertType":"Utilisation","bundle":{"id":"215009266",`+
		`"reference":"6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10-0","name":"esim_1GB_7D_TR_V2",`+
		`"initialQuantity":1000000000,"remainingQuantity":%d,"startTime":"2025-03-05T08:00:12Z",`+
		`"endTime":"2025-03-12T08:00:12Z","unlimited":false}}`, testICCID, remaining)
}

// callbackStatus returns the status of a ParseCallback error, as a
// user's code reads it: 200 for nil, a *CallbackError's StatusCode, 500
// for anything else.
func callbackStatus(err error) int {
	if err == nil {
		return http.StatusOK
	}
	if ce, ok := errors.AsType[*CallbackError](err); ok {
		return ce.StatusCode
	}
	return http.StatusInternalServerError
}

func TestCallbackErrorFields(t *testing.T) {
	t.Parallel()
	body := fixture(t, "callback_v3.json")
	cases := []struct {
		name   string
		req    *http.Request
		opts   []Option
		status int
		reason string
		text   string
	}{
		{"method", httptest.NewRequest(http.MethodGet, "/cb", nil), nil, 405, "method", "travelroam: callback: method not allowed"},
		{"token", httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body)),
			[]Option{WithCallbackPathToken(testCallbackToken)}, 401, "unauthorized", "travelroam: callback: unauthorized: missing or wrong token"},
		{"signature", httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body)),
			[]Option{WithCallbackSignature("", []byte(testAPIKey))}, 401, "unauthorized", "travelroam: callback: unauthorized: missing or invalid signature"},
		{"too large", httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body)),
			[]Option{WithCallbackMaxBytes(10)}, 413, "too_large", "travelroam: callback: body too large"},
		{"malformed", httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader(`{}`)), nil, 400, "malformed",
			"travelroam: callback: malformed: neither an iccid nor a type (alertType or event)"},
	}
	for _, tc := range cases {
		_, err := ParseCallback(tc.req, tc.opts...)
		ce, ok := errors.AsType[*CallbackError](err)
		require.True(t, ok, tc.name)
		require.Equal(t, tc.status, ce.StatusCode, tc.name)
		require.Equal(t, tc.reason, ce.Reason, tc.name)
		require.Equal(t, tc.text, err.Error(), tc.name)
		require.NoError(t, ce.Unwrap(), tc.name)
	}

	// A body that cannot be read is malformed, and its read error is the cause.
	req := httptest.NewRequest(http.MethodPost, "/cb", iotest.ErrReader(io.ErrUnexpectedEOF))
	req.ContentLength = -1
	_, err := ParseCallback(req)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Equal(t, 400, callbackStatus(err))
}

func TestCallbackHandlerInputs(t *testing.T) {
	t.Parallel()
	valid := string(fixture(t, "callback_v3.json"))
	tests := []struct {
		name, method, body string
		status             int
		called             bool
	}{
		{"valid v3", "POST", valid, 200, true},
		{"valid v2", "POST", string(fixture(t, "callback_v2.json")), 200, true},
		{"valid v2 in MB", "POST", string(fixture(t, "callback_v2_mb.json")), 200, true},
		{"unknown alert type delivered", "POST", `{"iccid":"8944538532012345678","alertType":"Depleted"}`, 200, true},
		{"GET", "GET", "", 405, false},
		{"PUT", "PUT", valid, 405, false},
		{"HEAD", "HEAD", "", 405, false},
		{"DELETE", "DELETE", valid, 405, false},
		{"empty body", "POST", "", 400, false},
		{"not JSON", "POST", "iccid=1", 400, false},
		{"truncated", "POST", valid[:40], 400, false},
		{"trailing data", "POST", valid + "x", 400, false},
		{"array", "POST", "[" + valid + "]", 400, false},
		{"null", "POST", "null", 400, false},
		// An object without ICCID that names a type is an account event,
		// delivered; one that names neither is refused.
		{"no iccid, a type: account event delivered", "POST", `{"alertType":"Utilisation"}`, 200, true},
		{"empty iccid, a type: account event delivered", "POST", `{"iccid":" ","alertType":"Utilisation"}`, 200, true},
		{"low balance delivered", "POST", string(fixture(t, "callback_low_balance.json")), 200, true},
		{"event without iccid delivered", "POST", `{"event":"account.suspended"}`, 200, true},
		{"neither iccid nor type", "POST", `{}`, 400, false},
		{"empty iccid, no type", "POST", `{"iccid":"","alertType":" "}`, 400, false},
		{"balance info alone", "POST", `{"balanceInfo":{"balance":1}}`, 400, false},
		{"iccid with letters", "POST", `{"iccid":"89445385abc","alertType":"Utilisation"}`, 400, false},
		{"iccid as float", "POST", `{"iccid":8.944538532012346e18,"alertType":"Utilisation"}`, 400, false},
		{"iccid as object", "POST", `{"iccid":{},"alertType":"Utilisation"}`, 400, false},
		{"iccid too long", "POST", `{"iccid":"` + strings.Repeat("8", 33) + `","alertType":"Utilisation"}`, 400, false},
		// A JSON object with a valid ICCID is delivered, whatever else it
		// holds: a field outside the decoding rules is left at zero.
		{"no alert type delivered", "POST", `{"iccid":"8944538532012345678"}`, 200, true},
		{"event delivered", "POST", `{"date":"2025-03-27T10:15:00Z","event":"esim.deleted","iccid":"8944538532012345678"}`, 200, true},
		{"alert type bool delivered", "POST", `{"iccid":"8944538532012345678","alertType":true}`, 200, true},
		{"bundle is a string delivered", "POST", `{"iccid":"8944538532012345678","alertType":"usage","bundle":"x"}`, 200, true},
		{"bad quantity delivered", "POST", `{"iccid":"8944538532012345678","alertType":"usage","bundle":{"remainingQuantity":"lots"}}`, 200, true},
		{"bad unlimited delivered", "POST", `{"iccid":"8944538532012345678","alertType":"usage","bundle":{"unlimited":"maybe"}}`, 200, true},
		{"bad time type delivered", "POST", `{"iccid":"8944538532012345678","alertType":"usage","bundle":{"endTime":{}}}`, 200, true},
		{"too large", "POST", `{"iccid":"8944538532012345678","alertType":"usage","pad":"` + strings.Repeat("x", 600) + `"}`, 413, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSink()
			h := NewCallbackHandler(s.fn, WithCallbackMaxBytes(512))
			rec := send(h, tt.method, "/cb", []byte(tt.body))
			require.Equal(t, tt.status, rec.Code)
			require.Equal(t, tt.called, s.total() == 1)
			require.Equal(t, callbackStatusText(tt.status), rec.Body.String(), "constant body")
			require.Equal(t, "text/plain; charset=utf-8", rec.Header().Get("Content-Type"))
			if tt.status == 405 {
				require.Equal(t, "POST", rec.Header().Get("Allow"))
			}
		})
	}
}

func TestParseCallback(t *testing.T) {
	t.Parallel()
	body := fixture(t, "callback_v3.json")
	req := httptest.NewRequest(http.MethodPost, "/cb?t="+testCallbackToken, bytes.NewReader(body))
	req.Header.Set(defaultSignatureHeader, signB64([]byte(testAPIKey), body))
	ev, err := ParseCallback(req, WithCallbackQueryToken("t", testCallbackToken), WithCallbackSignature("", []byte(testAPIKey)))
	require.NoError(t, err)
	require.Equal(t, testICCID, string(ev.ICCID))
	require.Equal(t, body, []byte(ev.Raw))

	req = httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body))
	_, err = ParseCallback(req, WithCallbackSignature("", []byte(testAPIKey)))
	require.Equal(t, 401, callbackStatus(err))

	req = httptest.NewRequest(http.MethodGet, "/cb", nil)
	_, err = ParseCallback(req)
	require.Equal(t, 405, callbackStatus(err))

	req = httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body))
	_, err = ParseCallback(req, WithCallbackMaxBytes(10))
	require.Equal(t, 413, callbackStatus(err))

	chunked := &countingReader{n: 10 << 20}
	req = httptest.NewRequest(http.MethodPost, "/cb", chunked)
	req.ContentLength = -1
	_, err = ParseCallback(req)
	require.Equal(t, 413, callbackStatus(err))
	require.Equal(t, int64(defaultCallbackMaxBytes+1), chunked.read, "reads one byte past the limit, no more")

	req = httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader(`{"iccid":"8944538532012345678X"}`))
	_, err = ParseCallback(req)
	require.Equal(t, 400, callbackStatus(err))
	require.NotContains(t, err.Error(), testICCID)

	req = httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body))
	_, err = ParseCallback(req, WithCallbackQueryToken("t", "short"))
	require.Error(t, err)
	require.NotErrorAs(t, err, new(*CallbackError), "a bad option is not a refused request")
	require.Equal(t, 500, callbackStatus(err), "a bad option is a server error")
}

func TestCallbackOptionsRefuseMisconfiguration(t *testing.T) {
	t.Parallel()
	fn := newSink().fn
	bad := map[string][]Option{
		"short token":      {WithCallbackQueryToken("t", "0123456789")},
		"no token":         {WithCallbackPathToken()},
		"empty param":      {WithCallbackQueryToken("", testCallbackToken)},
		"slash in path":    {WithCallbackPathToken("abc/defghijklmnopqrstu")},
		"two locations":    {WithCallbackQueryToken("t", testCallbackToken), WithCallbackPathToken(testCallbackToken)},
		"no key":           {WithCallbackSignature("")},
		"empty key":        {WithCallbackSignature("", []byte(testAPIKey), nil)},
		"bad header name":  {WithCallbackSignature("X Sig", []byte(testAPIKey))},
		"header, no keys":  {WithCallbackSignature("X-Travelroam-Signature")},
		"two headers":      {WithCallbackSignature("X-A", []byte(testAPIKey)), WithCallbackSignature("X-B", []byte(testAPIKey))},
		"client option":    {WithBaseURL("https://example.com")},
		"zero limit":       {WithCallbackMaxBytes(0)},
		"nil logger":       {WithLogger(nil)},
		"short 2nd token ": {WithCallbackQueryToken("t", testCallbackToken, "x")},
	}
	for name, opts := range bad {
		require.Panics(t, func() { NewCallbackHandler(fn, opts...) }, name)
	}
	require.Panics(t, func() { NewCallbackHandler(nil) })
	require.PanicsWithValue(t, "travelroam: NewCallbackHandler: travelroam: callback token 1 is shorter than 16 characters",
		func() { NewCallbackHandler(fn, WithCallbackPathToken("tiny")) }, "the message does not show the token")
}

func TestCallbackToken(t *testing.T) {
	t.Parallel()
	old := "cbtok_OLDTOKEN_fedcba9876543210"
	tests := []struct {
		name, target string
		opt          Option
		status       int
	}{
		{"query ok", "/cb?token=" + testCallbackToken, WithCallbackQueryToken("token", testCallbackToken), 200},
		{"query rotated", "/cb?token=" + old, WithCallbackQueryToken("token", testCallbackToken, old), 200},
		{"query removed", "/cb?token=" + old, WithCallbackQueryToken("token", testCallbackToken), 401},
		{"query wrong", "/cb?token=" + testCallbackToken + "x", WithCallbackQueryToken("token", testCallbackToken), 401},
		{"query prefix", "/cb?token=" + testCallbackToken[:20], WithCallbackQueryToken("token", testCallbackToken), 401},
		{"query missing", "/cb", WithCallbackQueryToken("token", testCallbackToken), 401},
		{"query empty", "/cb?token=", WithCallbackQueryToken("token", testCallbackToken), 401},
		{"query other param", "/cb?tok=" + testCallbackToken, WithCallbackQueryToken("token", testCallbackToken), 401},
		{"path ok", "/travelroam/callback/" + testCallbackToken, WithCallbackPathToken(testCallbackToken), 200},
		{"path trailing slash", "/cb/" + testCallbackToken + "/", WithCallbackPathToken(testCallbackToken), 200},
		{"path wrong", "/cb/" + strings.ToUpper(testCallbackToken), WithCallbackPathToken(testCallbackToken), 401},
		{"path not last", "/cb/" + testCallbackToken + "/x", WithCallbackPathToken(testCallbackToken), 401},
		{"path missing", "/cb", WithCallbackPathToken(testCallbackToken), 401},
		{"path in query only", "/cb?x=" + testCallbackToken, WithCallbackPathToken(testCallbackToken), 401},
	}
	body := fixture(t, "callback_v3.json")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSink()
			d := newMemoryDeduper(0, 0)
			rec := post(NewCallbackHandler(s.fn, tt.opt, WithCallbackDeduper(d)), tt.target, body)
			require.Equal(t, tt.status, rec.Code)
			require.Equal(t, tt.status == 200, s.total() == 1)
			if tt.status == 401 {
				require.Equal(t, "unauthorized\n", rec.Body.String())
				require.Zero(t, d.Len(), "no dedupe entry for a refused delivery")
			}
		})
	}
}

// FuzzCallbackHandler posts arbitrary bodies, methods, signature headers
// and tokens through handlers with and without authentication and
// deduplication. Invariants: no panic escapes; the status is one of the
// documented ones; the function runs only when the answer is 200 or 500
// (its own failure), and every 200 of a handler without dedupe means it
// ran and succeeded; a signed handler never calls it without a valid
// signature and token.
func FuzzCallbackHandler(f *testing.F) {
	for _, name := range []string{"callback_v2.json", "callback_v3.json", "callback_firstuse.json"} {
		b := fixture(f, name)
		f.Add(b, "POST", "", testCallbackToken, true)
		f.Add(b, "POST", signHex([]byte(testAPIKey), b), "", false)
	}
	f.Add([]byte(`{"iccid":"1","alertType":"panic"}`), "POST", "", testCallbackToken, true)
	f.Add([]byte(`{"iccid":1,"alertType":"error","bundle":{"remainingQuantity":"1e3"}}`), "POST", "", "", true)
	f.Add([]byte(`{"iccid":"8944538532012345678","alertType":"x","bundle":null}`), "GET", "zz", "x", false)
	f.Add([]byte(strings.Repeat("[", 5000)), "POST", strings.Repeat("a", 300), "", true)
	key := []byte(testAPIKey)
	f.Fuzz(func(t *testing.T, body []byte, method, sig, token string, signIt bool) {
		if signIt {
			sig = signB64(key, body)
		}
		validSig := verifyCallbackSignature(body, sig, key)
		for i, opts := range [][]Option{
			{WithCallbackDeduper(nil), WithCallbackMaxBytes(4096)},
			{WithCallbackDeduper(nil), WithCallbackSignature("", key), WithCallbackQueryToken("t", testCallbackToken)},
			{WithCallbackMaxBytes(1024)},
		} {
			ran, ok := 0, false
			h := NewCallbackHandler(func(ctx context.Context, ev *CallbackEvent) error {
				ran++
				switch ev.AlertType {
				case "panic":
					panic("boom")
				case "error":
					return errors.New("failed")
				}
				ok = true
				return nil
			}, opts...)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, fuzzRequest(method, token, sig, body))
			checkFuzzAnswer(t, i, rec, ran, ok)
			if i == 1 && ran > 0 && (!validSig || token != testCallbackToken) {
				t.Fatalf("signed handler called fn without valid credentials")
			}
		}
	})
}

func fuzzRequest(method, token, sig string, body []byte) *http.Request {
	r := &http.Request{
		Method:        method,
		URL:           &url.URL{Path: "/cb", RawQuery: url.Values{"t": {token}}.Encode()},
		Header:        http.Header{defaultSignatureHeader: {sig}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
	}
	return r.WithContext(context.Background())
}

func checkFuzzAnswer(t *testing.T, handler int, rec *httptest.ResponseRecorder, ran int, ok bool) {
	t.Helper()
	switch rec.Code {
	case 200, 400, 401, 405, 413, 500, 503:
	default:
		t.Fatalf("handler %d: unexpected status %d", handler, rec.Code)
	}
	if ran > 1 {
		t.Fatalf("handler %d: fn ran %d times for one request", handler, ran)
	}
	if ran == 1 && rec.Code != 200 && rec.Code != 500 {
		t.Fatalf("handler %d: fn ran but status is %d", handler, rec.Code)
	}
	if rec.Code == 200 && handler < 2 && !ok {
		t.Fatalf("handler %d: 200 without a successful call", handler)
	}
	if rec.Code == 500 && ok {
		t.Fatalf("handler %d: 500 after a successful call", handler)
	}
	if rec.Body.String() != callbackStatusText(rec.Code) {
		t.Fatalf("handler %d: body %q is not the constant text", handler, rec.Body.String())
	}
}

// TestCallbackEventLogRecords checks the records the handler writes about
// an event: the masked ICCID and the alert type on each, the source line
// in the handler (not in its logging helper), and nothing below the
// logger's level.
func TestCallbackEventLogRecords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		level    slog.Level
		fail     bool
		messages []string
	}{
		{slog.LevelDebug, false, []string{"travelroam: callback delivered"}},
		{slog.LevelInfo, false, nil},
		{slog.LevelInfo, true, []string{"travelroam: callback function failed, asking for redelivery"}},
	} {
		var buf bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: tc.level, AddSource: true}))
		h := NewCallbackHandler(func(context.Context, *CallbackEvent) error {
			if tc.fail {
				return errors.New("disk full")
			}
			return nil
		}, WithLogger(logger), WithCallbackDeduper(nil))
		post(h, "/cb", fixture(t, "callback_v3.json"))

		var got []string
		for line := range strings.Lines(buf.String()) {
			var rec struct {
				Msg       string `json:"msg"`
				ICCID     string `json:"iccid"`
				AlertType string `json:"alert_type"`
				Error     string `json:"error"`
				Source    struct {
					File     string `json:"file"`
					Function string `json:"function"`
				} `json:"source"`
			}
			require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
			got = append(got, rec.Msg)
			require.Equal(t, "…5678", string(rec.ICCID), line)
			require.Equal(t, "Utilisation", rec.AlertType, line)
			require.Equal(t, "callback.go", filepath.Base(rec.Source.File), line)
			require.True(t, strings.HasSuffix(rec.Source.Function, "(*callbackHandler).call"), line)
			if tc.fail {
				require.Equal(t, "disk full", rec.Error)
			}
		}
		require.Equal(t, tc.messages, got, "level %v, fail %v", tc.level, tc.fail)
	}
}

// baselineCallbackEvent is the plain struct a user would decode into.
// The callback benchmarks serve one usage callback (testdata
// callback_v3.json) per iteration, calling ServeHTTP directly with a
// reused request and a discarding ResponseWriter, so that they measure the
// handler and not the network. The baseline is a hand-written handler that
// reads the body and json.Unmarshal's it into a plain struct. Both call a
// function that does nothing.

type baselineCallbackEvent struct {
	ICCID     string `json:"iccid"`
	AlertType string `json:"alertType"`
	Bundle    *struct {
		ID                string `json:"id"`
		Reference         string `json:"reference"`
		Name              string `json:"name"`
		Description       string `json:"description"`
		InitialQuantity   int64  `json:"initialQuantity"`
		RemainingQuantity int64  `json:"remainingQuantity"`
		StartTime         string `json:"startTime"`
		EndTime           string `json:"endTime"`
		Unlimited         bool   `json:"unlimited"`
	} `json:"bundle"`
}

// baselineCallbackHandler is the hand-written handler; key, when set,
// makes it check a hex HMAC-SHA256 signature too.
func baselineCallbackHandler(key []byte, fn func(context.Context, *baselineCallbackEvent) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, defaultCallbackMaxBytes))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if key != nil {
			m := hmac.New(sha256.New, key)
			m.Write(body)
			got, err := hex.DecodeString(r.Header.Get(defaultSignatureHeader))
			if err != nil || !hmac.Equal(m.Sum(nil), got) {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		var ev baselineCallbackEvent
		if err := json.Unmarshal(body, &ev); err != nil || ev.ICCID == "" || ev.AlertType == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := fn(r.Context(), &ev); err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "ok\n")
	})
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

func (w *discardWriter) WriteHeader(status int) { w.status = status }

// serveCallbacks sends the body to h b.N times and reports requests per
// second.
func serveCallbacks(b *testing.B, h http.Handler, body []byte, signature string) {
	req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, "/travelroam/callback", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(defaultSignatureHeader, signature)
	}
	w := &discardWriter{header: make(http.Header)}
	rd := bytes.NewReader(body)
	req.ContentLength = int64(len(body))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		req.Body = io.NopCloser(rd)
		clear(w.header)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkCallbackHandler(b *testing.B) {
	body := fixture(b, "callback_v3.json")
	key := []byte(testAPIKey)
	signature := hex.EncodeToString(mac(key, body))
	noop := func(context.Context, *CallbackEvent) error { return nil }
	baselineNoop := func(context.Context, *baselineCallbackEvent) error { return nil }

	// Plain: no authentication, no deduplication.
	b.Run("auth=none/impl=baseline", func(b *testing.B) {
		serveCallbacks(b, baselineCallbackHandler(nil, baselineNoop), body, "")
	})
	b.Run("auth=none/impl=sdk", func(b *testing.B) {
		serveCallbacks(b, NewCallbackHandler(noop, WithCallbackDeduper(nil)), body, "")
	})
	// With an HMAC-SHA256 signature checked.
	b.Run("auth=signature/impl=baseline", func(b *testing.B) {
		serveCallbacks(b, baselineCallbackHandler(key, baselineNoop), body, signature)
	})
	b.Run("auth=signature/impl=sdk", func(b *testing.B) {
		serveCallbacks(b, NewCallbackHandler(noop, WithCallbackDeduper(nil), WithCallbackSignature("", key)), body, signature)
	})
}

// BenchmarkCallbackHandlerDedupe is the handler with the in-memory
// deduper on, every event new (4,096 distinct events cycling through a
// deduper that remembers 1,024): no baseline does this work.
func BenchmarkCallbackHandlerDedupe(b *testing.B) {
	template := string(fixture(b, "callback_v3.json"))
	bodies := make([][]byte, 4096)
	for i := range bodies {
		bodies[i] = []byte(strings.Replace(template, `"remainingQuantity": 500000000`,
			`"remainingQuantity": `+strconv.Itoa(500000000-i), 1))
	}
	calls := 0
	h := NewCallbackHandler(func(context.Context, *CallbackEvent) error { calls++; return nil },
		WithCallbackDeduper(newMemoryDeduper(1024, 0)))
	req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, "/travelroam/callback", nil)
	if err != nil {
		b.Fatal(err)
	}
	w := &discardWriter{header: make(http.Header)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		body := bodies[i%len(bodies)]
		i++
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		clear(w.header)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if calls != b.N {
		b.Fatalf("fn called %d times for %d new events", calls, b.N)
	}
}

// TestOptionsRefusedWhereTheyDoNotApply: one Option type serves both
// sides; a callback option given to NewClient, and a client option given
// to ParseCallback or NewCallbackHandler, is refused with a message that
// names it, while WithLogger and WithObserver are taken by both.
func TestOptionsRefusedWhereTheyDoNotApply(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]Option{
		"WithCallbackMaxBytes":   WithCallbackMaxBytes(1024),
		"WithCallbackDeduper":    WithCallbackDeduper(nil),
		"WithCallbackPathToken":  WithCallbackPathToken(testCallbackToken),
		"WithCallbackQueryToken": WithCallbackQueryToken("t", testCallbackToken),
		"WithCallbackSignature":  WithCallbackSignature("", []byte(testAPIKey)),
	} {
		_, err := NewClient(testAPIKey, testSecret, opt)
		ve, ok := errors.AsType[*ValidationError](err)
		require.True(t, ok, "%s: %v", name, err)
		require.Equal(t, "travelroam: NewClient: invalid option: "+name+" configures ParseCallback and NewCallbackHandler, not a Client", ve.Error())
	}
	for name, opt := range map[string]Option{
		"WithBaseURL":          WithBaseURL(testBaseURL),
		"WithHTTPClient":       WithHTTPClient(http.DefaultClient),
		"WithUserAgent":        WithUserAgent("shop/1"),
		"WithMaxRetries":       WithMaxRetries(1),
		"WithPurchaseInterval": WithPurchaseInterval(0),
		"WithPurchaseGate":     WithPurchaseGate(newMemoryGate()),
		"WithPurchaseJournal":  WithPurchaseJournal(newMemoryJournal()),
		"WithPurchaseLedger":   WithPurchaseLedger(newMemoryLedger()),
		"WithRoute":            WithRoute(OpCatalogue, Route{Method: "GET", Path: "/catalogue"}),
	} {
		req := httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader(`{"iccid":"1"}`))
		_, err := ParseCallback(req, opt)
		ve, ok := errors.AsType[*ValidationError](err)
		require.True(t, ok, "%s: %v", name, err)
		want := "travelroam: callback receiver: invalid option: " + name + " configures NewClient, not ParseCallback or NewCallbackHandler"
		require.Equal(t, want, ve.Error())
		require.PanicsWithValue(t, "travelroam: NewCallbackHandler: "+want, func() { NewCallbackHandler(newSink().fn, opt) }, name)
	}

	// The shared options configure both sides.
	var buf bytes.Buffer
	var decisions []CallbackDecision
	obs := &Observer{Callback: func(_ context.Context, d CallbackDecision) { decisions = append(decisions, d) }}
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	_, err := NewClient(testAPIKey, testSecret, WithLogger(logger), WithObserver(obs))
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "/cb", nil)
	_, err = ParseCallback(req, WithLogger(logger), WithObserver(obs))
	require.Equal(t, 405, callbackStatus(err))
	h := NewCallbackHandler(newSink().fn, WithLogger(logger), WithObserver(obs))
	require.Equal(t, 405, send(h, http.MethodGet, "/cb", nil).Code)
	require.Len(t, decisions, 1)
	require.Equal(t, "refused", decisions[0].Decision)
	require.Equal(t, "method", decisions[0].Reason)
	require.Contains(t, buf.String(), "callback rejected")
}
