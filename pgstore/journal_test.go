package pgstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/pgstore"
)

// oldJournalSchema is the journal table as the first version created it:
// the Key alone as primary key, no attempt id.
const oldJournalSchema = `
CREATE TABLE travelroam_purchase_journal (
	key         text PRIMARY KEY,
	account     text NOT NULL,
	bundle_name text NOT NULL,
	iccid       text NOT NULL,
	environment text NOT NULL,
	started_at  timestamptz NOT NULL,
	outcome     text NOT NULL CHECK (outcome IN ('pending', 'succeeded', 'refused', 'not_sent', 'unknown')),
	reference   text NOT NULL,
	finished_at timestamptz
);
CREATE INDEX travelroam_purchase_journal_unfinished
	ON travelroam_purchase_journal (started_at, key) WHERE outcome IN ('pending', 'unknown');`

// schemaPool returns a pool whose search_path is a new, empty schema,
// dropped at the end of the test.
func schemaPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := testPool(t)
	ctx := context.Background()
	schema := fmt.Sprintf("pgstore_test_%d", time.Now().UnixNano())
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = pool.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	cfg := pool.Config().Copy()
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// TestJournalMigratesOldTable: a journal table created by the first
// version (one row per Key) is migrated in place by New: its attempts keep
// their Key and account, a pending one still refuses its Key to its own
// account, another account may use the Key, and New runs again without
// change.
func TestJournalMigratesOldTable(t *testing.T) {
	ctx := context.Background()
	pool := schemaPool(t)
	if _, err := pool.Exec(ctx, oldJournalSchema); err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	if _, err := pool.Exec(ctx, `INSERT INTO travelroam_purchase_journal VALUES
		('order 1001', 'live:aaaaaaaaaaaaaaaa', 'esim_1GB_7D_GB_V2', '', 'live', $1, 'pending', '', NULL)`, started); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s, err := pgstore.New(ctx, pool)
		if err != nil {
			t.Fatalf("New over the old table: %v", err)
		}
		j := s.Journal()
		old, ok, err := j.Get(ctx, "live:aaaaaaaaaaaaaaaa", "order 1001")
		if err != nil || !ok {
			t.Fatalf("Get of the migrated attempt = %v, %v", ok, err)
		}
		if old.ID == "" || old.Outcome != travelroam.OutcomePending || !old.StartedAt.Equal(started) {
			t.Errorf("migrated attempt = %v (ID %q), want pending with an ID, started %v", old, old.ID, started)
		}
		if earlier, ok, err := j.Begin(ctx, travelroam.PurchaseAttempt{Key: "order 1001", Account: "live:aaaaaaaaaaaaaaaa", ID: "new"}); err != nil || ok || earlier.ID != old.ID {
			t.Errorf("Begin of the migrated Key for its account = %v, %v, %v; want refused by the migrated attempt", earlier, ok, err)
		}
	}
	s, err := pgstore.New(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Journal().Begin(ctx, travelroam.PurchaseAttempt{Key: "order 1001", Account: "sandbox:bbbbbbbbbbbbbbbb", ID: "b"}); err != nil || !ok {
		t.Errorf("Begin of the Key for another account = %v, %v; want recorded", ok, err)
	}
	var pk string
	if err := pool.QueryRow(ctx, `SELECT pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid = 'travelroam_purchase_journal'::regclass AND contype = 'p'`).Scan(&pk); err != nil {
		t.Fatal(err)
	}
	if pk != "PRIMARY KEY (account, key)" {
		t.Errorf("primary key after migration: %s", pk)
	}
}
