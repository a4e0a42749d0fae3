// Package sqlitestore keeps the purchase gate, the purchase journal and
// the callback deduper of package travelroam in one SQLite file: the
// embedded choice for a service on one machine, shared by its processes
// and kept across restarts. It uses modernc.org/sqlite (pure Go, no cgo).
//
//	store, err := sqlitestore.Open("/var/lib/myapp/travelroam.db")
//	…
//	defer store.Close()
//	client, err := travelroam.NewClient(apiKey, secret,
//		travelroam.WithPurchaseLedger(store.Ledger())) // the journal and the gate
//	handler := travelroam.NewCallbackHandler(fn,
//		travelroam.WithCallbackDeduper(store.Deduper()))
//
// Several processes may open the same file: the database runs in WAL mode
// with a busy timeout, every change that reads before it writes runs in a
// BEGIN IMMEDIATE transaction (the write lock is taken first, so two
// processes never decide on the same row at once), and every commit is
// synced to disk (synchronous=FULL), so a recorded purchase attempt
// survives a crash of the process or of the machine. The file must be on
// a local disk (SQLite's locks do not hold on network file systems), and
// all processes must share the machine's clock: the gate's times are the
// processes' wall clock.
//
// The [Ledger] records a purchase's attempt in the transaction that
// claims its account and records its outcome in the transaction that
// frees it: two commits (two syncs) per purchase.
//
// The journal has one row per account and purchase Key. A file whose
// journal was created by an earlier version (one row per Key) is
// migrated in place when opened.
//
// What is stored: the journal keeps each purchase's Key, account key (an
// environment and a hash of the API key, never the key), bundle, ICCID of
// a top-up, environment, times, outcome and order reference. The ICCID is
// stored in full (a recovery job needs it): protect the file like the rest
// of your data. This package never logs and never puts a stored value in
// an error.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// schema creates the store's tables if they are missing. Times are Unix
// microseconds.
const schema = `
CREATE TABLE IF NOT EXISTS travelroam_purchase_gate (
	key      TEXT PRIMARY KEY,
	token    TEXT NOT NULL,    -- fences the permit of the last holder
	held     INTEGER NOT NULL, -- the last holder has not released
	until_us INTEGER NOT NULL, -- lease end while held, release time after
	gap_us   INTEGER NOT NULL  -- interval of the last holder
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS travelroam_purchase_journal (
	account     TEXT NOT NULL,    -- Client.AccountKey: environment and hash of the API key
	key         TEXT NOT NULL,    -- the purchase Key, as the application gave it
	attempt_id  TEXT NOT NULL,    -- fences the outcome of one attempt
	bundle_name TEXT NOT NULL,
	iccid       TEXT NOT NULL,
	environment TEXT NOT NULL,
	started_us  INTEGER NOT NULL,
	outcome     TEXT NOT NULL,
	reference   TEXT NOT NULL,
	finished_us INTEGER,          -- NULL while pending
	PRIMARY KEY (account, key)
);
CREATE INDEX IF NOT EXISTS travelroam_purchase_journal_unfinished
	ON travelroam_purchase_journal (started_us, key) WHERE outcome IN ('pending', 'unknown');
CREATE INDEX IF NOT EXISTS travelroam_purchase_journal_key ON travelroam_purchase_journal (key);
CREATE TABLE IF NOT EXISTS travelroam_callback_dedupe (
	key        TEXT PRIMARY KEY,
	seen       INTEGER NOT NULL, -- processed (else reserved by a delivery in flight)
	token      TEXT NOT NULL,    -- fences the reservation
	expires_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS travelroam_callback_dedupe_expires ON travelroam_callback_dedupe (expires_us);
`

// Defaults of the deduper's times to live.
const (
	// DefaultReservationTTL is how long a callback event stays reserved
	// by a delivery that never calls Done (its process died).
	DefaultReservationTTL = 5 * time.Minute
	// DefaultSeenTTL is how long a processed callback event is
	// remembered, as long as the in-memory deduper of package travelroam.
	DefaultSeenTTL = 72 * time.Hour
)

// busyTimeout is how long a statement waits for another process's write
// lock before it fails.
const busyTimeout = 10 * time.Second

// Store keeps a [Gate], a [Journal] and a [Deduper] in one SQLite file.
// It owns its database handle: call [Store.Close] when done. It is safe
// for concurrent use; its operations go through one connection, one at a
// time.
type Store struct {
	db             *sql.DB
	reservationTTL time.Duration
	seenTTL        time.Duration

	gate    Gate
	journal Journal
	deduper Deduper
	ledger  Ledger
}

