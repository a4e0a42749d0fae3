package travelroam

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam/travelroamtest"
)

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
			d := newMemoryDeduper(0, 0)
			h := NewCallbackHandler(s.fn, WithCallbackSignature("", key), WithCallbackDeduper(d))
			req := httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(tt.body))
			for _, v := range tt.header {
				req.Header.Add(defaultSignatureHeader, v)
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

	both := NewCallbackHandler(newSink().fn, WithCallbackSignature("", newKey), WithCallbackSignature("", oldKey))
	require.Equal(t, 200, post(both, "/cb", body, defaultSignatureHeader, sig).Code)
	after := NewCallbackHandler(newSink().fn, WithCallbackSignature("", newKey))
	require.Equal(t, 401, post(after, "/cb", body, defaultSignatureHeader, sig).Code)

	custom := NewCallbackHandler(newSink().fn, WithCallbackSignature("X-TR-Sig", newKey))
	require.Equal(t, 401, post(custom, "/cb", body, defaultSignatureHeader, signHex(newKey, body)).Code)
	require.Equal(t, 200, post(custom, "/cb", body, "X-TR-Sig", signHex(newKey, body)).Code)

	// Token and signature together: both must pass.
	tokSig := NewCallbackHandler(newSink().fn, WithCallbackSignature("", newKey), WithCallbackPathToken(testCallbackToken))
	require.Equal(t, 401, post(tokSig, "/cb/"+testCallbackToken, body).Code)
	require.Equal(t, 401, post(tokSig, "/cb/x", body, defaultSignatureHeader, signHex(newKey, body)).Code)
	require.Equal(t, 200, post(tokSig, "/cb/"+testCallbackToken, body, defaultSignatureHeader, signHex(newKey, body)).Code)
}

func TestVerifyCallbackSignatureValues(t *testing.T) {
	t.Parallel()
	key := []byte(testAPIKey)
	body := []byte(`{"a":1}`)
	require.True(t, verifyCallbackSignature(body, signHex(key, body), key))
	require.True(t, verifyCallbackSignature(body, signB64(key, body), []byte("x"), key))
	require.False(t, verifyCallbackSignature(body, signB64(key, body)))
	require.False(t, verifyCallbackSignature(body, signB64(key, body), nil, []byte{}))
	require.False(t, verifyCallbackSignature(append(body, ' '), signB64(key, body), key))
	require.False(t, verifyCallbackSignature(body, "", key))
}

// FuzzVerifySignature checks verifyHeaderValues against a reference
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
		got := verifyCallbackSignature(body, header, []byte("other key"), key)
		want := len(header) <= maxSignatureHeader && referenceDecodes(header, mac(key, body))
		if got != want {
			t.Fatalf("verifyCallbackSignature(%q, %q) = %v, reference says %v", body, header, got, want)
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

// verifyCallbackSignature checks one header value, as the handler does.
func verifyCallbackSignature(body []byte, header string, keys ...[]byte) bool {
	return verifyHeaderValues(body, []string{header}, keys)
}

// TestCallbackSignatureBothEncodings: eSIM Go's webhooks guide signs in
// hex, its API pages show base64: the verifier accepts both, as the fake
// sends them.
func TestCallbackSignatureBothEncodings(t *testing.T) {
	t.Parallel()
	key := []byte(testAPIKey)
	body := fixture(t, "callback_low_balance.json")
	for name, sig := range map[string]string{
		"hex":        travelroamtest.Sign(key, body),
		"base64":     travelroamtest.SignBase64(key, body),
		"sha256=hex": "sha256=" + travelroamtest.Sign(key, body),
	} {
		require.True(t, verifyCallbackSignature(body, sig, key), name)
		require.False(t, verifyCallbackSignature(append([]byte(" "), body...), sig, key), name)
	}
}
