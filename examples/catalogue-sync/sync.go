package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/roamkit/travelroam"
	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite", no cgo
)

// schema is the catalogue copy. The price is stored as text, exactly as
// Travel Roam sent it (never as a float); the whole bundle is kept as JSON
// too, so that nothing the API said is lost and a [travelroam.Bundle] can
// be decoded back from it.
const schema = `
CREATE TABLE IF NOT EXISTS bundles (
	name          TEXT PRIMARY KEY,
	description   TEXT NOT NULL,
	countries     TEXT NOT NULL, -- base countries' ISO codes, comma-separated
	data_mb       INTEGER NOT NULL,
	duration_days INTEGER NOT NULL,
	unlimited     INTEGER NOT NULL,
	price         TEXT NOT NULL, -- exact decimal, e.g. '2.78'
	json          TEXT NOT NULL, -- the bundle as the SDK marshals it
	updated_at    TEXT NOT NULL  -- when this row last changed (RFC 3339, UTC)
) STRICT`

const upsert = `
INSERT INTO bundles (name, description, countries, data_mb, duration_days, unlimited, price, json, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET
	description = excluded.description, countries = excluded.countries, data_mb = excluded.data_mb,
	duration_days = excluded.duration_days, unlimited = excluded.unlimited, price = excluded.price,
	json = excluded.json, updated_at = excluded.updated_at`

// store is the SQLite database holding the catalogue copy.
type store struct{ db *sql.DB }

// openStore opens (or creates) the database at path and its table.
func openStore(ctx context.Context, path string) (*store, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("creating the table in %s: %w", path, err)
	}
	return &store{db: db}, nil
}

func (st *store) close() error { return st.db.Close() }

// syncStats counts what a sync did.
type syncStats struct {
	Fetched, Inserted, Updated, Deleted, Unchanged int
}

// syncCatalogue reads the whole catalogue (every region when countries is
// empty) and makes the store hold exactly that, in one transaction.
func syncCatalogue(ctx context.Context, c *travelroam.Client, st *store, countries []string) (syncStats, error) {
	bundles, err := fetchCatalogue(ctx, c, countries)
	if err != nil {
		return syncStats{}, err
	}
	return st.replace(ctx, bundles, time.Now().UTC())
}

// fetchCatalogue walks the catalogue and returns every bundle once. It
// returns nothing unless the whole walk succeeded: a partial catalogue
// must not delete the bundles it missed.
func fetchCatalogue(ctx context.Context, c *travelroam.Client, countries []string) (map[string]travelroam.Bundle, error) {
	scopes := []travelroam.CatalogueOptions{{Countries: countries}}
	if len(countries) == 0 {
		scopes = scopes[:0]
		for _, r := range []travelroam.Region{travelroam.RegionAfrica, travelroam.RegionAsia, travelroam.RegionEurope,
			travelroam.RegionGlobal, travelroam.RegionMiddleEast, travelroam.RegionNorthAmerica,
			travelroam.RegionOceania, travelroam.RegionSouthAmerica} {
			scopes = append(scopes, travelroam.CatalogueOptions{Region: r})
		}
	}
	out := make(map[string]travelroam.Bundle)
	for _, scope := range scopes {
		for b, err := range c.CatalogueAll(ctx, scope) {
			if err != nil {
				return nil, fmt.Errorf("reading the catalogue (nothing was changed): %w", err)
			}
			out[b.Name] = b // a bundle listed under two regions is stored once
		}
	}
	return out, nil
}

// replace makes the table hold exactly bundles: new ones are inserted,
// changed ones updated (with updated_at = now), missing ones deleted, and
// unchanged rows are not touched, all in one transaction.
func (st *store) replace(ctx context.Context, bundles map[string]travelroam.Bundle, now time.Time) (syncStats, error) {
	stats := syncStats{Fetched: len(bundles)}
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return stats, err
	}
	defer tx.Rollback() // a no-op after Commit
	stored, err := storedJSON(ctx, tx)
	if err != nil {
		return stats, err
	}
	if len(bundles) == 0 && len(stored) > 0 {
		return stats, fmt.Errorf("the catalogue came back empty: refusing to delete the %d bundles stored", len(stored))
	}
	if err := upsertChanged(ctx, tx, bundles, stored, now.Format(time.RFC3339), &stats); err != nil {
		return stats, err
	}
	for name := range stored { // what is left disappeared from the catalogue
		if _, err := tx.ExecContext(ctx, `DELETE FROM bundles WHERE name = ?`, name); err != nil {
			return stats, fmt.Errorf("deleting %s: %w", name, err)
		}
		stats.Deleted++
	}
	return stats, tx.Commit()
}

// storedJSON returns the JSON of every stored bundle by name.
func storedJSON(ctx context.Context, tx *sql.Tx) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, json FROM bundles`)
	if err != nil {
		return nil, fmt.Errorf("reading the stored bundles: %w", err)
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var name, js string
		if err := rows.Scan(&name, &js); err != nil {
			return nil, err
		}
		out[name] = js
	}
	return out, rows.Err()
}

// upsertChanged writes the bundles whose JSON differs from the stored one
// and removes every bundle it sees from stored.
func upsertChanged(ctx context.Context, tx *sql.Tx, bundles map[string]travelroam.Bundle, stored map[string]string, now string, stats *syncStats) error {
	stmt, err := tx.PrepareContext(ctx, upsert)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for name, b := range bundles {
		js, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", name, err)
		}
		old, found := stored[name]
		delete(stored, name)
		switch {
		case found && old == string(js):
			stats.Unchanged++
			continue
		case found:
			stats.Updated++
		default:
			stats.Inserted++
		}
		if _, err := stmt.ExecContext(ctx, b.Name, b.Description, strings.Join(b.CountryCodes(), ","),
			b.DataAmountMB, b.DurationDays, b.Unlimited, b.Price.String(), string(js), now); err != nil {
			return fmt.Errorf("storing %s: %w", name, err)
		}
	}
	return nil
}
