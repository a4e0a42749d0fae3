package travelroam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"
)

func TestDecodeCallbackFixtures(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 3, 5, 8, 0, 12, 0, time.UTC)
	end := time.Date(2025, 3, 12, 8, 0, 12, 0, time.UTC)
	v3Bundle := CallbackBundle{ID: "215009266", Reference: "6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10-0", Name: "esim_1GB_7D_TR_V2",
		Description: "eSIM, 1GB, 7 Days, Turkey, V2", InitialQuantity: 1_000_000_000, RemainingQuantity: 999_998_976,
		Unit: "BYTES", StartTime: start, EndTime: end}
	tests := map[string]CallbackEvent{
		// Decimal quantities without a unit or an assignment id are the V2
		// format's megabytes, whatever their size.
		"callback_v2.json": {ICCID: testICCID, AlertType: AlertType("usage"), Bundle: CallbackBundle{
			Name: "esim_1GB_7D_TR_V2", CallTypeGroup: "data", InitialQuantity: 1_000_000_000, RemainingQuantity: 734_003_200,
			Unit: "MB", StartTime: start.Add(123456789), EndTime: end.Add(123456789)}},
		"callback_v2_mb.json": {ICCID: testICCID, AlertType: AlertType("Utilisation"), Bundle: CallbackBundle{
			Name: "A_BUNDLE_1GB", CallTypeGroup: "data", InitialQuantity: 1000, RemainingQuantity: 90, Unit: "MB",
			StartTime: start, EndTime: end}},
		"callback_v3.json": {ICCID: testICCID, AlertType: AlertType("Utilisation"), Bundle: CallbackBundle{
			ID: "215009266", Reference: "6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10-0", Name: "esim_1GB_7D_TR_V2",
			Description: "eSIM, 1GB, 7 Days, Turkey, V2", InitialQuantity: 1_000_000_000, RemainingQuantity: 500_000_000,
			StartTime: start, EndTime: end}},
		"callback_firstuse.json":         {ICCID: testICCID, AlertType: AlertType("FirstUse"), Bundle: v3Bundle},
		"callback_firstuse_number.json":  {ICCID: "8944538532008160000", AlertType: AlertType("FirstUse"), Bundle: v3Bundle},
		"callback_first_attachment.json": {ICCID: testICCID, AlertType: AlertType("FirstAttachment")},
		"callback_country_change.json": {ICCID: testICCID, AlertType: AlertType("CountryChange"),
			Country: Country{ISO: "NO", Name: "Norway"}},
		"callback_event_deletion_scheduled.json": {ICCID: testICCID, AlertType: AlertType("esim.deletion_scheduled"),
			Date: time.Date(2025, 3, 20, 10, 15, 0, 0, time.UTC)},
		"callback_event_deleted.json": {ICCID: testICCID, AlertType: AlertType("esim.deleted"),
			Date: time.Date(2025, 3, 27, 10, 15, 0, 0, time.UTC)},
		"callback_profile_status.json": {ICCID: testICCID, ProfileStatus: ProfileStatus("Installed"),
			Date: time.Date(2025, 3, 5, 7, 58, 41, 512000000, time.UTC)},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw := fixture(t, name)
			ev, err := decodeCallback(raw)
			require.NoError(t, err)
			require.Equal(t, string(raw), ev.Raw.Reveal())
			ev.Raw = ""
			require.Equal(t, want, *ev)
			require.Equal(t, name != "callback_profile_status.json", ev.AlertType.Known(), "a profile status change has no type")
		})
	}
}

