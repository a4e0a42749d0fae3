package travelroam

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

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

func TestCallbackStatusMapping(t *testing.T) {
	t.Parallel()
	require.Equal(t, 200, CallbackStatus(nil))
	require.Equal(t, 405, CallbackStatus(ErrCallbackMethod))
	require.Equal(t, 413, CallbackStatus(fmt.Errorf("x: %w", ErrCallbackTooLarge)))
	require.Equal(t, 401, CallbackStatus(ErrCallbackUnauthorized))
	require.Equal(t, 400, CallbackStatus(ErrCallbackMalformed))
	require.Equal(t, 500, CallbackStatus(errors.New("other")))
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
		{"no iccid", "POST", `{"alertType":"Utilisation"}`, 400, false},
		{"empty iccid", "POST", `{"iccid":" ","alertType":"Utilisation"}`, 400, false},
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
	req.Header.Set(DefaultSignatureHeader, signB64([]byte(testAPIKey), body))
	ev, err := ParseCallback(req, WithCallbackQueryToken("t", testCallbackToken), WithCallbackSignature([]byte(testAPIKey)))
	require.NoError(t, err)
	require.Equal(t, testICCID, ev.ICCID)
	require.Equal(t, body, ev.Raw)

	req = httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body))
	_, err = ParseCallback(req, WithCallbackSignature([]byte(testAPIKey)))
	require.ErrorIs(t, err, ErrCallbackUnauthorized)
	require.Equal(t, 401, CallbackStatus(err))

	req = httptest.NewRequest(http.MethodGet, "/cb", nil)
	_, err = ParseCallback(req)
	require.ErrorIs(t, err, ErrCallbackMethod)

	req = httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body))
	_, err = ParseCallback(req, WithCallbackMaxBytes(10))
	require.ErrorIs(t, err, ErrCallbackTooLarge)

	chunked := &countingReader{n: 10 << 20}
	req = httptest.NewRequest(http.MethodPost, "/cb", chunked)
	req.ContentLength = -1
	_, err = ParseCallback(req)
	require.ErrorIs(t, err, ErrCallbackTooLarge)
	require.Equal(t, int64(DefaultCallbackMaxBytes+1), chunked.read, "reads one byte past the limit, no more")

	req = httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader(`{"iccid":"8944538532012345678X"}`))
	_, err = ParseCallback(req)
	require.ErrorIs(t, err, ErrCallbackMalformed)
	require.NotContains(t, err.Error(), testICCID)

	req = httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body))
	_, err = ParseCallback(req, WithCallbackQueryToken("t", "short"))
	require.Error(t, err)
	require.Equal(t, 500, CallbackStatus(err), "a bad option is a server error")
}

