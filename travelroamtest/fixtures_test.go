package travelroamtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The SDK's fixtures live in the module's root testdata folder. These
// tests keep them and the fake in step: same keys, same value types.

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	require.NoError(t, err)
	return b
}

// shape describes a JSON value by its structure: objects by their keys'
// shapes, arrays by their first element's, scalars by their JSON type.
func shape(t *testing.T, body []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&v), "body: %s", body)
	return shapeOf(v)
}

func shapeOf(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = shapeOf(e)
		}
		return out
	case []any:
		if len(v) == 0 {
			return "[]"
		}
		return []any{shapeOf(v[0])}
	case json.Number:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	}
	return "null"
}

func TestFixturesMatchTheFakesOrderAnswers(t *testing.T) {
	t.Parallel()
	for fixture, answer := range map[string]OrderAnswer{
		"order_status_true_data.json":  OrderAnswerStatusTrueData,
		"order_string_scalars.json":    OrderAnswerStringScalars,
		"order_numeric_reference.json": OrderAnswerNumericReference,
		"order_result_wrapper.json":    OrderAnswerResultWrapper,
		"order_total_object.json":      OrderAnswerTotalObject,
		"order_iccid_number.json":      OrderAnswerNumericICCID,
	} {
		srv := newTestServer(t, WithOrderAnswer(answer))
		resp := post(t, srv, RouteProcessOrders, purchaseBody("esim_UL_1D_TR_V2", ""))
		require.Equal(t, http.StatusOK, resp.status)
		require.Equal(t, shape(t, readFixture(t, fixture)), shape(t, resp.body), fixture)
	}
	odd := decodeExact(t, readFixture(t, "order_string_scalars.json"))
	require.Equal(t, "1", odd["assigned"])
	require.Equal(t, "true", odd["unlimited"])
	require.Equal(t, "1", odd["order"].([]any)[0].(map[string]any)["quantity"])
	require.Equal(t, json.Number("731904725180362941"), decodeExact(t, readFixture(t, "order_numeric_reference.json"))["orderReference"])
}

func TestFixturesMatchTheFakesCatalogue(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	resp := post(t, srv, RouteCatalogue, `{"countries":"GB","perPage":1}`)
	require.Equal(t, shape(t, readFixture(t, "catalogue_v25.json")), shape(t, resp.body))
	require.NotContains(t, string(readFixture(t, "catalogue_v25.json")), "roamingEnabled")

	odd := decodeExact(t, readFixture(t, "catalogue_odd_scalars.json"))["bundles"].([]any)
	require.Len(t, odd, 1)
	b := odd[0].(map[string]any)
	require.Equal(t, "true", b["unlimited"])
	require.Equal(t, json.Number("500.0"), b["dataAmount"])
	require.Equal(t, "7", b["duration"])
	require.Equal(t, "Standard Fixed", b["groups"])

	org := decodeExact(t, readFixture(t, "organisation_odd_fields.json"))["organisations"].([]any)[0].(map[string]any)
	require.Equal(t, false, org["taxLiable"])
	require.Equal(t, json.Number("482.37"), org["balance"])
	require.IsType(t, json.Number(""), org["users"].([]any)[0].(map[string]any)["phoneNumber"])
}

func TestFixturesMatchTheFakesCallbacks(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	srv := newTestServer(t, WithCallbackURL(rc.URL), WithCallbackFormat(CallbackFormatV2), WithAssignmentDelay(0))
	iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
	require.NoError(t, srv.SetLocation(iccid, Location{Country: "NO"}))
	require.NoError(t, srv.InstallESIM(iccid))
	require.NoError(t, srv.ConsumeData(t.Context(), iccid, 910_000_000))
	for fixture, kind := range map[string]CallbackKind{
		"callback_v2_mb.json":                    CallbackUtilisation,
		"callback_first_attachment.json":         CallbackFirstAttachment,
		"callback_country_change.json":           CallbackCountryChange,
		"callback_event_deletion_scheduled.json": CallbackDeletionScheduled,
		"callback_event_deleted.json":            CallbackDeleted,
		"callback_profile_status.json":           CallbackProfileStatusChange,
	} {
		rc.take()
		require.NoError(t, srv.SendCallback(t.Context(), iccid, kind))
		got := rc.take()
		require.Len(t, got, 1)
		require.Equal(t, shape(t, readFixture(t, fixture)), shape(t, got[0].body), fixture)
	}
	require.Contains(t, string(readFixture(t, "callback_v2_mb.json")), `"initialQuantity": 1000.00`)
	require.Contains(t, string(readFixture(t, "callback_v2_mb.json")), `"remainingQuantity": 90.00`)
}