// TestCallbackRemainingBytesInBothFormats: the V2 format's megabytes and
// the newer format's bytes give the same bytes.
func TestCallbackRemainingBytesInBothFormats(t *testing.T) {
	t.Parallel()
	v2, err := decodeCallback(fixture(t, "callback_v2_mb.json"))
	require.NoError(t, err)
	left, ok := v2.Bundle.RemainingBytes()
	require.True(t, ok)
	require.Equal(t, int64(90_000_000), left, "90.00 MB at 10^6 bytes per MB")
	require.InDelta(t, 0.91, v2.Bundle.UsedFraction(), 1e-9)
	require.True(t, v2.Bundle.inMB(), "sent in MB")
	v3, err := decodeCallback(v3Body(90_000_000))
	require.NoError(t, err)
	left3, _ := v3.Bundle.RemainingBytes()
	require.Equal(t, left, left3)
	require.False(t, v3.Bundle.inMB(), "sent in bytes")
	for body, want := range map[string]int64{
		`{"iccid":"1","bundle":{"remainingQuantity":90.5}}`:                        90_000_000, // whole MB
		`{"iccid":"1","bundle":{"remainingQuantity":"90.00","initialQuantity":1}}`: 90_000_000,
		`{"iccid":"1","bundle":{"remainingQuantity":90}}`:                          90, // no fraction: bytes
		`{"iccid":"1","bundle":{"id":"7","remainingQuantity":90.00}}`:              90, // an assignment id: newer format
		`{"iccid":"1","bundle":{"unit":"BYTES","remainingQuantity":90.00}}`:        90,
		`{"iccid":"1","bundle":{"unit":"mb","remainingQuantity":90}}`:              90_000_000,
		`{"iccid":"1","bundle":{"remainingQuantity":-5.0}}`:                        0,
	} {
		ev, err := decodeCallback([]byte(body))
		require.NoError(t, err, body)
		got, ok := ev.Bundle.RemainingBytes()
		require.True(t, ok, body)
		require.Equal(t, want, got, body)
	}
	huge := CallbackBundle{Unit: "MB", RemainingQuantity: math.MaxInt64 / 10}
	got, _ := huge.RemainingBytes()
	require.Positive(t, got, "saturates instead of wrapping")
}

func TestDecodeCallbackLenient(t *testing.T) {
	t.Parallel()
	ev, err := decodeCallback([]byte(`{"ICCID": 89445385320123456789012, "alerttype": "Depleted", "extra": [1,2],
		"bundle": {"id": 215009266, "reference": null, "initialQuantity": "1000.00", "remainingQuantity": "1.5e2",
		"unit": "minutes", "startTime": "2025-03-05 08:00:12Z", "endTime": 1741766412000,
		"unlimited": "true", "unknown": {"a": 1}}}`))
	require.NoError(t, err)
	require.Equal(t, "89445385320123456789012", string(ev.ICCID), "a 23-digit number is kept exactly")
	require.Equal(t, AlertType("Depleted"), ev.AlertType)
	require.False(t, ev.AlertType.Known())
	b := ev.Bundle
	require.Equal(t, "215009266", b.ID)
	require.Empty(t, b.Reference)
	require.Equal(t, int64(1000), b.InitialQuantity)
	require.Equal(t, int64(150), b.RemainingQuantity)
	require.Equal(t, time.Date(2025, 3, 5, 8, 0, 12, 0, time.UTC), b.StartTime)
	require.Equal(t, time.Date(2025, 3, 12, 8, 0, 12, 0, time.UTC), b.EndTime)
	require.True(t, b.Unlimited)
	_, ok := b.RemainingBytes()
	require.False(t, ok, "minutes are not bytes")

	// Fields outside the rules are left at zero; the event is delivered.
	ev, err = decodeCallback([]byte(`{"iccid":"8944538532012345678","alertType":"FirstUse","date":"soon",
		"country":"NO","bundle":{"name":"b","startTime":"next week","endTime":"2025-03-12T08:00:12","unlimited":"yes",
		"remainingQuantity":"lots","initialQuantity":1000}}`))
	require.NoError(t, err)
	require.Equal(t, CallbackEvent{ICCID: testICCID, AlertType: AlertType("FirstUse"), Bundle: CallbackBundle{Name: "b", InitialQuantity: 1000},
		Raw: ev.Raw}, *ev)
	ev, err = decodeCallback([]byte(`{"iccid":"8944538532012345678","alertType":true,"event":"ESIM.DELETED","bundle":[1]}`))
	require.NoError(t, err)
	require.Equal(t, AlertType("esim.deleted"), ev.AlertType, "an odd alertType gives way to the event")
}