// Option configures a [Store].
type Option func(*Store)

// WithDedupeTTL sets how long the deduper keeps a reservation that is
// never Done (default [DefaultReservationTTL]) and a processed event
// (default [DefaultSeenTTL]). Zero or negative values keep the default.
func WithDedupeTTL(reservation, seen time.Duration) Option {
	return func(s *Store) {
		if reservation > 0 {
			s.reservationTTL = reservation
		}
		if seen > 0 {
			s.seenTTL = seen
		}
	}
}

// Open opens (creating it if needed) the SQLite database at path and its
// tables. Several processes may open the same path at once.
func Open(path string, opts ...Option) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, fmt.Errorf("sqlitestore: open %q: want the path of a file (without '?' or '#')", path)
	}
	dsn := path + fmt.Sprintf("?_busy_timeout=%d&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate", busyTimeout.Milliseconds())
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %q: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	s := &Store{db: db, reservationTTL: DefaultReservationTTL, seenTTL: DefaultSeenTTL}
	for _, o := range opts {
		o(s)
	}
	s.gate.s, s.journal.s, s.deduper.s = s, s, s
	s.ledger = Ledger{Journal: s.journal, Gate: s.gate}
	if err := openTables(s); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlitestore: open %q: create tables: %w", path, err)
	}
	return s, nil
}

// openTries bounds the attempts of Open to create the tables of a new
// file that other processes open at the same moment: switching a new
// file to WAL mode can fail with SQLITE_BUSY without waiting for the
// busy timeout.
const openTries = 20

// openTables runs createTables, again after a short pause when the
// database was busy (another process opening the same new file).
func openTables(s *Store) error {
	var err error
	for i := range openTries {
		if err = s.tx(context.Background(), createTables); err == nil || !isBusy(err) {
			return err
		}
		time.Sleep(time.Duration(i+1) * 5 * time.Millisecond)
	}
	return err
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (5).
func isBusy(err error) bool {
	var se interface{ Code() int }
	return errors.As(err, &se) && se.Code()&0xff == 5
}

// createTables creates the store's tables, migrating a journal created by
// an earlier version (one row per Key, no attempt id) in place: SQLite
// cannot change a primary key, so the old table is renamed, its rows are
// copied into the new one (attempt id "migrated") and it is dropped, all
// in the caller's transaction.
func createTables(tx *sql.Tx) error {
	var tables, idColumns int
	err := tx.QueryRow(`SELECT
		(SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'travelroam_purchase_journal'),
		(SELECT count(*) FROM pragma_table_info('travelroam_purchase_journal') WHERE name = 'attempt_id')`).Scan(&tables, &idColumns)
	if err != nil {
		return err
	}
	migrate := tables == 1 && idColumns == 0
	if migrate {
		if _, err := tx.Exec(`ALTER TABLE travelroam_purchase_journal RENAME TO travelroam_purchase_journal_v1;
			DROP INDEX IF EXISTS travelroam_purchase_journal_unfinished;`); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(schema); err != nil {
		return err
	}
	if migrate {
		_, err := tx.Exec(`INSERT INTO travelroam_purchase_journal
			(account, key, attempt_id, bundle_name, iccid, environment, started_us, outcome, reference, finished_us)
			SELECT account, key, 'migrated', bundle_name, iccid, environment, started_us, outcome, reference, finished_us
			FROM travelroam_purchase_journal_v1;
			DROP TABLE travelroam_purchase_journal_v1;`)
		return err
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Gate returns the store's purchase gate.
func (s *Store) Gate() *Gate { return &s.gate }

// Journal returns the store's purchase journal.
func (s *Store) Journal() *Journal { return &s.journal }

// Ledger returns the store's journal and gate as one
// travelroam.PurchaseLedger (two commits per purchase): give it to a
// Client with travelroam.WithPurchaseLedger. Journal and Gate stay for a
// Client that keeps its gate elsewhere (e.g. in Redis).
func (s *Store) Ledger() *Ledger { return &s.ledger }

// Deduper returns the store's callback deduper.
func (s *Store) Deduper() *Deduper { return &s.deduper }

// tx runs fn in a BEGIN IMMEDIATE transaction: the write lock is taken
// before fn reads, so fn's decision and its write are atomic across
// processes. fn's error rolls it back.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock=immediate)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// ctxErr returns ctx's error if it ended, else err wrapped with what.
func ctxErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("sqlitestore: %s: %w", what, err)
}

// nowMicros is the clock of the store: the machine's wall clock, shared
// by every process on it.
func nowMicros() int64 { return time.Now().UnixMicro() }
