// The purchase path: ProcessOrder validates the request, records the
// attempt in the journal, waits for the gate, sends, settles the answer
// and records the outcome. Each step is one function below, in that
// order; the nouns (OrderRequest, Order) are in orders.go, the journal
// and its recovery API in purchase_journal.go, the gate in
// purchase_gate.go.

package travelroam

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Times of the purchase gate and journal.
const (
	// maxLeaseMargin is the most a purchase's lease exceeds the write
	// timeout (W): the lease is W + min(W, 30 s), and the send of the
	// purchase, re-sends before anything was sent included, is cut at
	// W + min(W, 30 s)/2. So no request of a purchase is out during the
	// last part of its lease, left for the release and for clocks that
	// differ between the processes and the store. A process that dies
	// holding the account blocks it for that lease plus the interval: 2
	// minutes and 5 s with the defaults.
	maxLeaseMargin = 30 * time.Second
	// storeCleanupTimeout bounds the release of a permit and the record of
	// an outcome, which run even when the call's context has ended.
	storeCleanupTimeout = 30 * time.Second
	// lostReplyTimeout bounds the record, as not sent, of an attempt
	// whose Begin failed (its answer may have been lost after the
	// commit): short, as the stores' own release of a lost reply, since
	// the journal may be down and the caller waits for it.
	lostReplyTimeout = 5 * time.Second
	// maxPurchaseKey is the longest OrderRequest.Key accepted, in bytes.
	maxPurchaseKey = 256
	// autoKeyPrefix starts the Key the SDK generates for a purchase made
	// without one.
	autoKeyPrefix = "auto-"
)

type processOrderBody struct {
	BundleName string `json:"bundleName"`
	OrderType  string `json:"orderType"`
	ICCID      string `json:"iccid,omitempty"`
}

