package travelroam

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

func TestDecodeOrderErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{``, `[]`, `{}`, `"ref"`, `{"order": [`, `{"data": {"data": {"data": {}}}}`, `{"orderReference": null}`,
		`{"orderReference": " "}`, `{"orderReference": true}`, `{"orderReference": {"id": "x"}}`, `{"orderReference": ["x"]}`,
		`{"orderReference": "x"} {}`, `{"data": [{"orderReference": "x"}]}`, `{"reference": "x"}`,
		`{"data":{"data":{"data":{"data":{"data":{"data":{"orderReference":"too deep"}}}}}}}`} {
		o, err := decodeOrder([]byte(in), newDecodeRules())
		require.Error(t, err, in)
		require.Nil(t, o)
	}
	o, err := decodeOrder([]byte(`{"orderReference": 12345}`), newDecodeRules())
	require.NoError(t, err)
	require.Equal(t, "12345", o.Reference)
	o, err = decodeOrder([]byte(`{"orderReference": "x", "order": [1]}`), newDecodeRules())
	require.NoError(t, err, "a reference makes an order, whatever the lines hold")
	require.Equal(t, "x", o.Reference)
	require.Nil(t, o.Lines)
}

// TestDecodeOrderFindsTheReferenceFirst: every answer the contract's
// evidence makes plausible, with odd fields or the reference wrapped or
// sent as a number, is an Order; the odd fields are left at zero.
func TestDecodeOrderFindsTheReferenceFirst(t *testing.T) {
	t.Parallel()
	odd, err := decodeOrder(fixture(t, "order_odd_types.json"), newDecodeRules())
	require.NoError(t, err)
	require.Equal(t, &Order{
		Reference: "6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10", StatusMessage: "Order completed: 1 eSIMs assigned",
		Currency: "USD", CreatedAt: time.UnixMilli(1741079553481).UTC(), Assigned: true, Unlimited: true,
		Lines: []OrderLine{{Type: "bundle", Item: "esim_UL_7D_TR_V2", Quantity: 1, SubTotal: mustAmount(t, "19.90"),
			ICCIDs: []ICCID{testICCID}, ESIMs: []OrderESIM{{ICCID: testICCID}}}},
		Raw: Secret(fixture(t, "order_odd_types.json")),
	}, odd, `"status": true and "total" as an object are left at zero; the rest is read`)
	require.Equal(t, []ICCID{testICCID}, odd.ICCIDs())

	for _, tc := range []struct {
		fixture, ref, status, total string
		lines                       int
		assigned                    bool
	}{
		{"order_completed.json", "6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10", "completed", "1.85", 1, true},
		{"order_data_wrapper.json", "0b7c1f3e-1111-4a2b-9c3d-5e6f7a8b9c0d", "completed", "1.85", 1, true},
		{"order_nested.json", "9a8b7c6d-2222-4e5f-8a9b-0c1d2e3f4a5b", "completed", "12.5", 1, false},
		{"order_result_wrapper.json", "d2b8e6f0-93a1-4c57-b0e4-6f2a8c1d5e97", "completed", "1.85", 1, true},
		{"order_reference_number.json", "123456789012345678901234567890", "completed", "1.85", 0, true},
	} {
		o, err := decodeOrder(fixture(t, tc.fixture), newDecodeRules())
		require.NoError(t, err, tc.fixture)
		require.Equal(t, tc.ref, o.Reference, tc.fixture)
		require.Equal(t, tc.status, o.Status, tc.fixture)
		require.Equal(t, tc.total, o.Total.String(), tc.fixture)
		require.Len(t, o.Lines, tc.lines, tc.fixture)
		require.Equal(t, tc.assigned, o.Assigned, tc.fixture)
		require.Equal(t, fixture(t, tc.fixture), []byte(o.Raw), tc.fixture)
	}
	for body, ref := range map[string]string{
		`{"status": true, "assigned": "1", "orderReference": "r1"}`:               "r1",
		`{"data": {"order": {"orderReference": " r2 ", "order": [null, {}]}}}`:    "r2",
		`{"order": {"orderReference": 7}, "result": {"orderReference": "later"}}`: "7",
		`{"orderReference": {}, "data": {"orderReference": "r3"}}`:                "r3",
		`{"ORDERREFERENCE": "r4"}`:                                                "r4",
		`{"data": "x", "order": 1, "result": {"data": {"orderReference": "r5"}}}`: "r5",
	} {
		o, err := decodeOrder([]byte(body), newDecodeRules())
		require.NoError(t, err, body)
		require.Equal(t, ref, o.Reference, body)
	}
}

