package travelroamtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestV2CallbacksCountMegabytes(t *testing.T) {
	t.Parallel()
	for format, alertType := range map[CallbackFormat]string{CallbackFormatV2: AlertUtilisation, CallbackFormatV2Usage: AlertUsage} {
		rc := newReceiver(t)
		key := "k"
		srv := newTestServer(t, WithCallbackURL(rc.URL), WithCallbackFormat(format), WithCallbackSigningKey(key), WithAssignmentDelay(0))
		iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
		require.NoError(t, srv.ConsumeData(t.Context(), iccid, 910_000_000)) // first use, 50 %, 80 %

		got := rc.take()
		require.Len(t, got, 3)
		last := string(got[2].body)
		var start string
		for _, d := range got {
			var p map[string]any
			require.NoError(t, json.Unmarshal(d.body, &p))
			require.Equal(t, alertType, p["alertType"], "V2 has no FirstUse")
			b := p["bundle"].(map[string]any)
			for _, absent := range []string{"id", "reference", "description", "unit", "unlimited"} {
				require.NotContains(t, b, absent)
			}
			require.Equal(t, "data", b["callTypeGroup"])
			require.Equal(t, "esim_1GB_7D_TR_V2", b["name"])
			start, _ = b["startTime"].(string)
			require.NotEmpty(t, start)
			require.Equal(t, Sign([]byte(key), d.body), d.signature, "signed as V3 ones")
		}
		require.Contains(t, last, `"initialQuantity":1000.00,"remainingQuantity":90.00`, "decimal MB with two decimals")
		require.Equal(t, alertType, srv.Callbacks()[0].AlertType)
	}
}

func TestMegabytesRendering(t *testing.T) {
	t.Parallel()
	for bytes, want := range map[int64]string{
		1_000_000_000: "1000.00", 90_000_000: "90.00", 734_003_200: "734.00", 5_000: "0.01", 4_999: "0.00", 0: "0.00", -1: "-1.00", 1_234_567: "1.23",
	} {
		got, err := megabytes(bytes).MarshalJSON()
		require.NoError(t, err)
		require.Equal(t, want, string(got), "%d bytes", bytes)
	}
}

func TestSendCallbackKinds(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	rc := newReceiver(t)
	key := "signing-key"
	srv := newTestServer(t, WithClock(clock.Now), WithCallbackURL(rc.URL), WithCallbackSigningKey(key), WithAssignmentDelay(0))
	o := buy(t, srv, "esim_1GB_7D_TR_V2", "")
	iccid := o.Order[0].ICCIDs[0]
	now := timestamp(clock.Now())
	send := func(kind CallbackKind) string {
		t.Helper()
		require.NoError(t, srv.SendCallback(t.Context(), iccid, kind), kind)
		got := rc.take()
		require.Len(t, got, 1)
		require.Equal(t, Sign([]byte(key), got[0].body), got[0].signature)
		return string(got[0].body)
	}

	require.JSONEq(t, `{"alertType":"FirstAttachment","iccid":"`+iccid+`"}`, send(CallbackFirstAttachment))
	require.JSONEq(t, `{"date":"`+now+`","event":"esim.deletion_scheduled","iccid":"`+iccid+`"}`, send(CallbackDeletionScheduled))
	require.JSONEq(t, `{"date":"`+now+`","event":"esim.deleted","iccid":"`+iccid+`"}`, send(CallbackDeleted))

	err := srv.SendCallback(t.Context(), iccid, CallbackCountryChange)
	require.ErrorContains(t, err, "SetLocation first")
	require.NoError(t, srv.SetLocation(iccid, Location{Country: "NO"}))
	require.JSONEq(t, `{"alertType":"CountryChange","iccid":"`+iccid+`","country":{"code":"NO","name":"Norway"}}`, send(CallbackCountryChange))

	require.JSONEq(t, `{"iccid":"`+iccid+`","profileStatus":"Released","date":"`+now+`"}`, send(CallbackProfileStatusChange),
		"no device before installation")
	require.NoError(t, srv.InstallESIM(iccid))
	var p profileStatusJSON
	require.NoError(t, json.Unmarshal([]byte(send(CallbackProfileStatusChange)), &p))
	require.Equal(t, ProfileInstalled, p.ProfileStatus)
	require.NotNil(t, p.Device)
	require.Regexp(t, `^\d{15}$`, p.Device.IMEI)
	require.Equal(t, itoa(luhnDigit(p.Device.IMEI[:14])), p.Device.IMEI[14:], "a Luhn-valid IMEI")
	require.Equal(t, p.Device.TAC, p.Device.IMEI[:8])
	require.Regexp(t, `^\d{32}$`, p.Device.EID)
	require.Equal(t, "Apple", p.Device.Make)
	require.NotEmpty(t, p.Device.Model)
	var again profileStatusJSON
	require.NoError(t, json.Unmarshal([]byte(send(CallbackProfileStatusChange)), &again))
	require.Equal(t, p.Device, again.Device, "the same phone each time")
	require.NotContains(t, send(CallbackProfileStatusChange), "alertType")

	var use callbackJSON
	require.NoError(t, json.Unmarshal([]byte(send(CallbackFirstUse)), &use))
	require.Equal(t, AlertFirstUse, use.AlertType)
	require.Equal(t, o.OrderReference+"-0", use.Bundle.Reference)
	require.Empty(t, use.Bundle.StartTime, "not started yet")
	require.NoError(t, srv.ConsumeData(t.Context(), iccid, 600_000_000))
	rc.take()
	require.NoError(t, json.Unmarshal([]byte(send(CallbackUtilisation)), &use))
	require.Equal(t, AlertUtilisation, use.AlertType)
	require.Equal(t, int64(400_000_000), use.Bundle.RemainingQuantity)

	ledger := srv.Callbacks()
	kinds := make([]string, len(ledger))
	for i, cb := range ledger {
		require.Equal(t, iccid, cb.ICCID)
		kinds[i] = cb.AlertType + "|" + cb.Event
	}
	require.Equal(t, []string{"FirstAttachment|", "|esim.deletion_scheduled", "|esim.deleted", "CountryChange|",
		"|", "|", "|", "|", "FirstUse|", "FirstUse|", "Utilisation|", "Utilisation|"}, kinds)

	// Events and FirstAttachment also work once the eSIM is revoked.
	require.Equal(t, http.StatusOK, post(t, srv, RouteRevoke, iccidBody(iccid)).status)
	require.JSONEq(t, `{"date":"`+now+`","event":"esim.deleted","iccid":"`+iccid+`"}`, send(CallbackDeleted))
	require.ErrorIs(t, srv.SendCallback(t.Context(), iccid, CallbackProfileStatusChange), ErrUnknownICCID)
	err = srv.SendCallback(t.Context(), "8944000000000000001", CallbackDeleted)
	require.ErrorIs(t, err, ErrUnknownICCID)
	require.NotContains(t, err.Error(), "8944000000000000001", "errors redact the ICCID")
	require.ErrorContains(t, srv.SendCallback(t.Context(), iccid, CallbackKind(99)), "unknown callback kind")
	require.Equal(t, "esim.deleted", CallbackDeleted.String())
	require.Equal(t, "CallbackKind(0)", CallbackKind(0).String())
}

