package travelroam

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// PurchaseJournal records every purchase attempt before it is sent and its
// outcome after, so that a purchase whose Key was already attempted is not
// sent again, in this process or another, before or after a restart.
//
// An attempt is identified by its account and its Key
// (PurchaseAttempt.Account and Key): two accounts (two API keys, or the
// sandbox and live sides of one service) may use the same Key in one
// journal without seeing each other's attempts. Each attempt also has an
// ID, unique to it, that the SDK draws at random before Begin: a later
// attempt of the same account and Key (after one that bought nothing) has
// another ID, and Finish changes an attempt only while the journal still
// holds that ID, so that a stale process or a stale listing never
// overwrites a newer attempt.
//
// Implementations must be safe for concurrent use. The conformance suite
// in travelroamtest/storetest checks the rules of each method.
type PurchaseJournal interface {
	// Begin records an attempt before it is sent. If the journal already
	// holds a.Account and a.Key with an outcome that may have bought
	// (pending, unknown, succeeded), Begin records nothing and returns
	// that earlier attempt with ok=false. An earlier attempt that provably
	// bought nothing (not sent, refused) is replaced and ok is true. Begin
	// must be atomic across processes for one account and key: of
	// concurrent Begins with one account and key, at most one returns
	// ok=true.
	//
	// Begin records a with Outcome [OutcomePending], no Reference and no
	// FinishedAt, whatever a holds there; a zero StartedAt becomes the
	// current time. a.Key and a.ID must not be empty (a.Account may be).
	//
	// Why a refused or unsent attempt may be made again under the same Key:
	// the journal exists to stop double purchases, and those attempts
	// bought nothing. A 503 "try again later" must not force the
	// application to invent a new Key for the same purchase.
	Begin(ctx context.Context, a PurchaseAttempt) (earlier PurchaseAttempt, ok bool, err error)

	// Finish records the outcome of the attempt a identifies: the one held
	// under a.Account and a.Key, if its ID is a.ID. The outcome must not
	// be [OutcomePending]; reference is the order reference on success;
	// at is the time of the outcome (zero: now). When a.Outcome is not
	// empty, Finish is a compare-and-set: it changes the attempt only if
	// its outcome is still a.Outcome (the outcome the caller examined).
	// The check and the write must be atomic.
	//
	// It returns an error matching [ErrNoAttempt] when the journal holds
	// no attempt under a.Account and a.Key, [ErrAttemptSuperseded] when
	// the attempt held there has another ID (a newer attempt, left
	// alone), and [ErrAttemptChanged] when its outcome is no longer
	// a.Outcome; in each case nothing is changed.
	Finish(ctx context.Context, a PurchaseAttempt, outcome Outcome, reference string, at time.Time) error

	// Unfinished lists the attempts of every account whose outcome is
	// pending or unknown, oldest first (for a recovery job after a
	// crash).
	Unfinished(ctx context.Context) ([]PurchaseAttempt, error)

	// Get returns the attempt held under account and key; ok false when
	// there is none.
	Get(ctx context.Context, account, key string) (a PurchaseAttempt, ok bool, err error)
}

// Outcome is how a purchase attempt or a call ended: what a
// [PurchaseJournal] records for a [PurchaseAttempt] (pending, succeeded,
// refused, not sent, unknown) and what an [Observer] sees in
// [CallEnd.Outcome] (those, and failed, canceled, already attempted).
// Stores persist the string values: they never change.
type Outcome string

// The outcomes of a purchase attempt (the five a journal records) and of
// a call.
const (
	// OutcomePending: a purchase attempt recorded and not finished (its
	// process may have died); a WaitForAssignments call that ran out of
	// time ([ErrAssignmentsPending]).
	OutcomePending Outcome = "pending"
	// OutcomeSucceeded: Travel Roam answered with an order reference; a
	// call that returned its result.
	OutcomeSucceeded Outcome = "succeeded"
	// OutcomeRefused: a 4xx or "not processed" (429/503), nothing bought;
	// see [APIError].
	OutcomeRefused Outcome = "refused"
	// OutcomeNotSent: the purchase or revoke provably never reached
	// Travel Roam.
	OutcomeNotSent Outcome = "not_sent"
	// OutcomeUnknown: the purchase or revoke may or may not have been
	// carried out ([ErrOutcomeUnknown]).
	OutcomeUnknown Outcome = "unknown"
	// OutcomeFailed: a call that failed otherwise (network, an unreadable
	// answer, a body over the size cap…). Never recorded by a journal.
	OutcomeFailed Outcome = "failed"
	// OutcomeCanceled: a call whose context ended. Never recorded by a
	// journal.
	OutcomeCanceled Outcome = "canceled"
	// OutcomeAlreadyAttempted: a purchase whose Key the journal already
	// held; nothing was sent ([*AlreadyAttemptedError]). Never recorded
	// by a journal.
	OutcomeAlreadyAttempted Outcome = "already_attempted"
)

