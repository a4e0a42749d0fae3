package travelroam

import (
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

const testOrderRef = "6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10"

// assignmentsResponder asserts the GET with its query and headers, then
// answers with the fixture.
func assignmentsResponder(t *testing.T, status int, fixtureName string) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		requireAssignmentsRequest(t, req)
		return fixtureResponder(t, status, fixtureName)(req)
	}
}

func requireAssignmentsRequest(t *testing.T, req *http.Request) {
	t.Helper()
	require.Equal(t, http.MethodGet, req.Method)
	require.Equal(t, "/api/whitelabel/getesimassignments", req.URL.Path)
	require.Equal(t, "orderReference="+testOrderRef, req.URL.RawQuery)
	requireContractHeaders(t, req)
	require.Zero(t, req.ContentLength)
}

func TestAssignmentsShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixture     string
		n           int
		smdp        string
		installedAt time.Time
		pin, apple  string
	}{
		{"assignments_object.json", 1, "rsp.truphone.com", time.Time{}, "1234", ""},
		{"assignments_array.json", 1, "https://rsp.truphone.com/", time.Date(2023, 6, 15, 14, 30, 0, 0, time.UTC), "",
			"https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24rsp.truphone.com%24K2-1Z8QAB-3XYV7P"},
		{"assignments_esims.json", 2, "rsp.truphone.com", time.Time{}, "", ""},
		{"assignments_assignments.json", 1, "rsp.truphone.com", time.Time{}, "", ""},
		{"assignments_data.json", 1, "rsp.truphone.com", time.Time{}, "", ""},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", assignmentsResponder(t, 200, tc.fixture))
			list, err := c.Assignments(t.Context(), testOrderRef)
			require.NoError(t, err)
			require.Len(t, list, tc.n)
			a := list[0]
			require.Equal(t, testICCID, a.ICCID)
			require.Equal(t, testMatchingI, a.MatchingID)
			require.Equal(t, tc.smdp, a.SMDPAddress)
			require.Equal(t, ProfileReleased, a.ProfileStatus)
			require.Equal(t, tc.pin, a.PIN)
			require.True(t, tc.installedAt.Equal(a.FirstInstalledAt))
			require.Equal(t, tc.apple, a.AppleInstallURL)
			ac, err := a.ActivationCode()
			require.NoError(t, err)
			require.Equal(t, "LPA:1$rsp.truphone.com$"+testMatchingI, ac.String())
			require.Equal(t, "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24rsp.truphone.com%24K2-1Z8QAB-3XYV7P", ac.AppleInstallURL())
			require.Equal(t, 1, mt.GetTotalCallCount())
		})
	}
}

func TestAssignmentsSecondOfTwo(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", assignmentsResponder(t, 200, "assignments_esims.json"))
	list, err := c.Assignments(t.Context(), testOrderRef)
	require.NoError(t, err)
	require.Equal(t, "8944538532087654321", list[1].ICCID)
	require.Equal(t, ProfileInstalled, list[1].ProfileStatus)
	require.True(t, time.UnixMilli(1723541877280).Equal(list[1].FirstInstalledAt))
	require.Empty(t, list[0].RSPURL)
}

func TestAssignmentsKeepsRSPURL(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", assignmentsResponder(t, 200, "assignments_array.json"))
	list, err := c.Assignments(t.Context(), testOrderRef)
	require.NoError(t, err)
	require.Equal(t, "LPA:1$rsp.truphone.com$"+testMatchingI, list[0].RSPURL)
}

func TestAssignmentsNotReady(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		responder func(t *testing.T) httpmock.Responder
		apiStatus int
	}{
		{"200 without matching ID", func(t *testing.T) httpmock.Responder {
			return assignmentsResponder(t, 200, "assignments_not_ready.json")
		}, 0},
		{"200 empty list", func(*testing.T) httpmock.Responder { return httpmock.NewStringResponder(200, `{"esims":[]}`) }, 0},
		{"200 without SM-DP+ address", func(*testing.T) httpmock.Responder {
			return httpmock.NewStringResponder(200, `[{"iccid":"8944538532012345678","matchingId":"K2-1Z8QAB-3XYV7P"}]`)
		}, 0},
		{"404", func(*testing.T) httpmock.Responder {
			return httpmock.NewStringResponder(404, `{"message":"Order not found"}`)
		}, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", tc.responder(t))
			_, err := c.Assignments(t.Context(), testOrderRef)
			require.ErrorIs(t, err, ErrAssignmentsNotReady)
			require.Contains(t, err.Error(), testOrderRef)
			require.NotContains(t, err.Error(), testMatchingI)
			require.NotContains(t, err.Error(), testICCID)
			var ae *APIError
			require.Equal(t, tc.apiStatus != 0, errors.As(err, &ae))
			if ae != nil {
				require.Equal(t, tc.apiStatus, ae.StatusCode)
			}
			require.Equal(t, 1, mt.GetTotalCallCount())
		})
	}
}

// TestAssignments503: the single call retries 503 like any read, then
// reports "not ready" with the *APIError and its Retry-After.
func TestAssignments503(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments",
			httpmock.NewStringResponder(503, `{"message":"Processing – please come back later"}`).HeaderSet(http.Header{"Retry-After": {"2"}}))
		_, err := c.Assignments(t.Context(), testOrderRef)
		require.ErrorIs(t, err, ErrAssignmentsNotReady)
		require.ErrorIs(t, err, ErrUnavailable)
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, 503, ae.StatusCode)
		require.Equal(t, 2*time.Second, ae.RetryAfter)
		require.Equal(t, "Processing – please come back later", ae.Message)
		require.Equal(t, 1, mt.GetTotalCallCount(), "one GET: not ready is an answer")
	})
}

func TestAssignmentsOtherErrors(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", httpmock.NewStringResponder(400, `{"message":"Invalid reference"}`))
	_, err := c.Assignments(t.Context(), testOrderRef)
	require.NotErrorIs(t, err, ErrAssignmentsNotReady)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "Invalid reference", ae.Message)
	require.Equal(t, 1, mt.GetTotalCallCount())

	for _, bad := range []string{"", "   ", "ref\nwith-newline", string(make([]byte, 300))} {
		_, err = c.Assignments(t.Context(), bad)
		require.ErrorIs(t, err, ErrInvalidInput)
		_, err = c.WaitForAssignments(t.Context(), bad)
		require.ErrorIs(t, err, ErrInvalidInput)
	}
	require.Equal(t, 1, mt.GetTotalCallCount())
}

func TestAssignmentsTrimsReference(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", assignmentsResponder(t, 200, "assignments_object.json"))
	_, err := c.Assignments(t.Context(), " "+testOrderRef+"\t")
	require.NoError(t, err)
}
