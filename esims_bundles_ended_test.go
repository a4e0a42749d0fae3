package travelroam

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam/travelroamtest"
)

// TestAppliedBundlesEndedListed: Travel Roam's real output lists an
// expired, used-up assignment for {"iccid"} alone; it decodes, Ended says
// so (by EndTime, as no bundleState is shown), and it counts no data.
func TestAppliedBundlesEndedListed(t *testing.T) {
	t.Parallel()
	bundles, err := decodeAppliedBundles(fixture(t, "applied_bundles_ended.json"))
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
	require.Equal(t, BundleDepleted, a.BundleState)
	require.True(t, a.Ended(time.Now()))
	left, _ := RemainingDataBytes(bundles, time.Now())
	require.Zero(t, left)
}
