package travelroam

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam/travelroamtest"
)

func TestAPIErrorSentinels(t *testing.T) {
	t.Parallel()
	all := []error{ErrUnauthorized, ErrNotFound, ErrGone, ErrRateLimited, ErrUnavailable}
	for _, tc := range []struct {
		status  int
		message string
		want    error // nil: matches none
		also    error // a second sentinel it matches
	}{
		{400, "bad region", nil, nil},
		{400, "Bundle not found", ErrNotFound, nil},
		{400, "ICCID NOT FOUND", ErrNotFound, nil},
		{401, "", ErrUnauthorized, nil},
		{403, "Unauthorised", ErrUnauthorized, nil},
		{404, "", ErrNotFound, nil},
		{408, "", nil, nil},
		{410, "eSIM has been deactivated", ErrGone, ErrNotFound},
		{422, "The given data was invalid.", nil, nil},
		{429, "", ErrRateLimited, nil},
		{500, "", nil, nil},
		{501, "", nil, nil},
		{502, "", nil, nil},
		{503, "Processing", ErrUnavailable, nil},
		{504, "", nil, nil},
	} {
		t.Run(fmt.Sprint(tc.status, tc.message), func(t *testing.T) {
			t.Parallel()
			err := error(&APIError{StatusCode: tc.status, Message: tc.message, Method: "POST", Route: "/bundle"})
			for _, sentinel := range all {
				require.Equal(t, sentinel == tc.want || sentinel == tc.also, errors.Is(err, sentinel), "%v", sentinel)
			}
			wrapped := fmt.Errorf("outer: %w", err)
			var ae *APIError
			require.ErrorAs(t, wrapped, &ae)
			require.Equal(t, tc.status, ae.StatusCode)
		})
	}
}

func TestAPIErrorEndToEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status   int
		fixture  string
		header   http.Header
		sentinel error
		message  string
		text     string
	}{
		{400, "error_message.json", nil, ErrNotFound, "Bundle not found", "travelroam: POST /bundle: 400 Bad Request: Bundle not found"},
		{403, "error_error.json", nil, ErrUnauthorized, "Invalid API key", "travelroam: POST /bundle: 403 Forbidden: Invalid API key"},
		{422, "error_errors.json", nil, nil, "countries: Too many countries.; region: The region field must be a single region.", "422 Unprocessable Entity: countries"},
		{429, "error_msg.json", http.Header{"Retry-After": {"120"}}, ErrRateLimited, "countries or region is required", "(retry after 2m0s)"},
		{502, "error_502.html", nil, nil, "", "travelroam: POST /bundle: 502 Bad Gateway"},
		{503, "error_message.json", http.Header{"Retry-After": {"90"}}, ErrUnavailable, "Bundle not found", "503 Service Unavailable: Bundle not found (retry after 1m30s)"},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t, WithMaxRetries(0))
			body := fixture(t, tc.fixture)
			mt.RegisterResponder(http.MethodPost, testBaseURL+"/bundle", httpmock.NewBytesResponder(tc.status, body).HeaderSet(tc.header))
			_, err := c.Bundle(t.Context(), "esim_1GB_7D_TR_V2")
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, tc.status, ae.StatusCode)
			require.Equal(t, tc.message, ae.Message)
			require.Equal(t, body, ae.Body, "the raw body is kept")
			require.Equal(t, http.MethodPost, ae.Method)
			require.Equal(t, "/bundle", ae.Route)
			require.Contains(t, err.Error(), tc.text)
			if tc.sentinel != nil {
				require.ErrorIs(t, err, tc.sentinel)
			}
			require.NotContains(t, err.Error(), "api.test", "no URL in errors")
			require.Equal(t, 1, mt.GetTotalCallCount())
		})
	}
}

