package travelroam

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/roamkit/travelroam/internal/redact"
)

// CallbackError is the error of [ParseCallback] for a request that is not
// a callback the handler of [NewCallbackHandler] would accept; match it
// with [errors.As]. Errors of a bad option are not CallbackErrors.
type CallbackError struct {
	// StatusCode is the HTTP status the handler answers: 405 for a method
	// other than POST, 401 when a configured token or signature is
	// missing or wrong, 413 for a body over the limit, 400 for a body
	// that is not a usage event or could not be read.
	StatusCode int
	// Reason is the short reason an [Observer] receives in
	// [CallbackDecision]: "method", "unauthorized", "too_large" or
	// "malformed".
	Reason string
	// Err is the error that stopped reading the body, if that is what
	// happened; nil otherwise.
	Err error

	detail string // what went wrong, digits masked
}

// Error returns "travelroam: callback: <what>[: <detail>]", with
// ICCID-like numbers masked.
func (e *CallbackError) Error() string {
	var what string
	switch e.Reason {
	case reasonMethod:
		what = "method not allowed"
	case reasonTooLarge:
		what = "body too large"
	default:
		what = e.Reason
	}
	s := "travelroam: callback: " + what
	if e.detail != "" {
		s += ": " + e.detail
	}
	return s
}

// Unwrap returns Err.
func (e *CallbackError) Unwrap() error { return e.Err }

// Reasons of a refused callback.
const (
	reasonMethod       = "method"
	reasonUnauthorized = "unauthorized"
	reasonTooLarge     = "too_large"
	reasonMalformed    = "malformed"
)

func callbackError(status int, reason, detail string) *CallbackError {
	return &CallbackError{StatusCode: status, Reason: reason, detail: detail}
}

func malformed(format string, args ...any) *CallbackError {
	return callbackError(http.StatusBadRequest, reasonMalformed, fmt.Sprintf(format, args...))
}

func callbackUnauthorized(detail string) *CallbackError {
	return callbackError(http.StatusUnauthorized, reasonUnauthorized, detail)
}

func callbackTooLarge() *CallbackError {
	return callbackError(http.StatusRequestEntityTooLarge, reasonTooLarge, "")
}

// Callback defaults.
const (
	defaultCallbackMaxBytes = 64 << 10             // see WithCallbackMaxBytes
	defaultSignatureHeader  = "X-Signature-SHA256" // see WithCallbackSignature

	maxSignatureHeader = 256 // longer header values are refused unread
	maxSignatureValues = 4   // header lines looked at
	minCallbackToken   = 16  // characters; 16 random ones carry ≥ 80 bits
	callbackRetryAfter = "5" // seconds, for 503 answers
)

// ParseCallback checks and decodes a usage callback, for users who route
// requests themselves. It makes the same checks as the handler of
// [NewCallbackHandler], in this order: the method (POST), the token, the
// body size, the signature, then the JSON. A request the handler would
// refuse is a [*CallbackError] whose StatusCode is the handler's answer;
// a bad option, or one that configures a [Client] only, is another error.
// It does not deduplicate: use [CallbackEvent.DedupeKey] with your store.
// Options about delivery ([WithCallbackDeduper], [WithLogger],
// [WithObserver]) are accepted and ignored. It reads r.Body but does not
// close it.
func ParseCallback(r *http.Request, opts ...Option) (*CallbackEvent, error) {
	cfg, err := newCallbackConfig(opts)
	if err != nil {
		return nil, err
	}
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	return cfg.parse(r, body)
}

func (c *callbackConfig) parse(r *http.Request, body io.Reader) (*CallbackEvent, error) {
	if r.Method != http.MethodPost {
		return nil, callbackError(http.StatusMethodNotAllowed, reasonMethod, "")
	}
	if c.tokenFrom != nil && !c.tokenOK(c.tokenFrom(r)) {
		return nil, callbackUnauthorized("missing or wrong token")
	}
	raw, err := readCallbackBody(r.ContentLength, body, c.maxBytes)
	if err != nil {
		return nil, err
	}
	if len(c.keys) > 0 && !verifyHeaderValues(raw, r.Header.Values(c.sigHeader), c.keys) {
		return nil, callbackUnauthorized("missing or invalid signature")
	}
	return decodeCallback(raw)
}