// ProcessOrder buys a new eSIM (req.ICCID empty) or tops up an eSIM
// (req.ICCID set) with req.BundleName. Real money moves: the price is
// taken from the wallet of the Client's environment.
//
// In order, it:
//  1. checks req (nothing is recorded or sent for bad input);
//  2. records the attempt in the Client's [PurchaseJournal] under its
//     account and req.Key, with a new random attempt ID; if the journal
//     already holds that account and Key with an outcome that
//     may have bought something (pending, unknown, succeeded), nothing is
//     sent and the error is an [*AlreadyAttemptedError] carrying the
//     earlier attempt;
//  3. waits for the account's turn at the [PurchaseGate]: one purchase
//     at a time per account, each starting at least the purchase interval
//     (5 s by default, see [WithPurchaseInterval]) after the previous one
//     ended, across every Client and process sharing the gate; the wait
//     honours ctx;
//  4. sends the purchase, frees the gate as soon as the answer is in
//     (also if the transport panics), and records the outcome in the
//     journal: succeeded with the order reference, refused, not sent or
//     unknown.
//
// With a [PurchaseLedger] (one store that keeps both, as the in-memory
// default does; see [WithPurchaseLedger]) steps 2 and 3 are one: the
// attempt is recorded in the transaction that claims the account's turn,
// once the turn is free, and step 4 frees the turn and records the
// outcome in one transaction.
//
// By default the gate and the journal are in memory, per Client: use
// [WithPurchaseLedger] (or [WithPurchaseGate] and [WithPurchaseJournal])
// with a shared store when several processes buy with one API key (see
// the README's "Running several replicas"). If recording the outcome
// fails after a purchase succeeded, the order is still returned (money
// moved) and the failure is logged to the Client's logger at error level;
// the attempt stays pending in the journal.
//
// The SDK never re-sends a purchase whose bytes may have reached the
// server; it re-sends (at most twice) only when the connection provably
// failed before anything was sent. The errors to expect:
//   - [*ValidationError]: nothing was sent.
//   - [*AlreadyAttemptedError]: the Key was already
//     attempted; nothing was sent. Its doc says what to do.
//   - an error matching [ErrNotSent]: nothing was sent (the journal or
//     the gate failed, ctx ended while waiting for the gate, or the
//     connection failed before sending); the same Key may be bought again.
//   - [*APIError] matching [ErrUnavailable] (503) or [ErrRateLimited]
//     (429): the order was not processed; try again after RetryAfter.
//   - other [*APIError] (4xx): refused, e.g. unknown bundle, insufficient
//     balance or an incompatible top-up.
//   - [*OutcomeUnknownError]: the order may or may not
//     exist (timeout or reset after sending, 500/502/504, an unreadable
//     answer, ctx ending while the request was out). Read its doc before
//     buying again; the journal refuses the same Key until the outcome is
//     resolved ([Client.ResolvePurchase]).
//
// On success, pass Order.Reference to [Client.WaitForAssignments].
func (c *Client) ProcessOrder(ctx context.Context, req OrderRequest, opts ...CallOption) (*Order, error) {
	// validate: nothing is recorded or sent for bad input
	body, err := req.body()
	if err != nil {
		return nil, err
	}
	key, err := req.purchaseKey()
	if err != nil {
		return nil, err
	}
	r := c.newRequest(OpProcessOrder, body)
	ctx, cancel, err := prepareCall(ctx, &r, OpProcessOrder.label(), kindsPurchase, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	ctx, r.call = c.startCall(ctx, c.routes[OpProcessOrder].call, r)
	order, err := c.processOrder(ctx, key, r, writeCall{op: OpProcessOrder.label(), key: key, bundleName: req.BundleName, iccid: req.ICCID, needBody: true})
	r.call.end(err)
	return order, err
}

// processOrder is ProcessOrder once the request is built and observed:
// the journal around the gate and the send.
func (c *Client) processOrder(ctx context.Context, key string, r request, call writeCall) (*Order, error) {
	if c.ledger != nil {
		return c.processOrderLedger(ctx, key, r, call)
	}
	// journal: the attempt is recorded before anything is sent
	attempt, err := c.beginPurchase(ctx, call, key)
	if err != nil {
		return nil, err
	}
	finished := false
	defer func() {
		if !finished { // the gate or the transport panicked: it may have been sent
			c.finishPurchase(ctx, attempt, OutcomeUnknown, "")
		}
	}()
	// gate, send, settle
	order, err := c.sendPurchase(ctx, r, call, attempt)
	finished = true
	var taken *attemptTakenError
	if errors.As(err, &taken) { // nothing sent, and the journal's attempt is no longer this call's to finish
		return nil, taken.err
	}
	// finish: the outcome is recorded whatever it is
	outcome, ref := purchaseOutcome(order, err)
	c.finishPurchase(ctx, attempt, outcome, ref)
	return order, err
}

// processOrderLedger is processOrder with a PurchaseLedger: the attempt
// is recorded in the transaction that claims the account's turn, and the
// turn is freed in the transaction that records the outcome. There is no
// wait at the gate with the attempt pending (nothing to re-check before
// sending), and no instant in which the account is free while the
// attempt looks pending to a resolver.
func (c *Client) processOrderLedger(ctx context.Context, key string, r request, call writeCall) (*Order, error) {
	a := c.newAttempt(call, key)
	earlier, p, err := c.ledger.BeginAcquire(ctx, a, c.purchaseInterval, c.purchaseLease)
	if err == nil && p == nil && !earlier.Outcome.MayHaveBought() {
		err = errNoRefusal // a store failure, as a gate without a permit
	}
	if err != nil {
		c.forgetBegin(ctx, a)
		return nil, call.notSent(fmt.Errorf("recording the attempt in the purchase ledger: %w", err))
	}
	if p == nil {
		return nil, c.alreadyAttempted(earlier, key)
	}
	finished := false
	defer func() {
		if !finished { // the transport panicked: it may have been sent
			c.releaseFinish(ctx, p, a, OutcomeUnknown, "")
		}
	}()
	order, err := c.send(ctx, r, call, func() {})
	finished = true
	outcome, ref := purchaseOutcome(order, err)
	c.releaseFinish(ctx, p, a, outcome, ref)
	return order, err
}

func (req OrderRequest) body() (processOrderBody, error) {
	name := strings.TrimSpace(req.BundleName)
	if name == "" {
		return processOrderBody{}, invalid(OpProcessOrder.label(), "BundleName", "empty: pass a bundle Name from the catalogue")
	}
	if name != req.BundleName {
		return processOrderBody{}, invalid(OpProcessOrder.label(), "BundleName", "has leading or trailing spaces; bundle names are exact")
	}
	if i := strings.IndexFunc(name, func(r rune) bool {
		return r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
	}); i >= 0 {
		// JSON would send U+FFFD for a byte that is not UTF-8, so the
		// request would name another bundle than the journal records.
		return processOrderBody{}, invalid(OpProcessOrder.label(), "BundleName", "holds a control or invisible character or a byte that is not UTF-8 at byte %d; bundle names are exact", i)
	}
	if req.ICCID != "" {
		if err := checkICCID(OpProcessOrder.label(), req.ICCID); err != nil {
			return processOrderBody{}, err
		}
	}
	t := req.OrderType
	if t == "" {
		t = orderTypeCountry
	}
	return processOrderBody{BundleName: req.BundleName, OrderType: t, ICCID: string(req.ICCID)}, nil
}

// purchaseKey returns the Key of the purchase: req.Key, checked, or a new
// random one when it is empty.
//
// Why generate one rather than skip the journal: every purchase is then
// recorded before it is sent, so that after a crash a recovery job finds
// the attempt (bundle, ICCID, time) among [Client.UnfinishedPurchases]
// whether or not the application gave a Key. What a generated Key cannot
// do is stop the application's own retry, which comes with a new one: only
// a Key of the application's does that.
func (req OrderRequest) purchaseKey() (string, error) {
	k := req.Key
	if k == "" {
		return autoKeyPrefix + rand.Text(), nil
	}
	switch {
	case len(k) > maxPurchaseKey:
		return "", invalid(OpProcessOrder.label(), "Key", "longer than %d bytes", maxPurchaseKey)
	case strings.TrimSpace(k) != k:
		return "", invalid(OpProcessOrder.label(), "Key", "has leading or trailing spaces; keys are exact")
	case !utf8.ValidString(k) || strings.IndexFunc(k, unicode.IsControl) >= 0:
		return "", invalid(OpProcessOrder.label(), "Key", "must be UTF-8 text without control characters")
	}
	return k, nil
}

// beginPurchase records the attempt, under a new random ID, in the
// journal before anything is sent, and returns it. It returns an
// *AlreadyAttemptedError when the journal holds the account and key with
// an outcome that may have bought, and an error matching ErrNotSent when
// the journal fails.
func (c *Client) beginPurchase(ctx context.Context, call writeCall, key string) (PurchaseAttempt, error) {
	a := c.newAttempt(call, key)
	earlier, ok, err := c.journal.Begin(ctx, a)
	if err == nil && !ok && !earlier.Outcome.MayHaveBought() {
		err = errNoRefusal
	}
	if err != nil {
		c.forgetBegin(ctx, a)
		return a, call.notSent(fmt.Errorf("recording the attempt in the purchase journal: %w", err))
	}
	if !ok {
		return a, c.alreadyAttempted(earlier, key)
	}
	return a, nil
}

// errNoRefusal is the error of a journal or ledger that refused a
// purchase without the earlier attempt that may have bought: nothing to
// examine or resolve, so not an *AlreadyAttemptedError but a store
// failure (nothing was sent; the Key may be bought again).
var errNoRefusal = errors.New("the store refused the attempt without an earlier one that may have bought")

// newAttempt returns the attempt of a purchase with key, under a new
// random ID.
func (c *Client) newAttempt(call writeCall, key string) PurchaseAttempt {
	return PurchaseAttempt{
		Key: key, Account: c.account, ID: rand.Text(), BundleName: call.bundleName, ICCID: call.iccid, Environment: c.environment,
	}
}

// alreadyAttempted is the error of a purchase refused because the
// journal holds earlier under its account and key.
func (c *Client) alreadyAttempted(earlier PurchaseAttempt, key string) error {
	if earlier.Key == "" {
		earlier.Key = key
	}
	if earlier.Account == "" {
		earlier.Account = c.account
	}
	return &AlreadyAttemptedError{Attempt: earlier}
}

// forgetBegin records attempt a as not sent after its Begin failed: the
// store may have committed it and lost its answer (a dropped connection,
// ctx ending after the commit), and the caller is told that nothing was
// sent and the Key may be bought again, which a pending attempt would
// refuse. Fenced by a's ID and by its outcome still being pending, it
// changes nothing when Begin recorded nothing (ErrNoAttempt, or another
// attempt's ID), and nothing was sent: the gate was not even asked.
// Errors are ignored: the journal may well be down.
func (c *Client) forgetBegin(ctx context.Context, a PurchaseAttempt) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lostReplyTimeout)
	defer cancel()
	a.Outcome = OutcomePending
	_ = c.journal.Finish(fctx, a, OutcomeNotSent, "", time.Time{})
}