// Valid reports whether o is one of the five outcomes a [PurchaseJournal]
// records: pending, succeeded, refused, not sent or unknown.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomePending, OutcomeSucceeded, OutcomeRefused, OutcomeNotSent, OutcomeUnknown:
		return true
	}
	return false
}

// MayHaveBought reports whether an attempt with outcome o may have bought
// something (pending, unknown or succeeded). [PurchaseJournal.Begin]
// refuses to record a new attempt over such an outcome.
func (o Outcome) MayHaveBought() bool {
	return o == OutcomePending || o == OutcomeUnknown || o == OutcomeSucceeded
}

// PurchaseAttempt is one purchase as a [PurchaseJournal] records it.
//
// Printed with fmt (any verb), logged with log/slog or marshalled to JSON
// it shows only the last four digits of the ICCID (see [ICCID]): a
// journal stores its fields, string(a.ICCID) for the ICCID.
type PurchaseAttempt struct {
	Key         string    // the application's id for the purchase (OrderRequest.Key); never sent to Travel Roam
	Account     string    // the account key (Client.AccountKey: environment + hash of the API key); with Key, what identifies the attempt
	ID          string    // random id of this attempt, drawn by the SDK before Begin; a later attempt of the same Key has another
	BundleName  string    // the bundle bought
	ICCID       ICCID     // the eSIM topped up; empty for a new eSIM
	Environment string    // "sandbox" or "live" for Travel Roam's base URLs, "" for any other (a proxy, a fake)
	StartedAt   time.Time // when the attempt was recorded, before it was sent
	Outcome     Outcome   // what became of it
	Reference   string    // order reference when Outcome is OutcomeSucceeded (or when resolved by a person)
	FinishedAt  time.Time // when the outcome was recorded; zero while pending
}

// ErrNoAttempt is returned by [PurchaseJournal.Finish] and
// [Client.ResolvePurchase] when the journal holds no attempt under the
// account and key.
var ErrNoAttempt = errors.New("travelroam: purchase journal: no attempt with this key")

// ErrAttemptSuperseded is returned by [PurchaseJournal.Finish] and
// [Client.ResolvePurchase] when the attempt held under the account and
// key is not the one given (its ID differs): a newer attempt of the same
// Key was begun since (the one given bought nothing, or was resolved so).
// Nothing was changed; list the unfinished purchases again to see the
// newer attempt.
var ErrAttemptSuperseded = errors.New("travelroam: purchase journal: a newer attempt holds this key")

// ErrAttemptChanged is returned by [PurchaseJournal.Finish] and
// [Client.ResolvePurchase] when the attempt given is still the one held,
// but its outcome is no longer the one the caller examined (its process
// finished it, or someone else resolved it meanwhile). Nothing was
// changed; look at it again.
var ErrAttemptChanged = errors.New("travelroam: purchase journal: the attempt's outcome changed since it was examined")

// AlreadyAttemptedError reports a purchase that was not sent because the
// [PurchaseJournal] already holds an attempt with the same Key that may
// have bought something; match it with [errors.As].
//
// What to do depends on Attempt.Outcome:
//   - [OutcomeSucceeded]: the purchase was made; use Attempt.Reference as
//     its order reference, and do not buy again.
//   - [OutcomePending] or [OutcomeUnknown]: an earlier attempt may have
//     bought (pending means it never finished, e.g. its process died).
//     Check before buying, as [OutcomeUnknownError] describes, then record
//     what you found with [Client.ResolvePurchase], passing Attempt (the
//     attempt you examined): [OutcomeSucceeded] with the reference, or
//     [OutcomeNotSent] / [OutcomeRefused] when nothing was bought, after
//     which the same Key may be bought again. A pending attempt younger
//     than the Client's purchase lease may still be under way and cannot
//     be resolved yet.
type AlreadyAttemptedError struct {
	// Attempt is the earlier attempt, as the journal holds it.
	Attempt PurchaseAttempt
}

