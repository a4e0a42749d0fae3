package travelroamotel

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bundleName is a bundle of the fake's catalogue.
const bundleName = "esim_1GB_7D_TR_V2"

// harness is an observer whose spans and metrics stay in memory.
type harness struct {
	obs    *travelroam.Observer
	tp     *sdktrace.TracerProvider
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	h.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	t.Cleanup(func() {
		require.NoError(t, h.tp.Shutdown(context.Background()))
		require.NoError(t, mp.Shutdown(context.Background()))
	})
	var err error
	h.obs, err = NewObserver(WithTracerProvider(h.tp), WithMeterProvider(mp))
	require.NoError(t, err)
	return h
}

// metrics collects the metrics recorded so far.
func (h *harness) metrics(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, h.reader.Collect(context.Background(), &rm))
	return rm
}

// newClient makes a client of srv that reports to obs, without the
// pacing of purchases.
func newClient(t *testing.T, srv *travelroamtest.Server, obs *travelroam.Observer, opts ...travelroam.Option) *travelroam.Client {
	t.Helper()
	opts = append([]travelroam.Option{travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()),
		travelroam.WithPurchaseInterval(0), travelroam.WithObserver(obs)}, opts...)
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, opts...)
	require.NoError(t, err)
	return c
}

// named returns the ended spans called name.
func named(spans []sdktrace.ReadOnlySpan, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// children returns the ended spans whose parent is p, in order of start.
func children(spans []sdktrace.ReadOnlySpan, p sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Parent().SpanID() == p.SpanContext().SpanID() && s.Parent().TraceID() == p.SpanContext().TraceID() {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	return out
}

// attrs returns a span's attributes by key.
func attrs(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// sumOf adds up the data points of the int64 counter name whose
// attributes include want.
func sumOf(t *testing.T, rm metricdata.ResourceMetrics, name string, want ...attribute.KeyValue) int64 {
	t.Helper()
	var n int64
	m, ok := find(rm, name)
	if !ok {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a %T", name, m.Data)
	require.True(t, sum.IsMonotonic, name)
	for _, dp := range sum.DataPoints {
		if hasAll(dp.Attributes, want) {
			n += dp.Value
		}
	}
	return n
}

// histogramOf returns the count and sum of the data points of the
// histogram name whose attributes include want.
func histogramOf(t *testing.T, rm metricdata.ResourceMetrics, name string, want ...attribute.KeyValue) (uint64, float64) {
	t.Helper()
	m, ok := find(rm, name)
	require.True(t, ok, "no metric %s", name)
	require.Equal(t, "s", m.Unit, name)
	h, ok := m.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%s is a %T", name, m.Data)
	var count uint64
	var sum float64
	for _, dp := range h.DataPoints {
		if hasAll(dp.Attributes, want) {
			count += dp.Count
			sum += dp.Sum
		}
	}
	return count, sum
}

func find(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

func hasAll(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v.Type() != kv.Value.Type() || v.String() != kv.Value.String() {
			return false
		}
	}
	return true
}

// handlerTransport delivers requests to a handler in the same goroutine,
// so that the fake's callbacks reach a callback handler inside synctest.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	if r.Body != nil {
		_ = r.Body.Close()
	}
	return rec.Result(), nil
}
