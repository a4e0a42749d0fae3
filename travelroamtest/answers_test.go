package travelroamtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// decodeExact decodes an answer keeping numbers as json.Number.
func decodeExact(t *testing.T, body []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m), "body: %s", body)
	return m
}

func TestNormalOrderAnswerKeepsCompletedAndUnlimited(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	for name, unlimited := range map[string]bool{"esim_1GB_7D_TR_V2": false, "esim_UL_1D_TR_V2": true} {
		resp := post(t, srv, RouteProcessOrders, purchaseBody(name, ""))
		m := decodeExact(t, resp.body)
		require.Equal(t, "completed", m["status"], name)
		require.Equal(t, unlimited, m["unlimited"], name)
		require.Equal(t, true, m["assigned"], name)
		require.Regexp(t, uuidRE, m["orderReference"], name)
	}
}

func TestOddButPaidOrderAnswers(t *testing.T) {
	t.Parallel()
	const bundle = "esim_1GB_7D_TR_V2"
	cases := []struct {
		name   string
		answer OrderAnswer
		check  func(t *testing.T, m map[string]any, o Order, price string)
	}{
		{"StatusTrueData", OrderAnswerStatusTrueData, func(t *testing.T, m map[string]any, o Order, price string) {
			require.Equal(t, true, m["status"])
			require.Equal(t, "Order processed successfully", m["message"])
			data := m["data"].(map[string]any)
			require.Equal(t, o.Reference, data["orderReference"])
			require.Equal(t, "completed", data["status"])
			require.Equal(t, false, data["unlimited"])
			require.NotContains(t, m, "orderReference")
		}},
		{"StringScalars", OrderAnswerStringScalars, func(t *testing.T, m map[string]any, o Order, price string) {
			require.Equal(t, o.Reference, m["orderReference"])
			require.Equal(t, "1", m["assigned"])
			require.Equal(t, "false", m["unlimited"])
			require.Equal(t, price, m["total"])
			line := m["order"].([]any)[0].(map[string]any)
			require.Equal(t, "1", line["quantity"])
			require.Equal(t, price, line["subTotal"])
			require.Equal(t, price, line["pricePerUnit"])
			require.Equal(t, o.ICCID, line["iccids"], "a list of one as its value")
		}},
		{"TotalObject", OrderAnswerTotalObject, func(t *testing.T, m map[string]any, o Order, price string) {
			require.Equal(t, map[string]any{"amount": json.Number(price), "currency": "USD"}, m["total"])
			require.Equal(t, o.Reference, m["orderReference"])
		}},
		{"NumericReference", OrderAnswerNumericReference, func(t *testing.T, m map[string]any, o Order, price string) {
			require.Regexp(t, `^[1-9]\d{17}$`, o.Reference)
			require.Equal(t, json.Number(o.Reference), m["orderReference"], "a JSON number with every digit")
			line := m["order"].([]any)[0].(map[string]any)
			require.Equal(t, []any{o.ICCID}, line["iccids"], "ICCIDs stay strings")
		}},
		{"NumericICCID", OrderAnswerNumericICCID, func(t *testing.T, m map[string]any, o Order, price string) {
			line := m["order"].([]any)[0].(map[string]any)
			require.Equal(t, []any{json.Number(o.ICCID)}, line["iccids"])
			require.Equal(t, json.Number(o.ICCID), line["esims"].([]any)[0].(map[string]any)["iccid"])
			require.Equal(t, o.Reference, m["orderReference"])
		}},
		{"ResultWrapper", OrderAnswerResultWrapper, func(t *testing.T, m map[string]any, o Order, price string) {
			require.Equal(t, true, m["success"])
			require.Equal(t, o.Reference, m["result"].(map[string]any)["orderReference"])
			require.NotContains(t, m, "orderReference")
		}},
		{"NoReference", OrderAnswerNoReference, func(t *testing.T, m map[string]any, o Order, price string) {
			require.NotContains(t, m, "orderReference")
			require.Equal(t, "completed", m["status"])
			require.NotContains(t, m, "data")
			require.NotContains(t, m, "result")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newTestServer(t, WithOrderAnswer(tc.answer), WithAssignmentDelay(0))
			b := srv.mustBundle(t, bundle)
			resp := post(t, srv, RouteProcessOrders, purchaseBody(bundle, ""))
			require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
			orders := srv.Orders()
			require.Len(t, orders, 1, "the order is created")
			require.Equal(t, DefaultSandboxBalanceCents-b.PriceCents, srv.Balance(Sandbox), "and charged")
			require.NotContains(t, string(resp.body), `"orderReference":""`)
			tc.check(t, decodeExact(t, resp.body), orders[0], formatCents(b.PriceCents))

			// The order is real: its assignments answer, under the same reference.
			ready := get(t, srv, "/getesimassignments?orderReference="+orders[0].Reference)
			require.Equal(t, http.StatusOK, ready.status)
			require.Equal(t, orders[0].ICCID, ready.json(t)["iccid"])
		})
	}
	require.Panics(t, func() { WithOrderAnswer(OrderAnswerApplyReference + 1)(&config{}) })
}