// Error names the earlier attempt (with the last four digits of its
// ICCID) and says what to do.
func (e *AlreadyAttemptedError) Error() string {
	a := e.Attempt
	var b strings.Builder
	fmt.Fprintf(&b, "travelroam: purchase %q already attempted", a.Key)
	if !a.StartedAt.IsZero() {
		b.WriteString(" at ")
		b.WriteString(a.StartedAt.UTC().Format(time.RFC3339Nano))
	}
	if a.BundleName != "" {
		b.WriteString(" for bundle ")
		b.WriteString(a.BundleName)
	}
	if a.ICCID != "" {
		b.WriteString(" on eSIM ")
		b.WriteString(a.ICCID.String())
	}
	switch a.Outcome {
	case OutcomeSucceeded:
		b.WriteString(": it succeeded")
		if a.Reference != "" {
			b.WriteString(" with order reference ")
			b.WriteString(a.Reference)
		}
		b.WriteString(" (nothing sent; do not buy again)")
	case OutcomePending:
		b.WriteString(": it never finished and may have bought (nothing sent; check before buying, then record the outcome)")
	default:
		b.WriteString(": outcome ")
		b.WriteString(string(a.Outcome))
		b.WriteString(", it may have bought (nothing sent; check before buying, then record the outcome)")
	}
	return b.String()
}

