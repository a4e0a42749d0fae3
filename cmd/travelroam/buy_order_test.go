package main

import (
	"testing"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/stretchr/testify/require"
)

// TestBuyUsesTheOrdersInstallationData: the wait after buy takes the
// installation data from the purchase answer when it carries it, without
// polling.
func TestBuyUsesTheOrdersInstallationData(t *testing.T) {
	t.Parallel()
	srv := travelroamtest.NewServer(travelroamtest.WithOrderInstallationData(), travelroamtest.WithAssignmentDelay(time.Minute))
	t.Cleanup(srv.Close)
	cl, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, travelroam.WithBaseURL(srv.URL),
		travelroam.WithHTTPClient(srv.Client()), travelroam.WithPurchaseInterval(0))
	require.NoError(t, err)
	order, err := cl.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	list, err := cl.WaitForAssignments(t.Context(), order.Reference, append(orderWaitOptions(order), travelroam.WithMaxWait(time.Second))...)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Zero(t, srv.RequestCount(travelroamtest.RouteAssignments))
}
