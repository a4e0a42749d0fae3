package travelroam

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

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
		validSig := VerifyCallbackSignature(body, sig, key)
		for i, opts := range [][]CallbackOption{
			{WithCallbackDeduper(nil), WithCallbackMaxBytes(4096)},
			{WithCallbackDeduper(nil), WithCallbackSignature(key), WithCallbackQueryToken("t", testCallbackToken)},
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
		Header:        http.Header{DefaultSignatureHeader: {sig}},
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

// FuzzVerifySignature checks VerifyCallbackSignature against a reference
// HMAC: it is true only for headers that decode to HMAC-SHA256(key, body),
// and always true for the canonical hex and base64 encodings of it.
func FuzzVerifySignature(f *testing.F) {
	key := []byte(testAPIKey)
	for _, b := range [][]byte{fixture(f, "callback_v3.json"), {}, []byte("x")} {
		f.Add(b, signHex(key, b), uint8(0), false)
		f.Add(b, "", uint8(1), false)
		f.Add(b, "", uint8(2), true)
		f.Add(b, "sha256=", uint8(3), false)
	}
	f.Add([]byte("a"), strings.Repeat("0", 64), uint8(0), false)
	f.Add([]byte("a"), strings.Repeat("A", 44), uint8(0), false)
	f.Fuzz(func(t *testing.T, body []byte, header string, mode uint8, flip bool) {
		ref := mac(key, body)
		switch mode % 5 {
		case 1:
			header = hex.EncodeToString(ref)
		case 2:
			header = base64.StdEncoding.EncodeToString(ref)
		case 3:
			header = header + hex.EncodeToString(ref)
		case 4:
			header = base64.RawURLEncoding.EncodeToString(ref)
		}
		if flip && len(body) > 0 {
			body = bytes.Clone(body)
			body[0] ^= 0x80
		}
		got := VerifyCallbackSignature(body, header, []byte("other key"), key)
		want := len(header) <= maxSignatureHeader && referenceDecodes(header, mac(key, body))
		if got != want {
			t.Fatalf("VerifyCallbackSignature(%q, %q) = %v, reference says %v", body, header, got, want)
		}
		if (mode%5 == 1 || mode%5 == 2 || mode%5 == 4) && !flip && !got {
			t.Fatalf("canonical signature refused")
		}
	})
}

// referenceDecodes is an independent statement of the accepted formats.
func referenceDecodes(header string, want []byte) bool {
	h := strings.TrimSpace(header)
	if len(h) >= 7 && strings.ToLower(h[:7]) == "sha256=" && len(h) > 7 {
		h = h[7:]
	}
	if strings.EqualFold(h, hex.EncodeToString(want)) {
		return true
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if d, err := enc.DecodeString(h); err == nil && bytes.Equal(d, want) {
			return true
		}
	}
	return false
}
