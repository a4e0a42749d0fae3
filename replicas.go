package travelroam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path"
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
	// maxPurchaseKey is the longest OrderRequest.Key accepted, in bytes.
	maxPurchaseKey = 256
	// autoKeyPrefix starts the Key the SDK generates for a purchase made
	// without one.
	autoKeyPrefix = "auto-"
)

// setPurchaseStores sets the purchase gate, the journal (the in-memory
// defaults unless cfg has others), the account key, the environment
// recorded and the lease and send deadline of a purchase. It runs at the
// end of NewClient, once the base URL is known.
func (c *Client) setPurchaseStores(cfg config, apiKey string) {
	c.gate, c.journal = cfg.gate, cfg.journal
	if c.gate == nil {
		c.gate = NewMemoryPurchaseGate()
	}
	if c.journal == nil {
		c.journal = NewMemoryPurchaseJournal()
	}
	c.environment = cfg.env
	scope := accountScope(c.baseURL)
	for _, env := range []Environment{Sandbox, Live} {
		if scope == env.BaseURL() {
			scope, c.environment = string(env), env
		}
	}
	sum := sha256.Sum256([]byte(apiKey))
	c.account = scope + ":" + hex.EncodeToString(sum[:8])

	w := defaultWriteTimeout
	if cfg.httpClient != nil && cfg.httpClient.Timeout > 0 {
		w = cfg.httpClient.Timeout
	}
	margin := min(w, maxLeaseMargin)
	c.purchaseLease = w + margin
	c.purchaseSend = w + margin/2
}

// accountScope returns the base URL u as the account key names it, so
// that every spelling of one base URL names one account and matches its
// environment: the host in lower case without a trailing dot
// (travelroam.com.) or the scheme's default port (:443), the path cleaned
// and without a trailing slash, and no query or fragment (WithBaseURL
// refuses a non-empty one; an empty "?" or "#" is dropped).
func accountScope(u *url.URL) string {
	v := url.URL{Scheme: strings.ToLower(u.Scheme)}
	host, port := strings.TrimSuffix(strings.ToLower(u.Hostname()), "."), u.Port()
	if (v.Scheme == "https" && port == "443") || (v.Scheme == "http" && port == "80") {
		port = ""
	}
	switch {
	case port != "":
		v.Host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"): // IPv6
		v.Host = "[" + host + "]"
	default:
		v.Host = host
	}
	if u.Path != "" {
		v.Path = strings.TrimRight(path.Clean("/"+u.Path), "/")
	}
	return v.String()
}

// AccountKey returns the name of the Client's Travel Roam account in its
// [PurchaseGate] and [PurchaseJournal]: the environment ("sandbox" or
// "live"; the base URL for any other host, its host in lower case and
// without a trailing dot or a default port, the path without a trailing
// slash, no empty query or fragment), a colon and the first 16 hex digits
// of the SHA-256 of the API key, e.g. "sandbox:3f1c0e9a7b2d4c5e". Clients
// with the same API key and base URL share it, in every process, however
// the URL is spelled; a store never sees the API key itself. With the
// Key, it identifies a purchase attempt in the [PurchaseJournal].
func (c *Client) AccountKey() string { return c.account }