// TestErrorsCarryResponseMetadata: an APIError and an OutcomeUnknownError
// keep the answer's header without credentials or cookies, and name the
// request id in Error() for a support ticket.
func TestErrorsCarryResponseMetadata(t *testing.T) {
	t.Parallel()
	header := http.Header{
		"X-Request-Id":    {"req-7f3a"},
		"Cf-Ray":          {"8c1e2f3a4b5c6d7e-AMS"},
		"Set-Cookie":      {"session=s3cr3t-cookie"},
		"X-Api-Key":       {testAPIKey},
		"Clientsecret":    {testSecret},
		"X-Session-Token": {"tok-123456"},
		"Content-Type":    {"application/json"},
	}
	c, mt := newMockClient(t, WithMaxRetries(0))
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/bundle",
		httpmock.NewStringResponder(404, `{"message":"Bundle not found"}`).HeaderSet(header))
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/processorders",
		httpmock.NewStringResponder(502, `<html>bad gateway</html>`).HeaderSet(http.Header{"X-Amzn-Trace-Id": {"Root=1-67891233-abcdef012345678912345678"}}))
	_, err := c.Bundle(t.Context(), "esim_1GB_7D_TR_V2")
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "req-7f3a", ae.RequestID(), "X-Request-Id comes before CF-Ray")
	require.Contains(t, err.Error(), "(request id req-7f3a)")
	require.Equal(t, "application/json", ae.Header.Get("Content-Type"))
	require.Equal(t, "8c1e2f3a4b5c6d7e-AMS", ae.Header.Get("Cf-Ray"))
	for _, name := range []string{"Set-Cookie", "X-Api-Key", "Clientsecret", "X-Session-Token"} {
		require.Empty(t, ae.Header.Values(name), name)
	}
	printed := fmt.Sprintf("%v %+v %#v %s", err, ae, ae.Header, err.Error())
	for _, secret := range []string{"s3cr3t-cookie", testAPIKey, testSecret, "tok-123456"} {
		require.NotContains(t, printed, secret)
	}

	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	var ue *OutcomeUnknownError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, "Root=1-67891233-abcdef012345678912345678", ue.RequestID())
	require.Equal(t, 1, strings.Count(err.Error(), "(request id Root=1-67891233-abcdef012345678912345678)"),
		"shown once, though the cause is an APIError with the same header")

	// A header value that is not a short printable token is no request id.
	require.Empty(t, requestID(http.Header{"X-Request-Id": {"a\x1b[2Jb"}}))
	require.Empty(t, requestID(http.Header{"X-Request-Id": {strings.Repeat("a", 201)}}))
	require.Nil(t, responseHeader(nil, func(s string) string { return s }))
}

// TestRequestIDEchoingASecretIsMasked: the request id is the one header
// value an error prints, and the server (or a proxy in front of it)
// chooses it: one that echoes the API key, the client secret or an
// activation code is masked in Error() and in RequestID(), as the
// message is; an ordinary trace id with long digit runs is kept.
func TestRequestIDEchoingASecretIsMasked(t *testing.T) {
	t.Parallel()
	lpa := "LPA:1$rsp.truphone.com$" + testMatchingI
	for _, tc := range []struct{ name, value, secret string }{
		{"X-Request-Id", testAPIKey, testAPIKey},
		{"X-Correlation-Id", "cs-" + testSecret, testSecret},
		{"Request-Id", lpa, testMatchingI},
		{"Cf-Ray", "matchingId=" + testMatchingI, testMatchingI},
	} {
		c, mt := newMockClient(t, WithMaxRetries(0))
		header := http.Header{tc.name: {tc.value}}
		mt.RegisterResponder(http.MethodPost, testBaseURL+"/bundle", httpmock.NewStringResponder(400, `{"message":"no"}`).HeaderSet(header))
		mt.RegisterResponder(http.MethodPost, testBaseURL+"/processorders", httpmock.NewStringResponder(502, `bad gateway`).HeaderSet(header))
		var meta Response
		_, err := c.Bundle(t.Context(), "esim_1GB_7D_TR_V2", WithResponseInto(&meta))
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		_, err2 := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		var ue *OutcomeUnknownError
		require.ErrorAs(t, err2, &ue)
		printed := fmt.Sprintf("%v %+v|%s|%s|%s|%v", err, err2, ae.RequestID(), ue.RequestID(), meta.RequestID(), ae.Header)
		require.NotContains(t, printed, tc.secret, tc.name)
		require.Contains(t, err.Error(), "(request id ", "%s: the id is still named, masked", tc.name)
	}
}

func TestAPIErrorBodyIsCapped(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	big := `{"message":"too big"}` + strings.Repeat(" ", 2*maxErrorBody)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", httpmock.NewStringResponder(400, big))
	_, err := c.Organisation(t.Context())
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	require.Len(t, ae.Body, maxErrorBody)
	require.Equal(t, "too big", ae.Message)
}