// acquirePurchase waits for the account's turn at the purchase gate. The
// returned release frees it (on a context that outlives ctx's end); it is
// safe to call more than once.
func (c *Client) acquirePurchase(ctx context.Context) (release func(), err error) {
	p, err := c.gate.Acquire(ctx, c.account, c.purchaseInterval, c.purchaseLease)
	if err == nil && p == nil {
		err = errors.New("the gate returned no permit")
	}
	if err != nil {
		return nil, fmt.Errorf("waiting for the purchase gate: %w", err)
	}
	return func() {
		rctx, cancel := cleanupContext(ctx, p)
		defer cancel()
		if err := p.Release(rctx); err != nil {
			c.logger.LogAttrs(ctx, slog.LevelWarn, "travelroam: purchase gate: release failed; the account stays held until the lease ends",
				slog.String("account", c.account), slog.Duration("lease", c.purchaseLease), slog.String("error", err.Error()))
		}
	}, nil
}

// attemptTakenError is what stillPending returns when the attempt is no
// longer this call's: err is the error for the caller; the journal is
// left as it is.
type attemptTakenError struct{ err error }

func (e *attemptTakenError) Error() string { return e.err.Error() }

func (e *attemptTakenError) Unwrap() error { return e.err }

// stillPending checks, once the gate is the call's and before anything is
// sent, that the journal still holds attempt a, pending. A purchase may
// wait at the gate behind others for longer than the purchase lease; a
// person or a recovery job may meanwhile have resolved it (as not sent:
// nothing was) and the Key may have been begun again. Sending then would
// buy twice. It returns an *attemptTakenError wrapping an
// *AlreadyAttemptedError when a newer attempt holds the Key, or an error
// matching ErrNotSent when the attempt was resolved, and an error
// matching ErrNotSent (to be recorded as such) when the journal fails.
func (c *Client) stillPending(ctx context.Context, call writeCall, a PurchaseAttempt) error {
	cur, ok, err := c.journal.Get(ctx, a.Account, a.Key)
	switch {
	case err != nil:
		return call.notSent(fmt.Errorf("checking the attempt in the purchase journal: %w", err))
	case ok && cur.ID != a.ID:
		if cur.Key == "" {
			cur.Key = a.Key
		}
		return &attemptTakenError{&AlreadyAttemptedError{Attempt: cur}}
	case !ok:
		return &attemptTakenError{call.notSent(fmt.Errorf("the attempt left the purchase journal while waiting for the gate: %w", ErrNoAttempt))}
	case cur.Outcome != OutcomePending:
		return &attemptTakenError{call.notSent(fmt.Errorf("the attempt was resolved as %s while waiting for the gate: %w", cur.Outcome, ErrAttemptChanged))}
	}
	return nil
}