// TestDecodeOrderApplyReference: eSIM Go's answer to a top-up carries an
// applyReference and no orderReference; a string or a number, at the top
// level or in the wrappers of orderReference, it is the order's
// reference. An orderReference anywhere still wins.
func TestDecodeOrderApplyReference(t *testing.T) {
	t.Parallel()
	o, err := decodeOrder(fixture(t, "order_apply_reference.json"), newDecodeRules())
	require.NoError(t, err)
	require.Equal(t, "4b1f7e2a-8c3d-4e5f-9a0b-1c2d3e4f5a6b", o.Reference)
	require.Equal(t, fixture(t, "order_apply_reference.json"), []byte(o.Raw))
	for body, ref := range map[string]string{
		`{"applyReference": 123456789012345678901}`:                                        "123456789012345678901",
		`{"data": {"esims": [], "applyReference": " a2 "}}`:                                "a2",
		`{"status": true, "result": {"applyReference": "a3"}}`:                             "a3",
		`{"order": {"data": {"applyReference": "a4"}}}`:                                    "a4",
		`{"applyReference": "apply", "data": {"orderReference": "order-wins"}}`:            "order-wins",
		`{"applyReference": "", "orderReference": null, "data": {"applyReference": "a5"}}`: "a5",
	} {
		o, err := decodeOrder([]byte(body), newDecodeRules())
		require.NoError(t, err, body)
		require.Equal(t, ref, o.Reference, body)
	}
	for _, body := range []string{`{"applyReference": null}`, `{"applyReference": " "}`, `{"applyReference": ["x"]}`, `{"esims": [{"status": "Bundle applied"}]}`} {
		_, err := decodeOrder([]byte(body), newDecodeRules())
		require.Error(t, err, body)
	}
}

// TestProcessOrderApplyReference: a top-up answered the eSIM Go way is a
// paid success; the journal records it as succeeded with the apply
// reference, and the Key is not bought again.
func TestProcessOrderApplyReference(t *testing.T) {
	t.Parallel()
	j := newMemoryJournal()
	c, mt := newMockClient(t, WithPurchaseJournal(j))
	mt.RegisterResponder(http.MethodPost, processOrdersURL, fixtureResponder(t, 200, "order_apply_reference.json"))
	o, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, ICCID: testICCID, Key: "top-up 1"})
	require.NoError(t, err)
	require.Equal(t, "4b1f7e2a-8c3d-4e5f-9a0b-1c2d3e4f5a6b", o.Reference)
	a, ok, err := j.Get(t.Context(), c.AccountKey(), "top-up 1")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, OutcomeSucceeded, a.Outcome)
	require.Equal(t, o.Reference, a.Reference)
	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, ICCID: testICCID, Key: "top-up 1"})
	require.ErrorAs(t, err, new(*AlreadyAttemptedError))
	require.Equal(t, 1, mt.GetTotalCallCount())
}

// TestProcessOrderOddAnswerIsASuccess: a 2xx answer with a reference and
// odd fields is a success, with the body kept in Raw.
func TestProcessOrderOddAnswerIsASuccess(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, processOrdersURL, fixtureResponder(t, 200, "order_odd_types.json"))
	o, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_UL_7D_TR_V2"})
	require.NoError(t, err)
	require.Equal(t, "6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10", o.Reference)
	require.True(t, o.Unlimited)
	require.Equal(t, fixture(t, "order_odd_types.json"), []byte(o.Raw))
	require.Equal(t, 1, mt.GetTotalCallCount())
}

// TestProcessOrderAnswerWithByteOrderMark: a paid answer that starts with
// a UTF-8 byte order mark (a PHP file saved with one prints it before the
// JSON; RFC 8259 lets a parser ignore it) is a success, its body kept in
// Raw as received.
func TestProcessOrderAnswerWithByteOrderMark(t *testing.T) {
	t.Parallel()
	body := append([]byte("\ufeff"), fixture(t, "order_completed.json")...)
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, processOrdersURL, httpmock.NewBytesResponder(200, body))
	o, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	want, err := decodeOrder(fixture(t, "order_completed.json"), newDecodeRules())
	require.NoError(t, err)
	require.Equal(t, want.Reference, o.Reference)
	require.Equal(t, body, []byte(o.Raw))
}