// UnfinishedPurchases lists the Client's own purchase attempts (those of
// its [Client.AccountKey]) in its [PurchaseJournal] whose outcome is not
// known, oldest first, for a recovery job after a crash or a deploy:
// [OutcomePending] (recorded before sending and never finished: the
// process died, or the purchase is still under way) and [OutcomeUnknown]
// (the SDK returned an [*OutcomeUnknownError]). Each of them may have
// bought something, and [Client.ProcessOrder] refuses to send its Key
// again until a person (or your recovery job) has decided with
// [Client.ResolvePurchase], passing the attempt as listed here. Attempts
// of other accounts sharing the journal are not listed (the journal's
// own Unfinished lists them all).
//
// A pending attempt may be a purchase still running in another process,
// or still waiting for the purchase gate behind others: ResolvePurchase
// refuses one younger than the purchase lease, and you should leave alone
// attempts that started less than the longest a ProcessOrder call of
// yours may take (its context's deadline; with the default write timeout,
// allow at least 2 minutes beyond the wait for the gate).
//
// To decide, check as [OutcomeUnknownError] describes: for a top-up, look
// for an assignment of BundleName made after StartedAt in
// [Client.AppliedBundles] of the ICCID; for a new eSIM, compare the wallet
// balance ([Client.Organisation]) with your records, or ask Travel Roam
// support with the bundle name and StartedAt.
func (c *Client) UnfinishedPurchases(ctx context.Context) ([]PurchaseAttempt, error) {
	all, err := c.journal.Unfinished(ctx)
	if err != nil {
		return nil, fmt.Errorf("travelroam: purchase journal: %w", err)
	}
	out := all[:0:0]
	for _, a := range all {
		if a.Account == c.account {
			out = append(out, a)
		}
	}
	return out, nil
}

// ErrAttemptInFlight is returned by [Client.ResolvePurchase] for a pending
// attempt that started less than the Client's purchase lease ago: its
// purchase may still be under way, and nothing was changed. Try again
// later, after checking again.
var ErrAttemptInFlight = errors.New("travelroam: purchase attempt may still be under way")

