package travelroam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCallbackAccountEventFixtures: eSIM Go's balance notifications carry
// no ICCID; they decode as account events with exact amounts (before, the
// handler refused them with 400).
func TestCallbackAccountEventFixtures(t *testing.T) {
	t.Parallel()
	amount := func(s string) Amount {
		a, err := ParseAmount(s)
		require.NoError(t, err)
		return a
	}
	tests := map[string]CallbackEvent{
		"callback_low_balance.json": {AlertType: AlertLowBalance, Balance: CallbackBalance{
			Balance: amount("1299.3"), Threshold: amount("2600"), ThresholdPercentRemaining: amount("49.973")}},
		"callback_insufficient_balance.json": {AlertType: AlertInsufficientBalance, Balance: CallbackBalance{
			Balance: amount("0.85"), Threshold: amount("100"), ThresholdPercentRemaining: amount("0.85")}},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw := fixture(t, name)
			ev, err := decodeCallback(raw)
			require.NoError(t, err)
			require.True(t, ev.IsAccountEvent())
			require.Empty(t, ev.ICCID)
			require.True(t, ev.AlertType.Known())
			require.Equal(t, want.Balance.Balance.String(), ev.Balance.Balance.String(), "exact, no float")
			ev.Raw = ""
			require.Equal(t, want, *ev)
		})
	}
}

// TestCallbackAccountEventOddBalance: a balanceInfo member outside the
// rules is left at zero; the event is still delivered.
func TestCallbackAccountEventOddBalance(t *testing.T) {
	t.Parallel()
	ev, err := decodeCallback([]byte(`{"alertType":"LowBalance","balanceInfo":{"balance":"12.50","threshold":{}}}`))
	require.NoError(t, err)
	require.Equal(t, "12.50", ev.Balance.Balance.String())
	require.True(t, ev.Balance.Threshold.IsZero())
}

// TestCallbackInsufficientBalanceResentOnce: eSIM Go re-sends
// InsufficientBalance up to 10 times; the re-sends share one dedupe key
// (also when re-formatted), so the function runs once and every delivery
// gets 200.
func TestCallbackInsufficientBalanceResentOnce(t *testing.T) {
	t.Parallel()
	body := fixture(t, "callback_insufficient_balance.json")
	compact := &bytes.Buffer{}
	require.NoError(t, json.Compact(compact, body))
	reformatted := []byte(`{"balanceInfo":{"thresholdPercentRemaining":0.850,"balance":"0.850","threshold":100.0},"alertType":"InsufficientBalance"}`)
	s := newSink()
	d := NewMemoryDeduper(0, 0)
	h := NewCallbackHandler(s.fn, WithCallbackDeduper(d))
	for i := range 10 {
		b := body
		switch i % 3 {
		case 1:
			b = compact.Bytes()
		case 2:
			b = reformatted
		}
		rec := post(h, "/cb", b)
		require.Equal(t, http.StatusOK, rec.Code, "delivery %d", i+1)
	}
	require.Equal(t, 1, s.total(), "the function ran once for ten re-sends")
	require.Equal(t, 1, d.Len())

	// A different notification is a different event.
	rec := post(h, "/cb", fixture(t, "callback_low_balance.json"))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, 2, s.total())
}

// TestCallbackAccountEventObserved: the Observer gets the alert type of an
// account event; the log carries no ICCID attribute.
func TestCallbackAccountEventObserved(t *testing.T) {
	t.Parallel()
	var got []CallbackDecision
	obs := &Observer{Callback: func(_ context.Context, d CallbackDecision) { got = append(got, d) }}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := NewCallbackHandler(newSink().fn, WithCallbackObserver(obs), WithCallbackLogger(logger))
	rec := post(h, "/cb", fixture(t, "callback_low_balance.json"))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, got, 1)
	require.Equal(t, CallbackDelivered, got[0].Decision)
	require.Equal(t, AlertLowBalance, got[0].AlertType)
	require.Contains(t, logs.String(), `"alert_type":"LowBalance"`)
	require.NotContains(t, logs.String(), `"iccid"`)
}

// TestCallbackAccountEventPrinting: printing an account event shows its
// type and balance, no ICCID.
func TestCallbackAccountEventPrinting(t *testing.T) {
	t.Parallel()
	ev, err := decodeCallback(fixture(t, "callback_low_balance.json"))
	require.NoError(t, err)
	require.Contains(t, fmt.Sprintf("%+v", ev), "Balance:{Balance:1299.3 Threshold:2600")
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	require.Contains(t, string(b), `"balance":{"balance":1299.3,"threshold":2600,"thresholdPercentRemaining":49.973}`)
}
