package travelroamotel

import (
	"context"
	"errors"
	"net"
	"strconv"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/roamkit/travelroam"
)

// ScopeName is the name of the tracer and the meter this package uses.
const ScopeName = "github.com/roamkit/travelroam/travelroamotel"

// Attribute keys of this package's spans, events and metrics (see the
// package doc); the others are OpenTelemetry's semantic conventions'.
const (
	attrCall               = attribute.Key("travelroam.call")
	attrOperation          = attribute.Key("travelroam.operation")
	attrOutcome            = attribute.Key("travelroam.outcome")
	attrAttempts           = attribute.Key("travelroam.attempts")
	attrRetryBudgetRefused = attribute.Key("travelroam.retry_budget.refused")
	attrLastStatusCode     = attribute.Key("travelroam.last_status_code")
	attrRetryDelay         = attribute.Key("travelroam.retry_delay")
	attrPollNumber         = attribute.Key("travelroam.poll.number")
	attrPollElapsed        = attribute.Key("travelroam.poll.elapsed")
	attrPollNextDelay      = attribute.Key("travelroam.poll.next_delay")
	attrCallbackDecision   = attribute.Key("travelroam.callback.decision")
	attrCallbackReason     = attribute.Key("travelroam.callback.reason")
	attrCallbackAlertType  = attribute.Key("travelroam.callback.alert_type")
)

// Names of the span events (see the package doc).
const (
	eventPoll     = "travelroam.poll"
	eventCallback = "travelroam.callback"
)

// callWait is the name of the SDK method whose attempts are polls.
const callWait = "WaitForAssignments"

// Option configures [NewObserver].
type Option func(*config)

type config struct {
	tp trace.TracerProvider
	mp metric.MeterProvider
}

// WithTracerProvider makes the observer create its spans with tp instead
// of the global TracerProvider (otel.GetTracerProvider). A nil tp keeps
// the global one.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithMeterProvider makes the observer record its metrics with mp instead
// of the global MeterProvider (otel.GetMeterProvider). A nil mp keeps the
// global one.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// instruments are the observer's tracer and meters.
type instruments struct {
	tracer trace.Tracer

	calls, attempts, retries, budgetRefusals, purchases, callbacks metric.Int64Counter
	callDuration, waitDuration                                     metric.Float64Histogram
	httpDuration                                                   httpconv.ClientRequestDuration
}

// NewObserver returns a [travelroam.Observer] that makes OpenTelemetry
// spans and metrics of a Client's calls and of a callback handler's
// decisions, as the package doc describes. Pass it to
// [travelroam.WithObserver], to a Client and to a callback handler; one
// observer may serve several clients and handlers. It fails only when the
// MeterProvider refuses an instrument.
func NewObserver(opts ...Option) (*travelroam.Observer, error) {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	in := &instruments{tracer: cfg.tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))}
	meter := cfg.mp.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL))
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := meter.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	histogram := func(name, desc string, bounds ...float64) metric.Float64Histogram {
		h, err := meter.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(bounds...))
		errs = append(errs, err)
		return h
	}
	in.calls = counter("travelroam.client.calls", "{call}", "SDK calls to Travel Roam, by outcome.")
	in.callDuration = histogram("travelroam.client.call.duration", "Duration of SDK calls to Travel Roam, retries and waits included.",
		0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120, 300, 600)
	in.attempts = counter("travelroam.client.attempts", "{attempt}", "HTTP attempts of SDK calls, polls included.")
	in.retries = counter("travelroam.client.retries", "{retry}", "HTTP attempts after the first of an SDK call, polls excluded.")
	in.budgetRefusals = counter("travelroam.client.retry_budget.refusals", "{call}", "SDK calls whose retries the empty retry budget stopped.")
	in.purchases = counter("travelroam.client.purchases", "{purchase}", "Purchases (ProcessOrder calls), by outcome.")
	in.waitDuration = histogram("travelroam.client.assignment_wait.duration", "Duration of WaitForAssignments calls.",
		1, 2, 5, 10, 20, 30, 60, 120, 300, 600)
	in.callbacks = counter("travelroam.callback.requests", "{request}", "Requests a callback handler answered, by decision.")
	var err error
	in.httpDuration, err = httpconv.NewClientRequestDuration(meter)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &travelroam.Observer{
		CallStart:    in.callStart,
		CallEnd:      in.callEnd,
		AttemptStart: in.attemptStart,
		AttemptEnd:   in.attemptEnd,
		Poll:         in.poll,
		Callback:     in.callback,
	}, nil
}

