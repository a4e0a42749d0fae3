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

// CallbackStatus returns the HTTP status to answer for an error of
// [ParseCallback]: 200 for nil, 405, 413, 401 or 400 for its sentinels
// ([ErrCallbackMethod], [ErrCallbackTooLarge], [ErrCallbackUnauthorized],
// [ErrCallbackMalformed]), and 500 for anything else (such as a bad option).
func CallbackStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrCallbackMethod):
		return http.StatusMethodNotAllowed
	case errors.Is(err, ErrCallbackTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrCallbackUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrCallbackMalformed):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// Callback defaults.
const (
	// DefaultCallbackMaxBytes is the default body limit of a callback.
	DefaultCallbackMaxBytes = 64 << 10
	// DefaultSignatureHeader is the default header carrying the signature.
	DefaultSignatureHeader = "X-Signature-SHA256"

	maxSignatureHeader = 256 // longer header values are refused unread
	maxSignatureValues = 4   // header lines looked at
	minCallbackToken   = 16  // characters; 16 random ones carry ≥ 80 bits
	callbackRetryAfter = "5" // seconds, for 503 answers
)

// ParseCallback checks and decodes a usage callback, for users who route
// requests themselves. It makes the same checks as the handler of
// [NewCallbackHandler], in this order: the method (POST), the token, the
// body size, the signature, then the JSON. Its errors match
// [ErrCallbackMethod], [ErrCallbackUnauthorized], [ErrCallbackTooLarge]
// or [ErrCallbackMalformed]; [CallbackStatus] turns them into a status.
// It does not deduplicate: use [CallbackEvent.DedupeKey] with your store.
// Options about delivery ([WithCallbackDeduper], [WithCallbackLogger]) are
// ignored. It reads r.Body but does not close it.
func ParseCallback(r *http.Request, opts ...CallbackOption) (*CallbackEvent, error) {
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
		return nil, ErrCallbackMethod
	}
	if c.tokenFrom != nil && !c.tokenOK(c.tokenFrom(r)) {
		return nil, fmt.Errorf("%w: missing or wrong token", ErrCallbackUnauthorized)
	}
	raw, err := readCallbackBody(r.ContentLength, body, c.maxBytes)
	if err != nil {
		return nil, err
	}
	if len(c.keys) > 0 && !verifyHeaderValues(raw, r.Header.Values(c.sigHeader), c.keys) {
		return nil, fmt.Errorf("%w: missing or invalid signature", ErrCallbackUnauthorized)
	}
	return decodeCallback(raw)
}

// readCallbackBody reads at most limit+1 bytes, and none when the
// declared length is already over the limit. A declared length within the
// limit is read into one buffer of that size; a body of unknown length
// over the limit costs about the limit in memory (see readUnsized).
func readCallbackBody(declared int64, body io.Reader, limit int64) ([]byte, error) {
	if declared > limit {
		return nil, ErrCallbackTooLarge
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
		return nil, ErrCallbackTooLarge
	case err != nil:
		return nil, fmt.Errorf("%w: reading body: %s", ErrCallbackMalformed, redact.Digits(err.Error()))
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
// [AlertLowBalance] and [AlertInsufficientBalance] name no eSIM (see
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
// Duplicates are filtered by an in-memory [MemoryDeduper] (10,000 keys, 72
// hours) unless [WithCallbackDeduper] says otherwise; use a shared, durable
// Deduper when several processes receive callbacks.
//
// The http.Server around it must set ReadHeaderTimeout, ReadTimeout and
// WriteTimeout (see examples/callback-server). NewCallbackHandler panics
// if fn is nil or an option is invalid (an empty or short token, an empty
// key): a misconfigured receiver must not start.
func NewCallbackHandler(fn func(context.Context, *CallbackEvent) error, opts ...CallbackOption) http.Handler {
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
	status := CallbackStatus(err)
	h.cfg.logger.Warn("travelroam: callback rejected", "status", status, "reason", redact.Digits(err.Error()))
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	writeCallbackStatus(w, status)
	return CallbackDecision{Decision: CallbackRefused, Reason: refusalReason(err), Status: status}
}

// refusalReason names the reason of a refusal for an Observer.
func refusalReason(err error) string {
	switch {
	case errors.Is(err, ErrCallbackMethod):
		return "method"
	case errors.Is(err, ErrCallbackUnauthorized):
		return "unauthorized"
	case errors.Is(err, ErrCallbackTooLarge):
		return "too_large"
	case errors.Is(err, ErrCallbackMalformed):
		return "malformed"
	}
	return "invalid"
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
		return CallbackDecision{Decision: CallbackFailed, Reason: "deduper", Status: http.StatusServiceUnavailable}
	case state == DedupeInFlight:
		log.Info("travelroam: duplicate callback while the first is in progress, asking for redelivery")
		writeRetryLater(w)
		return CallbackDecision{Decision: CallbackInFlight, Status: http.StatusServiceUnavailable}
	case state == DedupeSeen:
		log.Info("travelroam: duplicate callback acknowledged without calling the handler")
		writeCallbackStatus(w, http.StatusOK)
		return CallbackDecision{Decision: CallbackDuplicate, Status: http.StatusOK}
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
		return CallbackDecision{Decision: CallbackFailed, Reason: "handler_panic", Status: http.StatusInternalServerError}
	case fnErr != nil:
		writeCallbackStatus(w, http.StatusInternalServerError)
		return CallbackDecision{Decision: CallbackFailed, Reason: "handler_error", Status: http.StatusInternalServerError}
	}
	writeCallbackStatus(w, http.StatusOK)
	return CallbackDecision{Decision: CallbackDelivered, Status: http.StatusOK}
}

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
