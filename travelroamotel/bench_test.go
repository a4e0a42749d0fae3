package travelroamotel

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/roamkit/travelroam"
)

// BenchmarkObserver measures the hooks of one call with one attempt (what
// a successful bundle lookup reports), with OpenTelemetry's no-op
// providers and with the SDK (spans sampled and recorded, metrics
// aggregated; nothing exported).
func BenchmarkObserver(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []Option
	}{
		{"noop", []Option{WithTracerProvider(tracenoop.NewTracerProvider()), WithMeterProvider(noop.NewMeterProvider())}},
		{"sdk", []Option{WithTracerProvider(sdktrace.NewTracerProvider()),
			WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())))}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			obs, err := NewObserver(bc.opts...)
			require.NoError(b, err)
			start := travelroam.CallInfo{Call: "Bundle", Op: travelroam.OpBundle, Method: "POST", Route: "/bundle"}
			attempt := travelroam.AttemptInfo{Call: "Bundle", Op: travelroam.OpBundle, Method: "POST", Route: "/bundle",
				Host: "sandbox.travelroam.com", Attempt: 1}
			attemptEnd := attempt
			attemptEnd.Status, attemptEnd.Duration = 200, 80*time.Millisecond
			end := start
			end.Outcome, end.Status, end.Attempts, end.Duration = travelroam.OutcomeSucceeded, 200, 1, 80*time.Millisecond
			b.ReportAllocs()
			for b.Loop() {
				ctx := obs.CallStart(context.Background(), start)
				actx := obs.AttemptStart(ctx, attempt)
				obs.AttemptEnd(actx, attemptEnd)
				obs.CallEnd(ctx, end)
			}
		})
	}
}