// readCallbackBody reads at most limit+1 bytes, and none when the
// declared length is already over the limit. A declared length within the
// limit is read into one buffer of that size; a body of unknown length
// over the limit costs about the limit in memory (see readUnsized).
func readCallbackBody(declared int64, body io.Reader, limit int64) ([]byte, error) {
	if declared > limit {
		return nil, callbackTooLarge()
	}
	var b []byte
	var err error
	if declared > 0 {
		// The usual case: one allocation of the declared size. net/http
		// holds the body to its Content-Length.
		b = make([]byte, declared)
		_, err = io.ReadFull(body, b)
	} else {
		b, err = readUnsized(body, limit, false)
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, ErrResponseTooLarge):
		return nil, callbackTooLarge()
	case err != nil:
		e := malformed("reading body: %s", redact.Digits(err.Error()))
		e.Err = err
		return nil, e
	}
	return b, nil
}

// tokenOK compares got with every configured token in constant time:
// both sides are hashed first, so neither the length nor the content of
// a token shows in the timing, and all tokens are always compared.
func (c *callbackConfig) tokenOK(got string) bool {
	sum := sha256.Sum256([]byte(got))
	ok := false
	for _, want := range c.tokens {
		ok = hmac.Equal(sum[:], want[:]) || ok
	}
	return ok && got != ""
}

// NewCallbackHandler returns an http.Handler that receives Travel Roam
// usage callbacks and calls fn once per event.
//
// Answers (short constant text bodies):
//   - 405 with "Allow: POST" for any other method;
//   - 401 when a configured token or signature is missing or wrong (fn is
//     not called);
//   - 413 for a body over the limit ([WithCallbackMaxBytes], 64 KiB by
//     default), without reading it all;
//   - 400 for a body that is not a JSON object, whose ICCID is not 1 to
//     32 digits, or that has neither an ICCID nor a type (alertType or
//     event); unknown alert types are delivered, not rejected;
//   - 200 once fn returned nil, or for a duplicate of an event fn already
//     accepted (fn is not called again);
//   - 503 with "Retry-After: 5" while a duplicate of the event is still
//     in fn, or when the [Deduper] fails, so the provider delivers again
//     later;
//   - 500 when fn returns an error or panics (the panic is recovered and
//     logged without the body), so the provider delivers again.
//
// An event's ICCID may be empty: account notifications such as
// "LowBalance" and "InsufficientBalance" events name no eSIM (see
// [CallbackEvent.IsAccountEvent]); they are delivered like the others.
//
// fn receives r.Context(); it should hand the event to durable storage
// quickly and return, as providers give up on slow endpoints. A 200 is
// only sent after fn returned nil, so an acknowledged event is never lost.
//
// Authentication is off unless you configure it. Without
// [WithCallbackQueryToken], [WithCallbackPathToken] or
// [WithCallbackSignature] the handler accepts unauthenticated callbacks:
// anyone who learns the URL can post fake events. Treat every event as a
// hint, and re-read the state through the API (the eSIM's applied
// bundles or details) before moving money or telling a customer that
// their data ran out. To authenticate, put a long random secret in the
// callback URL you register with Travel Roam and check it with a token
// option; enable signatures too if your account signs callbacks.
//
// Duplicates are filtered by an in-memory [NewMemoryDeduper] (10,000 keys, 72
// hours) unless [WithCallbackDeduper] says otherwise; use a shared, durable
// Deduper when several processes receive callbacks.
//
// It takes the WithCallback… options, [WithLogger] (rejections, failures
// and duplicates, deliveries at debug level; never the body, a full
// ICCID, a token or a signature) and [WithObserver] (its Callback hook).
//
// The http.Server around it must set ReadHeaderTimeout, ReadTimeout and
// WriteTimeout (see examples/callback-server). NewCallbackHandler panics
// if fn is nil or an option is invalid (an empty or short token, an empty
// key) or configures a [Client] only: a misconfigured receiver must not
// start.
func NewCallbackHandler(fn func(context.Context, *CallbackEvent) error, opts ...Option) http.Handler {
	if fn == nil {
		panic("travelroam: NewCallbackHandler: nil callback function")
	}
	cfg, err := newCallbackConfig(opts)
	if err != nil {
		panic("travelroam: NewCallbackHandler: " + err.Error())
	}
	if !cfg.dedupeSet {
		cfg.deduper = NewMemoryDeduper(0, 0)
	}
	return &callbackHandler{cfg: cfg, fn: fn}
}

