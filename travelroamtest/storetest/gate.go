package storetest

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
)

// gateInterval is the interval of the subtests that measure spacing.
const gateInterval = 300 * time.Millisecond

// TestPurchaseGate checks that the gates returned by newGate keep the
// rules of [travelroam.PurchaseGate]: one holder per key, the interval
// after each release (the larger of the holder's and the waiter's), a
// dead holder blocking for lease + interval and no less, independent
// keys, prompt cancellation that holds nothing, fenced and idempotent
// Release, and all of it with many goroutines on one key. newGate is
// called once per subtest; it may return the same gate each time. The
// suite takes about 4 seconds.
func TestPurchaseGate(t *testing.T, newGate func(t *testing.T) travelroam.PurchaseGate) {
	t.Run("AcquireRelease", func(t *testing.T) { testGateAcquireRelease(t, newGate(t)) })
	t.Run("OneHolder", func(t *testing.T) { testGateOneHolder(t, newGate(t)) })
	t.Run("IntervalAfterRelease", func(t *testing.T) { testGateInterval(t, newGate) })
	t.Run("DeadHolder", func(t *testing.T) { testGateDeadHolder(t, newGate(t)) })
	t.Run("ReleaseTwice", func(t *testing.T) { testGateReleaseTwice(t, newGate(t)) })
	t.Run("KeysIndependent", func(t *testing.T) { testGateKeysIndependent(t, newGate(t)) })
	t.Run("CancelWhileWaiting", func(t *testing.T) { testGateCancelWhileWaiting(t, newGate(t)) })
	t.Run("CancelledBeforeAcquire", func(t *testing.T) { testGateCancelledBefore(t, newGate(t)) })
	t.Run("Concurrent", func(t *testing.T) { testGateConcurrent(t, newGate(t)) })
}

// mustAcquire acquires key or fails the test.
func mustAcquire(t *testing.T, g travelroam.PurchaseGate, key string, interval, lease time.Duration) travelroam.Permit {
	t.Helper()
	p, err := g.Acquire(liveCtx(t), key, interval, lease)
	if err != nil {
		t.Fatalf("Acquire(%q): %v", key, err)
	}
	if p == nil {
		t.Fatalf("Acquire(%q) returned a nil Permit and no error", key)
	}
	return p
}

// mustRelease releases p or fails the test.
func mustRelease(t *testing.T, p travelroam.Permit) {
	t.Helper()
	if err := p.Release(liveCtx(t)); err != nil {
		t.Fatalf("Release: %v", err)
	}
}

// mustStayBlocked tries to acquire key for [blockedFor] and fails the test
// unless the attempt ends with the context's error and no permit.
func mustStayBlocked(t *testing.T, g travelroam.PurchaseGate, key, why string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), blockedFor)
	defer cancel()
	p, err := g.Acquire(ctx, key, 0, time.Minute)
	if err == nil {
		_ = p.Release(liveCtx(t))
		t.Fatalf("Acquire(%q) succeeded while %s", key, why)
	}
	if !isCtxErr(err) {
		t.Fatalf("Acquire(%q) while %s: got %v, want the context's error", key, why, err)
	}
	if p != nil {
		t.Errorf("Acquire(%q) returned a Permit with its error", key)
	}
}

func testGateAcquireRelease(t *testing.T, g travelroam.PurchaseGate) {
	key := uniquePrefix(t) + "account"
	p := mustAcquire(t, g, key, 0, time.Minute)
	mustRelease(t, p)
	if err := p.Release(liveCtx(t)); err != nil {
		t.Errorf("second Release: %v, want nil (later calls do nothing)", err)
	}
	mustRelease(t, mustAcquire(t, g, key, 0, time.Minute))
}

func testGateOneHolder(t *testing.T, g travelroam.PurchaseGate) {
	key := uniquePrefix(t) + "account"
	p := mustAcquire(t, g, key, 0, longLease)
	mustStayBlocked(t, g, key, "another holder has it")
	mustRelease(t, p)
	mustRelease(t, mustAcquire(t, g, key, 0, time.Minute))
}

func testGateInterval(t *testing.T, newGate func(t *testing.T) travelroam.PurchaseGate) {
	for _, tc := range []struct {
		name             string
		holder, follower time.Duration
	}{
		{"SameInterval", gateInterval, gateInterval},
		{"HolderLonger", gateInterval, 0},
		{"FollowerLonger", 0, gateInterval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGate(t)
			key := uniquePrefix(t) + "account"
			p := mustAcquire(t, g, key, tc.holder, time.Minute)
			released := time.Now()
			mustRelease(t, p)
			q := mustAcquire(t, g, key, tc.follower, time.Minute)
			atLeast(t, "from Release to the next Acquire", released, time.Now(), gateInterval)
			mustRelease(t, q)
		})
	}
}

