package travelroam

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// CallOption configures one call of a [Client] method. Every method of a
// Client that sends a request takes ...CallOption after its arguments;
// the Client's own options ([Option]) stay the defaults of every call:
//
//	var meta travelroam.Response
//	org, err := c.Organisation(ctx,
//		travelroam.WithTimeout(5*time.Second),        // this call only
//		travelroam.WithHeader("X-Proxy-Tenant", "t1"), // one more header
//		travelroam.WithResponseInto(&meta))            // status, header, request id
//
// The options, and the methods that take them:
//   - [WithHeader], [WithTimeout], [WithResponseInto]: every method.
//   - [WithCallRetries]: the reads that retry (not Assignments and
//     WaitForAssignments, which send single attempts, nor the writes,
//     which are never re-sent).
//   - [WithExtraField]: the reads and [Client.RevokeESIM]; never a
//     purchase.
//   - [WithOrderField]: [Client.ProcessOrder] only, so that a field meant
//     for another call cannot change what is bought.
//   - [WithMaxWait], [WithProgress], [WithOrder]:
//     [Client.WaitForAssignments] only.
//
// A method given an option it does not take returns a [*ValidationError]
// and sends nothing; so does an invalid
// option. A nil option is ignored. The Client's [Observer] and logger see
// the call as any other.
type CallOption func(*callConfig) error

// callKind is the set of options a call was given, or a method takes.
type callKind uint8

const (
	kindHeader callKind = 1 << iota
	kindTimeout
	kindRetries
	kindExtra
	kindOrderField
	kindResponse
	kindWait

	kindsCommon   = kindHeader | kindTimeout | kindResponse
	kindsRead     = kindsCommon | kindRetries | kindExtra
	kindsPoll     = kindsCommon | kindExtra // Assignments: single attempts
	kindsWait     = kindsPoll | kindWait
	kindsRevoke   = kindsCommon | kindExtra
	kindsPurchase = kindsCommon | kindOrderField
)

// callConfig is what a call's options say.
type callConfig struct {
	op       string   // the operation, for errors
	used     callKind // the kinds of options given
	header   http.Header
	timeout  time.Duration
	retries  int                        // -1: the Client's
	fields   map[string]json.RawMessage // WithExtraField or WithOrderField
	response *Response
	wait     waitConfig
}

// Response is the metadata of the final answer of a call, filled by
// [WithResponseInto], as net/http's Response without its body.
type Response struct {
	// StatusCode is the final answer's HTTP status; 0 when no answer
	// arrived (or none was needed: [WithOrder]).
	StatusCode int
	// Header is the final answer's header, without the headers that may
	// carry credentials (cookies, authorization, anything naming a key, a
	// secret, a token or a session).
	Header http.Header
	// Attempts is how many HTTP requests the call sent, retries and polls
	// included.
	Attempts int
}

// RequestID returns the request id the server (or a proxy or CDN in
// front of it) put in the answer's header, as [APIError.RequestID] does;
// "" when there is none. Quote it in a support ticket.
func (r Response) RequestID() string { return requestID(r.Header) }

// WithHeader adds the header name: value to the request of this call (a
// second WithHeader of the same name replaces the first). The headers the
// SDK owns cannot be set: the credentials (X-API-KEY, Clientsecret),
// Content-Type, the ones net/http controls (Host, Content-Length,
// Transfer-Encoding, Connection, Accept-Encoding: the SDK would get
// compressed bytes) and Idempotency-Key (net/http would
// replay a request carrying it by itself; Travel Roam has none). The value
// is sent, never logged or put in an error.
func WithHeader(name, value string) CallOption {
	return func(c *callConfig) error {
		c.used |= kindHeader
		if name == "" || strings.IndexFunc(name, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
			return invalid(c.op, "WithHeader", "%s is not an HTTP header name", quoteInput(name))
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return invalid(c.op, "WithHeader", "the value of %s has a line break or a NUL byte", quoteInput(name))
		}
		name = http.CanonicalHeaderKey(name)
		switch strings.ToLower(name) {
		case "x-api-key", "clientsecret", "content-type", "content-length", "host",
			"transfer-encoding", "connection", "accept-encoding", "idempotency-key":
			return invalid(c.op, "WithHeader", "%s is set by the SDK and cannot be replaced", name)
		}
		if c.header == nil {
			c.header = make(http.Header, 1)
		}
		c.header[name] = []string{value}
		return nil
	}
}

