package travelroam

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// verifyHeaderValues reports whether one of the first header values is
// an HMAC-SHA256 of body made with one of keys (see
// [WithCallbackSignature]). body must be the raw bytes as received, never
// re-encoded JSON. Every key is tried with [hmac.Equal], without early
// exit.

func verifyHeaderValues(body []byte, values []string, keys [][]byte) bool {
	var cands [][]byte
	for i, v := range values {
		if i == maxSignatureValues {
			break
		}
		cands = append(cands, signatureCandidates(v)...)
	}
	ok := false
	for _, k := range keys {
		if len(k) == 0 {
			continue
		}
		m := hmac.New(sha256.New, k)
		m.Write(body)
		sum := m.Sum(nil)
		for _, c := range cands {
			ok = hmac.Equal(sum, c) || ok
		}
	}
	return ok
}

// signatureCandidates returns every 32-byte decoding of v as hex or
// base64; the header's encoding is not documented reliably.
func signatureCandidates(v string) [][]byte {
	if len(v) > maxSignatureHeader {
		return nil
	}
	v = strings.TrimSpace(v)
	if len(v) > 7 && strings.EqualFold(v[:7], "sha256=") {
		v = v[7:]
	}
	var out [][]byte
	if len(v) == hex.EncodedLen(sha256.Size) {
		if b, err := hex.DecodeString(v); err == nil && len(b) == sha256.Size {
			out = append(out, b)
		}
	}
	// Only a value of the encoded length of 32 bytes can decode to them
	// (base64 skips line breaks, so a value with one is always tried).
	newline := strings.ContainsAny(v, "\r\n")
	for _, enc := range [...]*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if !newline && len(v) != enc.EncodedLen(sha256.Size) {
			continue
		}
		if b, err := enc.DecodeString(v); err == nil && len(b) == sha256.Size {
			out = append(out, b)
		}
	}
	return out
}