// TestDecodeCallbackRefusals: only a body that is not a JSON object with
// a valid ICCID is refused, and the error quotes no ICCID.
func TestDecodeCallbackRefusals(t *testing.T) {
	t.Parallel()
	for _, body := range []string{``, `[]`, `null`, `"x"`, `{`, `{"iccid":"1"} {}`, `{}`, `{"iccid":null}`, `{"iccid":" "}`,
		`{"iccid":{"n":"8944538532012345678"}}`, `{"iccid":true}`, `{"iccid":"8944538532012345678X"}`, `{"iccid":8.944538532012345678e18}`,
		`{"iccid":"` + strings.Repeat("8", 33) + `"}`} {
		_, err := decodeCallback([]byte(body))
		require.Equal(t, 400, callbackStatus(err), body)
		require.NotContains(t, err.Error(), "8944538532012345678", body)
	}
}

// TestAlertTypeAnyCase: known alert types are recognised whatever their
// case, like profile and bundle states; unknown ones are kept as sent.
func TestAlertTypeAnyCase(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]AlertType{
		"utilisation": AlertType("Utilisation"), "UTILISATION": AlertType("Utilisation"), "firstuse": AlertType("FirstUse"),
		"Usage": AlertType("usage"), "usage": AlertType("usage"), "Depleted": "Depleted", "firstattachment": AlertType("FirstAttachment"),
		"COUNTRYCHANGE": AlertType("CountryChange"),
	} {
		ev, err := decodeCallback([]byte(`{"iccid":"8944538532012345678","alertType":"` + in + `","bundle":{}}`))
		require.NoError(t, err)
		require.Equal(t, want, ev.AlertType, in)
		require.Equal(t, want != "Depleted", ev.AlertType.Known(), in)
	}
	for in, want := range map[string]AlertType{"esim.deleted": AlertType("esim.deleted"), "Esim.Deletion_Scheduled": AlertType("esim.deletion_scheduled"),
		"esim.suspended": "esim.suspended"} {
		ev, err := decodeCallback([]byte(`{"iccid":"8944538532012345678","event":"` + in + `"}`))
		require.NoError(t, err)
		require.Equal(t, want, ev.AlertType, in)
	}
	require.False(t, AlertType("").Known())
}

func TestCallbackBundleHelpers(t *testing.T) {
	t.Parallel()
	b := CallbackBundle{InitialQuantity: 1000, RemainingQuantity: 200}
	require.InDelta(t, 0.8, b.UsedFraction(), 1e-12)
	n, ok := b.RemainingBytes()
	require.True(t, ok)
	require.Equal(t, int64(200), n)
	b.RemainingQuantity = -5
	require.InDelta(t, 1.0, b.UsedFraction(), 1e-12)
	n, _ = b.RemainingBytes()
	require.Zero(t, n)
	b.RemainingQuantity = 5000
	require.Zero(t, b.UsedFraction())
	require.Zero(t, CallbackBundle{}.UsedFraction())
	b.Unit = "bytes"
	require.True(t, b.IsData())
	b.Unit = "MB"
	require.True(t, b.IsData())
	b.Unit = "SMSmessages"
	_, ok = b.RemainingBytes()
	require.False(t, ok)
}

func TestCallbackDedupeKey(t *testing.T) {
	t.Parallel()
	key := func(body string) string {
		ev, err := decodeCallback([]byte(body))
		require.NoError(t, err)
		return ev.DedupeKey()
	}
	a := key(string(v3Body(500)))
	require.Len(t, a, 64)
	require.NotContains(t, a, testICCID)
	spaced := strings.ReplaceAll(string(v3Body(500)), ",", " , ")
	require.Equal(t, a, key(spaced), "same event, other serialisation")
	require.NotEqual(t, a, key(string(v3Body(400))), "another usage level is another event")
	require.NotEqual(t, a, key(strings.Replace(string(v3Body(500)), "Utilisation", "FirstUse", 1)))
	// Without id or reference, the body's hash is the key.
	v2 := `{"iccid":"8944538532012345678","alertType":"usage","bundle":{"name":"x","remainingQuantity":1}}`
	require.Equal(t, key(v2), key(v2))
	require.NotEqual(t, key(v2), key(v2+" "))
	// The keys of the existing shapes are those the SDK gave before the
	// newer shapes were added (golden values).
	for body, want := range map[string]string{
		string(v3Body(500)):                          "6b81cec278c76e63958751d3c5a31a5eccf7f242e110d87d9a0bb10845431f88",
		string(fixture(t, "callback_v2.json")):       "3e93ea2e6e0322e419da6a94a62fa26d8038ec959fcb210d7382e08b4c6c385b",
		string(fixture(t, "callback_v3.json")):       "b756490272b3b02f9254c58edfd2cab8d21fd5ae1d9ed7f495fbfda12b865e50",
		string(fixture(t, "callback_firstuse.json")): "7b5ad7ad4825a5c21636f93cac2c639f3be47f25cf67ea2ff4cd18476f68cec6",
	} {
		require.Equal(t, want, key(body))
	}
	// The newer shapes are distinct events.
	keys := map[string]bool{}
	for _, name := range []string{"callback_v2_mb.json", "callback_first_attachment.json", "callback_country_change.json",
		"callback_event_deletion_scheduled.json", "callback_event_deleted.json", "callback_profile_status.json", "callback_v3.json"} {
		keys[key(string(fixture(t, name)))] = true
	}
	require.Len(t, keys, 7)
}

