package travelroam

import (
	"context"
	"sync/atomic"
	"time"
)

// PurchaseLedger is a [PurchaseJournal] and a [PurchaseGate] kept in one
// store, which records a purchase attempt and claims the account's turn
// in one transaction before the purchase is sent, and frees the turn and
// records the outcome in one transaction after: two commits per purchase
// instead of four, and no instant in which the account is free while the
// attempt still looks pending. Give it to a Client with
// [WithPurchaseLedger] (pgstore and sqlitestore: Store.Ledger).
//
// The rules of [PurchaseJournal] and [PurchaseGate] hold for its methods
// of those interfaces, and for the two below (the conformance suite in
// travelroamtest/storetest checks them). Implementations must be safe for
// concurrent use.
type PurchaseLedger interface {
	PurchaseJournal
	PurchaseGate

	// BeginAcquire waits for the turn of the account a.Account at the
	// gate, as Acquire(ctx, a.Account, interval, lease) does, and records
	// a, as Begin does, in the transaction that claims the turn: either
	// both happen or neither does. When the journal holds a.Account and
	// a.Key with an outcome that may have bought (pending, unknown,
	// succeeded), nothing is claimed or recorded: p is nil and earlier is
	// that attempt; BeginAcquire may say so at once, without waiting for
	// the turn. An error (ctx ended, store failed) means nothing is held,
	// and nothing recorded unless the store's answer was lost after its
	// commit (the SDK then records the attempt as not sent).
	BeginAcquire(ctx context.Context, a PurchaseAttempt, interval, lease time.Duration) (earlier PurchaseAttempt, p LedgerPermit, err error)
}

// LedgerPermit is the turn at a [PurchaseLedger] of one recorded attempt.
type LedgerPermit interface {
	// ReleaseFinish ends the purchase in one transaction: it frees the
	// account's turn (as Permit.Release: fenced, so that after the lease
	// ran out and another holder took the account it frees nothing) and
	// records outcome and reference for the attempt begun (as
	// [PurchaseJournal.Finish] of that attempt's account, Key and ID,
	// whatever its outcome now). The outcome must not be
	// [OutcomePending]. It returns the errors of Finish
	// ([ErrNoAttempt], [ErrAttemptSuperseded]) when the journal no longer
	// holds the attempt; the turn is freed all the same. Safe to call
	// once; later calls do nothing.
	ReleaseFinish(ctx context.Context, outcome Outcome, reference string) error
}

// NewMemoryPurchaseLedger returns an in-process [PurchaseLedger], the
// journal and gate a Client has by default: it paces the purchases made
// through the Clients that share it and keeps their attempts, in this
// process only, until it exits (finished attempts for 7 days). Use a
// store (pgstore, sqlitestore; redisstore for the gate alone) when
// several processes buy with one account or a purchase must not be made
// twice across restarts.
func NewMemoryPurchaseLedger() PurchaseLedger { return newMemoryLedger() }

// memoryLedger is the in-process PurchaseLedger: a memoryGate and a
// memoryJournal. Lock order: the gate's lock, then the journal's.
type memoryLedger struct {
	memoryGate
	memoryJournal
}

func newMemoryLedger() *memoryLedger {
	l := &memoryLedger{}
	l.memoryGate.keys = make(map[string]*memoryGateKey)
	l.memoryJournal.retention = defaultJournalRetention
	l.memoryJournal.attempts = make(map[journalKey]memoryAttempt)
	return l
}

// BeginAcquire records a and claims the turn of its account under the
// gate's lock; see [PurchaseLedger].
func (l *memoryLedger) BeginAcquire(ctx context.Context, a PurchaseAttempt, interval, lease time.Duration) (PurchaseAttempt, LedgerPermit, error) {
	if err := checkAttemptIdentity(a); err != nil {
		return PurchaseAttempt{}, nil, err
	}
	var earlier PurchaseAttempt
	gen, ok, err := l.memoryGate.acquire(ctx, a.Account, interval, lease, func(free bool) bool {
		if !free { // refuse at once what the journal refuses anyway
			cur, held, _ := l.memoryJournal.Get(ctx, a.Account, a.Key)
			if held && cur.Outcome.MayHaveBought() {
				earlier = cur
				return false
			}
			return true
		}
		var recorded bool
		earlier, recorded, _ = l.memoryJournal.Begin(ctx, a)
		return recorded
	})
	if err != nil || !ok {
		return earlier, nil, err
	}
	return PurchaseAttempt{}, &memoryLedgerPermit{l: l, gen: gen, account: a.Account, key: a.Key, id: a.ID}, nil
}

// memoryLedgerPermit is the turn of one attempt at a memoryLedger.
type memoryLedgerPermit struct {
	l                *memoryLedger
	gen              uint64
	account, key, id string
	done             atomic.Bool
}

// inProcess marks the permit as needing no cleanup deadline (see
// cleanupContext): ReleaseFinish ignores the context.
func (p *memoryLedgerPermit) inProcess() {}

// ReleaseFinish frees the turn and records the outcome under the gate's
// lock; see [LedgerPermit].
func (p *memoryLedgerPermit) ReleaseFinish(ctx context.Context, outcome Outcome, reference string) error {
	if err := checkFinish(PurchaseAttempt{Key: p.key, ID: p.id}, outcome); err != nil {
		return err
	}
	if p.done.Swap(true) {
		return nil
	}
	g := &p.l.memoryGate
	g.mu.Lock()
	defer g.mu.Unlock()
	g.releaseLocked(p.account, p.gen)
	return p.l.memoryJournal.Finish(ctx, PurchaseAttempt{Account: p.account, Key: p.key, ID: p.id}, outcome, reference, time.Time{})
}

var _ PurchaseLedger = (*memoryLedger)(nil)
