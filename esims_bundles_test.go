package travelroam

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam/travelroamtest"
)

func TestAppliedBundles(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/esims/applied/bundles", iccidResponder(t, 200, "applied_bundles.json"))
	bundles, err := c.AppliedBundles(t.Context(), testICCID)
	require.NoError(t, err)
	require.Len(t, bundles, 2)
	b := bundles[0]
	require.Equal(t, "esim_1GB_7D_TR_V2", b.Name)
	require.Equal(t, "eSIM, 1GB, 7 Days, Turkey, V2", b.Description)
	require.Len(t, b.Assignments, 2)
	require.Equal(t, BundleAssignment{
		ID:                  "215009266",
		CallTypeGroup:       "data",
		InitialQuantity:     1000000000,
		RemainingQuantity:   734003200,
		StartTime:           time.Date(2025, 3, 5, 8, 0, 12, 0, time.UTC),
		EndTime:             time.Date(2025, 3, 12, 8, 0, 12, 0, time.UTC),
		AssignedAt:          time.Date(2025, 3, 4, 9, 12, 34, 345230000, time.UTC),
		AssignmentReference: "6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10-0",
		BundleState:         BundleState("active"),
	}, b.Assignments[0])
	queued := b.Assignments[1]
	require.Equal(t, BundleState("queued"), queued.BundleState)
	require.True(t, queued.StartTime.IsZero())
	require.True(t, queued.EndTime.IsZero())
	require.Equal(t, BundleState("depleted"), bundles[1].Assignments[0].BundleState)

	now := time.Date(2025, 3, 6, 12, 0, 0, 0, time.UTC)
	remaining, unlimited := RemainingDataBytes(bundles, now)
	require.Equal(t, int64(734003200+1000000000), remaining, "active + queued; the depleted one is left out")
	require.False(t, unlimited)
	remaining, _ = RemainingDataBytes(bundles, b.Assignments[0].EndTime)
	require.Equal(t, int64(1000000000), remaining, "the active one ended at its EndTime")
	require.Equal(t, 1, mt.GetTotalCallCount())
}

func TestAppliedBundlesTitleCaseAndDecimals(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/esims/applied/bundles", iccidResponder(t, 200, "applied_bundles_titlecase.json"))
	bundles, err := c.AppliedBundles(t.Context(), testICCID)
	require.NoError(t, err)
	require.Len(t, bundles, 1)
	as := bundles[0].Assignments
	require.Len(t, as, 4)
	require.Equal(t, []BundleState{"active", "processing", "lapsed", "active"},
		[]BundleState{as[0].BundleState, as[1].BundleState, as[2].BundleState, as[3].BundleState})
	require.Equal(t, "215009400", as[0].ID)
	require.Equal(t, int64(5000000000), as[0].InitialQuantity)
	require.Equal(t, int64(4250000000), as[0].RemainingQuantity)
	require.True(t, as[0].Unlimited)
	require.Equal(t, 123456789, as[0].EndTime.Nanosecond())
	require.Equal(t, int64(1000), as[1].InitialQuantity)
	require.Equal(t, int64(250), as[1].RemainingQuantity)
	require.True(t, as[2].StartTime.IsZero())
	require.True(t, as[2].EndTime.IsZero())
	require.False(t, as[3].IsData())

	remaining, unlimited := RemainingDataBytes(bundles, time.Date(2025, 3, 6, 0, 0, 0, 0, time.UTC))
	require.True(t, unlimited)
	require.Equal(t, int64(250), remaining, "processing counts; lapsed and SMS do not; unlimited is flagged")
}

