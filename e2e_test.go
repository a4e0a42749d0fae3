package travelroam_test

// End-to-end suite: every SDK method against the travelroamtest fake,
// through real HTTP on loopback (and, in e2e_synctest_test.go, through the
// fake's in-memory network inside testing/synctest for the time-heavy
// parts). Every test captures the SDK's logs and error strings and checks
// at the end that no credential, full ICCID or activation code leaked.

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// leakWatch collects the SDK's log output and error strings of one test
// and, when the test ends, fails it if any secret appears in them.
type leakWatch struct {
	t       *testing.T
	logs    lockedBuffer
	mu      sync.Mutex
	errs    []string
	secrets []string
	servers []*travelroamtest.Server
}

func newLeakWatch(t *testing.T) *leakWatch {
	w := &leakWatch{t: t}
	t.Cleanup(w.check)
	return w
}

// logger logs everything at debug level into the watch.
func (w *leakWatch) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(&w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// err records err's text for the leak check and returns err.
func (w *leakWatch) err(err error) error {
	if err != nil {
		w.mu.Lock()
		w.errs = append(w.errs, err.Error())
		w.mu.Unlock()
	}
	return err
}

// secret adds values that must never appear in logs or errors.
func (w *leakWatch) secret(values ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.secrets = append(w.secrets, values...)
}

// watchServer makes the server's credentials and the ICCIDs of all its
// orders secrets (collected when the test ends).
func (w *leakWatch) watchServer(srv *travelroamtest.Server) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.servers = append(w.servers, srv)
}

func (w *leakWatch) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	secrets := slices.Clone(w.secrets)
	for _, srv := range w.servers {
		secrets = append(secrets, srv.APIKey, srv.ClientSecret)
		for _, o := range srv.Orders() {
			secrets = append(secrets, o.ICCID)
		}
	}
	logs := w.logs.String()
	if len(w.servers) > 0 {
		require.Contains(w.t, logs, "travelroam: request", "the SDK logged nothing: the leak check would prove nothing")
	}
	for _, s := range secrets {
		if len(s) < 6 {
			continue // an empty or tiny value would match anything
		}
		require.NotContains(w.t, logs, s, "a secret leaked into the logs")
		for _, e := range w.errs {
			require.NotContains(w.t, e, s, "a secret leaked into an error string")
		}
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// e2e is a fake server on loopback and an SDK client talking to it.
type e2e struct {
	*leakWatch
	srv *travelroamtest.Server
	c   *travelroam.Client
}

// newE2E starts a fake (options as given) and a client with purchase
// pacing off and its logs captured; both are closed when the test ends.
func newE2E(t *testing.T, opts ...travelroamtest.Option) *e2e {
	t.Helper()
	e := &e2e{leakWatch: newLeakWatch(t), srv: travelroamtest.NewServer(opts...)}
	t.Cleanup(e.srv.Close)
	e.watchServer(e.srv)
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
		travelroam.WithLogger(e.logger()),
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
	require.Zero(t, got.Price.Cmp(travelroam.AmountFromCents(want.PriceCents)), "%s: price %s, want %d cents", want.Name, got.Price, want.PriceCents)
}

func TestE2ECatalogueAllCountriesInChunks(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	countries := fakeCountries(e.srv)
	require.Greater(t, len(countries), travelroam.MaxCatalogueCountries, "the walk must need more than one request")

	want := map[string]travelroamtest.Bundle{}
	for _, b := range e.srv.Bundles() {
		want[b.Name] = b // every bundle covers at least one of the countries
	}
	seen := map[string]int{}
	for b, err := range e.c.CatalogueAll(context.Background(), travelroam.CatalogueOptions{Countries: countries}) {
		require.NoError(t, e.err(err))
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
		require.LessOrEqual(t, len(list), travelroam.MaxCatalogueCountries)
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
				require.NoError(t, e.err(err))
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
	require.NoError(t, e.err(err))
	require.Len(t, page.Bundles, 5)
	require.Equal(t, 5, page.PageSize)
	require.Positive(t, page.Rows)
	require.Equal(t, (page.Rows+4)/5, page.PageCount)

	for _, name := range []string{"esim_1GB_7D_TR_V2", "esim_UL_7D_TR_V2", "esim_3GB_30D_TR_U", "esim_5GB_30D_REUP_V2", "esim_UL_7D_RGB_V2"} {
		want, ok := e.srv.Bundle(name)
		require.True(t, ok, name)
		got, err := e.c.Bundle(ctx, name)
		require.NoError(t, e.err(err))
		requireSameBundle(t, want, *got)
	}
	for _, name := range []string{"esim_404GB_7D_TR_V2", "ESIM_1GB_7D_TR_V2"} {
		_, err := e.c.Bundle(ctx, name)
		require.ErrorIs(t, e.err(err), travelroam.ErrNotFound, "names are exact and case-sensitive")
	}
	_, err = e.c.Catalogue(ctx, travelroam.CatalogueOptions{Countries: []string{"PR"}})
	require.ErrorIs(t, e.err(err), travelroam.ErrInvalidInput)
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
