package travelroam_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest/storetest"
)

// TestMemoryPurchaseLedgerConformance runs the ledger's suite, which
// holds the journal's and the gate's, on the in-memory ledger.
func TestMemoryPurchaseLedgerConformance(t *testing.T) {
	t.Parallel()
	storetest.TestPurchaseLedger(t, func(*testing.T) travelroam.PurchaseLedger { return travelroam.NewMemoryPurchaseLedger() })
}

// The same rules in virtual time, where the waits can be checked exactly.

func TestMemoryPurchaseGateIntervalExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := travelroam.NewMemoryPurchaseLedger()
		ctx := t.Context()
		p, err := g.Acquire(ctx, "acct", 5*time.Second, time.Minute)
		require.NoError(t, err)
		time.Sleep(2 * time.Second) // the purchase
		released := time.Now()
		require.NoError(t, p.Release(ctx))

		// A waiter asking for a shorter interval still waits the holder's.
		q, err := g.Acquire(ctx, "acct", time.Second, time.Minute)
		require.NoError(t, err)
		require.Equal(t, 5*time.Second, time.Since(released))
		released = time.Now()
		require.NoError(t, q.Release(ctx))

		// A waiter asking for a longer one waits its own.
		r, err := g.Acquire(ctx, "acct", 7*time.Second, time.Minute)
		require.NoError(t, err)
		require.Equal(t, 7*time.Second, time.Since(released))
		require.NoError(t, r.Release(ctx))
	})
}

func TestMemoryPurchaseGateWaiterWakesAtRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := travelroam.NewMemoryPurchaseLedger()
		ctx := t.Context()
		p, err := g.Acquire(ctx, "acct", 5*time.Second, time.Hour)
		require.NoError(t, err)
		var released time.Time
		go func() {
			time.Sleep(3 * time.Second)
			released = time.Now()
			_ = p.Release(ctx)
		}()
		q, err := g.Acquire(ctx, "acct", 5*time.Second, time.Hour)
		require.NoError(t, err)
		require.Equal(t, 5*time.Second, time.Since(released), "the waiter starts exactly one interval after the release, not at the lease's end")
		require.NoError(t, q.Release(ctx))
	})
}

func TestMemoryPurchaseGateDeadHolderExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := travelroam.NewMemoryPurchaseLedger()
		ctx := t.Context()
		start := time.Now()
		dead, err := g.Acquire(ctx, "acct", 5*time.Second, 30*time.Second)
		require.NoError(t, err)
		next, err := g.Acquire(ctx, "acct", 5*time.Second, 30*time.Second)
		require.NoError(t, err)
		require.Equal(t, 35*time.Second, time.Since(start), "a dead holder blocks for lease + interval, no less, no more")

		// The dead holder's late Release does not free the new holder.
		require.NoError(t, dead.Release(ctx))
		waitCtx, cancel := context.WithTimeout(ctx, 29*time.Second)
		defer cancel()
		_, err = g.Acquire(waitCtx, "acct", 5*time.Second, time.Minute)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.NoError(t, next.Release(ctx))
	})
}

func TestMemoryPurchaseGateCancelIsPrompt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := travelroam.NewMemoryPurchaseLedger()
		ctx := t.Context()
		p, err := g.Acquire(ctx, "acct", 0, time.Hour)
		require.NoError(t, err)
		waitCtx, cancel := context.WithCancel(ctx)
		var (
			wg      sync.WaitGroup
			waitErr error
			ended   time.Time
		)
		wg.Go(func() {
			_, waitErr = g.Acquire(waitCtx, "acct", 0, time.Hour)
			ended = time.Now()
		})
		time.Sleep(10 * time.Second)
		cancelled := time.Now()
		cancel()
		wg.Wait()
		require.ErrorIs(t, waitErr, context.Canceled)
		require.Equal(t, cancelled, ended, "Acquire returns at the moment its context ends")
		require.NoError(t, p.Release(ctx))
		q, err := g.Acquire(ctx, "acct", 0, time.Hour)
		require.NoError(t, err)
		require.Equal(t, cancelled, time.Now(), "the cancelled waiter held nothing")
		require.NoError(t, q.Release(ctx))
	})
}

func TestMemoryPurchaseGateBadArguments(t *testing.T) {
	t.Parallel()
	g := travelroam.NewMemoryPurchaseLedger()
	for _, tc := range []struct{ interval, lease time.Duration }{{0, 0}, {time.Second, -time.Second}, {-time.Second, time.Minute}} {
		p, err := g.Acquire(context.Background(), "acct", tc.interval, tc.lease)
		require.Error(t, err, "interval %v lease %v", tc.interval, tc.lease)
		require.Nil(t, p)
		require.False(t, errors.Is(err, context.Canceled))
	}
}

// BenchmarkMemoryPurchaseGate measures one Acquire and Release of a free
// key (interval 0), the gate's cost per purchase.
func BenchmarkMemoryPurchaseGate(b *testing.B) {
	g := travelroam.NewMemoryPurchaseLedger()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := g.Acquire(ctx, "acct", 0, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Release(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