// TestOrderLineWithEncodingJSON: order lines and their eSIMs decode
// member by member through encoding/json too; only a value that is not
// an object is an error.
func TestOrderLineWithEncodingJSON(t *testing.T) {
	t.Parallel()
	var l OrderLine
	require.NoError(t, json.Unmarshal([]byte(`{"item":"b","quantity":"one","iccids":"`+testICCID+`","esims":{"iccid":`+testICCID+`}}`), &l))
	require.Equal(t, OrderLine{Item: "b", ICCIDs: []ICCID{testICCID}, ESIMs: []OrderESIM{{ICCID: testICCID}}}, l)
	var e OrderESIM
	require.NoError(t, json.Unmarshal([]byte(`{"iccid":`+testICCID+`,"matchingId":true}`), &e))
	require.Equal(t, OrderESIM{ICCID: testICCID}, e)
	require.Error(t, json.Unmarshal([]byte(`[1]`), &e))
}
func FuzzDecodeOrder(f *testing.F) {
	rules := newDecodeRules() // one set for every input, as a Client holds
	for _, name := range []string{"order_completed.json", "order_data_wrapper.json", "order_nested.json", "order_no_reference.json",
		"order_odd_types.json", "order_result_wrapper.json", "order_reference_number.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"orderReference": 12345, "order": "x"}`))
	f.Add([]byte(`{"data": {"order": {"orderReference": " r ", "order": [null, {}]}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := decodeOrder(b, rules)
		if (o == nil) == (err == nil) {
			t.Fatalf("want an order or an error, got %v, %v", o, err)
		}
		// The one-pass path gives what the long way gives.
		long, longErr := decodeOrderMemberwise(b, rules)
		if (err == nil) != (longErr == nil) || !reflect.DeepEqual(o, long) {
			t.Fatalf("decodeOrder: %+v, %v; decodeOrderMemberwise: %+v, %v", o, err, long, longErr)
		}
		if err != nil {
			return
		}
		if o.Reference == "" || o.Reference != strings.TrimSpace(o.Reference) {
			t.Fatalf("reference %q", o.Reference)
		}
		if o.Raw.Reveal() != string(b) {
			t.Fatal("Raw is not the body")
		}
		ids := o.ICCIDs()
		if slices.Contains(ids, "") || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
			t.Fatalf("ICCIDs %q have empties or repeats", ids)
		}
		// The total prints and parses back exactly.
		if back, err := ParseAmount(o.Total.String()); err != nil || back.Cmp(o.Total) != 0 {
			t.Fatalf("total %v parses back as %v, %v", o.Total, back, err)
		}
		if s := fmt.Sprintf("%v %+v %#v", o, *o, o.Lines); len(b) >= 16 && strings.Contains(s, string(b)) {
			t.Fatalf("printed Raw: %s", s)
		}
	})
}

// TestDecodeOrderEvidenceFixtures: every purchase answer of the contract's
// evidence that carries a reference is a paid order, its reference kept
// digit for digit.
func TestDecodeOrderEvidenceFixtures(t *testing.T) {
	t.Parallel()
	for name, ref := range map[string]string{
		"order_status_true_data.json":  "",
		"order_string_scalars.json":    "5a0f7c3e-2b19-4d8e-a6f1-0e4c9b7d2a58",
		"order_numeric_reference.json": "731904725180362941",
		"order_result_wrapper.json":    "d2b8e6f0-93a1-4c57-b0e4-6f2a8c1d5e97",
		"order_total_object.json":      "",
		"order_iccid_number.json":      "",
	} {
		o, err := decodeOrder(fixture(t, name), newDecodeRules())
		require.NoError(t, err, name)
		require.NotEmpty(t, o.Reference, name)
		if ref != "" {
			require.Equal(t, ref, o.Reference, name)
		}
		require.Equal(t, string(fixture(t, name)), o.Raw.Reveal(), name)
	}
	o, err := decodeOrder(fixture(t, "order_string_scalars.json"), newDecodeRules())
	require.NoError(t, err)
	require.True(t, o.Assigned)
	require.True(t, o.Unlimited)
	require.Equal(t, "4.2", o.Total.String())
	require.Equal(t, 1, o.Lines[0].Quantity)
	o, err = decodeOrder(fixture(t, "order_iccid_number.json"), newDecodeRules())
	require.NoError(t, err)
	for _, id := range o.ICCIDs() {
		require.Len(t, id, 19, "an ICCID sent as a number keeps its digits")
	}
}

// TestDecodeOrderStatusMessageHoldsNoSecret: the status message is the
// server's free text, printed with the order, which is safe to log: an
// ICCID or an activation code the server wrote in it (a top-up's "bundle
// applied to eSIM 8944…") is masked like one in an error's message, and
// Raw keeps it as sent.
func TestDecodeOrderStatusMessageHoldsNoSecret(t *testing.T) {
	t.Parallel()
	lpa := "LPA:1$rsp.truphone.com$" + testMatchingI
	body := []byte(`{"orderReference":"ref-1","status":"completed","statusMessage":"Bundle applied to eSIM ` + testICCID + `, install with ` + lpa + `"}`)
	o, err := decodeOrder(body, newDecodeRules())
	require.NoError(t, err)
	require.Equal(t, "Bundle applied to eSIM …5678, install with [redacted]", o.StatusMessage)
	for _, printed := range []string{fmt.Sprintf("%+v", o), fmt.Sprintf("%v", *o)} {
		require.NotContains(t, printed, testICCID)
		require.NotContains(t, printed, testMatchingI)
	}
	require.Equal(t, string(body), o.Raw.Reveal())
}