// TestOrderAnswerApplyReference: with OrderAnswerApplyReference a top-up
// is answered as eSIM Go answers "apply a bundle", its applyReference
// being the order's reference in the ledger and for its assignments; a
// new eSIM is answered as usual.
func TestOrderAnswerApplyReference(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithOrderAnswer(OrderAnswerApplyReference), WithAssignmentDelay(0))
	bundle := srv.Bundles()[0].Name
	resp := post(t, srv, RouteProcessOrders, purchaseBody(bundle, ""))
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	first := srv.Orders()[0]
	require.Equal(t, first.Reference, decodeExact(t, resp.body)["orderReference"], "a new eSIM: the usual answer")

	resp = post(t, srv, RouteProcessOrders, purchaseBody(bundle, first.ICCID))
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	orders := srv.Orders()
	require.Len(t, orders, 2, "the top-up is created")
	require.True(t, orders[1].TopUp)
	require.Equal(t, map[string]any{
		"esims":          []any{map[string]any{"iccid": first.ICCID, "status": "Bundle applied"}},
		"applyReference": orders[1].Reference,
	}, decodeExact(t, resp.body))
	ready := get(t, srv, "/getesimassignments?orderReference="+orders[1].Reference)
	require.Equal(t, http.StatusOK, ready.status)
	require.Equal(t, first.ICCID, ready.json(t)["iccid"])
}

func TestOrderValidationFailure(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithOrderValidationFailure())
	resp := post(t, srv, RouteProcessOrders, purchaseBody("esim_1GB_7D_TR_V2", ""))
	require.Equal(t, http.StatusUnprocessableEntity, resp.status)
	require.JSONEq(t, `{"message":"The given data was invalid.","errors":{"bundleName":["The selected bundle name is invalid."]}}`, string(resp.body))
	require.Empty(t, srv.Orders(), "no order")
	require.Equal(t, DefaultSandboxBalanceCents, srv.Balance(Sandbox), "nothing charged")

	resp = post(t, srv, RouteProcessOrders, `{"orderType":"COUNTRY"}`)
	require.Equal(t, http.StatusBadRequest, resp.status, "a malformed request is still a 400")
}

func TestAssignmentsCSV(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithAssignmentsFormat(AssignmentsCSV), WithPendingStyle(PendingEmpty200))
	o := buy(t, srv, "esim_1GB_7D_TR_V2", "")
	url := "/getesimassignments?orderReference=" + o.OrderReference
	iccid := o.Order[0].ICCIDs[0]

	resp := get(t, srv, url)
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, "text/csv", resp.header.Get("Content-Type"))
	require.Equal(t, "\"ICCID\",\"Matching ID\",\"RSP URL\",\"Bundle\"\n\""+iccid+"\",\"\",\"\",\"esim_1GB_7D_TR_V2\"\n", string(resp.body),
		"not ready: empty matching ID and RSP URL")

	srv.MakeAssignmentsReady()
	resp = get(t, srv, url)
	matching := srv.esimMatchingID(t, iccid)
	require.Equal(t, "\"ICCID\",\"Matching ID\",\"RSP URL\",\"Bundle\"\n\""+iccid+"\",\""+matching+"\",\""+SMDPAddress+"\",\"esim_1GB_7D_TR_V2\"\n", string(resp.body))
	require.Equal(t, strconvLen(resp.body), resp.header.Get("Content-Length"))

	resp = get(t, srv, "/getesimassignments?orderReference=nope")
	require.Equal(t, "application/json", resp.header.Get("Content-Type"), "errors stay JSON")
	require.Equal(t, "Order not found", resp.message(t))

	require.Equal(t, `"a""b"`+"\n", csvRow(`a"b`))
}

func TestAssignmentsCSVByAccept(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithAssignmentsFormat(AssignmentsByAccept), WithAssignmentDelay(0))
	o := buy(t, srv, "esim_1GB_7D_TR_V2", "")
	url := srv.URL + "/getesimassignments?orderReference=" + o.OrderReference
	require.Equal(t, "application/json", get(t, srv, "/getesimassignments?orderReference="+o.OrderReference).header.Get("Content-Type"))
	for _, accept := range []string{"text/csv", "*/*", ""} {
		resp := send(t, srv, http.MethodGet, url, "", http.Header{"Accept": {accept}})
		require.Equal(t, "text/csv", resp.header.Get("Content-Type"), "Accept %q", accept)
		require.True(t, strings.HasPrefix(string(resp.body), `"ICCID",`))
	}
}

func TestAssignmentsCSVSurvivesFaults(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithAssignmentsFormat(AssignmentsCSV), WithAssignmentDelay(0))
	o := buy(t, srv, "esim_1GB_7D_TR_V2", "")
	srv.InjectFault(RouteAssignments, MalformedJSON())
	resp := get(t, srv, "/getesimassignments?orderReference="+o.OrderReference)
	require.Equal(t, "text/csv", resp.header.Get("Content-Type"), "a cut body keeps its type")
	require.True(t, strings.HasPrefix(string(resp.body), `"ICCID"`))
}

func (s *Server) esimMatchingID(t *testing.T, iccid string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.esims[iccid]
	require.NotNil(t, e)
	return e.matchingID
}

func strconvLen(b []byte) string { return itoa(len(b)) }