func TestBundleAssignmentHelpers(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 6, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		a        BundleAssignment
		used     int64
		fraction float64
		ended    bool
	}{
		{"quarter used", BundleAssignment{InitialQuantity: 1000, RemainingQuantity: 750, BundleState: BundleState("active")}, 250, 0.25, false},
		{"unlimited", BundleAssignment{InitialQuantity: 1000, RemainingQuantity: 500, Unlimited: true}, 500, 0, false},
		{"unknown initial", BundleAssignment{RemainingQuantity: 500}, 0, 0, false},
		{"more left than initial", BundleAssignment{InitialQuantity: 100, RemainingQuantity: 150}, 0, 0, false},
		{"depleted", BundleAssignment{InitialQuantity: 100, BundleState: BundleState("depleted")}, 100, 1, true},
		{"expired Title case", BundleAssignment{BundleState: "Expired"}, 0, 0, true},
		{"revoked", BundleAssignment{BundleState: BundleState("revoked")}, 0, 0, true},
		{"lapsed", BundleAssignment{BundleState: BundleState("lapsed")}, 0, 0, true},
		{"past end", BundleAssignment{BundleState: BundleState("active"), EndTime: now.Add(-time.Second)}, 0, 0, true},
		{"at end", BundleAssignment{BundleState: BundleState("active"), EndTime: now}, 0, 0, true},
		{"before end", BundleAssignment{BundleState: BundleState("active"), EndTime: now.Add(time.Second)}, 0, 0, false},
		{"unknown state", BundleAssignment{BundleState: "paused"}, 0, 0, false},
	} {
		require.Equal(t, tc.used, tc.a.UsedBytes(), tc.name)
		require.InDelta(t, tc.fraction, tc.a.UsedFraction(), 1e-9, tc.name)
		require.Equal(t, tc.ended, tc.a.Ended(now), tc.name)
	}
}

func TestDecodeAppliedBundlesShapes(t *testing.T) {
	t.Parallel()
	one := `{"name":"b1","assignments":[{"id":"1","remainingQuantity":5}]}`
	for _, tc := range []struct {
		body string
		n    int
	}{
		{`[` + one + `]`, 1},
		{`{"data":{"bundles":[` + one + `,` + one + `]}}`, 2},
		{`{"data":[` + one + `]}`, 1},
		{one, 1},
		{`{"bundles":null}`, 0},
		{`{"bundles":[]}`, 0},
		{`{}`, 0},
	} {
		got, err := decodeAppliedBundles([]byte(tc.body), newDecodeRules())
		require.NoError(t, err, tc.body)
		require.Len(t, got, tc.n, tc.body)
		if tc.n > 0 {
			require.Equal(t, int64(5), got[0].Assignments[0].RemainingQuantity)
		}
	}
	for _, bad := range []string{`{"status":"error"}`, `"text"`, `{"bundles":[{"assignments":[{"initialQuantity":"lots"}]}]}`} {
		_, err := decodeAppliedBundles([]byte(bad), newDecodeRules())
		require.Error(t, err, bad)
	}
}

func FuzzDecodeAppliedBundles(f *testing.F) {
	rules := newDecodeRules() // one set for every input, as a Client holds
	for _, name := range []string{"applied_bundles.json", "applied_bundles_titlecase.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"bundles": null}`))
	f.Add([]byte(`[{"name": "a", "assignments": [{"initialQuantity": "1000.00", "remainingQuantity": -5, "bundleState": "ACTIVE", "unlimited": "1"}]}]`))
	f.Add([]byte(`[{"assignments": [{"remainingQuantity": 9223372036854775807}, {"remainingQuantity": 9223372036854775807}]}]`))
	now := time.Date(2025, 3, 6, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := decodeAppliedBundles(b, rules)
		if (list == nil) == (err == nil) {
			t.Fatalf("want bundles or an error, got %v, %v", list, err)
		}
		for _, ab := range list {
			for _, a := range ab.Assignments {
				if f := a.UsedFraction(); math.IsNaN(f) || f < 0 || f > 1 {
					t.Fatalf("used fraction %v of %+v", f, a)
				}
				if a.UsedBytes() < 0 {
					t.Fatalf("used bytes %d of %+v", a.UsedBytes(), a)
				}
				if string(a.BundleState) != strings.ToLower(string(a.BundleState)) {
					t.Fatalf("state %q not lower case", a.BundleState)
				}
			}
		}
		if remaining, _ := RemainingDataBytes(list, now); remaining < 0 {
			t.Fatalf("remaining %d bytes", remaining)
		}
	})
}