func (in *instruments) callStart(ctx context.Context, e travelroam.CallInfo) context.Context {
	ctx, _ = in.tracer.Start(ctx, "travelroam."+e.Call, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attrCall.String(e.Call), attrOperation.String(string(e.Op))))
	return ctx
}

func (in *instruments) callEnd(ctx context.Context, e travelroam.CallInfo) {
	outcome := string(e.Outcome)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		attrs := []attribute.KeyValue{
			attrOutcome.String(outcome),
			attrAttempts.Int(e.Attempts),
			attrRetryBudgetRefused.Bool(e.RetryBudgetRefused),
		}
		if e.Status != 0 {
			attrs = append(attrs, attrLastStatusCode.Int(e.Status))
		}
		if e.Outcome != travelroam.OutcomeSucceeded {
			attrs = append(attrs, semconv.ErrorTypeKey.String(outcome))
		}
		span.SetAttributes(attrs...)
		if callFailed(e.Outcome) {
			span.SetStatus(codes.Error, outcome)
		}
		span.End()
	}
	// Each instrument is asked first: with a no-op MeterProvider, nothing
	// is built.
	if in.calls.Enabled(ctx) || in.callDuration.Enabled(ctx) {
		withOutcome := metric.WithAttributes(attrCall.String(e.Call), attrOperation.String(string(e.Op)), attrOutcome.String(outcome))
		in.calls.Add(ctx, 1, withOutcome)
		in.callDuration.Record(ctx, e.Duration.Seconds(), withOutcome)
	}
	if e.RetryBudgetRefused && in.budgetRefusals.Enabled(ctx) {
		in.budgetRefusals.Add(ctx, 1, metric.WithAttributes(attrCall.String(e.Call), attrOperation.String(string(e.Op))))
	}
	if e.Op == travelroam.OpProcessOrder && in.purchases.Enabled(ctx) {
		in.purchases.Add(ctx, 1, metric.WithAttributes(attrOutcome.String(outcome)))
	}
	if e.Call == callWait && in.waitDuration.Enabled(ctx) {
		in.waitDuration.Record(ctx, e.Duration.Seconds(), metric.WithAttributes(attrOutcome.String(outcome)))
	}
}

// callFailed reports whether a call's span has the Error status.
func callFailed(o travelroam.Outcome) bool {
	switch o {
	case travelroam.OutcomeSucceeded, travelroam.OutcomePending, travelroam.OutcomeAlreadyAttempted:
		return false
	}
	return true
}

func (in *instruments) attemptStart(ctx context.Context, e travelroam.AttemptInfo) context.Context {
	method, original := httpMethod(e.Method)
	name := method
	if method == "_OTHER" {
		name = "HTTP"
	}
	host, port := hostPort(e.Host, e.Scheme)
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(method),
		semconv.ServerAddress(host),
		semconv.ServerPort(port),
		semconv.URLTemplate(e.Route),
		attrOperation.String(string(e.Op)),
	}
	if original != "" {
		attrs = append(attrs, semconv.HTTPRequestMethodOriginal(original))
	}
	if e.Attempt > 1 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(e.Attempt-1))
	}
	if e.RetryDelay > 0 {
		attrs = append(attrs, attrRetryDelay.Float64(e.RetryDelay.Seconds()))
	}
	ctx, _ = in.tracer.Start(ctx, name+" "+e.Route, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx
}

