package travelroam

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/roamkit/travelroam/travelroamtest"
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
			require.Equal(t, testICCID, string(a.ICCID))
			require.Equal(t, testMatchingI, a.MatchingID.Reveal())
			require.Equal(t, tc.smdp, a.SMDPAddress)
			require.Equal(t, ProfileStatus("Released"), a.ProfileStatus)
			require.Equal(t, tc.pin, a.PIN.Reveal())
			require.True(t, tc.installedAt.Equal(a.FirstInstalledAt))
			require.Equal(t, tc.apple, a.AppleInstallURL.Reveal())
			ac, err := a.ActivationCode()
			require.NoError(t, err)
			require.Equal(t, "LPA:1$rsp.truphone.com$"+testMatchingI, ac.LPA())
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
	require.Equal(t, "8944538532087654321", string(list[1].ICCID))
	require.Equal(t, ProfileStatus("Installed"), list[1].ProfileStatus)
	require.True(t, time.UnixMilli(1723541877280).Equal(list[1].FirstInstalledAt))
	require.Empty(t, list[0].RSPURL)
}

func TestAssignmentsKeepsRSPURL(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", assignmentsResponder(t, 200, "assignments_array.json"))
	list, err := c.Assignments(t.Context(), testOrderRef)
	require.NoError(t, err)
	require.Equal(t, "LPA:1$rsp.truphone.com$"+testMatchingI, list[0].RSPURL.Reveal())
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
		require.ErrorAs(t, err, new(*ValidationError))
		_, err = c.WaitForAssignments(t.Context(), bad)
		require.ErrorAs(t, err, new(*ValidationError))
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

// TestAssignmentJSONIsRedacted: an Assignment marshalled to JSON (as
// slog's JSON handler and most loggers do, slices included) holds no
// secret; its fields do, for the caller who stores them on purpose.
func TestAssignmentJSONIsRedacted(t *testing.T) {
	t.Parallel()
	a := Assignment{ICCID: testICCID, MatchingID: testMatchingI, SMDPAddress: "rsp.truphone.com",
		ProfileStatus: ProfileStatus("Installed"), FirstInstalledAt: time.UnixMilli(1723541877280).UTC(), PIN: "1234", PUK: "12345678",
		RSPURL: "LPA:1$rsp.truphone.com$" + testMatchingI}
	b, err := json.Marshal([]Assignment{a})
	require.NoError(t, err)
	require.JSONEq(t, `[{"iccid":"…5678","profileStatus":"Installed","smdpAddress":"rsp.truphone.com","matchingId":"[redacted]",
		"pin":"[redacted]","puk":"[redacted]","firstInstalledDateTime":"2024-08-13T09:37:57.28Z","appleInstallUrl":"[redacted]","rspUrl":"[redacted]"}]`, string(b))
	require.Equal(t, testMatchingI, a.MatchingID.Reveal())
}

func FuzzDecodeAssignments(f *testing.F) {
	rules := newDecodeRules() // one set for every input, as a Client holds
	for _, name := range []string{"assignments_object.json", "assignments_array.json", "assignments_esims.json",
		"assignments_data.json", "assignments_not_ready.json", "esim_details_zero.json", "applied_bundles_titlecase.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"data":{"data":{"data":{"data":{"data":[]}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := decodeAssignments(b, rules)
		if err == nil {
			for _, a := range list {
				_, _ = a.ActivationCode()
			}
		}
		_, _ = decodeESIM(b, rules)
		_, _ = decodeLocation(b, rules)
		bundles, err := decodeAppliedBundles(b, rules)
		if err == nil {
			RemainingDataBytes(bundles, time.Now())
		}
	})
}

func FuzzDecodeAssignmentsSecrets(f *testing.F) {
	rules := newDecodeRules() // one set for every input, as a Client holds
	for _, name := range append(esimSeeds, "assignments_esims.json", "assignments_not_ready.json", "assignments_csv.csv") {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := decodeAssignments(b, rules)
		if err != nil {
			if list != nil {
				t.Fatalf("a list with an error: %v", list)
			}
			return
		}
		for _, a := range list {
			other := a
			other.MatchingID, other.PIN, other.PUK, other.RSPURL = "other-matching-id", "9999", "88888888", "LPA:1$x$y"
			other.AppleInstallURL = "https://example.test/other"
			other.ICCID = maskedLike(a.ICCID)
			requireSamePrint(t, a, other)
			checkActivationCode(t, a.ActivationCode)
		}
	})
}

// TestAssignmentsCSV: eSIM Go's default answer, CSV with a header row, is
// read by column name, through Client.Assignments too.
func TestAssignmentsCSV(t *testing.T) {
	t.Parallel()
	want := []Assignment{
		{ICCID: testICCID, MatchingID: testMatchingI, SMDPAddress: "rsp.truphone.com", Bundle: "esim_1GB_7D_TR_V2"},
		{ICCID: "8944538532012345679", MatchingID: "JQ-123456-ABCDEPFX", SMDPAddress: "rsp-3104.idemia.io",
			Bundle: "esim_1GB_7D_TR_V2", RSPURL: "LPA:1$rsp-3104.idemia.io$JQ-123456-ABCDEPFX"},
	}
	list, err := decodeAssignments(fixture(t, "assignments_csv.csv"), newDecodeRules())
	require.NoError(t, err)
	require.Equal(t, want, list)

	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", func(req *http.Request) (*http.Response, error) {
		requireAssignmentsRequest(t, req)
		resp := httpmock.NewBytesResponse(200, fixture(t, "assignments_csv.csv"))
		resp.Header.Set("Content-Type", "text/csv")
		return resp, nil
	})
	got, err := c.Assignments(t.Context(), testOrderRef)
	require.NoError(t, err)
	require.Equal(t, want, got)
	ac, err := got[1].ActivationCode()
	require.NoError(t, err)
	require.Equal(t, want[1].RSPURL.Reveal(), ac.LPA())
}

