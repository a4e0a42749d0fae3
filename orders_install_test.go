package travelroam

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam/travelroamtest"
)

// TestOrderReadyAssignments: a purchase answer that carries the
// installation data (order[].esims[] with matchingId and smdpAddress, as
// a captured eSIM Go answer does) gives it as assignments.
func TestOrderReadyAssignments(t *testing.T) {
	t.Parallel()
	o, err := decodeOrder(fixture(t, "order_esims_ready.json"), newDecodeRules())
	require.NoError(t, err)
	ready := o.ReadyAssignments()
	require.Equal(t, []Assignment{{ICCID: "8943108167000812345", MatchingID: "4f0c2a9e-7b31-4d52-9c08-6a1e3b5d7f20",
		SMDPAddress: "rsp-3104.idemia.io", Bundle: "esim_1GB_7D_GB_V2"}}, ready)
	code, err := ready[0].ActivationCode()
	require.NoError(t, err)
	require.Equal(t, "LPA:1$rsp-3104.idemia.io$4f0c2a9e-7b31-4d52-9c08-6a1e3b5d7f20", code.LPA())
	got, ok := readyFromOrder(o)
	require.True(t, ok)
	require.Equal(t, ready, got)

	// The usual answer names the eSIM without data: nothing ready.
	o, err = decodeOrder(fixture(t, "order_completed.json"), newDecodeRules())
	require.NoError(t, err)
	require.Empty(t, o.ReadyAssignments())
	_, ok = readyFromOrder(o)
	require.False(t, ok)
	require.Empty(t, (*Order)(nil).ReadyAssignments())

	// One eSIM of two ready: not complete, WaitForAssignments polls.
	two := &Order{Reference: "r", Lines: []OrderLine{{Type: "bundle", Item: "b", ICCIDs: []ICCID{"8944000000000000001", "8944000000000000002"},
		ESIMs: []OrderESIM{{ICCID: "8944000000000000001", MatchingID: "M-1", SMDPAddress: "rsp.example"},
			{ICCID: "8944000000000000002", SMDPAddress: "rsp.example"}}}}}
	require.Len(t, two.ReadyAssignments(), 1)
	_, ok = readyFromOrder(two)
	require.False(t, ok)

	// Printing the ready data leaks no matching ID.
	text := fmt.Sprintf("%v %+v", ready, o)
	require.NotContains(t, text, "4f0c2a9e")
	b, err := json.Marshal(ready)
	require.NoError(t, err)
	require.NotContains(t, string(b), "4f0c2a9e")
}

// TestOrderBundleAssignmentLine: a "bundleAssignment" line carries an
// assignment reference as item and quantity 0; no bundle name is derived
// from it.
func TestOrderBundleAssignmentLine(t *testing.T) {
	t.Parallel()
	o, err := decodeOrder(fixture(t, "order_bundle_assignment.json"), newDecodeRules())
	require.NoError(t, err)
	require.Len(t, o.Lines, 1)
	l := o.Lines[0]
	require.Equal(t, "bundleAssignment", l.Type)
	require.Equal(t, "3a6e2e40-8c1f-4b2d-a7e9-0f5c6d4b3a21-0", l.Item)
	require.Zero(t, l.Quantity)
	ready := o.ReadyAssignments()
	require.Len(t, ready, 1)
	require.Empty(t, ready[0].Bundle, "an assignment reference is not a bundle name")
	require.Equal(t, "8932042000010212345", string(ready[0].ICCID))
	for typ, want := range map[string]string{"bundle": "b1", "": "b1", "Bundle": "b1", "bundleAssignment": "", "BUNDLEASSIGNMENT": "", "refund": ""} {
		require.Equal(t, want, OrderLine{Type: typ, Item: "b1"}.bundleName(), typ)
	}
}

// TestWaitForAssignmentsWithOrder: with WithOrder, installation data in
// the purchase answer is returned without a request; without it in the
// answer, or without the option, the wait polls as before.
func TestWaitForAssignmentsWithOrder(t *testing.T) {
	t.Parallel()
	newFake := func(opts ...travelroamtest.Option) (*travelroamtest.Server, *Client) {
		srv := travelroamtest.NewServer(opts...)
		t.Cleanup(srv.Close)
		c, err := NewClient(srv.APIKey, srv.ClientSecret, WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithPurchaseInterval(0))
		require.NoError(t, err)
		t.Cleanup(c.CloseIdleConnections)
		return srv, c
	}

	// The answer has the data: no poll, though the fake would still
	// answer "processing" for a minute.
	srv, c := newFake(travelroamtest.WithOrderInstallationData(), travelroamtest.WithAssignmentDelay(time.Minute))
	order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	list, err := c.WaitForAssignments(t.Context(), order.Reference, WithOrder(order), WithMaxWait(time.Second))
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, srv.Orders()[0].ICCID, string(list[0].ICCID))
	require.Equal(t, travelroamtest.SMDPAddress, list[0].SMDPAddress)
	require.NotEmpty(t, list[0].MatchingID)
	require.Equal(t, "esim_1GB_7D_TR_V2", list[0].Bundle)
	require.Zero(t, srv.RequestCount(travelroamtest.RouteAssignments), "no poll")

	// The same data as the poll gives once ready.
	srv.MakeAssignmentsReady()
	polled, err := c.WaitForAssignments(t.Context(), order.Reference)
	require.NoError(t, err)
	require.Equal(t, polled[0].MatchingID, list[0].MatchingID)

	// Another order's reference: bad input, nothing sent.
	_, err = c.WaitForAssignments(t.Context(), "other-reference", WithOrder(order))
	require.ErrorAs(t, err, new(*ValidationError))

	// By default the answer has no data: WithOrder polls.
	srv, c = newFake(travelroamtest.WithAssignmentDelay(0))
	order, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	require.Empty(t, order.ReadyAssignments(), "off by default")
	list, err = c.WaitForAssignments(t.Context(), order.Reference, WithOrder(order), nil)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, 1, srv.RequestCount(travelroamtest.RouteAssignments), "polled")

	// A top-up's answer never carries installation data.
	_, c = newFake(travelroamtest.WithOrderInstallationData(), travelroamtest.WithAssignmentDelay(0))
	order, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	require.NotEmpty(t, order.ReadyAssignments(), "a new eSIM's answer carries it")
	top, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2", ICCID: ICCID(order.ICCIDs()[0])})
	require.NoError(t, err)
	require.Empty(t, top.ReadyAssignments())
}