func (in *instruments) attemptEnd(ctx context.Context, e travelroam.AttemptInfo) {
	errType := attemptErrorType(e)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		if e.Status != 0 {
			span.SetAttributes(semconv.HTTPResponseStatusCode(e.Status))
		}
		if errType != "" {
			span.SetAttributes(semconv.ErrorTypeKey.String(errType))
			span.SetStatus(codes.Error, errType)
		}
		span.End()
	}
	if in.attempts.Enabled(ctx) || in.retries.Enabled(ctx) {
		call := metric.WithAttributes(attrCall.String(e.Call), attrOperation.String(string(e.Op)))
		in.attempts.Add(ctx, 1, call)
		if e.Attempt > 1 && e.Call != callWait {
			in.retries.Add(ctx, 1, call)
		}
	}
	if !in.httpDuration.Inst().Enabled(ctx) {
		return
	}
	method, _ := httpMethod(e.Method)
	host, port := hostPort(e.Host, e.Scheme)
	attrs := []attribute.KeyValue{
		in.httpDuration.AttrURLTemplate(e.Route),
		attrOperation.String(string(e.Op)),
	}
	if e.Status != 0 {
		attrs = append(attrs, in.httpDuration.AttrResponseStatusCode(e.Status))
	}
	if errType != "" {
		attrs = append(attrs, in.httpDuration.AttrErrorType(httpconv.ErrorTypeAttr(errType)))
	}
	in.httpDuration.Record(ctx, e.Duration.Seconds(), httpconv.RequestMethodAttr(method), host, port, attrs...)
}

// attemptErrorType is an attempt's error.type: the status code of a 4xx
// or 5xx answer, the SDK's class of failure when no answer came, and ""
// for a success.
func attemptErrorType(e travelroam.AttemptInfo) string {
	switch {
	case e.Status >= 400:
		return strconv.Itoa(e.Status)
	case e.Status != 0:
		return ""
	case e.ErrorType != "":
		return e.ErrorType
	}
	return semconv.ErrorTypeOther.Value.AsString()
}

func (in *instruments) poll(ctx context.Context, e travelroam.Poll) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := []attribute.KeyValue{
		attrPollNumber.Int(e.Poll),
		attrPollElapsed.Float64(e.Elapsed.Seconds()),
		attrPollNextDelay.Float64(e.Next.Seconds()),
	}
	if e.Status != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(e.Status))
	}
	span.AddEvent(eventPoll, trace.WithAttributes(attrs...))
}

func (in *instruments) callback(ctx context.Context, e travelroam.CallbackDecision) {
	attrs := []attribute.KeyValue{
		attrCallbackDecision.String(e.Decision),
		semconv.HTTPResponseStatusCode(e.Status),
	}
	if e.Reason != "" {
		attrs = append(attrs, attrCallbackReason.String(e.Reason))
	}
	if e.AlertType != "" {
		alert := string(e.AlertType)
		if !e.AlertType.Known() {
			alert = "_OTHER"
		}
		attrs = append(attrs, attrCallbackAlertType.String(alert))
	}
	if in.callbacks.Enabled(ctx) {
		in.callbacks.Add(ctx, 1, metric.WithAttributes(attrs...))
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent(eventCallback, trace.WithAttributes(attrs...))
	}
}

// httpMethod returns the semantic conventions' http.request.method of m,
// and m itself as http.request.method_original when that is "_OTHER".
func httpMethod(m string) (method, original string) {
	switch m {
	case "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE":
		return m, ""
	}
	return "_OTHER", m
}

// hostPort splits the attempt's host into server.address and
// server.port. The SDK's hook gives the URL's host, with a port only when
// the URL names one; the port is then the scheme's (443 for https, 80
// for http).
func hostPort(hp, scheme string) (string, int) {
	def := 443
	if scheme == "http" {
		def = 80
	}
	host, p, err := net.SplitHostPort(hp)
	if err != nil {
		return trimBrackets(hp), def
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return host, def
	}
	return host, port
}

func trimBrackets(h string) string {
	if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
		return h[1 : len(h)-1]
	}
	return h
}