func testGateDeadHolder(t *testing.T, g travelroam.PurchaseGate) {
	const lease, interval = 400 * time.Millisecond, 200 * time.Millisecond
	key := uniquePrefix(t) + "account"
	started := time.Now()
	dead := mustAcquire(t, g, key, interval, lease) // never released in time
	next := mustAcquire(t, g, key, interval, longLease)
	atLeast(t, "from a dead holder's Acquire to the next", started, time.Now(), lease+interval)

	// The dead holder comes back: its Release must not free the new holder.
	if err := dead.Release(liveCtx(t)); err != nil {
		t.Errorf("Release after the lease ran out: %v, want nil", err)
	}
	mustStayBlocked(t, g, key, "a newer holder has it and an expired permit was released")
	mustRelease(t, next)
}

func testGateReleaseTwice(t *testing.T, g travelroam.PurchaseGate) {
	key := uniquePrefix(t) + "account"
	first := mustAcquire(t, g, key, 0, time.Minute)
	mustRelease(t, first)
	second := mustAcquire(t, g, key, 0, longLease)
	if err := first.Release(liveCtx(t)); err != nil {
		t.Errorf("second Release of the first permit: %v, want nil", err)
	}
	mustStayBlocked(t, g, key, "a holder has it and an older permit was released again")
	mustRelease(t, second)
}

func testGateKeysIndependent(t *testing.T, g travelroam.PurchaseGate) {
	prefix := uniquePrefix(t)
	a := mustAcquire(t, g, prefix+"a", gateInterval, longLease)
	b := mustAcquire(t, g, prefix+"b", gateInterval, longLease)
	mustStayBlocked(t, g, prefix+"a", "its holder has it")
	mustRelease(t, b)
	mustRelease(t, a)
}

func testGateCancelWhileWaiting(t *testing.T, g travelroam.PurchaseGate) {
	key := uniquePrefix(t) + "account"
	holder := mustAcquire(t, g, key, 0, longLease)

	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		p   travelroam.Permit
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := g.Acquire(ctx, key, 0, longLease)
		done <- result{p, err}
	}()
	time.Sleep(50 * time.Millisecond) // let it wait (if it has not started, it must fail all the same)
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(liveness):
		t.Fatalf("Acquire did not return within %v after its context was cancelled", liveness)
	}
	if r.err == nil {
		t.Fatal("Acquire succeeded while another holder had the key")
	}
	if !isCtxErr(r.err) {
		t.Errorf("Acquire with a cancelled context: got %v, want context.Canceled", r.err)
	}
	mustRelease(t, holder)
	// The cancelled waiter holds nothing: had it taken the key, with its
	// long lease, this would wait for minutes.
	mustRelease(t, mustAcquire(t, g, key, 0, time.Minute))
}

func testGateCancelledBefore(t *testing.T, g travelroam.PurchaseGate) {
	key := uniquePrefix(t) + "account"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, err := g.Acquire(ctx, key, 0, longLease)
	if err == nil {
		_ = p.Release(liveCtx(t))
		t.Fatal("Acquire with a cancelled context succeeded")
	}
	if !isCtxErr(err) {
		t.Errorf("Acquire with a cancelled context: got %v, want context.Canceled", err)
	}
	mustRelease(t, mustAcquire(t, g, key, 0, time.Minute))
}

func testGateConcurrent(t *testing.T, g travelroam.PurchaseGate) {
	const workers, interval = 6, 150 * time.Millisecond
	key := uniquePrefix(t) + "account"
	type hold struct{ acquired, released time.Time }
	var (
		holders atomic.Int32
		mu      sync.Mutex
		holds   []hold
		wg      sync.WaitGroup
		start   = make(chan struct{})
	)
	ctx := liveCtx(t)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p, err := g.Acquire(ctx, key, interval, time.Minute)
			if err != nil {
				t.Errorf("Acquire: %v", err)
				return
			}
			acquired := time.Now()
			if n := holders.Add(1); n != 1 {
				t.Errorf("%d holders of one key at once", n)
			}
			time.Sleep(5 * time.Millisecond) // the "purchase"
			holders.Add(-1)
			released := time.Now()
			if err := p.Release(ctx); err != nil {
				t.Errorf("Release: %v", err)
			}
			mu.Lock()
			holds = append(holds, hold{acquired, released})
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if len(holds) != workers {
		t.Fatalf("%d of %d goroutines acquired the key", len(holds), workers)
	}
	slices.SortFunc(holds, func(a, b hold) int { return a.acquired.Compare(b.acquired) })
	for i := 1; i < len(holds); i++ {
		atLeast(t, "from one Release to the next Acquire", holds[i-1].released, holds[i].acquired, interval)
	}
}