// Format makes every fmt verb print the error's text, not its fields.
func (e AlreadyAttemptedError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// MarshalJSON writes the error's text.
func (e AlreadyAttemptedError) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// defaultJournalRetention is how long the memory journal keeps a finished
// attempt (succeeded, refused or not sent) after its outcome was
// recorded: 7 days.
const defaultJournalRetention = 7 * 24 * time.Hour

// memoryJournal is the in-process [PurchaseJournal] (one half of the
// memory ledger, see [NewMemoryPurchaseLedger]). It keeps pending and
// unknown attempts until they are finished, and finished ones for
// defaultJournalRetention after their outcome, so that its memory stays
// bounded by the purchase rate. It is safe for concurrent use. The zero
// value is not usable: call newMemoryJournal.
type memoryJournal struct {
	retention time.Duration

	mu       sync.Mutex
	attempts map[journalKey]memoryAttempt
	finished []finishedKey // finished attempts, oldest expiry first
}

// inProcess marks the journal as needing no cleanup deadline (see
// cleanupContext): its Finish ignores the context.
func (j *memoryJournal) inProcess() {}

// journalKey is what identifies an attempt: its account and its Key.
type journalKey struct{ account, key string }

// memoryAttempt is an attempt and, once it finished with an outcome that
// is final (not unknown), when it is forgotten.
type memoryAttempt struct {
	PurchaseAttempt
	expires time.Time
}

type finishedKey struct {
	key     journalKey
	expires time.Time
}

// newMemoryJournal returns an empty memoryJournal.
func newMemoryJournal() *memoryJournal {
	return &memoryJournal{
		retention: defaultJournalRetention,
		attempts:  make(map[journalKey]memoryAttempt),
	}
}

// Errors of a journal call whose attempt is incomplete.
var (
	errJournalKey = errors.New("travelroam: purchase journal: empty key")
	errJournalID  = errors.New("travelroam: purchase journal: empty attempt ID")
)

// Begin records a unless an attempt with its account and Key may have
// bought; see [PurchaseJournal].
func (j *memoryJournal) Begin(_ context.Context, a PurchaseAttempt) (PurchaseAttempt, bool, error) {
	if err := checkAttemptIdentity(a); err != nil {
		return PurchaseAttempt{}, false, err
	}
	now := time.Now()
	k := journalKey{a.Account, a.Key}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.expire(now)
	if old, ok := j.attempts[k]; ok && old.Outcome.MayHaveBought() {
		return old.PurchaseAttempt, false, nil
	}
	if a.StartedAt.IsZero() {
		a.StartedAt = now
	}
	a.Outcome = OutcomePending
	a.Reference = ""
	a.FinishedAt = time.Time{}
	j.attempts[k] = memoryAttempt{PurchaseAttempt: a}
	return PurchaseAttempt{}, true, nil
}

// Finish records the outcome of the attempt a identifies, if the journal
// still holds it (and its outcome is still a.Outcome when that is set);
// see [PurchaseJournal].
func (j *memoryJournal) Finish(_ context.Context, a PurchaseAttempt, outcome Outcome, reference string, at time.Time) error {
	if err := checkFinish(a, outcome); err != nil {
		return err
	}
	now := time.Now()
	if at.IsZero() {
		at = now
	}
	k := journalKey{a.Account, a.Key}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.expire(now)
	cur, ok := j.attempts[k]
	switch {
	case !ok:
		return ErrNoAttempt
	case cur.ID != a.ID:
		return ErrAttemptSuperseded
	case a.Outcome != "" && cur.Outcome != a.Outcome:
		return ErrAttemptChanged
	}
	cur.Outcome = outcome
	cur.Reference = reference
	cur.FinishedAt = at
	cur.expires = time.Time{}
	if outcome != OutcomeUnknown {
		cur.expires = now.Add(j.retention)
		j.finished = append(j.finished, finishedKey{k, cur.expires})
	}
	j.attempts[k] = cur
	return nil
}

// Unfinished lists the pending and unknown attempts of every account,
// oldest first; see [PurchaseJournal].
func (j *memoryJournal) Unfinished(context.Context) ([]PurchaseAttempt, error) {
	j.mu.Lock()
	var out []PurchaseAttempt
	for _, a := range j.attempts {
		if a.Outcome == OutcomePending || a.Outcome == OutcomeUnknown {
			out = append(out, a.PurchaseAttempt)
		}
	}
	j.mu.Unlock()
	slices.SortFunc(out, func(a, b PurchaseAttempt) int {
		if c := a.StartedAt.Compare(b.StartedAt); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return cmp.Compare(a.Account, b.Account)
	})
	return out, nil
}

// Get returns the attempt held under account and key; see
// [PurchaseJournal].
func (j *memoryJournal) Get(_ context.Context, account, key string) (PurchaseAttempt, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.expire(time.Now())
	a, ok := j.attempts[journalKey{account, key}]
	return a.PurchaseAttempt, ok, nil
}

// Len returns the number of attempts held.
func (j *memoryJournal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.expire(time.Now())
	return len(j.attempts)
}

// expire forgets the finished attempts whose retention ran out. An entry
// of j.finished is stale when its attempt was finished again later or
// begun again: its expiry then differs from the attempt's.
func (j *memoryJournal) expire(now time.Time) {
	n := 0
	for ; n < len(j.finished) && !now.Before(j.finished[n].expires); n++ {
		f := j.finished[n]
		if a, ok := j.attempts[f.key]; ok && a.expires.Equal(f.expires) {
			delete(j.attempts, f.key)
		}
	}
	if n > 0 {
		clear(j.finished[:n])
		j.finished = j.finished[n:]
	}
}

// checkAttemptIdentity returns an error unless a has what identifies an
// attempt in a [PurchaseJournal]: a Key and an ID (the Account may be
// empty).
func checkAttemptIdentity(a PurchaseAttempt) error {
	switch {
	case a.Key == "":
		return errJournalKey
	case a.ID == "":
		return errJournalID
	}
	return nil
}

// checkFinish returns an error unless a identifies an attempt (see
// checkAttemptIdentity), outcome is a final outcome (any valid outcome
// but [OutcomePending]) and a.Outcome, the outcome expected, is empty or
// valid.
func checkFinish(a PurchaseAttempt, outcome Outcome) error {
	if err := checkAttemptIdentity(a); err != nil {
		return err
	}
	if !outcome.Valid() || outcome == OutcomePending {
		return fmt.Errorf("travelroam: purchase journal: cannot finish with outcome %q", outcome)
	}
	if a.Outcome != "" && !a.Outcome.Valid() {
		return fmt.Errorf("travelroam: purchase journal: cannot expect outcome %q", a.Outcome)
	}
	return nil
}

var _ PurchaseJournal = (*memoryJournal)(nil)

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
// or, with a journal and a gate kept apart (no [PurchaseLedger]), still
// waiting for the purchase gate behind others: ResolvePurchase
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
// A pending attempt older than the lease may still have its request out
// (it may have waited at the purchase gate behind others before
// sending): ResolvePurchase first waits for the account's turn at the
// [PurchaseGate], as a purchase does (honouring ctx), so that a purchase
// in flight has its answer, then looks at the attempt again.
//
// An attempt of another account, or without an ID, is a
// [*ValidationError].
func (c *Client) ResolvePurchase(ctx context.Context, a PurchaseAttempt, outcome Outcome, reference string) error {
	if err := c.checkResolve(a, outcome, reference); err != nil {
		return err
	}
	fail := func(err error) error { return fmt.Errorf("travelroam: %s %q: %w", labelResolvePurchase, a.Key, err) }
	cur, done, err := c.examineAttempt(ctx, a, outcome, reference)
	if done || err != nil {
		return err
	}
	if age := time.Since(cur.StartedAt); cur.Outcome == OutcomePending && age < c.purchaseLease {
		return fail(fmt.Errorf("%w: pending for %s, less than the purchase lease (%s)", ErrAttemptInFlight, age.Round(time.Second), c.purchaseLease))
	}
	if cur.Outcome == OutcomePending {
		// Its request may be out although it is older than the lease:
		// it may have waited at the gate behind others first. Take the
		// account's turn, so that a purchase in flight has its answer
		// before this decides, then look again.
		release, err := c.acquirePurchase(ctx)
		if err != nil {
			return fail(err)
		}
		defer release()
		if cur, done, err = c.examineAttempt(ctx, a, outcome, reference); done || err != nil {
			return err
		}
	}
	if err := c.resolveExamined(ctx, a, cur.Outcome, outcome, reference); err != nil {
		return fail(fmt.Errorf("purchase journal: %w", err))
	}
	return nil
}

// checkResolve refuses, before reading the journal, what ResolvePurchase
// never does: an attempt not listed by this Client (no Key or ID, another
// account), one already final, or an outcome it cannot record.
func (c *Client) checkResolve(a PurchaseAttempt, outcome Outcome, reference string) error {
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
	return nil
}

// resolveExamined records outcome for attempt a, compare-and-set on its
// ID and on the outcome examined (seen). A concurrent resolver that
// recorded the same outcome and reference first is not an error.
func (c *Client) resolveExamined(ctx context.Context, a PurchaseAttempt, seen, outcome Outcome, reference string) error {
	examined := PurchaseAttempt{Account: c.account, Key: a.Key, ID: a.ID, Outcome: seen}
	err := c.journal.Finish(ctx, examined, outcome, reference, time.Time{})
	if errors.Is(err, ErrAttemptChanged) {
		if now, ok, gerr := c.journal.Get(ctx, c.account, a.Key); gerr == nil && ok && now.ID == a.ID && now.Outcome == outcome && now.Reference == reference {
			return nil
		}
	}
	return err
}

// examineAttempt reads the attempt a names for ResolvePurchase and
// checks that it may be resolved with outcome and reference: done is true
// (and err nil) when it already is so; err is the error ResolvePurchase
// returns when it may not.
func (c *Client) examineAttempt(ctx context.Context, a PurchaseAttempt, outcome Outcome, reference string) (cur PurchaseAttempt, done bool, err error) {
	fail := func(err error) error { return fmt.Errorf("travelroam: %s %q: %w", labelResolvePurchase, a.Key, err) }
	cur, ok, err := c.journal.Get(ctx, c.account, a.Key)
	switch {
	case err != nil:
		return cur, false, fail(fmt.Errorf("purchase journal: %w", err))
	case !ok:
		return cur, false, fail(ErrNoAttempt)
	case cur.ID != a.ID:
		return cur, false, fail(ErrAttemptSuperseded)
	case cur.Outcome == outcome && cur.Reference == reference:
		return cur, true, nil // already so
	case cur.Outcome != OutcomePending && cur.Outcome != OutcomeUnknown:
		return cur, false, fail(fmt.Errorf("%w: it finished with outcome %s", ErrAttemptChanged, cur.Outcome))
	case a.Outcome != "" && cur.Outcome != a.Outcome:
		return cur, false, fail(fmt.Errorf("%w: it is %s now", ErrAttemptChanged, cur.Outcome))
	}
	return cur, false, nil
}