type callbackHandler struct {
	cfg *callbackConfig
	fn  func(context.Context, *CallbackEvent) error
}

func (h *callbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	var d CallbackDecision
	ev, err := h.cfg.parse(r, http.MaxBytesReader(w, body, h.cfg.maxBytes))
	switch {
	case err != nil:
		d = h.reject(w, err)
	case h.cfg.deduper == nil:
		d = h.respondAfterCall(r.Context(), w, ev)
	default:
		d = h.deliverOnce(r.Context(), w, ev)
	}
	if o := h.cfg.observer; o != nil && o.Callback != nil {
		if ev != nil {
			d.AlertType = ev.AlertType
		}
		d.Duration = time.Since(start)
		o.Callback(r.Context(), d)
	}
}

func (h *callbackHandler) reject(w http.ResponseWriter, err error) CallbackDecision {
	status, reason := http.StatusInternalServerError, "invalid"
	if ce := (*CallbackError)(nil); errors.As(err, &ce) {
		status, reason = ce.StatusCode, ce.Reason
	}
	h.cfg.logger.Warn("travelroam: callback rejected", "status", status, "reason", redact.Digits(err.Error()))
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	writeCallbackStatus(w, status)
	return CallbackDecision{Decision: decisionRefused, Reason: reason, Status: status}
}

// deliverOnce reserves the event's key, calls fn, and commits the key on
// success or releases it on failure, before answering.
func (h *callbackHandler) deliverOnce(ctx context.Context, w http.ResponseWriter, ev *CallbackEvent) CallbackDecision {
	key := ev.DedupeKey()
	state, token, err := h.cfg.deduper.Begin(ctx, key)
	log := &eventLog{base: h.cfg.logger, ev: ev}
	switch {
	case err != nil || (state != DedupeNew && state != DedupeInFlight && state != DedupeSeen):
		log.Error("travelroam: callback deduper failed, asking for redelivery", "error", safeLogError(err))
		writeRetryLater(w)
		return CallbackDecision{Decision: decisionFailed, Reason: "deduper", Status: http.StatusServiceUnavailable}
	case state == DedupeInFlight:
		log.Info("travelroam: duplicate callback while the first is in progress, asking for redelivery")
		writeRetryLater(w)
		return CallbackDecision{Decision: decisionInFlight, Status: http.StatusServiceUnavailable}
	case state == DedupeSeen:
		log.Info("travelroam: duplicate callback acknowledged without calling the handler")
		writeCallbackStatus(w, http.StatusOK)
		return CallbackDecision{Decision: decisionDuplicate, Status: http.StatusOK}
	}
	fnErr := h.call(ctx, ev, log)
	if err := h.cfg.deduper.Done(context.WithoutCancel(ctx), key, token, fnErr == nil); err != nil {
		log.Error("travelroam: callback deduper could not record the outcome", "error", safeLogError(err))
	}
	return h.answer(w, fnErr)
}

func (h *callbackHandler) respondAfterCall(ctx context.Context, w http.ResponseWriter, ev *CallbackEvent) CallbackDecision {
	return h.answer(w, h.call(ctx, ev, &eventLog{base: h.cfg.logger, ev: ev}))
}

// eventLog logs about one event with its masked ICCID and alert type. It
// builds that logger only for a record the handler would log: most
// deliveries log nothing at the level a server runs at.
type eventLog struct {
	base *slog.Logger
	ev   *CallbackEvent
	l    *slog.Logger
}

