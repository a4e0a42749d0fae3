package e2e_test

// End-to-end suite: every SDK method against the travelroamtest fake,
// through real HTTP on loopback (and, in synctest_test.go, through the
// fake's in-memory network inside testing/synctest for the time-heavy
// parts). Every test captures the SDK's logs and error strings and checks
// at the end that no credential, full ICCID or activation code leaked.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/testrig"
	"github.com/roamkit/travelroam/travelroamtest"
)

// maxCatalogueCountries is the most countries the SDK sends in one
// catalogue request (documented on travelroam.CatalogueOptions).
const maxCatalogueCountries = 58

// e2e is a fake server on loopback and an SDK client talking to it.
type e2e struct {
	*testrig.LeakWatch
	srv *travelroamtest.Server
	c   *travelroam.Client
}

// newE2E starts a fake (options as given) and a client with purchase
// pacing off and its logs captured; both are closed when the test ends.
func newE2E(t *testing.T, opts ...travelroamtest.Option) *e2e {
	t.Helper()
	e := &e2e{LeakWatch: testrig.NewLeakWatch(t), srv: travelroamtest.NewServer(opts...)}
	t.Cleanup(e.srv.Close)
	e.WatchServer(e.srv)
	e.c = e.client(t, e.srv.APIKey, e.srv.ClientSecret)
	return e
}

// client returns a client of the fake with the given credentials.
func (e *e2e) client(t *testing.T, apiKey, secret string, opts ...travelroam.Option) *travelroam.Client {
	t.Helper()
	all := append([]travelroam.Option{
		travelroam.WithBaseURL(e.srv.URL),
		travelroam.WithHTTPClient(e.srv.Client()),
		travelroam.WithPurchaseInterval(0),
		travelroam.WithLogger(e.Logger()),
	}, opts...)
	c, err := travelroam.NewClient(apiKey, secret, all...)
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// fakeCountries returns the ISO codes of every country in the fake's
// catalogue, sorted.
func fakeCountries(srv *travelroamtest.Server) []string {
	var out []string
	for _, b := range srv.Bundles() {
		for _, c := range b.Countries {
			out = append(out, c.ISO)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// requireSameBundle checks that the SDK decoded the fake's bundle exactly.
func requireSameBundle(t *testing.T, want travelroamtest.Bundle, got travelroam.Bundle) {
	t.Helper()
	require.Equal(t, want.Name, got.Name)
	require.Equal(t, want.Description, got.Description)
	require.Equal(t, want.Groups, got.Groups)
	var codes []string
	for _, c := range want.Countries {
		codes = append(codes, c.ISO)
	}
	require.Equal(t, codes, got.CountryCodes())
	require.Equal(t, want.Countries[0].Name, got.Countries[0].Name)
	require.Equal(t, want.DataAmountMB, got.DataAmountMB)
	require.Equal(t, want.DurationDays, got.DurationDays)
	require.Equal(t, want.Speed, []string(got.Speed))
	require.Equal(t, want.Unlimited, got.Unlimited)
	require.Equal(t, want.ImageURL, got.ImageURL)
	require.Equal(t, want.BillingType, got.BillingType)
	require.Zero(t, got.Price.Cmp(amountFromCents(want.PriceCents)), "%s: price %s, want %d cents", want.Name, got.Price, want.PriceCents)
}

func TestE2ECatalogueAllCountriesInChunks(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	countries := fakeCountries(e.srv)
	require.Greater(t, len(countries), maxCatalogueCountries, "the walk must need more than one request")

	want := map[string]travelroamtest.Bundle{}
	for _, b := range e.srv.Bundles() {
		want[b.Name] = b // every bundle covers at least one of the countries
	}
	seen := map[string]int{}
	for b, err := range e.c.CatalogueAll(context.Background(), travelroam.CatalogueOptions{Countries: countries}) {
		require.NoError(t, e.Err(err))
		seen[b.Name]++
		w, ok := want[b.Name]
		require.True(t, ok, "bundle %s is not in the fake's catalogue", b.Name)
		requireSameBundle(t, w, b)
	}
	require.Len(t, seen, len(want), "every bundle found")
	for name, n := range seen {
		require.Equal(t, 1, n, "bundle %s yielded more than once", name)
	}

	sent := map[string]bool{}
	for _, r := range e.srv.Requests() {
		require.Equal(t, travelroamtest.RouteCatalogue, r.Route)
		list := strings.Split(jsonField(t, r.Body, "countries"), ",")
		require.LessOrEqual(t, len(list), maxCatalogueCountries)
		for _, c := range list {
			sent[c] = true
		}
	}
	require.Len(t, sent, len(countries), "every country asked for")
}

func TestE2ECatalogueByRegion(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, region := range []travelroam.Region{travelroam.RegionAfrica, travelroam.RegionAsia, travelroam.RegionEurope,
		travelroam.RegionGlobal, travelroam.RegionMiddleEast, travelroam.RegionNorthAmerica,
		travelroam.RegionOceania, travelroam.RegionSouthAmerica} {
		t.Run(string(region), func(t *testing.T) {
			t.Parallel()
			var want, got []string
			for _, b := range e.srv.Bundles() {
				if b.Region == string(region) {
					want = append(want, b.Name)
				}
			}
			for b, err := range e.c.CatalogueAll(context.Background(), travelroam.CatalogueOptions{Region: region, PerPage: 40}) {
				require.NoError(t, e.Err(err))
				got = append(got, b.Name)
			}
			require.NotEmpty(t, want)
			require.Equal(t, want, got, "the region's bundles, in the server's order, once each")
		})
	}
}

func TestE2ECataloguePageAndBundle(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	ctx := context.Background()
	page, err := e.c.Catalogue(ctx, travelroam.CatalogueOptions{Countries: []string{"tr", "TR"}, Page: 2, PerPage: 5})
	require.NoError(t, e.Err(err))
	require.Len(t, page.Bundles, 5)
	require.Equal(t, 5, page.PageSize)
	require.Positive(t, page.Rows)
	require.Equal(t, (page.Rows+4)/5, page.PageCount)

	for _, name := range []string{"esim_1GB_7D_TR_V2", "esim_UL_7D_TR_V2", "esim_3GB_30D_TR_U", "esim_5GB_30D_REUP_V2", "esim_UL_7D_RGB_V2"} {
		want, ok := e.srv.Bundle(name)
		require.True(t, ok, name)
		got, err := e.c.Bundle(ctx, name)
		require.NoError(t, e.Err(err))
		requireSameBundle(t, want, *got)
	}
	for _, name := range []string{"esim_404GB_7D_TR_V2", "ESIM_1GB_7D_TR_V2"} {
		_, err := e.c.Bundle(ctx, name)
		require.ErrorIs(t, e.Err(err), travelroam.ErrNotFound, "names are exact and case-sensitive")
	}
	_, err = e.c.Catalogue(ctx, travelroam.CatalogueOptions{Countries: []string{"PR"}})
	require.ErrorAs(t, e.Err(err), new(*travelroam.ValidationError))
	require.Equal(t, 8, len(e.srv.Requests()), "invalid input sends nothing")
}

// jsonField returns the string field key of a JSON object body.
func jsonField(t *testing.T, body []byte, key string) string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m), "body %s", body)
	s, _ := m[key].(string)
	return s
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
