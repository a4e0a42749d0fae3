package pgstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/pgstore"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/roamkit/travelroam/travelroamtest/storetest"
)

func TestLedger(t *testing.T) {
	s := testStore(t)
	storetest.TestPurchaseLedger(t, func(*testing.T) travelroam.PurchaseLedger { return s.Ledger() })
}

// commitCounter is a pgx tracer that counts the transactions its
// connections end with a commit: an explicit COMMIT, or a statement (or
// batch) run outside a transaction, which PostgreSQL commits by itself.
// A connection is idle ('I') after either.
type commitCounter struct{ n atomic.Int64 }

func (c *commitCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (c *commitCounter) TraceQueryEnd(_ context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	if data.Err == nil && conn.PgConn().TxStatus() == 'I' && !strings.EqualFold(data.CommandTag.String(), "ROLLBACK") {
		c.n.Add(1)
	}
}

func (c *commitCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (c *commitCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (c *commitCounter) TraceBatchEnd(_ context.Context, conn *pgx.Conn, data pgx.TraceBatchEndData) {
	if data.Err == nil && conn.PgConn().TxStatus() == 'I' {
		c.n.Add(1)
	}
}

// TestLedgerCommitsPerPurchase counts the transactions PostgreSQL commits
// for one purchase through a Client, against the fake API: at most two
// with the ledger (record and claim together, release and finish
// together), where the journal and the gate apart commit five (Begin,
// Acquire, the check that the attempt is still pending, Release, Finish).
// Each case buys twice and counts the second purchase (the first creates
// the account's gate row).
func TestLedgerCommitsPerPurchase(t *testing.T) {
	counter := &commitCounter{}
	cfg := testPool(t).Config().Copy()
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s, err := pgstore.New(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts []travelroam.Option
		max  int64
	}{
		{"ledger", []travelroam.Option{travelroam.WithPurchaseLedger(s.Ledger())}, 2},
		{"journal and gate apart", []travelroam.Option{travelroam.WithPurchaseJournal(s.Journal()), travelroam.WithPurchaseGate(s.Gate())}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := travelroamtest.NewServer()
			defer srv.Close()
			// Each case its own API key, so its own account and gate row.
			c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, append([]travelroam.Option{travelroam.WithBaseURL(srv.URL),
				travelroam.WithHTTPClient(srv.Client()), travelroam.WithPurchaseInterval(0)}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			var commits []int64
			for i := range 2 {
				before := counter.n.Load()
				_, err := c.ProcessOrder(context.Background(), travelroam.OrderRequest{
					BundleName: srv.Bundles()[0].Name, Key: fmt.Sprintf("commits-%d-%d", time.Now().UnixNano(), i)})
				if err != nil {
					t.Fatal(err)
				}
				commits = append(commits, counter.n.Load()-before)
			}
			t.Logf("%s: %d commits for the first purchase of the account, %d for the next", tc.name, commits[0], commits[1])
			if commits[1] > tc.max {
				t.Errorf("%s: %d commits per purchase, want at most %d", tc.name, commits[1], tc.max)
			}
		})
	}
}

// TestLedgerBeginAcquireLostReply: the claim and the record are committed
// but the answer to the COMMIT is lost. The failed BeginAcquire holds
// nothing: another process's BeginAcquire of the account succeeds at
// once, far below the lost claim's lease (10 min).
func TestLedgerBeginAcquireLostReply(t *testing.T) {
	ctx := context.Background()
	other := testStore(t).Ledger()
	s, proxy := lossyStore(t, "INSERT INTO travelroam_purchase_journal AS j")
	const lease = 10 * time.Minute
	account := fmt.Sprintf("lost-reply-%d", time.Now().UnixNano())
	a := travelroam.PurchaseAttempt{Account: account, Key: "order 1", ID: "lost", BundleName: "b"}
	_, p, err := s.Ledger().BeginAcquire(ctx, a, 0, lease)
	mustHaveDropped(t, proxy, err)
	if err == nil {
		_ = p.ReleaseFinish(ctx, travelroam.OutcomeNotSent, "")
		t.Fatal("BeginAcquire succeeded although the answer to its commit was lost")
	}
	t.Logf("BeginAcquire whose answer was lost: %v", err)
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	b := travelroam.PurchaseAttempt{Account: account, Key: "order 2", ID: "next", BundleName: "b"}
	_, q, err := other.BeginAcquire(waitCtx, b, 0, lease)
	if err != nil || q == nil {
		t.Fatalf("the next BeginAcquire, with a deadline well below the lost claim's lease: %v, %v (a ghost hold)", q, err)
	}
	if err := q.ReleaseFinish(ctx, travelroam.OutcomeRefused, ""); err != nil {
		t.Fatal(err)
	}
}

// TestLedgerReleaseFinishLostReply: the release and the outcome are
// committed but the answer is lost. Both happened or neither: the
// outcome is recorded and the account free.
func TestLedgerReleaseFinishLostReply(t *testing.T) {
	ctx := context.Background()
	other := testStore(t).Ledger()
	s, proxy := lossyStore(t, "UPDATE travelroam_purchase_gate SET held = false")
	account := fmt.Sprintf("lost-reply-%d", time.Now().UnixNano())
	a := travelroam.PurchaseAttempt{Account: account, Key: "order 1", ID: "id-1", BundleName: "b"}
	_, p, err := s.Ledger().BeginAcquire(ctx, a, 0, 10*time.Minute)
	if err != nil || p == nil {
		t.Fatal(p, err)
	}
	err = p.ReleaseFinish(ctx, travelroam.OutcomeSucceeded, "ref-1")
	mustHaveDropped(t, proxy, err)
	t.Logf("ReleaseFinish whose answer was lost: %v", err)
	got, ok, gerr := other.Get(ctx, account, "order 1")
	if gerr != nil || !ok || got.Outcome != travelroam.OutcomeSucceeded || got.Reference != "ref-1" {
		t.Fatalf("after the lost answer: %v, %v, %v; want succeeded with ref-1", got, ok, gerr)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	q, err := other.Acquire(waitCtx, account, 0, time.Minute)
	if err != nil {
		t.Fatalf("the account stayed held after its release was committed: %v", err)
	}
	_ = q.Release(ctx)
}
