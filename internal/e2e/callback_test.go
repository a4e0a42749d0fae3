package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// callbackSink is an SDK callback handler on loopback that records the
// events it delivers.
type callbackSink struct {
	url    string
	client *http.Client
	mu     sync.Mutex
	events []*travelroam.CallbackEvent
}

func (s *callbackSink) deliver(_ context.Context, ev *travelroam.CallbackEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
	return nil
}

func (s *callbackSink) delivered() []*travelroam.CallbackEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*travelroam.CallbackEvent(nil), s.events...)
}

// post sends body to the sink as the fake would, with the given signature.
func (s *callbackSink) post(t *testing.T, body []byte, signature string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url, bytes.NewReader(body))
	require.NoError(t, err)
	if signature != "" {
		req.Header.Set(travelroamtest.SignatureHeader, signature)
	}
	resp, err := s.client.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return resp.StatusCode
}

func TestE2ECallbacks(t *testing.T) {
	t.Parallel()
	const key = "callback-signing-key-5f1c0e9a7b"
	// The fake needs the receiver's URL and the receiver needs the suite's
	// logger: listen first, serve once both exist.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	sink := &callbackSink{url: "http://" + l.Addr().String() + "/travelroam/callback"}
	e := newE2E(t, travelroamtest.WithAssignmentDelay(0),
		travelroamtest.WithCallbackURL(sink.url), travelroamtest.WithCallbackSigningKey(key))
	e.Secret(key)
	recv := httptest.NewUnstartedServer(travelroam.NewCallbackHandler(sink.deliver,
		travelroam.WithCallbackSignature("", []byte(key)), travelroam.WithLogger(e.Logger())))
	require.NoError(t, recv.Listener.Close())
	recv.Listener = l
	recv.Start()
	t.Cleanup(recv.Close) // also closes the idle connections of recv.Client()
	sink.client = recv.Client()

	_, a := e.buy(t, "esim_1GB_7D_TR_V2")
	ctx := context.Background()
	for _, n := range []int64{100_000_000, 400_000_000, 300_000_000, 200_000_000} {
		require.NoError(t, e.srv.ConsumeData(ctx, string(a.ICCID), n))
	}
	events := sink.delivered()
	requireUsageEvents(t, events, a.ICCID)

	sent := e.srv.Callbacks()
	require.Len(t, sent, 4)
	for _, cb := range sent {
		require.Equal(t, http.StatusOK, cb.Status)
		require.Empty(t, cb.Err)
		require.NotEmpty(t, cb.Signature)
		// Providers deliver again: the handler acknowledges without a
		// second delivery.
		require.Equal(t, http.StatusOK, sink.post(t, cb.Body, cb.Signature))
	}
	require.Equal(t, http.StatusUnauthorized, sink.post(t, sent[0].Body, sent[1].Signature), "signature of another body")
	require.Equal(t, http.StatusUnauthorized, sink.post(t, sent[0].Body, ""), "unsigned")
	require.Len(t, sink.delivered(), 4, "each alert delivered once")

	// Users who route requests themselves get the same event.
	req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(sent[1].Body))
	req.Header.Set("X-Signature-SHA256", sent[1].Signature)
	ev, err := travelroam.ParseCallback(req, travelroam.WithCallbackSignature("", []byte("old key"), []byte(key)))
	require.NoError(t, e.Err(err))
	require.Equal(t, events[1].DedupeKey(), ev.DedupeKey())
	require.Equal(t, events[1].Bundle, ev.Bundle)

	err = e.srv.ConsumeData(ctx, string(a.ICCID), 1)
	require.ErrorIs(t, err, travelroamtest.ErrNoData)
	require.Len(t, e.srv.Callbacks(), 4, "no alert after 100 %")
	bundles, err := e.c.AppliedBundles(ctx, a.ICCID)
	require.NoError(t, e.Err(err))
	left, _ := travelroam.RemainingDataBytes(bundles, e.srv.Callbacks()[3].Time)
	require.Zero(t, left)
	require.Len(t, bundles, 1, "a depleted bundle is listed, as Travel Roam's real output lists ended ones")
	require.True(t, bundles[0].Assignments[0].Ended(e.srv.Callbacks()[3].Time))
}

// requireUsageEvents checks FirstUse, then 50, 80 and 100 % for a 1 GB
// bundle used 100, 400, 300 and 200 MB at a time.
func requireUsageEvents(t *testing.T, events []*travelroam.CallbackEvent, iccid travelroam.ICCID) {
	t.Helper()
	require.Len(t, events, 4)
	wantType := []travelroam.AlertType{"FirstUse", "Utilisation", "Utilisation", "Utilisation"}
	wantLeft := []int64{900_000_000, 500_000_000, 200_000_000, 0}
	wantUsed := []float64{0.1, 0.5, 0.8, 1}
	keys := map[string]bool{}
	for i, ev := range events {
		require.Equal(t, iccid, ev.ICCID)
		require.Equal(t, wantType[i], ev.AlertType)
		require.Equal(t, "esim_1GB_7D_TR_V2", ev.Bundle.Name)
		left, ok := ev.Bundle.RemainingBytes()
		require.True(t, ok)
		require.Equal(t, wantLeft[i], left)
		require.Equal(t, int64(1_000_000_000), ev.Bundle.InitialQuantity)
		require.InDelta(t, wantUsed[i], ev.Bundle.UsedFraction(), 1e-9)
		require.False(t, ev.Bundle.StartTime.IsZero())
		require.NotContains(t, fmt.Sprint(ev), string(iccid))
		keys[ev.DedupeKey()] = true
	}
	require.Len(t, keys, 4, "four distinct events")
}