func TestAPIErrorRedactsICCID(t *testing.T) {
	t.Parallel()
	e := &APIError{StatusCode: 400, Message: "ICCID " + testICCID + " not found", Method: "POST", Route: "/esims/details"}
	require.NotContains(t, e.Error(), testICCID)
	require.Contains(t, e.Error(), "ICCID …5678 not found")
	require.Equal(t, "ICCID "+testICCID+" not found", e.Message, "the field itself is untouched")
}

func TestValidationError(t *testing.T) {
	t.Parallel()
	err := invalid("catalogue", "Region", "%q is not a region", "Mars")
	require.EqualError(t, err, `travelroam: catalogue: invalid Region: "Mars" is not a region`)
	require.ErrorAs(t, err, new(*ValidationError))
	require.NotErrorIs(t, err, ErrNotFound)
	var ve *ValidationError
	require.ErrorAs(t, fmt.Errorf("wrapped: %w", err), &ve)
	require.Equal(t, "catalogue", ve.Op)
}

func TestOutcomeUnknownError(t *testing.T) {
	t.Parallel()
	sent := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cause := &APIError{StatusCode: 502, Method: "POST", Route: "/processorders"}
	err := error(&OutcomeUnknownError{Op: "process order", BundleName: "esim_1GB_7D_TR_V2", ICCID: testICCID, SentAt: sent, Err: cause})
	require.ErrorAs(t, err, new(*OutcomeUnknownError))
	var ae *APIError
	require.ErrorAs(t, err, &ae, "the cause is reachable")
	require.NotContains(t, err.Error(), testICCID)
	require.Contains(t, err.Error(), "on eSIM …5678")
	require.Contains(t, err.Error(), "sent at 2026-01-02T03:04:05Z")
	require.Contains(t, err.Error(), "check before retrying")

	ctxErr := &OutcomeUnknownError{Op: "revoke eSIM", Err: context.DeadlineExceeded}
	require.ErrorIs(t, ctxErr, context.DeadlineExceeded)
	require.Equal(t, "travelroam: revoke eSIM: outcome unknown (check before retrying; it may have been carried out): context deadline exceeded", ctxErr.Error())
}

func TestAssignmentsPendingError(t *testing.T) {
	t.Parallel()
	last := &APIError{StatusCode: 503, Message: "Processing", Method: "GET", Route: "/getesimassignments"}
	err := error(&AssignmentsPendingError{OrderReference: "ref-1", Attempts: 7, Elapsed: 10*time.Minute + 3*time.Millisecond + 400*time.Microsecond, Last: last})
	require.ErrorAs(t, err, new(*AssignmentsPendingError))
	require.ErrorIs(t, err, ErrUnavailable, "the last answer is reachable")
	require.NotErrorAs(t, err, new(*OutcomeUnknownError))
	require.Contains(t, err.Error(), "order ref-1 still pending after 7 attempts in 10m0.003s")
	require.Contains(t, err.Error(), "do not buy again")
}

func TestDecodeErrorRedactsAndUnwraps(t *testing.T) {
	t.Parallel()
	cause := errors.New("bad value " + testICCID)
	err := error(&DecodeError{Method: "POST", Route: "/esims/details", Err: cause})
	require.ErrorIs(t, err, cause)
	require.Equal(t, "travelroam: POST /esims/details: decoding response: bad value …5678", err.Error())
}

// TestErrorsNeverPrintSecrets: every fmt verb of every error type, and of a
// copied Client value, stays free of credentials and full ICCIDs.
func TestErrorsNeverPrintSecrets(t *testing.T) {
	t.Parallel()
	c, _ := newMockClient(t)
	errs := []error{
		&APIError{StatusCode: 400, Message: "ICCID " + testICCID + " not found", Body: []byte(`{"iccid":"` + testICCID + `"}`), Method: "POST", Route: "/esims/details"},
		&OutcomeUnknownError{Op: "process order", BundleName: "b", ICCID: testICCID, Err: errors.New("reset")},
		&DecodeError{Method: "POST", Route: "/bundle", Err: errors.New("bad " + testICCID)},
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, err := range errs {
			out := fmt.Sprintf(verb, err)
			require.NotContains(t, out, testICCID, "%s of %T", verb, err)
		}
		out := fmt.Sprintf(verb, *c) //nolint:govet // a copied value, on purpose
		require.NotContains(t, out, testAPIKey)
		require.NotContains(t, out, testSecret)
	}
}

