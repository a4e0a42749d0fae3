package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/pgstore"
	"github.com/roamkit/travelroam/travelroamtest/storetest"
)

// testPool connects to the PostgreSQL that scripts/services.sh starts.
// Without TRAVELROAM_TEST_POSTGRES_URL the test fails in CI (a missing
// server there is a failure, never a skip) and is skipped elsewhere.
func testPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := os.Getenv("TRAVELROAM_TEST_POSTGRES_URL")
	if url == "" {
		msg := "TRAVELROAM_TEST_POSTGRES_URL is not set: run `scripts/services.sh start` and `eval \"$(scripts/services.sh env)\"` at the repository's root"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func testStore(t testing.TB, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	s, err := pgstore.New(context.Background(), testPool(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGate(t *testing.T) {
	s := testStore(t)
	storetest.TestPurchaseGate(t, func(*testing.T) travelroam.PurchaseGate { return s.Gate() })
}

func TestJournal(t *testing.T) {
	s := testStore(t)
	storetest.TestPurchaseJournal(t, func(*testing.T) travelroam.PurchaseJournal { return s.Journal() })
}

func TestDeduper(t *testing.T) {
	s := testStore(t)
	storetest.TestDeduper(t, func(*testing.T) travelroam.Deduper { return s.Deduper() })
}

func TestDeduperExpiry(t *testing.T) {
	pool := testPool(t)
	storetest.TestDeduperExpiry(t, func(t *testing.T, reservation, seen time.Duration) travelroam.Deduper {
		s, err := pgstore.New(context.Background(), pool, pgstore.WithDedupeTTL(reservation, seen))
		if err != nil {
			t.Fatal(err)
		}
		return s.Deduper()
	})
}

// TestNewConcurrently: several processes starting at once against an
// empty schema all succeed (the table creation is serialised).
func TestNewConcurrently(t *testing.T) {
	pool := testPool(t)
	ctx := context.Background()
	schema := fmt.Sprintf("pgstore_test_%d", time.Now().UnixNano())
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = pool.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	cfg := pool.Config().Copy()
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			p, err := pgxpool.NewWithConfig(ctx, cfg)
			if err != nil {
				t.Error(err)
				return
			}
			defer p.Close()
			s, err := pgstore.New(ctx, p)
			if err != nil {
				t.Errorf("New: %v", err)
				return
			}
			if _, _, err := s.Journal().Get(ctx, "sandbox:0123456789abcdef", "k"); err != nil {
				t.Errorf("Get after New: %v", err)
			}
		})
	}
	wg.Wait()
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("%d tables in the new schema, want 3", n)
	}
}

func TestJournalDeleteFinished(t *testing.T) {
	ctx := context.Background()
	j := testStore(t).Journal()
	prefix := fmt.Sprintf("delete-finished-%d-", time.Now().UnixNano())
	old := time.Now().Add(-100 * 24 * time.Hour)
	for _, o := range []travelroam.PurchaseOutcome{travelroam.OutcomeSucceeded, travelroam.OutcomeUnknown, travelroam.OutcomeRefused} {
		a := travelroam.PurchaseAttempt{Key: prefix + string(o), ID: "id", BundleName: "b", StartedAt: old}
		if _, ok, err := j.Begin(ctx, a); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if err := j.Finish(ctx, a, o, "", old); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := j.DeleteFinished(ctx, old.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for o, kept := range map[travelroam.PurchaseOutcome]bool{travelroam.OutcomeSucceeded: false, travelroam.OutcomeUnknown: true, travelroam.OutcomeRefused: false} {
		if _, ok, err := j.Get(ctx, "", prefix+string(o)); err != nil || ok != kept {
			t.Errorf("%s attempt after DeleteFinished: present %v (err %v), want %v", o, ok, err, kept)
		}
	}
}

// TestSimpleProtocol runs the suites again through a pool that prepares
// no statements, as pools behind PgBouncer in transaction mode are often
// configured: the store needs no session state.
func TestSimpleProtocol(t *testing.T) {
	cfg := testPool(t).Config().Copy()
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s, err := pgstore.New(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Gate", func(t *testing.T) {
		storetest.TestPurchaseGate(t, func(*testing.T) travelroam.PurchaseGate { return s.Gate() })
	})
	t.Run("Journal", func(t *testing.T) {
		storetest.TestPurchaseJournal(t, func(*testing.T) travelroam.PurchaseJournal { return s.Journal() })
	})
	t.Run("Deduper", func(t *testing.T) {
		storetest.TestDeduper(t, func(*testing.T) travelroam.Deduper { return s.Deduper() })
	})
}

// TestGateFreshKeyRace: many Acquires of keys never seen, at once. One of
// them inserts the key's row ('-infinity': free) between another's failed
// claim and its look at the row, which must read as "free now" rather
// than fail on the infinite timestamp.
func TestGateFreshKeyRace(t *testing.T) {
	g := testStore(t).Gate()
	ctx := context.Background()
	prefix := fmt.Sprintf("fresh-race-%d-", time.Now().UnixNano())
	for k := range 30 {
		key := prefix + strconv.Itoa(k)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				p, err := g.Acquire(ctx, key, 0, time.Minute)
				if err != nil {
					t.Errorf("Acquire of a fresh key: %v", err)
					return
				}
				if err := p.Release(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
}
