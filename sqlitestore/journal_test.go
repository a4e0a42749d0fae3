package sqlitestore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/sqlitestore"
)

// TestJournalMigratesOldTable: a file whose journal was created by the
// first version (one row per Key, no attempt id) is migrated when opened:
// its attempts keep their Key and account, a pending one still refuses
// its Key to its own account, another account may use the Key, and
// opening again changes nothing.
func TestJournalMigratesOldTable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "travelroam.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	if _, err := db.Exec(`CREATE TABLE travelroam_purchase_journal (
		key         TEXT PRIMARY KEY,
		account     TEXT NOT NULL,
		bundle_name TEXT NOT NULL,
		iccid       TEXT NOT NULL,
		environment TEXT NOT NULL,
		started_us  INTEGER NOT NULL,
		outcome     TEXT NOT NULL,
		reference   TEXT NOT NULL,
		finished_us INTEGER
	);
	CREATE INDEX travelroam_purchase_journal_unfinished
		ON travelroam_purchase_journal (started_us, key) WHERE outcome IN ('pending', 'unknown');
	INSERT INTO travelroam_purchase_journal VALUES ('order 1001', 'live:aaaaaaaaaaaaaaaa', 'esim_1GB_7D_GB_V2', '', 'live', ?, 'pending', '', NULL);`,
		started.UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s := open(t, path)
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
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, path)
	if _, ok, err := s.Journal().Begin(ctx, travelroam.PurchaseAttempt{Key: "order 1001", Account: "sandbox:bbbbbbbbbbbbbbbb", ID: "b"}); err != nil || !ok {
		t.Errorf("Begin of the Key for another account = %v, %v; want recorded", ok, err)
	}
	un, err := s.Journal().Unfinished(ctx)
	if err != nil || len(un) != 2 {
		t.Errorf("Unfinished after migration = %v, %v; want both accounts' attempts", un, err)
	}
}

var _ = sqlitestore.Open
