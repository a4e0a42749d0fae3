package travelroam

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// PurchaseGate paces the purchases of one Travel Roam account across every
// Client (and process) that shares it.
//
// The rules every implementation keeps (the conformance suite in
// travelroamtest/storetest checks them):
//   - at most one holder per key at a time;
//   - the next Acquire of a key starts no earlier than the last Release of
//     it plus interval; when the two callers passed different intervals,
//     the larger applies, so no caller can shorten another's spacing;
//   - a holder that never releases blocks the key for lease + interval
//     from its acquisition, never less; then the key is free again;
//   - keys are independent;
//   - Acquire honours ctx promptly: it returns the context's error and
//     holds nothing;
//   - a Release that comes after its lease ran out never releases a newer
//     holder's permit (permits are fenced by a token or generation).
//
// Implementations must be safe for concurrent use. A gate cannot fence
// Travel Roam itself: a holder that outlives its lease may still be
// buying when the next one starts, which is why the lease must be longer
// than any purchase can take.
type PurchaseGate interface {
	// Acquire waits until the account named by key may start a purchase:
	// nobody holds it, and at least interval has passed since the last
	// Release (or since a dead holder's lease ran out). The permit holds
	// the account for at most lease if never released. An error (ctx
	// ended, store failed) means the purchase must not be sent.
	Acquire(ctx context.Context, key string, interval, lease time.Duration) (Permit, error)
}

// Permit is a held purchase slot of a [PurchaseGate].
type Permit interface {
	// Release ends the purchase; the interval before the next one starts
	// now. Safe to call once; later calls do nothing.
	Release(ctx context.Context) error
}

// errGateArgs is returned by Acquire for a lease that is not positive or
// a negative interval.
var errGateArgs = errors.New("travelroam: purchase gate: lease must be positive and interval not negative")

// memoryGate is the in-process [PurchaseGate] (one half of the memory
// ledger, see [NewMemoryPurchaseLedger]): it paces the purchases made
// through the Clients of one process. It keeps a few words per key it has
// seen (one key per account) and is safe for concurrent use. The zero
// value is not usable: call newMemoryGate.
type memoryGate struct {
	mu   sync.Mutex
	keys map[string]*memoryGateKey
}

// memoryGateKey is the state of one key. While held, until is the end of
// the holder's lease; once released, it is the release time. Either way
// the key is free from until + max(gap, the caller's interval).
type memoryGateKey struct {
	gen     uint64        // generation of the last permit handed out
	held    bool          // the permit of generation gen is not released
	until   time.Time     // lease end while held, release time after
	gap     time.Duration // the interval of the last holder
	changed chan struct{} // closed (and replaced) at each Release
}

// newMemoryGate returns an empty memoryGate.
func newMemoryGate() *memoryGate {
	return &memoryGate{keys: make(map[string]*memoryGateKey)}
}

// Acquire waits until key is free and its interval has passed; see
// [PurchaseGate].
func (g *memoryGate) Acquire(ctx context.Context, key string, interval, lease time.Duration) (Permit, error) {
	gen, _, err := g.acquire(ctx, key, interval, lease, nil)
	if err != nil {
		return nil, err
	}
	return &memoryPermit{g: g, key: key, gen: gen}, nil
}

// acquire waits until key is free and its interval has passed, claims it
// and returns the generation of the claim. check, if not nil, runs under
// g.mu each time the key is looked at, with free telling whether it may
// be claimed now: when it returns false, acquire returns at once with ok
// false and claims nothing (the memory ledger refusing a Key, whose
// journal check must be atomic with the claim).
func (g *memoryGate) acquire(ctx context.Context, key string, interval, lease time.Duration, check func(free bool) bool) (gen uint64, ok bool, err error) {
	if lease <= 0 || interval < 0 {
		return 0, false, errGateArgs
	}
	for {
		if err := ctx.Err(); err != nil {
			return 0, false, err
		}
		g.mu.Lock()
		k := g.keys[key]
		if k == nil {
			k = &memoryGateKey{changed: make(chan struct{})}
			g.keys[key] = k
		}
		now := time.Now()
		var wait time.Duration
		if k.gen > 0 {
			wait = k.until.Add(max(k.gap, interval)).Sub(now)
		}
		if check != nil && !check(wait <= 0) {
			g.mu.Unlock()
			return 0, false, nil
		}
		if wait <= 0 {
			k.gen++
			k.held = true
			k.until = now.Add(lease)
			k.gap = interval
			gen := k.gen
			g.mu.Unlock()
			return gen, true, nil
		}
		changed := k.changed
		g.mu.Unlock()

		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, false, ctx.Err()
		case <-changed:
			t.Stop()
		case <-t.C:
		}
	}
}

// release ends the hold of generation gen of key, unless a newer permit
// was handed out since (its lease ran out and someone else took the key).
func (g *memoryGate) release(key string, gen uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.releaseLocked(key, gen)
}

// releaseLocked is release with g.mu held.
func (g *memoryGate) releaseLocked(key string, gen uint64) {
	k := g.keys[key]
	if k == nil || k.gen != gen || !k.held {
		return
	}
	k.held = false
	k.until = time.Now()
	close(k.changed)
	k.changed = make(chan struct{})
}

// memoryPermit is a permit of a memoryGate.
type memoryPermit struct {
	g        *memoryGate
	key      string
	gen      uint64
	released atomic.Bool
}

// inProcess marks the permit as needing no cleanup deadline (see
// cleanupContext): its Release ignores the context.
func (p *memoryPermit) inProcess() {}

// Release ends the hold; see [Permit].
func (p *memoryPermit) Release(context.Context) error {
	if p.released.Swap(true) {
		return nil
	}
	p.g.release(p.key, p.gen)
	return nil
}

var _ PurchaseGate = (*memoryGate)(nil)
