package travelroam

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam/travelroamtest"
)

// TestESIMv25Fields: eSIM Go v2.5's state, Deactivated profile status,
// Android link and phone number are read; known values in any case map to
// the constants, unknown ones are kept as sent.
func TestESIMv25Fields(t *testing.T) {
	t.Parallel()
	e, err := decodeESIM(fixture(t, "esim_details_v25.json"))
	require.NoError(t, err)
	require.Equal(t, ESIMSuspended, e.State)
	require.Equal(t, ProfileInstalled, e.ProfileStatus)
	require.Equal(t, "https://esimsetup.android.com/esim_qrcode_provisioning?carddata=LPA:1$rsp-3104.idemia.io$K2-1Z8QAB-3XYV7P", e.AndroidInstallURL.Reveal())
	require.Equal(t, "+447700900123", e.PhoneNumber.Reveal())
	require.Equal(t, "8943108167000812345", string(e.ICCID))

	e, err = decodeESIM(fixture(t, "esim_details_deactivated.json"))
	require.NoError(t, err)
	require.Equal(t, ESIMDeactivated, e.State, "lower case is normalised")
	require.Equal(t, ProfileDeactivated, e.ProfileStatus)
	require.Empty(t, e.PhoneNumber)

	for body, want := range map[string]ESIMState{
		`{"iccid":"8944538532012345678","state":"ACTIVE"}`:            ESIMActive,
		`{"iccid":"8944538532012345678","state":"PendingDeletion"}`:   "PendingDeletion",
		`{"iccid":"8944538532012345678"}`:                             "",
		`{"iccid":"8944538532012345678","msisdn":447700900123}`:       "",
		`{"iccid":"8944538532012345678","state":" Suspended ","x":1}`: ESIMSuspended,
	} {
		e, err := decodeESIM([]byte(body))
		require.NoError(t, err, body)
		require.Equal(t, want, e.State, body)
		require.Equal(t, want == "" || want.Known() == (want != "PendingDeletion"), true)
	}
	e, err = decodeESIM([]byte(`{"iccid":"8944538532012345678","msisdn":447700900123}`))
	require.NoError(t, err)
	require.Equal(t, "447700900123", e.PhoneNumber.Reveal(), "msisdn, a number, read too")
	require.False(t, ESIMState("PendingDeletion").Known())
	require.True(t, ESIMDeactivated.Known())
	require.True(t, normaliseProfileStatus("deactivated") == ProfileDeactivated)
}

// TestESIMStateFromTheFake: the fake's v2.5 state reaches ESIM.State.
func TestESIMStateFromTheFake(t *testing.T) {
	t.Parallel()
	srv := travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(0))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.APIKey, srv.ClientSecret, WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithPurchaseInterval(0))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	iccid := order.ICCIDs()[0]
	for _, st := range []struct {
		set  string
		want ESIMState
		prof ProfileStatus
	}{
		{travelroamtest.ESIMActive, ESIMActive, ProfileReleased},
		{travelroamtest.ESIMSuspended, ESIMSuspended, ProfileReleased},
		{travelroamtest.ESIMDeactivated, ESIMDeactivated, ProfileDeactivated},
	} {
		require.NoError(t, srv.SetESIMState(string(iccid), st.set))
		e, err := c.ESIM(t.Context(), iccid)
		require.NoError(t, err)
		require.Equal(t, st.want, e.State)
		require.Equal(t, st.prof, e.ProfileStatus)
	}
}