// ResolvePurchase records in the Client's [PurchaseJournal] the outcome of
// a purchase attempt that a person (or a recovery job) decided. a is the
// attempt as examined, taken from [Client.UnfinishedPurchases] or from an
// [*AlreadyAttemptedError]'s Attempt; its outcome must be pending or
// unknown. outcome is:
//   - [OutcomeSucceeded] with the order reference if you found it: the
//     purchase was made; ProcessOrder with this Key keeps returning an
//     [*AlreadyAttemptedError] carrying the reference.
//   - [OutcomeNotSent] or [OutcomeRefused]: nothing was bought; the next
//     ProcessOrder with this Key is sent.
//   - [OutcomeUnknown]: still undecided (it stays unfinished).
//
// It resolves only the attempt examined, by a compare-and-set in the
// journal on its account, Key, ID and outcome, and changes nothing when:
//   - the journal holds no attempt with the Key for the Client's account
//     (an error matching [ErrNoAttempt]);
//   - a newer attempt of the same Key holds it ([ErrAttemptSuperseded]):
//     someone resolved the one examined and the Key was bought again;
//     that newer attempt is left alone;
//   - the attempt's outcome is no longer the one examined
//     ([ErrAttemptChanged]): its process finished it, or someone else
//     resolved it (asking again for the outcome it now has is not an
//     error);
//   - the attempt is pending and started less than the Client's purchase
//     lease ago ([ErrAttemptInFlight]): it may still be under way.
//
// An attempt of another account, or without an ID, is a
// [*ValidationError].
func (c *Client) ResolvePurchase(ctx context.Context, a PurchaseAttempt, outcome PurchaseOutcome, reference string) error {
	const op = labelResolvePurchase
	switch {
	case a.Key == "":
		return invalid(op, "Key", "empty: pass the attempt as UnfinishedPurchases listed it")
	case a.ID == "":
		return invalid(op, "ID", "empty: pass the attempt as UnfinishedPurchases listed it")
	case a.Account != c.account:
		return invalid(op, "Account", "the attempt belongs to another account than the Client's")
	case a.Outcome != "" && a.Outcome != OutcomePending && a.Outcome != OutcomeUnknown:
		return invalid(op, "Outcome", "%q: only a pending or unknown attempt is resolved", string(a.Outcome))
	case !outcome.Valid() || outcome == OutcomePending:
		return invalid(op, "outcome", "%q: want succeeded, refused, not_sent or unknown", string(outcome))
	case reference != "" && outcome != OutcomeSucceeded:
		return invalid(op, "reference", "only a succeeded purchase has an order reference")
	}
	fail := func(err error) error { return fmt.Errorf("travelroam: %s %q: %w", op, a.Key, err) }
	cur, ok, err := c.journal.Get(ctx, c.account, a.Key)
	switch {
	case err != nil:
		return fail(fmt.Errorf("purchase journal: %w", err))
	case !ok:
		return fail(ErrNoAttempt)
	case cur.ID != a.ID:
		return fail(ErrAttemptSuperseded)
	case cur.Outcome == outcome && cur.Reference == reference:
		return nil // already so
	case cur.Outcome != OutcomePending && cur.Outcome != OutcomeUnknown:
		return fail(fmt.Errorf("%w: it finished with outcome %s", ErrAttemptChanged, cur.Outcome))
	case a.Outcome != "" && cur.Outcome != a.Outcome:
		return fail(fmt.Errorf("%w: it is %s now", ErrAttemptChanged, cur.Outcome))
	}
	if age := time.Since(cur.StartedAt); cur.Outcome == OutcomePending && age < c.purchaseLease {
		return fail(fmt.Errorf("%w: pending for %s, less than the purchase lease (%s)", ErrAttemptInFlight, age.Round(time.Second), c.purchaseLease))
	}
	examined := PurchaseAttempt{Account: c.account, Key: a.Key, ID: a.ID, Outcome: cur.Outcome}
	err = c.journal.Finish(ctx, examined, outcome, reference, time.Time{})
	if errors.Is(err, ErrAttemptChanged) { // a concurrent resolver may have decided the same
		if now, ok, gerr := c.journal.Get(ctx, c.account, a.Key); gerr == nil && ok && now.ID == a.ID && now.Outcome == outcome && now.Reference == reference {
			return nil
		}
	}
	if err != nil {
		return fail(fmt.Errorf("purchase journal: %w", err))
	}
	return nil
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
	a := PurchaseAttempt{
		Key: key, Account: c.account, ID: rand.Text(), BundleName: call.bundleName, ICCID: call.iccid, Environment: c.environment,
	}
	earlier, ok, err := c.journal.Begin(ctx, a)
	if err != nil {
		return a, call.notSent(fmt.Errorf("recording the attempt in the purchase journal: %w", err))
	}
	if !ok {
		if earlier.Key == "" {
			earlier.Key = key
		}
		if earlier.Account == "" {
			earlier.Account = c.account
		}
		return a, &AlreadyAttemptedError{Attempt: earlier}
	}
	return a, nil
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
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeCleanupTimeout)
		defer cancel()
		if err := p.Release(rctx); err != nil {
			c.logger.LogAttrs(ctx, slog.LevelWarn, "travelroam: purchase gate: release failed; the account stays held until the lease ends",
				slog.String("account", c.account), slog.Duration("lease", c.purchaseLease), slog.String("error", err.Error()))
		}
	}, nil
}

// finishPurchase records the outcome of attempt a, the one this call
// began: fenced by its ID, so that it never overwrites a newer attempt of
// the same Key (one begun after a person resolved a as buying nothing). A
// failure is logged and otherwise ignored: the outcome stays pending in
// the journal (a recovery job will see it), and the caller still gets
// what Travel Roam answered, above all an order: money moved.
func (c *Client) finishPurchase(ctx context.Context, a PurchaseAttempt, outcome PurchaseOutcome, reference string) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeCleanupTimeout)
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

// purchaseOutcome classifies the result of a purchase for the journal.
// Anything not provably refused or unsent is unknown.
func purchaseOutcome(order *Order, err error) (PurchaseOutcome, string) {
	var ae *APIError
	switch {
	case err == nil && order != nil:
		return OutcomeSucceeded, order.Reference
	case errors.Is(err, ErrOutcomeUnknown):
		return OutcomeUnknown, ""
	case errors.Is(err, ErrNotSent):
		return OutcomeNotSent, ""
	case errors.As(err, &ae):
		return OutcomeRefused, ""
	}
	return OutcomeUnknown, ""
}
