package travelroamtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
)

// authFailure is the answer to missing or wrong credentials: 403
// {"message":"Forbidden"}, as eSIM Go answers, or 401
// {"message":"Unauthorised"} with [WithAuthFailureStatus].
func (s *Server) authFailure() reply {
	if s.cfg.authStatus == http.StatusForbidden {
		return errorReply(http.StatusForbidden, "Forbidden")
	}
	return errorReply(s.cfg.authStatus, "Unauthorised")
}

// SignatureEncoding is how a callback's HMAC-SHA256 is written in
// X-Signature-SHA256 (see [WithCallbackSignatureEncoding]).
type SignatureEncoding int

const (
	// SignatureHex writes the 32 bytes as 64 lower-case hex digits, as
	// eSIM Go's webhooks guide does (the default).
	SignatureHex SignatureEncoding = iota
	// SignatureBase64 writes them in standard base64, as eSIM Go's API
	// pages show.
	SignatureBase64
)

// WithCallbackSignatureEncoding selects how signed callbacks write their
// signature (default [SignatureHex]); it matters only with
// [WithCallbackSigningKey].
func WithCallbackSignatureEncoding(e SignatureEncoding) Option {
	return func(c *config) {
		mustf(e == SignatureHex || e == SignatureBase64, "unknown signature encoding %d", e)
		c.signatureEncoding = e
	}
}

// Sign returns hex(HMAC-SHA256(key, body)), the X-Signature-SHA256 value
// of a callback body in the default encoding ([SignatureHex]).
func Sign(key, body []byte) string { return hex.EncodeToString(mac(key, body)) }

// SignBase64 returns base64(HMAC-SHA256(key, body)), the
// X-Signature-SHA256 value with [SignatureBase64].
func SignBase64(key, body []byte) string { return base64.StdEncoding.EncodeToString(mac(key, body)) }

func mac(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}

// sign signs body in the configured encoding.
func (s *Server) sign(body []byte) string {
	if s.cfg.signatureEncoding == SignatureBase64 {
		return SignBase64(s.cfg.callbackKey, body)
	}
	return Sign(s.cfg.callbackKey, body)
}

// iccidPrefixes are the first 8 digits of the fake's ICCIDs, in turn:
// today's 8944 (UK) and the prefixes of real eSIM Go and Travel Roam
// ICCIDs in the evidence, 8943 (a captured eSIM Go order answer) and 8932
// (Travel Roam's real output), each followed by 10 random digits and a
// Luhn check digit (19 digits in all).
var iccidPrefixes = [...]string{"89445385", "89431081", "89320420"}
