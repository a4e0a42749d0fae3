package travelroamtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// receiver is an httptest callback receiver that records deliveries.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []delivery
	status int
}

type delivery struct {
	body      []byte
	signature string
	payload   callbackJSON
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{status: http.StatusOK}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p callbackJSON
		_ = json.Unmarshal(body, &p)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.got = append(rc.got, delivery{body: body, signature: r.Header.Get("X-Signature-SHA256"), payload: p})
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnsupportedMediaType)
			return
		}
		w.WriteHeader(rc.status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) take() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	got := rc.got
	rc.got = nil
	return got
}

func alertsOf(ds []delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.payload.AlertType)
	}
	return out
}

func TestCallbacksAtFirstUseAndThresholds(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	key := "callback-signing-key"
	srv := newTestServer(t, WithCallbackURL(rc.URL), WithCallbackSigningKey(key), WithAssignmentDelay(0))
	o := buy(t, srv, "esim_1GB_7D_TR_V2", "")
	iccid := o.Order[0].ICCIDs[0]

	steps := []struct {
		bytes  int64
		alerts []string
	}{
		{10_000_000, []string{AlertFirstUse}},     // 1 %: FirstUse replaces the 1 % alert
		{380_000_000, nil},                        // 39 %
		{110_000_000, []string{AlertUtilisation}}, // 50 %
		{200_000_000, nil},                        // 70 %
		{100_000_000, []string{AlertUtilisation}}, // 80 %
		{200_000_000, []string{AlertUtilisation}}, // 100 %
	}
	remaining := int64(1_000_000_000)
	for i, step := range steps {
		require.NoError(t, srv.ConsumeData(t.Context(), iccid, step.bytes), "step %d", i)
		remaining -= step.bytes
		got := rc.take()
		require.Equal(t, step.alerts, alertsOf(got), "step %d", i)
		for _, d := range got {
			mac := hmac.New(sha256.New, []byte(key))
			mac.Write(d.body)
			require.Equal(t, hex.EncodeToString(mac.Sum(nil)), d.signature, "hex, as eSIM Go's webhooks guide signs")
			p := d.payload
			require.Equal(t, iccid, p.ICCID)
			require.Equal(t, "esim_1GB_7D_TR_V2", p.Bundle.Name)
			require.Equal(t, "eSIM, 1GB, 7 Days, Turkey, V2", p.Bundle.Description)
			require.Equal(t, o.OrderReference+"-0", p.Bundle.Reference)
			require.NotEmpty(t, p.Bundle.ID)
			require.Equal(t, int64(1_000_000_000), p.Bundle.InitialQuantity)
			require.Equal(t, remaining, p.Bundle.RemainingQuantity)
			require.Equal(t, "BYTES", p.Bundle.Unit)
			require.NotEmpty(t, p.Bundle.StartTime)
			require.NotEmpty(t, p.Bundle.EndTime)
		}
	}
	ledger := srv.Callbacks()
	require.Len(t, ledger, 4)
	require.Equal(t, http.StatusOK, ledger[3].Status)
	require.Equal(t, AlertUtilisation, ledger[3].AlertType)
	require.Equal(t, Sign([]byte(key), ledger[3].Body), ledger[3].Signature)
}

func TestCallbacksCrossingSeveralThresholdsAtOnce(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	srv := newTestServer(t, WithCallbackURL(rc.URL), WithAssignmentDelay(0))
	iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
	buy(t, srv, "esim_UL_1D_TR_V2", "") // another eSIM: no alerts from it
	buy(t, srv, "esim_3GB_30D_TR_V2", iccid)

	require.NoError(t, srv.ConsumeData(t.Context(), iccid, 1_500_000_000))
	got := rc.take()
	require.Equal(t, []string{AlertFirstUse, AlertUtilisation, AlertUtilisation, AlertUtilisation, AlertFirstUse}, alertsOf(got))
	require.Equal(t, "esim_1GB_7D_TR_V2", got[3].payload.Bundle.Name)
	require.Zero(t, got[3].payload.Bundle.RemainingQuantity)
	require.Equal(t, "esim_3GB_30D_TR_V2", got[4].payload.Bundle.Name)
	require.Equal(t, int64(2_500_000_000), got[4].payload.Bundle.RemainingQuantity)
	require.Empty(t, got[0].signature, "unsigned without a key")
}

func TestUnlimitedBundleSendsOnlyFirstUse(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	srv := newTestServer(t, WithCallbackURL(rc.URL), WithAssignmentDelay(0))
	iccid := buy(t, srv, "esim_UL_1D_TR_V2", "").Order[0].ICCIDs[0]
	require.NoError(t, srv.ConsumeData(t.Context(), iccid, 5_000_000_000))
	require.NoError(t, srv.ConsumeData(t.Context(), iccid, 5_000_000_000))
	got := rc.take()
	require.Equal(t, []string{AlertFirstUse}, alertsOf(got))
	require.True(t, got[0].payload.Bundle.Unlimited)
}

func TestCallbackDeliveryErrorsAreReturned(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.status = http.StatusInternalServerError
	srv := newTestServer(t, WithCallbackURL(rc.URL))
	iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
	err := srv.ConsumeData(t.Context(), iccid, 600_000_000)
	require.ErrorContains(t, err, "callback receiver answered 500")
	require.Len(t, rc.take(), 2, "every alert is still attempted")
	cbs := srv.Callbacks()
	require.Len(t, cbs, 2)
	require.Equal(t, http.StatusInternalServerError, cbs[0].Status)
	require.NotEmpty(t, cbs[0].Err)

	rc.Close()
	err = srv.ConsumeData(t.Context(), iccid, 300_000_000)
	require.ErrorContains(t, err, "sending callback")
	require.Zero(t, srv.Callbacks()[2].Status)
}

func TestNoCallbackURLSendsNothing(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
	require.NoError(t, srv.ConsumeData(t.Context(), iccid, 1_000_000_000))
	require.Empty(t, srv.Callbacks())
	require.Error(t, srv.ConsumeData(t.Context(), iccid, 0))
}