// WithTimeout ends this call after d (positive), as a deadline d from now
// on its ctx would: a read then fails with an error matching
// context.DeadlineExceeded, a purchase or a revoke whose request was out
// with an [*OutcomeUnknownError], and [Client.WaitForAssignments] with an
// [*AssignmentsPendingError]. It bounds the whole call, retries and polls
// included; each attempt also keeps the Client's per-attempt timeout.
func WithTimeout(d time.Duration) CallOption {
	return func(c *callConfig) error {
		c.used |= kindTimeout
		if d <= 0 {
			return invalid(c.op, "WithTimeout", "%s is not positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithCallRetries sets how many times this read is retried, between 0
// (one attempt) and 10, instead of the Client's [WithMaxRetries]. Retries
// still draw on the Client's retry budget. Only the reads that retry take
// it: not Assignments or WaitForAssignments (single attempts), nor a
// purchase or a revoke (never re-sent).
func WithCallRetries(n int) CallOption {
	return func(c *callConfig) error {
		c.used |= kindRetries
		if n < 0 || n > maxMaxRetries {
			return invalid(c.op, "WithCallRetries", "%d is not between 0 and %d", n, maxMaxRetries)
		}
		c.retries = n
		return nil
	}
}

// WithExtraField adds the field name, with value encoded as JSON, to what
// this call sends: to its JSON body, or to its query string when the
// operation's route is a GET (see [WithRoute]). It is for a field Travel
// Roam accepts and the SDK does not know yet. Reads and
// [Client.RevokeESIM] take it; a purchase refuses it (use
// [WithOrderField]). A [Secret] or an [ICCID] passed as value is sent
// whole, not masked. A field the SDK sends itself (compared without case:
// "ICCID" is "iccid") cannot be replaced: that is a
// [*ValidationError], as is a value that cannot be encoded.
func WithExtraField(name string, value any) CallOption {
	return fieldOption(kindExtra, "WithExtraField", name, value)
}

// WithOrderField is [WithExtraField] for [Client.ProcessOrder], the only
// method that takes it: a field added to a purchase's body must be meant
// for a purchase. The fields of [OrderRequest] (bundleName, orderType,
// iccid) cannot be replaced.
func WithOrderField(name string, value any) CallOption {
	return fieldOption(kindOrderField, "WithOrderField", name, value)
}

// wireValue is the value a field sends: a [Secret] or an [ICCID] given
// as the value itself is sent whole (its own JSON is the masked text
// meant for logs). Inside a struct, a slice or a map they still marshal
// masked: pass Reveal() or string() there.
func wireValue(value any) any {
	switch v := value.(type) {
	case Secret:
		return v.Reveal()
	case ICCID:
		return string(v)
	}
	return value
}

func fieldOption(kind callKind, option, name string, value any) CallOption {
	return func(c *callConfig) error {
		c.used |= kind
		if strings.TrimSpace(name) == "" {
			return invalid(c.op, option, "empty field name")
		}
		b, err := json.Marshal(wireValue(value))
		if err != nil {
			return invalid(c.op, option, "the value of %s cannot be encoded as JSON", quoteInput(name))
		}
		if c.fields == nil {
			c.fields = make(map[string]json.RawMessage, 1)
		}
		c.fields[name] = b
		return nil
	}
}

// WithResponseInto makes the call fill *r with its final answer's status
// and header and the number of requests it sent (see [Response]), on
// success and, when an answer arrived, on failure too; *r is reset first.
// Read it after the method returns (for [Client.CatalogueAll], after the
// loop: the last page's answer). A nil r is ignored.
func WithResponseInto(r *Response) CallOption {
	return func(c *callConfig) error {
		c.used |= kindResponse
		c.response = r
		return nil
	}
}

// callOptions applies opts for a call of op, which takes the options of
// the kinds in allowed.
func callOptions(op string, allowed callKind, opts []CallOption) (callConfig, error) {
	cfg := callConfig{op: op, retries: -1, wait: waitConfig{maxWait: maxAssignmentsWait}}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return cfg, err
		}
	}
	if bad := cfg.used &^ allowed; bad != 0 {
		return cfg, refusedOption(op, bad&-bad)
	}
	if cfg.response != nil {
		*cfg.response = Response{}
	}
	return cfg, nil
}

// refusedOption is the error of an option of kind k given to a method
// that does not take it.
func refusedOption(op string, k callKind) error {
	switch k {
	case kindRetries:
		return invalid(op, "WithCallRetries", "this call is never retried: a purchase or a revoke is never re-sent, assignments are polled")
	case kindExtra:
		return invalid(op, "WithExtraField", "a purchase takes no extra fields, so that a typo cannot change what is bought: use WithOrderField")
	case kindOrderField:
		return invalid(op, "WithOrderField", "it is for ProcessOrder only: use WithExtraField")
	case kindWait:
		return invalid(op, "wait option", "WithMaxWait, WithProgress and WithOrder are for WaitForAssignments only")
	}
	return invalid(op, "option", "not taken by this call")
}

// context returns ctx bounded by the call's timeout, if any.
func (cfg *callConfig) context(ctx context.Context) (context.Context, context.CancelFunc) {
	if cfg.timeout > 0 {
		return context.WithTimeout(ctx, cfg.timeout)
	}
	return ctx, func() {}
}

// apply puts the call's options on r: its headers, retries, response
// capture and extra fields, merged with r's own (a field r sends cannot
// be replaced).
func (cfg *callConfig) apply(r *request) error {
	r.header, r.meta = cfg.header, cfg.response
	if cfg.retries >= 0 {
		r.retries, r.ownRetries = cfg.retries, true
	}
	if len(cfg.fields) == 0 {
		return nil
	}
	own := map[string]json.RawMessage{}
	if r.fields != nil {
		b, err := json.Marshal(r.fields)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &own); err != nil {
			return err
		}
	}
	taken := sdkFields(r.op)
	for name := range own {
		taken = append(taken, name)
	}
	for name := range r.query {
		taken = append(taken, name)
	}
	merged := make(map[string]json.RawMessage, len(own)+len(cfg.fields))
	for name, v := range cfg.fields {
		for _, t := range taken {
			if strings.EqualFold(strings.TrimSpace(name), t) {
				option := "WithExtraField"
				if cfg.used&kindOrderField != 0 {
					option = "WithOrderField"
				}
				return invalid(cfg.op, option, "%s is a field the SDK sends: it cannot be replaced", quoteInput(name))
			}
		}
		merged[name] = v
	}
	for name, v := range own {
		merged[name] = v
	}
	r.fields = merged
	return nil
}

// sdkFields names the fields the SDK may send for op, set or not.
func sdkFields(op Operation) []string {
	switch op {
	case OpCatalogue:
		return []string{"countries", "region", "description", "page", "perPage"}
	case OpBundle:
		return []string{"bundleName"}
	case OpProcessOrder:
		return []string{"bundleName", "orderType", "iccid"}
	case OpAssignments:
		return []string{"orderReference"}
	case OpESIMDetails, OpAppliedBundles, OpLocation, OpRevokeESIM:
		return []string{"iccid"}
	}
	return nil
}

// capture records an answer (nil: none arrived) and the requests sent in
// r's response capture, if any. Attempts add up over the requests of one
// call (the polls of a wait, the pages of a walk).
func (r request) capture(resp *response, attempts int) {
	if r.meta == nil {
		return
	}
	r.meta.Attempts += attempts
	if resp != nil {
		r.meta.StatusCode, r.meta.Header = resp.status, responseHeader(resp.header, r.redact)
	}
}

// prepareCall applies opts to r, a call of op that takes the options in
// allowed, and returns ctx bounded by the call's timeout. Nothing is sent
// when it fails.
func prepareCall(ctx context.Context, r *request, op string, allowed callKind, opts []CallOption) (context.Context, context.CancelFunc, error) {
	if len(opts) == 0 {
		return ctx, func() {}, nil
	}
	cfg, err := callOptions(op, allowed, opts)
	if err != nil {
		return ctx, nil, err
	}
	if err := cfg.apply(r); err != nil {
		return ctx, nil, err
	}
	ctx, cancel := cfg.context(ctx)
	return ctx, cancel, nil
}