// TestCallbackEventPrintsNoRaw: the new fields print, Raw and the ICCID
// do not.
func TestCallbackEventPrintsNoRaw(t *testing.T) {
	t.Parallel()
	ev, err := decodeCallback(fixture(t, "callback_country_change.json"))
	require.NoError(t, err)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, ev)
		require.NotContains(t, out, testICCID, verb)
		require.NotContains(t, out, `"iccid"`, "%s prints Raw", verb)
		require.Contains(t, out, "CountryChange", verb)
	}
}

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
		"callback_low_balance.json": {AlertType: AlertType("LowBalance"), Balance: CallbackBalance{
			Balance: amount("1299.3"), Threshold: amount("2600"), ThresholdPercentRemaining: amount("49.973")}},
		"callback_insufficient_balance.json": {AlertType: AlertType("InsufficientBalance"), Balance: CallbackBalance{
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
	d := newMemoryDeduper(0, 0)
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
	h := NewCallbackHandler(newSink().fn, WithObserver(obs), WithLogger(logger))
	rec := post(h, "/cb", fixture(t, "callback_low_balance.json"))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, got, 1)
	require.Equal(t, "delivered", got[0].Decision)
	require.Equal(t, AlertType("LowBalance"), got[0].AlertType)
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

// TestCallbackTextIsEscaped: the text fields a callback's sender fills
// hold no control characters once decoded, so that an event printed with
// fmt (which prints them as they are, now that CallbackEvent has no
// printing of its own) writes no terminal escape or line break; Raw keeps
// the body as sent.
func TestCallbackTextIsEscaped(t *testing.T) {
	t.Parallel()
	body := []byte(`{"iccid":"8944538532012345678","alertType":"Utili\u001b[2Jsation\n","profileStatus":"x\u202ey",
		"country":{"code":"N\rO","name":"Nor\u0007way"},
		"bundle":{"id":"1\n2","reference":"r\u0000f","name":"esim\u001b[31m_1GB","description":"a\nb\u009bc","unit":"M\tB",
		"callTypeGroup":"d\u007fe","remainingQuantity":1}}`)
	ev, err := decodeCallback(body)
	require.NoError(t, err)
	require.Equal(t, `esim\x1b[31m_1GB`, ev.Bundle.Name)
	require.Equal(t, `a\x0ab\u009bc`, ev.Bundle.Description)
	require.Equal(t, AlertType(`Utili\x1b[2Jsation`), ev.AlertType, "trimmed, then escaped")
	require.Equal(t, `Nor\x07way`, ev.Country.Name)
	require.Equal(t, string(body), ev.Raw.Reveal(), "Raw is as sent")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, ev)
		require.False(t, strings.ContainsFunc(out, func(r rune) bool { return !unicode.IsGraphic(r) && r != ' ' }),
			"%s prints a control character: %q", verb, out)
	}
	// Text without control characters is kept as it is, quotes,
	// backslashes and other scripts included.
	for _, s := range []string{"", "plain", `a "b" \c`, "Türkiye 日本 🇹🇷"} {
		require.Equal(t, s, senderText(s))
	}
	require.Equal(t, `a\xffb\x1b\U000e0001`, senderText("a\xffb\x1b\U000e0001"), "a byte that is not UTF-8, a tag character")
}