func TestCallbackOptionsRefuseMisconfiguration(t *testing.T) {
	t.Parallel()
	fn := newSink().fn
	bad := map[string][]CallbackOption{
		"short token":      {WithCallbackQueryToken("t", "0123456789")},
		"no token":         {WithCallbackPathToken()},
		"empty param":      {WithCallbackQueryToken("", testCallbackToken)},
		"slash in path":    {WithCallbackPathToken("abc/defghijklmnopqrstu")},
		"two locations":    {WithCallbackQueryToken("t", testCallbackToken), WithCallbackPathToken(testCallbackToken)},
		"no key":           {WithCallbackSignature()},
		"empty key":        {WithCallbackSignature([]byte(testAPIKey), nil)},
		"bad header name":  {WithCallbackSignatureHeader("X Sig")},
		"header, no keys":  {WithCallbackSignatureHeader("X-Travelroam-Signature")},
		"zero limit":       {WithCallbackMaxBytes(0)},
		"nil logger":       {WithCallbackLogger(nil)},
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
		opt          CallbackOption
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
			d := NewMemoryDeduper(0, 0)
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

func TestCallbackSignature(t *testing.T) {
	t.Parallel()
	key, other := []byte(testAPIKey), []byte("another-key-0123456789")
	body := fixture(t, "callback_v3.json")
	flipped := bytes.Clone(body)
	flipped[len(flipped)/2] ^= 0x01
	rawURL := base64.RawURLEncoding.EncodeToString(mac(key, body))
	tests := []struct {
		name   string
		body   []byte
		header []string // values; nil: no header
		status int
	}{
		{"hex", body, []string{signHex(key, body)}, 200},
		{"hex upper case", body, []string{strings.ToUpper(signHex(key, body))}, 200},
		{"base64", body, []string{signB64(key, body)}, 200},
		{"base64 raw url", body, []string{rawURL}, 200},
		{"sha256= prefix", body, []string{"sha256=" + signHex(key, body)}, 200},
		{"spaces", body, []string{"  " + signB64(key, body) + " "}, 200},
		{"second value", body, []string{"junk", signHex(key, body)}, 200},
		{"one bit flipped in body", flipped, []string{signHex(key, body)}, 401},
		{"wrong key", body, []string{signHex(other, body)}, 401},
		{"missing", body, nil, 401},
		{"empty", body, []string{""}, 401},
		{"malformed", body, []string{"not a signature!"}, 401},
		{"truncated", body, []string{signHex(key, body)[:62]}, 401},
		{"64 bytes", body, []string{signHex(key, body) + signHex(key, body)}, 401},
		{"oversized", body, []string{signHex(key, body) + strings.Repeat(" ", 300)}, 401},
		{"oversized prefix", body, []string{strings.Repeat(" ", 300) + signHex(key, body)}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSink()
			d := NewMemoryDeduper(0, 0)
			h := NewCallbackHandler(s.fn, WithCallbackSignature(key), WithCallbackDeduper(d))
			req := httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(tt.body))
			for _, v := range tt.header {
				req.Header.Add(DefaultSignatureHeader, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tt.status, rec.Code)
			require.Equal(t, tt.status == 200, s.total() == 1)
			if tt.status != 200 {
				require.Equal(t, "unauthorized\n", rec.Body.String())
				require.Zero(t, d.Len())
			}
		})
	}
}

func TestCallbackSignatureRotationAndHeader(t *testing.T) {
	t.Parallel()
	oldKey, newKey := []byte("old-api-key-0123456789"), []byte(testAPIKey)
	body := fixture(t, "callback_v3.json")
	sig := signB64(oldKey, body)

	both := NewCallbackHandler(newSink().fn, WithCallbackSignature(newKey), WithCallbackSignature(oldKey))
	require.Equal(t, 200, post(both, "/cb", body, DefaultSignatureHeader, sig).Code)
	after := NewCallbackHandler(newSink().fn, WithCallbackSignature(newKey))
	require.Equal(t, 401, post(after, "/cb", body, DefaultSignatureHeader, sig).Code)

	custom := NewCallbackHandler(newSink().fn, WithCallbackSignature(newKey), WithCallbackSignatureHeader("X-TR-Sig"))
	require.Equal(t, 401, post(custom, "/cb", body, DefaultSignatureHeader, signHex(newKey, body)).Code)
	require.Equal(t, 200, post(custom, "/cb", body, "X-TR-Sig", signHex(newKey, body)).Code)

	// Token and signature together: both must pass.
	tokSig := NewCallbackHandler(newSink().fn, WithCallbackSignature(newKey), WithCallbackPathToken(testCallbackToken))
	require.Equal(t, 401, post(tokSig, "/cb/"+testCallbackToken, body).Code)
	require.Equal(t, 401, post(tokSig, "/cb/x", body, DefaultSignatureHeader, signHex(newKey, body)).Code)
	require.Equal(t, 200, post(tokSig, "/cb/"+testCallbackToken, body, DefaultSignatureHeader, signHex(newKey, body)).Code)
}

func TestVerifyCallbackSignature(t *testing.T) {
	t.Parallel()
	key := []byte(testAPIKey)
	body := []byte(`{"a":1}`)
	require.True(t, VerifyCallbackSignature(body, signHex(key, body), key))
	require.True(t, VerifyCallbackSignature(body, signB64(key, body), []byte("x"), key))
	require.False(t, VerifyCallbackSignature(body, signB64(key, body)))
	require.False(t, VerifyCallbackSignature(body, signB64(key, body), nil, []byte{}))
	require.False(t, VerifyCallbackSignature(append(body, ' '), signB64(key, body), key))
	require.False(t, VerifyCallbackSignature(body, "", key))
}
