package travelroamotel

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// TestAccountCallbackAttributes: an account notification (no ICCID) is
// delivered; its metric and span event carry its alert type, and no
// attribute names an ICCID. InsufficientBalance re-sent ten times reaches
// the function once.
func TestAccountCallbackAttributes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		var delivered []*travelroam.CallbackEvent
		handler := travelroam.NewCallbackHandler(func(_ context.Context, ev *travelroam.CallbackEvent) error {
			delivered = append(delivered, ev)
			return nil
		}, travelroam.WithObserver(h.obs))
		tracer := h.tp.Tracer("test")
		server := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, span := tracer.Start(r.Context(), "POST /cb", trace.WithSpanKind(trace.SpanKindServer))
			defer span.End()
			handler.ServeHTTP(w, r.WithContext(ctx))
		})
		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork(),
			travelroamtest.WithCallbackURL("http://receiver.test/cb"),
			travelroamtest.WithCallbackClient(&http.Client{Transport: handlerTransport{server}}))
		defer srv.Close()

		require.NoError(t, srv.SendBalanceCallback(t.Context(), travelroamtest.AlertLowBalance))
		for range 10 {
			require.NoError(t, srv.SendBalanceCallback(t.Context(), travelroamtest.AlertInsufficientBalance))
		}
		require.Len(t, delivered, 2, "ten re-sends, one delivery")
		require.Equal(t, travelroam.AlertType("LowBalance"), delivered[0].AlertType)
		require.Empty(t, delivered[0].ICCID)
		require.Equal(t, travelroam.AlertType("InsufficientBalance"), delivered[1].AlertType)

		rm := h.metrics(t)
		decided := func(kvs ...attribute.KeyValue) int64 { return sumOf(t, rm, "travelroam.callback.requests", kvs...) }
		require.Equal(t, int64(1), decided(attrCallbackDecision.String("delivered"), attrCallbackAlertType.String("LowBalance")))
		require.Equal(t, int64(1), decided(attrCallbackDecision.String("delivered"), attrCallbackAlertType.String("InsufficientBalance")))
		require.Equal(t, int64(9), decided(attrCallbackDecision.String("duplicate"), attrCallbackAlertType.String("InsufficientBalance")))
		require.Zero(t, decided(attrCallbackAlertType.String("_OTHER")))

		spans := named(h.spans.Ended(), "POST /cb")
		require.Len(t, spans, 11)
		for _, s := range spans {
			for _, e := range s.Events() {
				a := attrs(e.Attributes)
				require.Contains(t, []string{"LowBalance", "InsufficientBalance"}, a[attrCallbackAlertType].AsString())
				for k := range a {
					require.NotContains(t, strings.ToLower(string(k)), "iccid")
				}
			}
			for _, kv := range s.Attributes() {
				require.NotContains(t, strings.ToLower(string(kv.Key)), "iccid")
			}
		}
	})
}
