package travelroamotel

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// TestNoSecretInTelemetry runs every kind of call, good and bad, and a
// callback handler, then checks every span (name, attribute, event,
// status, link) and every metric data point (attributes and exemplars)
// against the credentials, the signing key, the ICCIDs, matching IDs and
// activation codes of the fake's eSIMs, and the order references (not
// secrets, but unbounded: no attribute may carry one).
func TestNoSecretInTelemetry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		const signingKey = "callback-signing-key-0123456789"
		handler := travelroam.NewCallbackHandler(func(context.Context, *travelroam.CallbackEvent) error { return nil },
			travelroam.WithObserver(h.obs), travelroam.WithCallbackSignature("", []byte(signingKey)))
		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork(),
			travelroamtest.WithCallbackURL("http://receiver.test/cb?token=cb-query-token-0123456789"),
			travelroamtest.WithCallbackSigningKey(signingKey),
			travelroamtest.WithCallbackClient(&http.Client{Transport: handlerTransport{handler}}))
		defer srv.Close()
		c := newClient(t, srv, h.obs)
		defer c.CloseIdleConnections()
		ctx := t.Context()

		_, err := c.Organisation(ctx)
		require.NoError(t, err)
		_, err = c.Catalogue(ctx, travelroam.CatalogueOptions{Countries: []string{"TR"}})
		require.NoError(t, err)
		order, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundleName})
		require.NoError(t, err)
		esims, err := c.WaitForAssignments(ctx, order.Reference)
		require.NoError(t, err)
		iccid := esims[0].ICCID
		_, err = c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundleName, ICCID: iccid}) // a top-up
		require.NoError(t, err)
		require.NoError(t, srv.ConsumeData(ctx, string(iccid), 800_000_000))
		require.NoError(t, srv.SetLocation(string(iccid), travelroamtest.Location{Country: "FR"}))
		_, err = c.ESIM(ctx, iccid)
		require.NoError(t, err)
		_, err = c.AppliedBundles(ctx, iccid)
		require.NoError(t, err)
		_, err = c.Location(ctx, iccid)
		require.NoError(t, err)
		srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(500, "oops").AfterHandling())
		_, err = c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundleName, ICCID: iccid})
		require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
		srv.InjectFault(travelroamtest.RouteESIMDetails, travelroamtest.Status(400, "ICCID "+string(iccid)+" not found"))
		_, err = c.ESIM(ctx, iccid)
		require.Error(t, err, "a server that echoes the ICCID in its message")
		require.NoError(t, c.RevokeESIM(ctx, iccid))
		_, err = c.ESIM(ctx, iccid)
		require.Error(t, err)

		secrets := []string{srv.APIKey, srv.ClientSecret, signingKey, "cb-query-token-0123456789", "LPA:1$"}
		srv.MakeAssignmentsReady()
		for _, o := range srv.Orders() {
			secrets = append(secrets, o.ICCID, o.Reference)
			list, err := c.Assignments(ctx, o.Reference)
			if err != nil {
				continue // the revoked eSIM's order
			}
			for _, a := range list {
				code, err := a.ActivationCode()
				require.NoError(t, err)
				secrets = append(secrets, a.MatchingID.Reveal(), code.LPA())
			}
		}
		for _, a := range esims {
			secrets = append(secrets, a.MatchingID.Reveal())
		}
		require.GreaterOrEqual(t, len(srv.Orders()), 3)
		require.NotEmpty(t, srv.Callbacks())

		texts := spanTexts(h.spans.Ended())
		texts = append(texts, metricTexts(t, h.metrics(t))...)
		require.Greater(t, len(texts), 100, "the scan saw the telemetry")
		for _, s := range texts {
			for _, secret := range secrets {
				require.NotEmpty(t, secret)
				require.NotContains(t, s, secret)
			}
		}
	})
}

// spanTexts renders everything a span exporter sends, one string per
// name, attribute, event or status.
func spanTexts(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	kvs := func(where string, list []attribute.KeyValue) {
		for _, kv := range list {
			out = append(out, fmt.Sprintf("%s %s=%s", where, kv.Key, kv.Value.String()))
		}
	}
	for _, s := range spans {
		out = append(out, s.Name(), s.Status().Description)
		kvs(s.Name(), s.Attributes())
		kvs("resource", s.Resource().Attributes())
		for _, e := range s.Events() {
			out = append(out, e.Name)
			kvs(e.Name, e.Attributes)
		}
		for _, l := range s.Links() {
			kvs("link", l.Attributes)
		}
	}
	return out
}

// metricTexts renders every metric's name and every data point's
// attributes; it fails on an aggregation it does not know, so that a new
// instrument cannot escape the scan.
func metricTexts(t *testing.T, rm metricdata.ResourceMetrics) []string {
	var out []string
	set := func(name string, s attribute.Set) {
		for _, kv := range s.ToSlice() {
			out = append(out, fmt.Sprintf("%s %s=%s", name, kv.Key, kv.Value.String()))
		}
	}
	exemplars := func(name string, list []attribute.KeyValue) {
		for _, kv := range list {
			out = append(out, fmt.Sprintf("%s exemplar %s=%s", name, kv.Key, kv.Value.String()))
		}
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out = append(out, m.Name+" "+m.Description)
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					set(m.Name, dp.Attributes)
					for _, e := range dp.Exemplars {
						exemplars(m.Name, e.FilteredAttributes)
					}
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					set(m.Name, dp.Attributes)
					for _, e := range dp.Exemplars {
						exemplars(m.Name, e.FilteredAttributes)
					}
				}
			default:
				t.Fatalf("metric %s: unexpected %T", m.Name, m.Data)
			}
		}
	}
	for _, s := range out {
		if strings.Contains(s, " url.") && !strings.Contains(s, " url.template=") {
			t.Fatalf("a URL attribute other than the template: %s", s)
		}
	}
	return out
}