func TestDecodeAssignmentsCSVShapes(t *testing.T) {
	t.Parallel()
	for body, want := range map[string][]Assignment{
		// Unquoted, other order and case, extra columns, a BOM, a blank line,
		// a short row, and a row without an ICCID (skipped).
		"\ufefficcid,Bundle,Extra,rsp_url,MATCHING-ID\n" + testICCID + ",b1,x,rsp.example.com,M-1\n\n,b2,x,h,M-2\n8944538532012345679,b3\n": {
			{ICCID: testICCID, Bundle: "b1", SMDPAddress: "rsp.example.com", MatchingID: "M-1"},
			{ICCID: "8944538532012345679", Bundle: "b3"},
		},
		`ICCID,Matching ID,RSP URL` + "\n" + testICCID + `,,LPA:1$rsp.example.com$M-3`: {
			{ICCID: testICCID, SMDPAddress: "rsp.example.com", MatchingID: "M-3", RSPURL: "LPA:1$rsp.example.com$M-3"},
		},
		`"ICCID","Matching ID","RSP URL","Bundle"` + "\n": {},
	} {
		got, err := decodeAssignments([]byte(body), newDecodeRules())
		require.NoError(t, err, body)
		require.Equal(t, want, got, body)
	}
	for _, bad := range []string{``, "ICCIDX,Bundle\n1,2", "Bundle\nb1"} {
		_, err := decodeAssignmentsCSV([]byte(bad))
		require.Error(t, err, bad)
	}
	require.False(t, isAssignmentsCSV([]byte(`{"iccid":"1"}`)))
	require.True(t, isAssignmentsCSV([]byte(" \r\nIccid;x")))
}

// TestAssignmentOutsideTheRules: a value outside the rules fails the
// decoding with its field named and the value unquoted.
func TestAssignmentOutsideTheRules(t *testing.T) {
	t.Parallel()
	_, err := decodeAssignments([]byte(`[{"iccid":"`+testICCID+`","matchingId":{"id":"`+testMatchingI+`"}}]`), newDecodeRules())
	require.Error(t, err)
	require.Contains(t, err.Error(), `"0/matchingId": want a string or a number`)
	require.NotContains(t, err.Error(), testMatchingI)
	var a Assignment
	err = json.Unmarshal([]byte(`{"firstInstalledDateTime":"yesterday"}`), &a)
	require.EqualError(t, err, `"firstInstalledDateTime": want a time (milliseconds since the epoch or RFC 3339)`)
}

func TestSplitLPA(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ code, id, smdp, wantID string }{
		{"LPA:1$rsp.example.com$M-1", "", "rsp.example.com", "M-1"},
		{"LPA:1$rsp.example.com$M-1", "kept", "rsp.example.com", "kept"},
		{"LPA:2$rsp.example.com$M 2", "", "rsp.example.com", "M 2"}, // not SGP.22, split anyway
		{"LPA:1$rsp.example.com", "", "rsp.example.com", ""},
		{"LPA:", "x", "", "x"},
	} {
		smdp, id := splitLPA(tc.code, Secret(tc.id))
		require.Equal(t, tc.smdp, smdp, tc.code)
		require.Equal(t, tc.wantID, id.Reveal(), tc.code)
	}
}

// TestAssignmentsCSVFromTheFakeAndByContentType: eSIM Go's default format, as the fake sends it when
// asked: CSV with a header row, the SM-DP+ address under "RSP URL". A CSV
// body is recognised by its Content-Type as well as by its header row.
func TestAssignmentsCSVFromTheFakeAndByContentType(t *testing.T) {
	t.Parallel()
	srv := travelroamtest.NewServer(travelroamtest.WithAssignmentsFormat(travelroamtest.AssignmentsCSV), travelroamtest.WithAssignmentDelay(0))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.APIKey, srv.ClientSecret, WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithPurchaseInterval(0))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	list, err := c.WaitForAssignments(t.Context(), order.Reference)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, srv.Orders()[0].ICCID, string(list[0].ICCID))
	require.Equal(t, travelroamtest.SMDPAddress, list[0].SMDPAddress)
	require.NotEmpty(t, list[0].MatchingID)
	require.Equal(t, "esim_1GB_7D_TR_V2", list[0].Bundle)

	// A CSV whose first column is not ICCID is CSV by its Content-Type.
	c2, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(200, "\"Reference\",\"ICCID\",\"Matching ID\",\"RSP URL\"\n\"r\",\""+testICCID+"\",\""+testMatchingI+"\",\"rsp.example.com\"\n")
		resp.Header.Set("Content-Type", "text/csv; charset=utf-8")
		return resp, nil
	})
	list, err = c2.Assignments(t.Context(), testOrderRef)
	require.NoError(t, err)
	require.Equal(t, testICCID, string(list[0].ICCID))
	require.Equal(t, "rsp.example.com", list[0].SMDPAddress)
}

// TestAssignmentsEvidenceCSV: eSIM Go's default CSV, as the contract
// shows it, decodes to one assignment per row.
func TestAssignmentsEvidenceCSV(t *testing.T) {
	t.Parallel()
	list, err := decodeAssignments(fixture(t, "assignments.csv"), newDecodeRules())
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, testICCID, string(list[0].ICCID))
	require.Equal(t, testMatchingI, list[0].MatchingID.Reveal())
	require.Equal(t, "rsp.truphone.com", list[0].SMDPAddress)
	require.Equal(t, "esim_1GB_7D_TR_V2", list[1].Bundle)
}
