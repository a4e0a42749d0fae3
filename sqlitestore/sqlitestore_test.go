package sqlitestore_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/sqlitestore"
	"github.com/roamkit/travelroam/travelroamtest/storetest"
)

func open(t testing.TB, path string, opts ...sqlitestore.Option) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestGate(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "travelroam.db"))
	storetest.TestPurchaseGate(t, func(*testing.T) travelroam.PurchaseGate { return s.Gate() })
}

func TestJournal(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "travelroam.db"))
	storetest.TestPurchaseJournal(t, func(*testing.T) travelroam.PurchaseJournal { return s.Journal() })
}

func TestDeduper(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "travelroam.db"))
	storetest.TestDeduper(t, func(*testing.T) travelroam.Deduper { return s.Deduper() })
}

func TestDeduperExpiry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "travelroam.db")
	storetest.TestDeduperExpiry(t, func(t *testing.T, reservation, seen time.Duration) travelroam.Deduper {
		return open(t, path, sqlitestore.WithDedupeTTL(reservation, seen)).Deduper()
	})
}

// The conformance suites again with every call going, in turn, to one of
// four Stores on the same file: four connections contend for SQLite's
// file locks as four processes would.

// stores opens n Stores on one new file, all at once (as processes
// starting together would).
func stores(t *testing.T, n int) []*sqlitestore.Store {
	path := filepath.Join(t.TempDir(), "shared.db")
	out := make([]*sqlitestore.Store, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() {
			s, err := sqlitestore.Open(path)
			if err != nil {
				t.Errorf("Open %d of %d at once: %v", i+1, n, err)
				return
			}
			out[i] = s
		})
	}
	wg.Wait()
	for _, s := range out {
		if s != nil {
			t.Cleanup(func() { _ = s.Close() })
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return out
}

type roundRobin struct {
	stores []*sqlitestore.Store
	next   atomic.Uint64
}

func (r *roundRobin) pick() *sqlitestore.Store {
	return r.stores[r.next.Add(1)%uint64(len(r.stores))]
}

type rrGate struct{ *roundRobin }

func (g rrGate) Acquire(ctx context.Context, key string, interval, lease time.Duration) (travelroam.Permit, error) {
	return g.pick().Gate().Acquire(ctx, key, interval, lease)
}

type rrJournal struct{ *roundRobin }

func (j rrJournal) Begin(ctx context.Context, a travelroam.PurchaseAttempt) (travelroam.PurchaseAttempt, bool, error) {
	return j.pick().Journal().Begin(ctx, a)
}

func (j rrJournal) Finish(ctx context.Context, a travelroam.PurchaseAttempt, o travelroam.Outcome, ref string, at time.Time) error {
	return j.pick().Journal().Finish(ctx, a, o, ref, at)
}

func (j rrJournal) Unfinished(ctx context.Context) ([]travelroam.PurchaseAttempt, error) {
	return j.pick().Journal().Unfinished(ctx)
}

func (j rrJournal) Get(ctx context.Context, account, key string) (travelroam.PurchaseAttempt, bool, error) {
	return j.pick().Journal().Get(ctx, account, key)
}

func TestSharedFileGate(t *testing.T) {
	rr := &roundRobin{stores: stores(t, 4)}
	storetest.TestPurchaseGate(t, func(*testing.T) travelroam.PurchaseGate { return rrGate{rr} })
}

func TestSharedFileJournal(t *testing.T) {
	rr := &roundRobin{stores: stores(t, 4)}
	storetest.TestPurchaseJournal(t, func(*testing.T) travelroam.PurchaseJournal { return rrJournal{rr} })
}

// TestSharedFileDeduper: many concurrent Begins of one key, each through
// its own Store on one file: exactly one reserves it.
func TestSharedFileDeduper(t *testing.T) {
	ss := stores(t, 4)
	ctx := context.Background()
	var (
		wg    sync.WaitGroup
		fresh atomic.Int32
	)
	for i := range 16 {
		wg.Go(func() {
			st, _, err := ss[i%len(ss)].Deduper().Begin(ctx, "event-1")
			if err != nil {
				t.Error(err)
			}
			if st == travelroam.DedupeNew {
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	if n := fresh.Load(); n != 1 {
		t.Fatalf("%d of 16 Begins through 4 Stores reserved the key, want 1", n)
	}
}

// TestReopen: what was recorded survives closing and reopening the file.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "travelroam.db")
	s, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Journal().Begin(ctx, travelroam.PurchaseAttempt{Key: "order-1", ID: "a1", BundleName: "b"}); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, err := s.Gate().Acquire(ctx, "acct", time.Hour, time.Hour); err != nil { // never released: the process "dies"
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	un, err := s.Journal().Unfinished(ctx)
	if err != nil || len(un) != 1 || un[0].Key != "order-1" || un[0].Outcome != travelroam.OutcomePending {
		t.Fatalf("Unfinished after reopening = %v, %v; want the pending order-1", un, err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.Gate().Acquire(waitCtx, "acct", 0, time.Minute); err == nil {
		t.Fatal("the account held by the dead process was free after reopening")
	}
}

func TestOpenRejectsNonFiles(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := sqlitestore.Open(p); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestJournalDeleteFinished(t *testing.T) {
	ctx := context.Background()
	j := open(t, filepath.Join(t.TempDir(), "travelroam.db")).Journal()
	old := time.Now().Add(-100 * 24 * time.Hour)
	for _, o := range []travelroam.Outcome{travelroam.OutcomeSucceeded, travelroam.OutcomeUnknown, travelroam.OutcomeRefused} {
		a := travelroam.PurchaseAttempt{Key: string(o), ID: "id", BundleName: "b", StartedAt: old}
		if _, ok, err := j.Begin(ctx, a); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if err := j.Finish(ctx, a, o, "", old); err != nil {
			t.Fatal(err)
		}
	}
	n, err := j.DeleteFinished(ctx, old.Add(time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("DeleteFinished = %d, %v; want 2", n, err)
	}
	if _, ok, _ := j.Get(ctx, "", string(travelroam.OutcomeUnknown)); !ok {
		t.Error("DeleteFinished deleted an unknown attempt")
	}
}
