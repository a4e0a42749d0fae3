package main

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/stretchr/testify/require"
)

// TestListenPrintsAccountEvents: listen prints an account notification
// (no ICCID) with its type and exact balance, as text and as JSON.
func TestListenPrintsAccountEvents(t *testing.T) {
	t.Parallel()
	body := `{"alertType":"LowBalance","balanceInfo":{"balance":1299.3,"threshold":2600,"thresholdPercentRemaining":49.973}}`
	ev, err := travelroam.ParseCallback(httptest.NewRequest("POST", "/cb", strings.NewReader(body)))
	require.NoError(t, err)
	at := time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)

	var out bytes.Buffer
	c := &cli{sys: sys{out: &out}}
	require.NoError(t, c.printEvent(at, ev, false))
	require.Equal(t, "2026-12-07T11:00:00Z  LowBalance  (account)  balance 1299.3, threshold 2600 (49.973 % of it left)\n", out.String())

	out.Reset()
	require.NoError(t, c.printEvent(at, ev, true))
	require.JSONEq(t, `{"receivedAt":"2026-12-07T11:00:00Z","account":true,"alertType":"LowBalance",
		"balanceInfo":{"balance":1299.3,"threshold":2600,"thresholdPercentRemaining":49.973}}`, out.String())
}
