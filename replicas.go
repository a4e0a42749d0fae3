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

// accountScope returns the base URL u as the account key names it: its
// host in lower case and without the scheme's default port, so that every
// spelling of one base URL (TravelRoam.com, travelroam.com:443) names one
// account and matches its environment.
func accountScope(u *url.URL) string {
	v := *u
	host, port := strings.ToLower(u.Hostname()), u.Port()
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
	return v.String()
}

// AccountKey returns the name of the Client's Travel Roam account in its
// [PurchaseGate] and [PurchaseJournal]: the environment ("sandbox" or
// "live"; the base URL for any other host, its host in lower case and
// without a default port), a colon and the first 16 hex digits of the
// SHA-256 of the API key, e.g. "sandbox:3f1c0e9a7b2d4c5e". Clients with
// the same API key and base URL share it, in every process, however the
// URL's host is spelled; a store never sees the API key itself.
func (c *Client) AccountKey() string { return c.account }

// UnfinishedPurchases lists the purchase attempts of the Client's
// [PurchaseJournal] whose outcome is not known, oldest first, for a
// recovery job after a crash or a deploy: [OutcomePending] (recorded
// before sending and never finished: the process died, or the purchase is
// still under way) and [OutcomeUnknown] (the SDK returned an
// [*OutcomeUnknownError]). Each of them may have bought something, and
// [Client.ProcessOrder] refuses to send its Key again until a person (or
// your recovery job) has decided with [Client.ResolvePurchase].
//
// The list holds every account's attempts when several share the journal:
// compare PurchaseAttempt.Account with [Client.AccountKey]. A pending
// attempt may be a purchase still running in another process, or still
// waiting for the purchase gate behind others: leave alone attempts that
// started less than the longest a ProcessOrder call of yours may take (its
// context's deadline; with the default write timeout, allow at least 2
// minutes beyond the wait for the gate).
//
// To decide, check as [OutcomeUnknownError] describes: for a top-up, look
// for an assignment of BundleName made after StartedAt in
// [Client.AppliedBundles] of the ICCID; for a new eSIM, compare the wallet
// balance ([Client.Organisation]) with your records, or ask Travel Roam
// support with the bundle name and StartedAt.
func (c *Client) UnfinishedPurchases(ctx context.Context) ([]PurchaseAttempt, error) {
	out, err := c.journal.Unfinished(ctx)
	if err != nil {
		return nil, fmt.Errorf("travelroam: purchase journal: %w", err)
	}
	return out, nil
}

// ResolvePurchase records in the Client's [PurchaseJournal] the outcome of
// a purchase attempt that a person (or a recovery job) decided, for an
// attempt whose outcome is pending or unknown (see
// [Client.UnfinishedPurchases]):
//   - [OutcomeSucceeded] with the order reference if you found it: the
//     purchase was made; ProcessOrder with this Key keeps returning an
//     [*AlreadyAttemptedError] carrying the reference.
//   - [OutcomeNotSent] or [OutcomeRefused]: nothing was bought; the next
//     ProcessOrder with this Key is sent.
//   - [OutcomeUnknown]: still undecided (it stays unfinished).
//
// It returns an error matching [ErrNoAttempt] when the journal holds no
// attempt with key, and an error without changing anything when the
// attempt has already finished with another outcome (use the journal's
// Finish directly to overwrite a final outcome).
//
// Resolve only an attempt whose process is known to be gone: the check
// and the write are two journal calls, so a purchase still running that
// finishes between them would be overwritten.
func (c *Client) ResolvePurchase(ctx context.Context, key string, outcome PurchaseOutcome, reference string) error {
	const op = "resolve purchase"
	switch {
	case key == "":
		return invalid(op, "key", "empty")
	case !outcome.Valid() || outcome == OutcomePending:
		return invalid(op, "outcome", "%q: want succeeded, refused, not_sent or unknown", string(outcome))
	case reference != "" && outcome != OutcomeSucceeded:
		return invalid(op, "reference", "only a succeeded purchase has an order reference")
	}
	a, ok, err := c.journal.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("travelroam: %s %q: purchase journal: %w", op, key, err)
	}
	if !ok {
		return fmt.Errorf("travelroam: %s %q: %w", op, key, ErrNoAttempt)
	}
	if a.Outcome != OutcomePending && a.Outcome != OutcomeUnknown {
		if a.Outcome == outcome && a.Reference == reference {
			return nil
		}
		return fmt.Errorf("travelroam: %s %q: the attempt already finished with outcome %s; nothing changed", op, key, a.Outcome)
	}
	if err := c.journal.Finish(ctx, key, outcome, reference, time.Time{}); err != nil {
		return fmt.Errorf("travelroam: %s %q: purchase journal: %w", op, key, err)
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
		return "", invalid(opProcessOrder, "Key", "longer than %d bytes", maxPurchaseKey)
	case strings.TrimSpace(k) != k:
		return "", invalid(opProcessOrder, "Key", "has leading or trailing spaces; keys are exact")
	case !utf8.ValidString(k) || strings.IndexFunc(k, unicode.IsControl) >= 0:
		return "", invalid(opProcessOrder, "Key", "must be UTF-8 text without control characters")
	}
	return k, nil
}

// beginPurchase records the attempt in the journal before anything is
// sent. It returns an *AlreadyAttemptedError when the journal holds the
// key with an outcome that may have bought, and an error matching
// ErrNotSent when the journal fails.
func (c *Client) beginPurchase(ctx context.Context, call writeCall, key string) error {
	earlier, ok, err := c.journal.Begin(ctx, PurchaseAttempt{
		Key: key, Account: c.account, BundleName: call.bundleName, ICCID: call.iccid, Environment: c.environment,
	})
	if err != nil {
		return call.notSent(fmt.Errorf("recording the attempt in the purchase journal: %w", err))
	}
	if !ok {
		if earlier.Key == "" {
			earlier.Key = key
		}
		return &AlreadyAttemptedError{Attempt: earlier}
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

// finishPurchase records the outcome of the attempt key. A failure is
// logged and otherwise ignored: the outcome stays pending in the journal
// (a recovery job will see it), and the caller still gets what Travel Roam
// answered, above all an order: money moved.
func (c *Client) finishPurchase(ctx context.Context, key string, outcome PurchaseOutcome, reference string) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeCleanupTimeout)
	defer cancel()
	if err := c.journal.Finish(fctx, key, outcome, reference, time.Time{}); err != nil {
		c.logger.LogAttrs(ctx, slog.LevelError, "travelroam: purchase journal: recording the outcome failed; the attempt stays pending",
			slog.String("key", key), slog.String("outcome", string(outcome)), slog.String("reference", reference),
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
