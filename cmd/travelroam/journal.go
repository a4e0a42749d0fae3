package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/pgstore"
	"github.com/roamkit/travelroam/sqlitestore"
)

// Environment variables of the purchase journal.
const (
	envJournal       = "TRAVELROAM_JOURNAL"
	envStateHome     = "XDG_STATE_HOME"
	journalFileName  = "journal.db"
	journalDirMode   = 0o700
	journalFileMode  = 0o600
	postgresPrefix   = "postgres://"
	postgresqlPrefix = "postgresql://"
)

// journalStore is the purchase journal and gate the command line uses, as
// one ledger (two commits per purchase): one SQLite file (sqlitestore) or
// a PostgreSQL database (pgstore).
type journalStore struct {
	where   string // the file's path, or "PostgreSQL" (a DSN may hold a password)
	journal travelroam.PurchaseLedger
	// path (SQLite) or pool (PostgreSQL) is where purchases --recent
	// reads the attempts; one of them is set.
	path  string
	pool  *pgxpool.Pool
	close func() error
}

// Close closes the store.
func (s *journalStore) Close() error { return s.close() }

// options are the Client options that record purchases in s and pace
// them through its gate.
func (s *journalStore) options() []travelroam.Option {
	return []travelroam.Option{travelroam.WithPurchaseLedger(s.journal)}
}

// journalLocation is where the journal is: --journal, else
// TRAVELROAM_JOURNAL, else journal.db in the user's state directory.
// defaultDir is true for the last (its directory is the command line's
// own, made 0700).
func (c *cli) journalLocation(flagValue string) (loc string, defaultDir bool, err error) {
	if flagValue != "" {
		return flagValue, false, nil
	}
	if v := c.getenv(envJournal); v != "" {
		return v, false, nil
	}
	dir, err := c.stateDir()
	if err != nil {
		return "", false, err
	}
	return filepath.Join(dir, journalFileName), true, nil
}

// stateDir is the command line's state directory: $XDG_STATE_HOME/travelroam,
// else ~/.local/state/travelroam (Linux and other Unix systems),
// ~/Library/Application Support/travelroam (macOS) or
// %LocalAppData%\travelroam (Windows).
func (c *cli) stateDir() (string, error) {
	if v := c.getenv(envStateHome); v != "" && filepath.IsAbs(v) {
		return filepath.Join(v, "travelroam"), nil
	}
	if runtime.GOOS == "windows" {
		if v := c.getenv("LocalAppData"); v != "" {
			return filepath.Join(v, "travelroam"), nil
		}
	}
	home := c.getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no state directory for the purchase journal (set %s or pass --journal): %w", envStateHome, err)
		}
		home = h
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Application Support", "travelroam"), nil
	}
	return filepath.Join(home, ".local", "state", "travelroam"), nil
}

// openJournal opens the purchase journal named by flagValue (see
// journalLocation).
func (c *cli) openJournal(ctx context.Context, flagValue string) (*journalStore, error) {
	loc, defaultDir, err := c.journalLocation(flagValue)
	if err != nil {
		return nil, err
	}
	if dsn, ok := postgresURL(loc); ok {
		return openPostgresJournal(ctx, dsn)
	}
	if looksLikeConnString(loc) {
		// Not quoted: it may hold a password.
		return nil, usagef("the purchase journal (--journal, %s or the profile's journal) looks like a connection string "+
			"but is not a postgres:// URL: write it as postgres://USER:PASSWORD@HOST/DATABASE, or give the path of a SQLite file", envJournal)
	}
	return openSQLiteJournal(loc, defaultDir)
}

// postgresURL returns loc with its scheme in lower case (as pgx wants it)
// when it is a postgres:// or postgresql:// URL, in any case.
func postgresURL(loc string) (string, bool) {
	scheme, rest, ok := strings.Cut(loc, "://")
	if !ok {
		return "", false
	}
	scheme = strings.ToLower(scheme)
	if scheme+"://" != postgresPrefix && scheme+"://" != postgresqlPrefix {
		return "", false
	}
	return scheme + "://" + rest, true
}

// connKeyword is a libpq key=value connection string's keyword.
var connKeyword = regexp.MustCompile(`(?i)(?:^|\s)(?:host|hostaddr|port|user|password|dbname|sslmode|service|passfile)\s*=`)

// looksLikeConnString reports whether loc is a connection string rather
// than a file path: a URL of any scheme (mysql://…, POSTGRES:// is caught
// before) or a libpq key=value string (host=… password=…). Made a SQLite
// file, the journal would be this machine's only, with the password in a
// file or directory name.
func looksLikeConnString(loc string) bool {
	return strings.Contains(loc, "://") || connKeyword.MatchString(loc)
}

func openPostgresJournal(ctx context.Context, dsn string) (*journalStore, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		// pgx's parse errors may quote the DSN (and its password).
		return nil, usagef("--journal: not a PostgreSQL connection string pgx accepts")
	}
	st, err := pgstore.New(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("purchase journal in PostgreSQL: %w", err)
	}
	return &journalStore{where: "PostgreSQL", journal: st.Ledger(), pool: pool,
		close: func() error { pool.Close(); return nil }}, nil
}

// openSQLiteJournal opens (creating it) the SQLite journal at path: its
// directory 0700 when it is the command line's own (created 0700 when
// missing in any case), the file and its companions (-wal, -shm,
// -journal) 0600 whatever the umask or an earlier mode said.
func openSQLiteJournal(path string, defaultDir bool) (*journalStore, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, journalDirMode); err != nil {
		return nil, fmt.Errorf("purchase journal: %w", err)
	}
	if defaultDir {
		if err := os.Chmod(dir, journalDirMode); err != nil {
			return nil, fmt.Errorf("purchase journal: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, journalFileMode)
	if err != nil {
		return nil, fmt.Errorf("purchase journal: %w", err)
	}
	if err := errors.Join(f.Chmod(journalFileMode), f.Close()); err != nil {
		return nil, fmt.Errorf("purchase journal: %w", err)
	}
	st, err := sqlitestore.Open(path)
	if err != nil {
		return nil, fmt.Errorf("purchase journal: %w", err)
	}
	if err := chmodCompanions(path); err != nil {
		_ = st.Close()
		return nil, err
	}
	return &journalStore{where: path, journal: st.Ledger(), path: path,
		close: func() error { return errors.Join(st.Close(), chmodCompanions(path)) }}, nil
}

// chmodCompanions makes the journal's companion files that exist 0600
// (SQLite creates them with the file's mode; this holds whatever it did).
func chmodCompanions(path string) error {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		err := os.Chmod(path+suffix, journalFileMode)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("purchase journal: %w", err)
		}
	}
	return nil
}