func TestSendCallbackInV2Format(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	srv := newTestServer(t, WithCallbackURL(rc.URL), WithCallbackFormat(CallbackFormatV2Usage))
	iccid := buy(t, srv, "esim_UL_1D_TR_V2", "").Order[0].ICCIDs[0]
	require.NoError(t, srv.SendCallback(t.Context(), iccid, CallbackFirstUse))
	body := string(rc.take()[0].body)
	require.JSONEq(t, `{"iccid":"`+iccid+`","alertType":"usage","bundle":{"name":"esim_UL_1D_TR_V2","callTypeGroup":"data",
		"initialQuantity":-1.00,"remainingQuantity":-1.00,"startTime":"","endTime":""}}`, body)
}

func TestSendRawCallback(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	key := "raw-key"
	srv := newTestServer(t, WithCallbackURL(rc.URL), WithCallbackSigningKey(key))
	bodies := []string{
		`{"iccid": 8944538532008160000, "alertType": "FirstUse", "bundle": {"name": "x"}}`,
		`{"event":"esim.deleted","iccid":"8944538532012345678","date":"2025-03-04 09:12:33"}`,
		`not json at all`,
	}
	for _, b := range bodies {
		require.NoError(t, srv.SendRawCallback(t.Context(), []byte(b)))
	}
	got := rc.take()
	require.Len(t, got, 3)
	for i, d := range got {
		require.Equal(t, bodies[i], string(d.body), "sent byte for byte")
		require.Equal(t, Sign([]byte(key), d.body), d.signature)
	}
	ledger := srv.Callbacks()
	require.Equal(t, "8944538532008160000", ledger[0].ICCID, "digits as sent")
	require.Equal(t, AlertFirstUse, ledger[0].AlertType)
	require.Equal(t, EventDeleted, ledger[1].Event)
	require.Empty(t, ledger[2].ICCID)
	require.Equal(t, []byte(bodies[2]), ledger[2].Body)
}

func TestExplicitCallbacksNeedAURL(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
	require.ErrorIs(t, srv.SendCallback(t.Context(), iccid, CallbackFirstAttachment), ErrNoCallbackURL)
	require.ErrorIs(t, srv.SendRawCallback(t.Context(), []byte(`{}`)), ErrNoCallbackURL)
	require.Empty(t, srv.Callbacks())

	rc := newReceiver(t)
	rc.status = http.StatusBadRequest
	srv = newTestServer(t, WithCallbackURL(rc.URL))
	iccid = buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
	err := srv.SendCallback(t.Context(), iccid, CallbackDeleted)
	require.ErrorContains(t, err, "callback receiver answered 400")
	require.False(t, errors.Is(err, ErrNoCallbackURL))
	require.Equal(t, http.StatusBadRequest, srv.Callbacks()[0].Status)
	require.True(t, strings.HasPrefix(string(srv.Callbacks()[0].Body), `{"date":"`))
}
