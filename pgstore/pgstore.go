// Package pgstore keeps the purchase gate, the purchase journal and the
// callback deduper of package travelroam in PostgreSQL, so that every
// replica of a service, and every restart of it, shares them: one
// account's purchases are spaced across all processes, a purchase whose
// Key was attempted is never sent again, and a callback event is
// processed once.
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	…
//	store, err := pgstore.New(ctx, pool) // creates its tables if missing
//	…
//	client, err := travelroam.NewClient(apiKey, secret,
//		travelroam.WithPurchaseLedger(store.Ledger())) // the journal and the gate
//	handler := travelroam.NewCallbackHandler(fn,
//		travelroam.WithCallbackDeduper(store.Deduper()))
//
// # Tables
//
// New creates three tables in the schema that the pool's search_path
// selects, when they are missing (several processes may start at once):
// travelroam_purchase_gate (one row per account), travelroam_purchase_journal
// (one row per account and purchase Key, kept until you delete it, e.g.
// with [Journal.DeleteFinished]) and travelroam_callback_dedupe (one row
// per recent callback event; expired rows are deleted as the deduper
// goes). To create them yourself in a migration, take the statements from
// [Schema]; New then only checks that they exist in their current shape.
// A journal table created by an earlier version (keyed by the Key alone)
// is migrated in place by the same statements: an attempt_id column is
// added and the primary key becomes (account, key).
//
// # How it works
//
// Every operation is one or two short statements in one short
// transaction at READ COMMITTED whatever the database's default isolation
// level (a statement that waited on a concurrent row lock re-checks the
// row instead of failing with a serialization error): no transaction and
// no session state is kept across the purchase's HTTP call, so the store
// works behind PgBouncer in transaction mode (give
// such a pool a query mode that prepares no statements, e.g.
// pgx.QueryExecModeSimpleProtocol, unless PgBouncer tracks them). The
// gate claims an account's row with one conditional UPDATE … RETURNING
// that compares the database clock with the end of the last hold plus the
// interval; a waiting Acquire polls (see [Gate.Acquire]). The [Ledger]
// claims the account and records the attempt in one such transaction,
// and frees the account and records the outcome in another: two commits
// per purchase. Session
// advisory locks are not used: they free themselves when a connection
// dies, which is exactly when a purchase may still be in flight.
//
// What is stored: the journal keeps each purchase's Key, account key (an
// environment and a hash of the API key, never the key), bundle, ICCID of
// a top-up, environment, times, outcome and order reference. The ICCID is
// stored in full (a recovery job needs it); this package never logs and
// never puts a stored value in an error.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Schema is the SQL that [New] runs (in one transaction, serialised
// between processes) when one of the store's tables is missing or the
// journal has the shape of an earlier version. Every statement is
// idempotent.
const Schema = `
CREATE TABLE IF NOT EXISTS travelroam_purchase_gate (
	key      text PRIMARY KEY,
	token    text NOT NULL,        -- fences the permit of the last holder
	held     boolean NOT NULL,     -- the last holder has not released
	until_at timestamptz NOT NULL, -- lease end while held, release time after
	gap_us   bigint NOT NULL       -- interval of the last holder, microseconds
);
CREATE TABLE IF NOT EXISTS travelroam_purchase_journal (
	account     text NOT NULL,     -- Client.AccountKey: environment and hash of the API key
	key         text NOT NULL,     -- the purchase Key, as the application gave it
	attempt_id  text NOT NULL,     -- fences the outcome of one attempt
	bundle_name text NOT NULL,
	iccid       text NOT NULL,
	environment text NOT NULL,
	started_at  timestamptz NOT NULL,
	outcome     text NOT NULL CHECK (outcome IN ('pending', 'succeeded', 'refused', 'not_sent', 'unknown')),
	reference   text NOT NULL,
	finished_at timestamptz,
	PRIMARY KEY (account, key)
);
-- A journal created by an earlier version (primary key: the Key alone, no
-- attempt id) is migrated in place: its rows keep their Key and account.
ALTER TABLE travelroam_purchase_journal ADD COLUMN IF NOT EXISTS attempt_id text NOT NULL DEFAULT 'migrated';
ALTER TABLE travelroam_purchase_journal ALTER COLUMN attempt_id DROP DEFAULT;
DO $$
DECLARE pk name;
BEGIN
	SELECT conname INTO pk FROM pg_constraint
	WHERE conrelid = 'travelroam_purchase_journal'::regclass AND contype = 'p' AND cardinality(conkey) = 1;
	IF pk IS NOT NULL THEN
		EXECUTE format('ALTER TABLE travelroam_purchase_journal DROP CONSTRAINT %I', pk);
		ALTER TABLE travelroam_purchase_journal ADD PRIMARY KEY (account, key);
	END IF;
END $$;
CREATE INDEX IF NOT EXISTS travelroam_purchase_journal_unfinished
	ON travelroam_purchase_journal (started_at, key) WHERE outcome IN ('pending', 'unknown');
CREATE INDEX IF NOT EXISTS travelroam_purchase_journal_key ON travelroam_purchase_journal (key);
CREATE TABLE IF NOT EXISTS travelroam_callback_dedupe (
	key        text PRIMARY KEY,
	seen       boolean NOT NULL,   -- processed (else reserved by a delivery in flight)
	token      text NOT NULL,      -- fences the reservation
	expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS travelroam_callback_dedupe_expires ON travelroam_callback_dedupe (expires_at);
`