func TestFixturesMatchTheFakesErrorsAndCSV(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	srv := newTestServer(t, WithClock(clock.Now), WithAssignmentsFormat(AssignmentsCSV), WithAssignmentDelay(0))
	o := buy(t, srv, "esim_1GB_7D_TR_V2", "")
	csv := get(t, srv, "/getesimassignments?orderReference="+o.OrderReference)
	fixture := string(readFixture(t, "assignments.csv"))
	header, _, _ := strings.Cut(fixture, "\n")
	require.True(t, strings.HasPrefix(string(csv.body), header+"\n"))
	require.Equal(t, `"ICCID","Matching ID","RSP URL","Bundle"`, header)
	for _, row := range strings.Split(strings.TrimSuffix(fixture, "\n"), "\n") {
		require.Regexp(t, `^"[^"]*"(,"[^"]*"){3}$`, row, "every field quoted")
	}

	require.Equal(t, http.StatusOK, post(t, srv, RouteRevoke, iccidBody(o.Order[0].ICCIDs[0])).status)
	gone := get(t, srv, "/getesimassignments?orderReference="+o.OrderReference)
	require.Equal(t, http.StatusGone, gone.status)
	require.JSONEq(t, string(readFixture(t, "error_410.json")), string(gone.body))

	refused := newTestServer(t, WithOrderValidationFailure())
	resp := post(t, refused, RouteProcessOrders, purchaseBody("esim_1GB_7D_TR_V2", ""))
	require.JSONEq(t, string(readFixture(t, "error_422.json")), string(resp.body))

	srv.InjectFault(RouteCatalogue, RateLimited())
	limited := post(t, srv, RouteCatalogue, `{"region":"Europe"}`)
	require.JSONEq(t, string(readFixture(t, "error_429.json")), string(limited.body))
	want, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(readFixture(t, "error_429.headers")))).ReadMIMEHeader()
	require.NoError(t, err)
	for name, values := range want {
		require.Equal(t, values, limited.header.Values(name), name)
	}
	require.ElementsMatch(t, []string{"Retry-After", "X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset", "X-Ratelimit-Cost"},
		slices.Collect(maps.Keys(want)))

	require.NoError(t, srv.SetLocation(buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0], Location{Country: "FR"}))
	loc := post(t, srv, RouteLocation, iccidBody(srv.Orders()[1].ICCID))
	require.Equal(t, shape(t, readFixture(t, "location_tadig.json")), shape(t, loc.body))
	require.Equal(t, decodeExact(t, readFixture(t, "location_tadig.json"))["mobileNetworkCode"], loc.json(t)["mobileNetworkCode"])
}

func TestFixturesREADMEListsEveryNewFixture(t *testing.T) {
	t.Parallel()
	readme := string(readFixture(t, "README.md"))
	for _, name := range []string{
		"catalogue_v25.json", "catalogue_odd_scalars.json", "organisation_odd_fields.json",
		"callback_event_deletion_scheduled.json", "callback_event_deleted.json", "callback_first_attachment.json",
		"callback_country_change.json", "callback_profile_status.json", "callback_v2_mb.json", "assignments.csv",
		"location_tadig.json", "error_410.json", "error_422.json", "error_429.json", "error_429.headers",
		"order_status_true_data.json", "order_string_scalars.json", "order_numeric_reference.json",
		"order_result_wrapper.json", "order_total_object.json", "order_iccid_number.json",
	} {
		require.Contains(t, readme, "| `"+name+"` |", name)
		readFixture(t, name) // exists
	}
}