// sendPurchase waits for the gate, checks that the journal still holds
// attempt a as pending, sends the purchase under the deadline that keeps
// it inside its lease, frees the gate and decodes the answer.
func (c *Client) sendPurchase(ctx context.Context, r request, call writeCall, a PurchaseAttempt) (*Order, error) {
	release, err := c.acquirePurchase(ctx)
	if err != nil {
		return nil, call.notSent(err)
	}
	if err := c.stillPending(ctx, call, a); err != nil {
		release()
		return nil, err
	}
	return c.send(ctx, r, call, release)
}

// send sends the purchase under the deadline that keeps it inside its
// lease, calls release once the answer is in (also if the transport
// panics) and decodes the answer.
func (c *Client) send(ctx context.Context, r request, call writeCall, release func()) (*Order, error) {
	out := c.writeReleasing(ctx, r, time.Now().Add(c.purchaseSend), release)
	resp, err := call.settle(r, out)
	if err != nil {
		return nil, err
	}
	order, err := decodeOrder(resp.body, c.rules)
	if err != nil {
		return nil, call.unknown(r, out, &DecodeError{Method: r.method, Route: r.route, Err: err})
	}
	return order, nil
}

// finishPurchase records the outcome of attempt a, the one this call
// began: fenced by its ID, so that it never overwrites a newer attempt of
// the same Key (one begun after a person resolved a as buying nothing). A
// failure is logged and otherwise ignored: the outcome stays pending in
// the journal (a recovery job will see it), and the caller still gets
// what Travel Roam answered, above all an order: money moved.
func (c *Client) finishPurchase(ctx context.Context, a PurchaseAttempt, outcome Outcome, reference string) {
	fctx, cancel := cleanupContext(ctx, c.journal)
	defer cancel()
	a.Outcome = "" // whatever it is now: what Travel Roam answered wins over a guess
	err := c.journal.Finish(fctx, a, outcome, reference, time.Time{})
	switch {
	case err == nil:
	case errors.Is(err, ErrAttemptSuperseded):
		c.logger.LogAttrs(ctx, slog.LevelError, "travelroam: purchase journal: the attempt was resolved and its Key begun again while it was under way; its outcome is not recorded",
			slog.String("key", a.Key), slog.String("id", a.ID), slog.String("outcome", string(outcome)), slog.String("reference", reference))
	default:
		c.logger.LogAttrs(ctx, slog.LevelError, "travelroam: purchase journal: recording the outcome failed; the attempt stays pending",
			slog.String("key", a.Key), slog.String("id", a.ID), slog.String("outcome", string(outcome)), slog.String("reference", reference),
			slog.String("error", err.Error()))
	}
}

