package travelroam

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam/travelroamtest"
)

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

// TestForbiddenIsUnauthorized: eSIM Go answers bad credentials with 403
// {"message":"Forbidden"}, as the fake now does: ErrUnauthorized.
func TestForbiddenIsUnauthorized(t *testing.T) {
	t.Parallel()
	srv := travelroamtest.NewServer()
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.APIKey, srv.ClientSecret+"x", WithBaseURL(srv.URL), WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	_, err = c.Organisation(t.Context())
	require.ErrorIs(t, err, ErrUnauthorized)
	var ae *APIError
	require.True(t, errors.As(err, &ae))
	require.Equal(t, 403, ae.StatusCode)
	require.Equal(t, "Forbidden", ae.Message)
	require.JSONEq(t, string(fixture(t, "error_403_forbidden.json")), string(ae.Body), "the fake answers as the fixture")
}

// TestRateLimitSharedWithOtherAccounts: eSIM Go limits requests per IP
// address, so another reseller's load can get your call a 429: with the
// fake's shared limit, account B's request makes account A's first call
// of the second ErrRateLimited, though A sent nothing before.
func TestRateLimitSharedWithOtherAccounts(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	const otherKey, otherSecret = "OTHERKEYtravelroamtest0123456789abcdefghijklmnopqrstuvwxyz12", "OTHERSECRETtravelroamtest0123456789ABCDEFGHIJKLMNOPQRSTUVWXY"
	srv := travelroamtest.NewServer(travelroamtest.WithRateLimit(1), travelroamtest.WithClock(func() time.Time { return now }),
		travelroamtest.WithAccount(otherKey, otherSecret))
	t.Cleanup(srv.Close)
	newClient := func(key, secret string) *Client {
		c, err := NewClient(key, secret, WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithMaxRetries(0))
		require.NoError(t, err)
		t.Cleanup(c.CloseIdleConnections)
		return c
	}
	other, mine := newClient(otherKey, otherSecret), newClient(srv.APIKey, srv.ClientSecret)
	_, err := other.Organisation(t.Context())
	require.NoError(t, err, "the other reseller's call uses the second's only request")
	_, err = mine.Organisation(t.Context())
	require.ErrorIs(t, err, ErrRateLimited, "my first call is limited by load outside my account")
}
