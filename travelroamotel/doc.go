// Package travelroamotel reports what a travelroam Client and callback
// handler do as OpenTelemetry traces and metrics. It is a module of its
// own (github.com/roamkit/travelroam/travelroamotel), so that the SDK
// itself depends on no OpenTelemetry package.
//
//	obs, err := travelroamotel.NewObserver() // the global TracerProvider and MeterProvider
//	if err != nil { … }
//	c, err := travelroam.NewClient(apiKey, clientSecret, travelroam.WithObserver(obs))
//	h := travelroam.NewCallbackHandler(fn, travelroam.WithObserver(obs))
//
// # Traces
//
// Each SDK call that talks to Travel Roam is one span of kind internal,
// named after the method: "travelroam.ProcessOrder",
// "travelroam.WaitForAssignments", "travelroam.Catalogue" (one per page
// of CatalogueAll)… It is a child of the span in the call's context, and
// carries:
//
//	travelroam.call                  string  the SDK method, e.g. "ProcessOrder"
//	travelroam.operation             string  the API operation, e.g. "process_order"
//	travelroam.outcome               string  succeeded, refused, not_sent, unknown,
//	                                         already_attempted, pending, canceled or failed
//	travelroam.attempts              int     HTTP attempts made (retries and polls included)
//	travelroam.retry_budget.refused  bool    true when the empty retry budget stopped retries
//	travelroam.last_status_code      int     the HTTP status of the last answer (absent when none came)
//	error.type                       string  the outcome, when it is not "succeeded"
//
// Its status is Error, with the outcome as description, when the outcome
// is refused, not_sent, unknown, canceled or failed. It stays Unset for
// pending (the order exists: wait again) and already_attempted (the
// purchase journal did its job: nothing was sent), which the caller
// handles as expected answers; error.type still names them.
//
// Each HTTP attempt of a call is a child span of kind client, following
// OpenTelemetry's HTTP client semantic conventions: named "{method}
// {url.template}", e.g. "POST /processorders", with
//
//	http.request.method          string  GET, POST… (_OTHER, with http.request.method_original, for others)
//	server.address, server.port  string, int  the API host and port (the scheme's, 443 or 80, when the base URL names none)
//	url.template                 string  the operation's route, relative to the base URL's path
//	http.response.status_code    int     absent when no answer came
//	error.type                   string  the status code for 4xx and 5xx; for no answer: timeout,
//	                                     canceled, deadline_exceeded, dial_failed or transport_error
//	http.request.resend_count    int     attempts before this one (absent on the first)
//	travelroam.operation         string  as on the call span
//	travelroam.retry_delay       float   seconds waited since the previous attempt (absent on the first)
//
// A base URL that names no port is reported with its scheme's port: 443
// for https (Travel Roam), 80 for http (a local fake).
//
// Its status is Error for a 4xx or 5xx answer or no answer. The polls of
// WaitForAssignments are its attempts; each answer that is not ready yet
// is also an event "travelroam.poll" on the wait's span, with
// travelroam.poll.number (from 1), travelroam.poll.elapsed and
// travelroam.poll.next_delay (seconds) and http.response.status_code.
//
// A callback handler's decision is an event "travelroam.callback" on the
// span of the request's context (a server span, when the handler is
// wrapped by an HTTP server instrumentation), with the attributes of the
// travelroam.callback.requests metric below.
//
// The observer puts its spans in the contexts the SDK passes on, so
// spans that the HTTP client's transport makes (otelhttp's, for
// instance) are children of the attempt's span. It injects no trace
// header into the requests; a transport that does so sends them to
// Travel Roam.
//
// # Metrics
//
// Instruments of the meter "github.com/roamkit/travelroam/travelroamotel":
//
//	name                                        unit       kind       attributes
//	travelroam.client.calls                     {call}     counter    travelroam.call, travelroam.operation, travelroam.outcome
//	travelroam.client.call.duration             s          histogram  travelroam.call, travelroam.operation, travelroam.outcome
//	travelroam.client.attempts                  {attempt}  counter    travelroam.call, travelroam.operation
//	travelroam.client.retries                   {retry}    counter    travelroam.call, travelroam.operation
//	travelroam.client.retry_budget.refusals     {call}     counter    travelroam.call, travelroam.operation
//	travelroam.client.purchases                 {purchase} counter    travelroam.outcome
//	travelroam.client.assignment_wait.duration  s          histogram  travelroam.outcome
//	travelroam.callback.requests                {request}  counter    travelroam.callback.decision, travelroam.callback.reason,
//	                                                                  travelroam.callback.alert_type, http.response.status_code
//	http.client.request.duration                s          histogram  http.request.method, server.address, server.port,
//	                                                                  url.template, http.response.status_code, error.type,
//	                                                                  travelroam.operation
//
// travelroam.client.attempts counts every HTTP attempt (the polls of
// WaitForAssignments included); travelroam.client.retries counts the
// attempts after the first of every call but WaitForAssignments, whose
// later attempts are polls, not retries. travelroam.client.purchases
// counts the ProcessOrder calls (new eSIMs and top-ups) by outcome;
// travelroam.client.assignment_wait.duration is the time of each
// WaitForAssignments call. travelroam.callback.requests counts the
// requests a callback handler answered, by decision (delivered,
// duplicate, in_flight, refused, failed) and reason (method,
// unauthorized, too_large, malformed, handler_error, handler_panic,
// deduper; absent otherwise); an alert type the SDK does not know (a
// constant of travelroam.AlertType: Utilisation, FirstUse, usage, the
// other eSIM notifications and the account ones, LowBalance and
// InsufficientBalance) is reported as "_OTHER", since the request's body
// chooses it. An account notification carries its alert type like any
// other; no attribute ever names an ICCID. http.client.request.duration is the semantic conventions'
// instrument, one data point per attempt.
//
// # Secrets
//
// The SDK's hooks never receive the API key, the client secret, an
// activation code, a matching ID or an ICCID; this package adds nothing
// else: no URL, no query string, no order reference, no header.
package travelroamotel
