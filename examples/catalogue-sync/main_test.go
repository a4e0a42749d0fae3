package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// maxCatalogueCountries is the most countries the SDK sends in one
// catalogue request (documented on travelroam.CatalogueOptions).
const maxCatalogueCountries = 58

// row is one stored bundle, every column.
type row struct {
	name, description, countries, price, js, updatedAt string
	dataMB, days                                       int64
	unlimited                                          bool
}

func TestSyncStoresEveryBundleOnceAndIsIdempotent(t *testing.T) {
	t.Parallel()
	srv, c, st := setup(t)
	ctx := context.Background()
	want := srv.Bundles()

	stats, err := syncCatalogue(ctx, c, st, nil)
	require.NoError(t, err)
	require.Equal(t, syncStats{Fetched: len(want), Inserted: len(want)}, stats)
	first := rows(t, st)
	require.Len(t, first, len(want))
	for _, b := range want {
		r, ok := first[b.Name]
		require.True(t, ok, "bundle %s not stored", b.Name)
		price, err := travelroam.ParseAmount(r.price)
		require.NoError(t, err)
		require.Zero(t, price.Cmp(amountFromCents(b.PriceCents)), "price of %s stored exactly: %s", b.Name, r.price)
		require.Equal(t, b.Description, r.description)
		require.Equal(t, b.DataAmountMB, r.dataMB)
		require.Equal(t, int64(b.DurationDays), r.days)
		require.Equal(t, b.Unlimited, r.unlimited)
		require.Equal(t, b.Countries[0].ISO, strings.Split(r.countries, ",")[0])
		var back travelroam.Bundle
		require.NoError(t, json.Unmarshal([]byte(r.js), &back), "the JSON column decodes back to a Bundle")
		require.Equal(t, b.Name, back.Name)
		require.Zero(t, back.Price.Cmp(amountFromCents(b.PriceCents)))
	}

	stats, err = syncCatalogue(ctx, c, st, nil)
	require.NoError(t, err)
	require.Equal(t, syncStats{Fetched: len(want), Unchanged: len(want)}, stats)
	require.Equal(t, first, rows(t, st), "a second sync changes nothing, not even updated_at")
}

func TestSyncByMoreThan58CountriesSplitsTheList(t *testing.T) {
	t.Parallel()
	srv, c, st := setup(t)
	countries := strings.Fields(allCountries)
	require.Greater(t, len(countries), 2*maxCatalogueCountries)

	stats, err := syncCatalogue(context.Background(), c, st, countries)
	require.NoError(t, err)
	require.Equal(t, len(srv.Bundles()), stats.Inserted, "every bundle covers one of the countries")
	require.Len(t, rows(t, st), stats.Inserted)

	batches := map[string]bool{}
	for _, r := range srv.Requests() {
		var body struct{ Countries string }
		require.NoError(t, json.Unmarshal(r.Body, &body))
		require.LessOrEqual(t, len(strings.Split(body.Countries, ",")), maxCatalogueCountries)
		batches[body.Countries] = true
	}
	require.Len(t, batches, (len(countries)+maxCatalogueCountries-1)/maxCatalogueCountries)
}

func TestSyncUpdatesAndDeletes(t *testing.T) {
	t.Parallel()
	_, c, st := setup(t)
	ctx := context.Background()
	_, err := syncCatalogue(ctx, c, st, []string{"TR"})
	require.NoError(t, err)
	exec(t, st, `UPDATE bundles SET price = '0.01', json = '{}' WHERE name = 'esim_1GB_7D_TR_V2'`)
	exec(t, st, `INSERT INTO bundles VALUES ('esim_gone', 'gone', 'TR', 1000, 7, 0, '1.00', '{}', '2000-01-01T00:00:00Z')`)

	stats, err := syncCatalogue(ctx, c, st, []string{"TR"})
	require.NoError(t, err)
	require.Equal(t, 1, stats.Updated)
	require.Equal(t, 1, stats.Deleted)
	require.Equal(t, stats.Fetched-1, stats.Unchanged)
	stored := rows(t, st)
	require.NotContains(t, stored, "esim_gone")
	require.NotEqual(t, "0.01", stored["esim_1GB_7D_TR_V2"].price)
}

func TestFailedSyncChangesNothing(t *testing.T) {
	t.Parallel()
	srv, c, st := setup(t)
	ctx := context.Background()
	_, err := syncCatalogue(ctx, c, st, nil)
	require.NoError(t, err)
	before := rows(t, st)

	exec(t, st, `DELETE FROM bundles WHERE name = 'esim_1GB_7D_TR_V2'`)
	srv.InjectFault(travelroamtest.RouteCatalogue, travelroamtest.Pass(), travelroamtest.Pass(),
		travelroamtest.Status(400, "Bad request"))
	_, err = syncCatalogue(ctx, c, st, nil)
	require.ErrorContains(t, err, "nothing was changed")
	require.Len(t, rows(t, st), len(before)-1, "the failed walk neither inserted nor deleted")

	_, err = syncCatalogue(ctx, c, st, []string{"AQ"}) // the fake has nothing there
	require.ErrorContains(t, err, "refusing to delete")
	require.Len(t, rows(t, st), len(before)-1)
}

func TestRunStartsTheFake(t *testing.T) {
	t.Setenv("TRAVELROAM_API_KEY", "")
	t.Setenv("TRAVELROAM_CLIENT_SECRET", "")
	db := filepath.Join(t.TempDir(), "c.db")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-db", db}, &out))
	require.NoError(t, run(context.Background(), []string{"-db", db, "-countries", "all"}, &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 4)
	require.Contains(t, lines[0], "FAKE")
	require.Regexp(t, `^Synced \d+ bundles into .* [1-9]\d* inserted, 0 updated, 0 deleted, 0 unchanged\.$`, lines[1])
	require.Regexp(t, `^Synced \d+ bundles into .* 0 inserted, 0 updated, 0 deleted, [1-9]\d* unchanged\.$`, lines[3])

	_, err := parseOptions([]string{"stray"}, &out)
	require.ErrorContains(t, err, "unexpected arguments")
}

func setup(t *testing.T) (*travelroamtest.Server, *travelroam.Client, *store) {
	t.Helper()
	srv := travelroamtest.NewServer()
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret,
		travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	st, err := openStore(context.Background(), filepath.Join(t.TempDir(), "catalogue.db"))
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, st.close())
		c.CloseIdleConnections()
		srv.Close()
	})
	return srv, c, st
}

func rows(t *testing.T, st *store) map[string]row {
	t.Helper()
	rs, err := st.db.Query(`SELECT name, description, countries, data_mb, duration_days, unlimited, price, json, updated_at FROM bundles`)
	require.NoError(t, err)
	defer rs.Close()
	out := map[string]row{}
	for rs.Next() {
		var r row
		require.NoError(t, rs.Scan(&r.name, &r.description, &r.countries, &r.dataMB, &r.days, &r.unlimited, &r.price, &r.js, &r.updatedAt))
		out[r.name] = r
	}
	require.NoError(t, rs.Err())
	return out
}

func exec(t *testing.T, st *store, query string) {
	t.Helper()
	_, err := st.db.Exec(query)
	require.NoError(t, err)
}

// amountFromCents returns an amount of n hundredths, e.g. 185 gives
// "1.85", through travelroam.ParseAmount.
func amountFromCents(n int64) travelroam.Amount {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	a, err := travelroam.ParseAmount(fmt.Sprintf("%s%d.%02d", sign, n/100, n%100))
	if err != nil {
		panic(err)
	}
	return a
}
