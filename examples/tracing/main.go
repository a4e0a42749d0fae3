// Command tracing shows the OpenTelemetry traces and metrics of a
// purchase: it buys an eSIM on an in-process FAKE Travel Roam server (no
// credentials, no money), waits for its installation data, and prints the
// spans and metrics with OpenTelemetry's stdout exporters.
//
//	cd examples/tracing && go run .
//
// The fake answers the first balance read with a 503, so the read is
// retried: its span "travelroam.Organisation" has two "GET /organisation"
// children, the second with http.request.resend_count 1. The purchase is
// "travelroam.ProcessOrder" with one "POST /processorders" attempt; the
// wait is "travelroam.WaitForAssignments", with a "travelroam.poll" event
// for each answer that was not ready yet. All three are children of the
// application's own "checkout" span. The metrics follow: calls, attempts,
// retries, purchases by outcome, the assignment wait's duration and
// http.client.request.duration.
//
// In production, replace the stdout exporters by OTLP ones (or whatever
// your platform uses); the travelroamotel lines stay the same.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamotel"
	"github.com/roamkit/travelroam/travelroamtest"
)

// bundleName is the bundle the example buys.
const bundleName = "esim_1GB_7D_TR_V2"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	srv := travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(time.Second)) // on a loopback port
	err := run(ctx, os.Stdout, srv)
	srv.Close()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tracing:", err)
		os.Exit(1)
	}
}

// run is the whole program against the fake srv; main only connects it
// to the process.
func run(ctx context.Context, out io.Writer, srv *travelroamtest.Server) (err error) {
	fmt.Fprintln(out, "Buying an eSIM on an in-process FAKE Travel Roam server (no credentials, no money).")

	// The OpenTelemetry SDK, printing to out.
	res := resource.NewSchemaless(attribute.String("service.name", "travelroam-tracing-example"))
	spanExporter, err := stdouttrace.New(stdouttrace.WithWriter(out), stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(spanExporter), sdktrace.WithResource(res))
	metricExporter, err := stdoutmetric.New(stdoutmetric.WithWriter(out), stdoutmetric.WithPrettyPrint())
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metricExporter)), sdkmetric.WithResource(res))

	// The three lines this example is about.
	obs, err := travelroamotel.NewObserver(travelroamotel.WithTracerProvider(tp), travelroamotel.WithMeterProvider(mp))
	if err != nil {
		return err
	}
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, travelroam.WithBaseURL(srv.URL),
		travelroam.WithHTTPClient(srv.Client()), travelroam.WithObserver(obs))
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()

	err = checkout(ctx, out, tp, c, srv)

	// Shutting the providers down exports what is left: all of it here.
	fmt.Fprintln(out, "\n--- Spans (stdouttrace) ---")
	err = errors.Join(err, tp.Shutdown(context.WithoutCancel(ctx)))
	fmt.Fprintln(out, "\n--- Metrics (stdoutmetric) ---")
	return errors.Join(err, mp.Shutdown(context.WithoutCancel(ctx)))
}

// checkout is the application's work: read the balance, buy an eSIM and
// wait for its installation data, in a span of its own.
func checkout(ctx context.Context, out io.Writer, tp *sdktrace.TracerProvider, c *travelroam.Client, srv *travelroamtest.Server) error {
	ctx, span := tp.Tracer("example/checkout").Start(ctx, "checkout")
	defer span.End()

	srv.InjectFault(travelroamtest.RouteOrganisation, travelroamtest.Status(503, "Service temporarily unavailable"))
	org, err := c.Organisation(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Balance: %s %s (the first read was answered 503 and retried)\n", org.Balance, org.Currency)

	order, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundleName})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Bought %s: order %s\n", bundleName, order.Reference)

	esims, err := c.WaitForAssignments(ctx, order.Reference)
	if err != nil {
		return err
	}
	// An activation code is a secret: hand it to its buyer, never print
	// or log it.
	fmt.Fprintf(out, "Installation data ready for %d eSIM(s)\n", len(esims))
	return nil
}