// schemaLock serialises the creation of the tables between processes
// (CREATE TABLE IF NOT EXISTS may fail when run concurrently). It is a
// transaction-level advisory lock, held only while New creates tables.
const schemaLock = 0x7472766c // "trvl"

// Defaults of the deduper's times to live.
const (
	// DefaultReservationTTL is how long a callback event stays reserved
	// by a delivery that never calls Done (its process died).
	DefaultReservationTTL = 5 * time.Minute
	// DefaultSeenTTL is how long a processed callback event is
	// remembered, as long as the in-memory deduper of package travelroam.
	DefaultSeenTTL = 72 * time.Hour
)

// Store keeps a [Gate], a [Journal] and a [Deduper] in PostgreSQL. It does
// not own the pool: close the pool when you are done. It is safe for
// concurrent use.
type Store struct {
	pool           *pgxpool.Pool
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

// New returns a Store using pool, after creating its tables if they are
// missing (idempotent, and safe when several processes start at once).
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: nil pool")
	}
	s := &Store{pool: pool, reservationTTL: DefaultReservationTTL, seenTTL: DefaultSeenTTL}
	for _, o := range opts {
		o(s)
	}
	s.gate.s, s.journal.s, s.deduper.s = s, s, s
	s.ledger = Ledger{Journal: s.journal, Gate: s.gate}
	if err := s.createTables(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) createTables(ctx context.Context) error {
	var present bool
	err := s.pool.QueryRow(ctx, `SELECT to_regclass('travelroam_purchase_gate') IS NOT NULL
		AND to_regclass('travelroam_purchase_journal') IS NOT NULL
		AND to_regclass('travelroam_callback_dedupe') IS NOT NULL
		AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('travelroam_purchase_journal')
			AND attname = 'attempt_id' AND NOT attisdropped)`).Scan(&present)
	if err != nil {
		return fmt.Errorf("pgstore: look for tables: %w", err)
	}
	if present {
		return nil
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLock)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, Schema)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: create tables: %w", err)
	}
	return nil
}

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

// readCommitted runs fn in one short transaction at READ COMMITTED,
// whatever the default isolation level of the database, the role or the
// pool (default_transaction_isolation). The store's statements decide on a
// row that a concurrent statement may hold locked (two claims of one
// account, two Begins of one event): at READ COMMITTED the one that waited
// re-checks its condition on the winner's row; at REPEATABLE READ or
// SERIALIZABLE it would fail with a serialization error (40001) instead.
// The transaction (BEGIN ISOLATION LEVEL READ COMMITTED, the statement,
// COMMIT) ends before readCommitted returns, so the store keeps no session
// state and still works behind PgBouncer in transaction mode.
func (s *Store) readCommitted(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, fn)
}

// exec runs one statement at READ COMMITTED (see readCommitted).
func (s *Store) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := s.readCommitted(ctx, func(tx pgx.Tx) error {
		var err error
		tag, err = tx.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}

// queryRow runs one statement at READ COMMITTED (see readCommitted) and
// scans its one row into dest; pgx.ErrNoRows when it returns none.
func (s *Store) queryRow(ctx context.Context, sql string, args []any, dest ...any) error {
	return s.readCommitted(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, sql, args...).Scan(dest...)
	})
}

// micros returns d in whole microseconds, the unit of the database's
// clock.
func micros(d time.Duration) int64 { return d.Microseconds() }

// ctxErr returns ctx's error if it ended, else err wrapped with what.
func ctxErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("pgstore: %s: %w", what, err)
}