func (e *eventLog) Error(msg string, args ...any) { e.log(slog.LevelError, msg, args) }
func (e *eventLog) Info(msg string, args ...any)  { e.log(slog.LevelInfo, msg, args) }
func (e *eventLog) Debug(msg string, args ...any) { e.log(slog.LevelDebug, msg, args) }

func (e *eventLog) log(level slog.Level, msg string, args []any) {
	ctx := context.Background()
	if !e.base.Enabled(ctx, level) {
		return
	}
	if e.l == nil {
		if e.ev.IsAccountEvent() {
			e.l = e.base.With("alert_type", safeLogText(string(e.ev.AlertType)))
		} else {
			e.l = e.base.With("iccid", e.ev.ICCID.String(), "alert_type", safeLogText(string(e.ev.AlertType)))
		}
	}
	var pcs [1]uintptr
	runtime.Callers(3, pcs[:]) // the caller of Error, Info or Debug
	r := slog.NewRecord(time.Now(), level, msg, pcs[0])
	r.Add(args...)
	_ = e.l.Handler().Handle(ctx, r)
}

func (h *callbackHandler) answer(w http.ResponseWriter, fnErr error) CallbackDecision {
	switch {
	case errors.Is(fnErr, errCallbackPanic):
		writeCallbackStatus(w, http.StatusInternalServerError)
		return CallbackDecision{Decision: decisionFailed, Reason: "handler_panic", Status: http.StatusInternalServerError}
	case fnErr != nil:
		writeCallbackStatus(w, http.StatusInternalServerError)
		return CallbackDecision{Decision: decisionFailed, Reason: "handler_error", Status: http.StatusInternalServerError}
	}
	writeCallbackStatus(w, http.StatusOK)
	return CallbackDecision{Decision: decisionDelivered, Status: http.StatusOK}
}

// Decisions of a callback handler (see [CallbackDecision]).
const (
	decisionDelivered = "delivered"
	decisionDuplicate = "duplicate"
	decisionInFlight  = "in_flight"
	decisionRefused   = "refused"
	decisionFailed    = "failed"
)

// errCallbackPanic stands for a recovered panic of the user's function.
var errCallbackPanic = errors.New("travelroam: callback function panicked")

// call runs fn, turning a panic into an error, and logs the outcome.
func (h *callbackHandler) call(ctx context.Context, ev *CallbackEvent, log *eventLog) (err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("travelroam: callback function panicked", "panic", panicText(v), "stack", string(debug.Stack()))
			err = errCallbackPanic
		}
	}()
	if !ev.AlertType.Known() {
		log.Info("travelroam: callback with an unknown alert type, delivered")
	}
	if err = h.fn(ctx, ev); err != nil {
		log.Error("travelroam: callback function failed, asking for redelivery", "error", safeLogError(err))
		return err
	}
	log.Debug("travelroam: callback delivered")
	return nil
}

// panicText describes a panic value without dumping arbitrary data: the
// message of an error or a string (cut, digits masked), else the type.
func panicText(v any) string {
	switch p := v.(type) {
	case error:
		return safeLogText(p.Error())
	case string:
		return safeLogText(p)
	}
	return fmt.Sprintf("%T", v)
}

func safeLogError(err error) string {
	if err == nil {
		return "unknown dedupe state"
	}
	return safeLogText(err.Error())
}

// safeLogText cuts s to 200 bytes and masks secrets (internal/redact).
func safeLogText(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	q := strconv.QuoteToGraphic(redact.Text(s))
	return q[1 : len(q)-1]
}

func writeRetryLater(w http.ResponseWriter) {
	w.Header().Set("Retry-After", callbackRetryAfter)
	writeCallbackStatus(w, http.StatusServiceUnavailable)
}

func writeCallbackStatus(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, callbackStatusText(status))
}

func callbackStatusText(status int) string {
	switch status {
	case http.StatusOK:
		return "ok\n"
	case http.StatusServiceUnavailable:
		return "busy, retry later\n"
	case http.StatusInternalServerError:
		return "internal error, retry later\n"
	}
	return strings.ToLower(http.StatusText(status)) + "\n"
}