// TestEchoedSecretsAreScrubbed: a server that repeats the API key, the
// client secret, an activation code, a matching ID, a PIN or an ICCID in
// its error message gets none of them into Error(), APIError.Message, an
// OutcomeUnknownError or a log line; APIError.Body keeps the raw answer.
func TestEchoedSecretsAreScrubbed(t *testing.T) {
	t.Parallel()
	echo := fmt.Sprintf(`{"message":"key %s secret %s LPA:1$rsp.example.com$%s matchingId %s PIN: 1234 iccid %s"}`,
		testAPIKey, testSecret, testMatchingI, testMatchingI, testICCID)
	var logs lockedBuffer
	c, mt := newMockClient(t, WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", httpmock.NewStringResponder(400, echo))
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/processorders", httpmock.NewStringResponder(500, echo))
	_, readErr := c.Organisation(t.Context())
	_, buyErr := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2", ICCID: testICCID})
	require.ErrorAs(t, buyErr, new(*OutcomeUnknownError))
	var ae *APIError
	require.ErrorAs(t, readErr, &ae)
	require.Equal(t, echo, string(ae.Body), "the raw body is kept")
	var texts []string
	for _, err := range []error{readErr, buyErr} {
		require.ErrorAs(t, err, &ae)
		texts = append(texts, ae.Message, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
	}
	texts = append(texts, logs.String())
	for _, text := range texts {
		for _, secret := range []string{testAPIKey, testSecret, testMatchingI, testICCID, "1234", "LPA:1$"} {
			require.NotContains(t, text, secret)
		}
	}
	require.Contains(t, ae.Message, "[redacted]")
}

// TestStatusFixtures: the evidence's error answers, as the SDK reads
// them. 410 (a deactivated eSIM) is ErrGone and ErrNotFound; 422 (a
// Laravel validation refusal) is a refusal whose Body keeps the field
// errors, never retried; 429 with eSIM Go's rate-limit headers keeps its
// Retry-After.
func TestStatusFixtures(t *testing.T) {
	t.Parallel()
	headers := func(name string) http.Header {
		r := textproto.NewReader(bufio.NewReader(bytes.NewReader(fixture(t, name))))
		h, err := r.ReadMIMEHeader()
		require.NoError(t, err)
		return http.Header(h)
	}
	for _, tc := range []struct {
		status  int
		fixture string
		header  http.Header
		check   func(t *testing.T, err error, ae *APIError)
	}{
		{410, "error_410.json", nil, func(t *testing.T, err error, ae *APIError) {
			require.ErrorIs(t, err, ErrGone)
			require.ErrorIs(t, err, ErrNotFound)
		}},
		{422, "error_422.json", nil, func(t *testing.T, err error, ae *APIError) {
			require.NotErrorIs(t, err, ErrNotFound)
			require.NotErrorIs(t, err, ErrUnavailable)
			require.Contains(t, string(ae.Body), `"errors"`, "the field errors stay in Body")
			require.NotEmpty(t, ae.Message)
		}},
		{429, "error_429.json", headers("error_429.headers"), func(t *testing.T, err error, ae *APIError) {
			require.ErrorIs(t, err, ErrRateLimited)
			require.Equal(t, time.Second, ae.RetryAfter)
			require.Equal(t, "Rate limit exceeded", ae.Message)
		}},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, mt := newMockClient(t, WithMaxRetries(0))
				mt.RegisterResponder(http.MethodPost, testBaseURL+"/bundle", func(*http.Request) (*http.Response, error) {
					resp := httpmock.NewBytesResponse(tc.status, fixture(t, tc.fixture))
					for k, v := range tc.header {
						resp.Header[k] = v
					}
					return resp, nil
				})
				_, err := c.Bundle(t.Context(), "esim_1GB_7D_TR_V2")
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				require.Equal(t, tc.status, ae.StatusCode)
				tc.check(t, err, ae)
				require.Equal(t, 1, mt.GetTotalCallCount())
			})
		})
	}
	// A 422 is never retried, and a purchase's 422 is a refusal, not an
	// unknown outcome.
	c, mt := newMockClient(t)
	mt.RegisterNoResponder(httpmock.NewBytesResponder(422, fixture(t, "error_422.json")))
	_, err := c.Organisation(t.Context())
	require.Error(t, err)
	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NotErrorAs(t, err, new(*OutcomeUnknownError))
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 2, mt.GetTotalCallCount(), "one request each")
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