func TestRemainingDataBytesSaturates(t *testing.T) {
	t.Parallel()
	huge := BundleAssignment{RemainingQuantity: math.MaxInt64 - 1}
	remaining, unlimited := RemainingDataBytes([]AppliedBundle{{Assignments: []BundleAssignment{huge, huge, {RemainingQuantity: 5}}}}, time.Now())
	if remaining != math.MaxInt64 || unlimited {
		t.Fatalf("got %d, %v; want the largest int64", remaining, unlimited)
	}
}

// TestAppliedBundleWithEncodingJSON: applied bundles decode under the
// same rules through encoding/json, e.g. from a cache; a single
// assignment counts as a list of one.
func TestAppliedBundleWithEncodingJSON(t *testing.T) {
	t.Parallel()
	var list []AppliedBundle
	require.NoError(t, json.Unmarshal([]byte(`[{"name":7,"assignments":{"id":1,"initialQuantity":"1000.00","bundleState":"ACTIVE"}}]`), &list))
	require.Equal(t, []AppliedBundle{{Name: "7", Assignments: []BundleAssignment{{ID: "1", InitialQuantity: 1000, BundleState: BundleState("active")}}}}, list)
	var a BundleAssignment
	err := json.Unmarshal([]byte(`{"remainingQuantity":"1000.5"}`), &a)
	require.ErrorContains(t, err, "want an integer")
	_, err = decodeAppliedBundles([]byte(`{"bundles":[{"name":"b","assignments":[{"unlimited":"yes"}]}]}`), newDecodeRules())
	require.ErrorContains(t, err, `"0/assignments/0/unlimited": want a boolean`)
}

// TestAppliedBundlesEndedListed: Travel Roam's real output lists an
// expired, used-up assignment for {"iccid"} alone; it decodes, Ended says
// so (by EndTime, as no bundleState is shown), and it counts no data.
func TestAppliedBundlesEndedListed(t *testing.T) {
	t.Parallel()
	bundles, err := decodeAppliedBundles(fixture(t, "applied_bundles_ended.json"), newDecodeRules())
	require.NoError(t, err)
	require.Len(t, bundles, 1)
	a := bundles[0].Assignments[0]
	require.Equal(t, int64(1_000_000_000), a.InitialQuantity)
	require.Zero(t, a.RemainingQuantity)
	now := time.Date(2025, 11, 14, 16, 22, 35, 0, time.UTC)
	require.True(t, a.Ended(now))
	require.False(t, a.Ended(time.Date(2025, 11, 5, 0, 0, 0, 0, time.UTC)), "within its validity, before the end")
	left, unlimited := RemainingDataBytes(bundles, now)
	require.Zero(t, left)
	require.False(t, unlimited)
}

// TestAppliedBundlesFakeListsEnded: the fake lists ended assignments by
// default, as the real output shows; the SDK reports them as ended.
func TestAppliedBundlesFakeListsEnded(t *testing.T) {
	t.Parallel()
	srv := travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(0))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.APIKey, srv.ClientSecret, WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithPurchaseInterval(0))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	iccid := order.ICCIDs()[0]
	require.NoError(t, srv.ConsumeData(t.Context(), string(iccid), 1_000_000_000))
	bundles, err := c.AppliedBundles(t.Context(), iccid)
	require.NoError(t, err)
	require.Len(t, bundles, 1, "the depleted bundle is listed")
	a := bundles[0].Assignments[0]
	require.Equal(t, BundleState("depleted"), a.BundleState)
	require.True(t, a.Ended(time.Now()))
	left, _ := RemainingDataBytes(bundles, time.Now())
	require.Zero(t, left)
}