// releaseFinish frees the account's turn at the ledger and records the
// outcome of attempt a, the one this call began, in one transaction,
// fenced by a's ID. A failure is logged as finishPurchase logs it: the
// attempt stays pending, and the account held until the lease ends.
func (c *Client) releaseFinish(ctx context.Context, p LedgerPermit, a PurchaseAttempt, outcome Outcome, reference string) {
	fctx, cancel := cleanupContext(ctx, p)
	defer cancel()
	err := p.ReleaseFinish(fctx, outcome, reference)
	switch {
	case err == nil:
	case errors.Is(err, ErrNoAttempt): // the turn was freed all the same
		c.logger.LogAttrs(ctx, slog.LevelError, "travelroam: purchase ledger: the journal no longer holds the attempt (resolved and deleted while it was under way); its outcome is not recorded",
			slog.String("key", a.Key), slog.String("id", a.ID), slog.String("outcome", string(outcome)), slog.String("reference", reference))
	case errors.Is(err, ErrAttemptSuperseded):
		c.logger.LogAttrs(ctx, slog.LevelError, "travelroam: purchase journal: the attempt was resolved and its Key begun again while it was under way; its outcome is not recorded",
			slog.String("key", a.Key), slog.String("id", a.ID), slog.String("outcome", string(outcome)), slog.String("reference", reference))
	default:
		c.logger.LogAttrs(ctx, slog.LevelError, "travelroam: purchase ledger: recording the outcome and freeing the account failed; the attempt stays pending and the account held until the lease ends",
			slog.String("key", a.Key), slog.String("id", a.ID), slog.String("outcome", string(outcome)), slog.String("reference", reference),
			slog.Duration("lease", c.purchaseLease), slog.String("error", err.Error()))
	}
}

// inProcessStore is implemented by the in-memory journal and permit:
// they never wait on I/O and ignore their context.
type inProcessStore interface{ inProcess() }

// cleanupContext returns the context of a release or a finish by store s:
// one that outlives ctx's end, bounded by storeCleanupTimeout. An
// in-process store gets ctx itself, sparing the purchase a timer and two
// contexts it would never look at.
func cleanupContext(ctx context.Context, s any) (context.Context, context.CancelFunc) {
	if _, ok := s.(inProcessStore); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(context.WithoutCancel(ctx), storeCleanupTimeout)
}

// purchaseOutcome classifies the result of a purchase for the journal.
// Anything not provably refused or unsent is unknown.
func purchaseOutcome(order *Order, err error) (Outcome, string) {
	switch {
	case err == nil && order != nil:
		return OutcomeSucceeded, order.Reference
	case errors.As(err, new(*OutcomeUnknownError)):
		return OutcomeUnknown, ""
	case errors.Is(err, ErrNotSent):
		return OutcomeNotSent, ""
	}
	if _, ok := errors.AsType[*APIError](err); ok { // AsType: no pointer escapes on the success path
		return OutcomeRefused, ""
	}
	return OutcomeUnknown, ""
}
