package travelroamtest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestESIMStateSuspendAndDeactivate: details carry eSIM Go v2.5's state;
// a test can suspend, unsuspend and deactivate an eSIM.
func TestESIMStateSuspendAndDeactivate(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
	require.Equal(t, ESIMActive, details(t, srv, iccid).State)

	require.NoError(t, srv.SetESIMState(iccid, ESIMSuspended))
	require.Equal(t, ESIMSuspended, details(t, srv, iccid).State)
	require.NoError(t, srv.SetESIMState(iccid, ESIMActive))
	require.Equal(t, ESIMActive, details(t, srv, iccid).State)

	require.NoError(t, srv.SetESIMState(iccid, ESIMDeactivated))
	d := details(t, srv, iccid)
	require.Equal(t, ESIMDeactivated, d.State)
	require.Equal(t, ProfileDeactivated, d.ProfileStatus)
	require.Error(t, srv.SetESIMState(iccid, ESIMActive), "deactivation is for good")

	require.Error(t, srv.SetESIMState(iccid, "Paused"))
	require.ErrorIs(t, srv.SetESIMState("8944000000000000000", ESIMSuspended), ErrUnknownICCID)
}
