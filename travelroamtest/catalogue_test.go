package travelroamtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type catalogueResp struct {
	Bundles   []bundleResp `json:"bundles"`
	PageCount int          `json:"pageCount"`
	Rows      int          `json:"rows"`
	PageSize  int          `json:"pageSize"`
}

type bundleResp struct {
	Name           string      `json:"name"`
	Description    string      `json:"description"`
	Groups         []string    `json:"groups"`
	Countries      []Country   `json:"countries"`
	DataAmount     int64       `json:"dataAmount"`
	Duration       int         `json:"duration"`
	Speed          []string    `json:"speed"`
	Autostart      *bool       `json:"autostart"`
	Unlimited      *bool       `json:"unlimited"`
	RoamingEnabled []Country   `json:"roamingEnabled"`
	ImageURL       string      `json:"imageUrl"`
	Price          json.Number `json:"price"`
	BillingType    string      `json:"billingType"`
	Allowances     []allowance `json:"allowances"`
}

func catalogue(t *testing.T, srv *Server, body string) catalogueResp {
	t.Helper()
	resp := post(t, srv, RouteCatalogue, body)
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	var out catalogueResp
	dec := json.NewDecoder(bytes.NewReader(resp.body))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&out))
	return out
}

func names(bs []bundleResp) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Name)
	}
	return out
}

func TestCatalogueCoversCountriesAndRegions(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	countries := map[string]bool{}
	var limited, unl int
	nameRE := regexp.MustCompile(`^esim_(\d+GB|UL)_\d+D_[A-Z]{2,4}_(V2|U)$`)
	descRE := regexp.MustCompile(`^eSIM, (\d+GB|Unlimited), \d+ Days?, [^,]+, (V2|U)$`)
	for _, b := range srv.Bundles() {
		require.Regexp(t, nameRE, b.Name)
		require.Regexp(t, descRE, b.Description)
		require.Positive(t, b.PriceCents, b.Name)
		for _, c := range b.Countries {
			require.NotContains(t, []string{"PR", "AQ"}, c.ISO)
			if len(b.Countries) == 1 {
				countries[c.ISO] = true
			}
		}
		if b.Unlimited {
			unl++
		} else {
			limited++
		}
	}
	require.GreaterOrEqual(t, len(countries), 80)
	require.Positive(t, unl)
	require.Positive(t, limited)
	for _, region := range []string{RegionAfrica, RegionAsia, RegionEurope, RegionGlobal, RegionMiddleEast,
		RegionNorthAmerica, RegionOceania, RegionSouthAmerica} {
		out := catalogue(t, srv, `{"region":"`+region+`","perPage":1000}`)
		require.NotEmpty(t, out.Bundles, region)
		for _, b := range out.Bundles {
			require.Equal(t, region, srv.mustBundle(t, b.Name).Region)
		}
	}
}

func (s *Server) mustBundle(t *testing.T, name string) Bundle {
	t.Helper()
	b, found := s.Bundle(name)
	require.True(t, found, name)
	return b
}

func TestCatalogueWireShape(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	out := catalogue(t, srv, `{"countries":"TR","perPage":500}`)
	priceRE := regexp.MustCompile(`^\d+(\.\d{1,2})?$`)
	var seen bool
	var withRoaming int
	for _, b := range out.Bundles {
		require.Regexp(t, priceRE, b.Price.String(), b.Name)
		require.NotNil(t, b.Autostart)
		require.NotNil(t, b.Unlimited)
		// Like eSIM Go's real v2.5 answer: no roamingEnabled on most
		// bundles (here: all but provider "U", which send an empty list),
		// and the allowance service is ROAMING.
		if strings.HasSuffix(b.Name, "_U") {
			withRoaming++
			require.NotNil(t, b.RoamingEnabled, b.Name)
			require.Empty(t, b.RoamingEnabled, b.Name)
		} else {
			require.Nil(t, b.RoamingEnabled, b.Name)
		}
		require.Len(t, b.Allowances, 1)
		require.Equal(t, allowance{Type: "DATA", Service: "ROAMING", Description: "Data",
			Amount: max(b.DataAmount, 0), Unit: "MB", Unlimited: *b.Unlimited}, b.Allowances[0])
		require.NotEmpty(t, b.Groups)
		require.NotEmpty(t, b.Speed)
		require.Equal(t, "FixedCost", b.BillingType)
		require.NotEmpty(t, b.ImageURL)
		if b.Name == "esim_1GB_7D_TR_V2" {
			seen = true
			require.Equal(t, "eSIM, 1GB, 7 Days, Turkey, V2", b.Description)
			require.Equal(t, int64(1000), b.DataAmount)
			require.Equal(t, 7, b.Duration)
			require.False(t, *b.Unlimited)
			require.Equal(t, []Country{{Name: "Turkey", Region: "Europe", ISO: "TR"}}, b.Countries)
			require.Equal(t, formatCents(srv.mustBundle(t, b.Name).PriceCents), b.Price.String())
		}
		if b.Name == "esim_UL_1D_TR_V2" {
			require.True(t, *b.Unlimited)
			require.Equal(t, "eSIM, Unlimited, 1 Day, Turkey, V2", b.Description)
			require.Equal(t, int64(-1), b.DataAmount)
		}
	}
	require.True(t, seen)
	require.Contains(t, names(out.Bundles), "esim_UL_1D_TR_V2")
	require.Contains(t, names(out.Bundles), "esim_1GB_7D_TR_U")
	require.Positive(t, withRoaming)
	require.Less(t, withRoaming*4, len(out.Bundles), "most bundles have no roamingEnabled")

	raw := string(post(t, srv, RouteBundle, `{"bundlename":"esim_1GB_7D_TR_V2"}`).body)
	require.NotContains(t, raw, "roamingEnabled")
	require.Contains(t, raw, `"service":"ROAMING"`)
	raw = string(post(t, srv, RouteBundle, `{"bundlename":"esim_1GB_7D_TR_U"}`).body)
	require.Contains(t, raw, `"roamingEnabled":[]`)
	u, _ := srv.Bundle("esim_1GB_7D_TR_U")
	require.NotNil(t, u.RoamingEnabled)
}

func TestCatalogueFilters(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	hasAny := func(b bundleResp, isos ...string) bool {
		for _, c := range b.Countries {
			for _, iso := range isos {
				if c.ISO == iso {
					return true
				}
			}
		}
		return false
	}

	out := catalogue(t, srv, `{"countries":" tr , gb,, ","perPage":1000}`)
	require.NotEmpty(t, out.Bundles)
	for _, b := range out.Bundles {
		require.True(t, hasAny(b, "TR", "GB"), b.Name)
	}
	require.Contains(t, names(out.Bundles), "esim_1GB_7D_GB_V2")
	require.Contains(t, names(out.Bundles), "esim_1GB_7D_REUP_V2", "regional bundles list TR among their base countries")
	require.Equal(t, len(out.Bundles), out.Rows)

	out = catalogue(t, srv, `{"countries":"TR","region":"Asia","perPage":1000}`)
	require.NotEmpty(t, out.Bundles)
	for _, b := range out.Bundles {
		require.Equal(t, RegionAsia, srv.mustBundle(t, b.Name).Region, "region wins over countries")
	}

	for _, body := range []string{`{"countries":"PR"}`, `{"countries":"pr, AQ"}`, `{"region":"Antarctica"}`, `{"region":"LATAM"}`, `{"region":"europe"}`} {
		out = catalogue(t, srv, body)
		require.Empty(t, out.Bundles, body)
		require.Zero(t, out.Rows, body)
		require.NotNil(t, out.Bundles, "an empty list, not null")
	}
	require.NotEmpty(t, catalogue(t, srv, `{"region":"South America"}`).Bundles)

	var all []string
	for _, c := range countryTable() {
		all = append(all, c.ISO)
	}
	require.Greater(t, len(all), 58)
	out = catalogue(t, srv, `{"countries":"`+strings.Join(all, ",")+`"}`)
	require.Equal(t, len(srv.Bundles()), out.Rows, "more than 58 countries still works")

	out = catalogue(t, srv, `{"countries":"TR","description":"unlimited*1 day","perPage":1000}`)
	require.Equal(t, []string{"esim_UL_1D_TR_V2"}, names(out.Bundles))
	for _, b := range out.Bundles {
		require.Contains(t, b.Description, "Unlimited, 1 Day")
	}
	out = catalogue(t, srv, `{"region":"Europe","group":"standard unlimited essential","perPage":1000}`)
	for _, b := range out.Bundles {
		require.Contains(t, b.Name, "_UL_")
	}
}

func TestCatalogueErrors(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	cases := map[string]string{
		`{}`:                                  "countries or region is required",
		`{"description":"Turkey"}`:            "countries or region is required",
		`{"countries":"  ","region":""}`:      "countries or region is required",
		`{"region":"Europe,Asia"}`:            "region must be a single region",
		`{"countries":["TR","GB"]}`:           "countries must be a string",
		`{"region":"Europe","page":0}`:        "page must be a positive integer",
		`{"region":"Europe","perPage":"abc"}`: "perPage must be a positive integer",
	}
	for body, msg := range cases {
		resp := post(t, srv, RouteCatalogue, body)
		require.Equal(t, http.StatusBadRequest, resp.status, body)
		require.Equal(t, msg, resp.message(t), body)
	}
}

func TestCataloguePaging(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	first := catalogue(t, srv, `{"region":"Europe"}`)
	require.Len(t, first.Bundles, DefaultPerPage)
	require.Equal(t, DefaultPerPage, first.PageSize)
	require.Greater(t, first.Rows, 300)
	require.Equal(t, (first.Rows+49)/50, first.PageCount)

	all := map[string]bool{}
	for page := 1; page <= 4; page++ {
		out := catalogue(t, srv, `{"region":"Europe","page":`+itoa(page)+`,"perPage":"100"}`)
		require.Equal(t, 100, out.PageSize)
		for _, n := range names(out.Bundles) {
			require.False(t, all[n], "page %d repeats %s", page, n)
			all[n] = true
		}
	}
	resp := send(t, srv, http.MethodPost, srv.URL+"/catalogue?page=2&perPage=100", `{"region":"Europe"}`, nil)
	require.Equal(t, http.StatusOK, resp.status)
	var viaQuery catalogueResp
	require.NoError(t, json.Unmarshal(resp.body, &viaQuery))
	require.Len(t, viaQuery.Bundles, 100)
	require.True(t, all[viaQuery.Bundles[0].Name])
	require.Equal(t, names(catalogue(t, srv, `{"region":"Europe","page":2,"perPage":100}`).Bundles), names(viaQuery.Bundles))

	last := catalogue(t, srv, `{"region":"Europe","page":`+itoa(first.PageCount)+`}`)
	require.Len(t, last.Bundles, first.Rows-(first.PageCount-1)*50)
	beyond := catalogue(t, srv, `{"region":"Europe","page":`+itoa(first.PageCount+1)+`}`)
	require.Empty(t, beyond.Bundles)
	require.Equal(t, first.Rows, beyond.Rows)
}

func TestCataloguePageParametersBodyOrQuery(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	page := func(url, body string) []string {
		resp := send(t, srv, http.MethodPost, srv.URL+url, body, nil)
		require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
		var out catalogueResp
		require.NoError(t, json.Unmarshal(resp.body, &out))
		return names(out.Bundles)
	}
	want := page("/catalogue", `{"region":"Europe","page":3,"perPage":20}`)
	require.Len(t, want, 20)
	require.Equal(t, want, page("/catalogue?page=3&perPage=20", `{"region":"Europe"}`), "query only")
	require.Equal(t, want, page("/catalogue?page=3", `{"region":"Europe","perPage":"20"}`), "mixed")
	require.Equal(t, want, page("/catalogue?page=3&perPage=20", `{"region":"Europe","page":3,"perPage":20}`), "both, same values (what the SDK sends)")
	require.Equal(t, want, page("/catalogue?page=1&perPage=5", `{"region":"Europe","page":3,"perPage":20}`), "the body wins")
	resp := send(t, srv, http.MethodPost, srv.URL+"/catalogue?page=0", `{"region":"Europe"}`, nil)
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.Equal(t, "page must be a positive integer", resp.message(t))
}

func TestCataloguePagingIgnored(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithCataloguePaging(PagingIgnored))
	first := catalogue(t, srv, `{"region":"Europe","page":1,"perPage":10}`)
	require.Len(t, first.Bundles, 10)
	for _, p := range []string{"2", "3", "40"} {
		out := catalogue(t, srv, `{"region":"Europe","page":`+p+`,"perPage":10}`)
		require.Equal(t, names(first.Bundles), names(out.Bundles), "page %s", p)
		require.Equal(t, first.Rows, out.Rows)
		require.Equal(t, first.PageCount, out.PageCount)
		require.Equal(t, 10, out.PageSize)
		require.Greater(t, out.PageCount, 3, "the counts still say there is more")
	}
	normal := newTestServer(t)
	require.NotEqual(t, names(first.Bundles), names(catalogue(t, normal, `{"region":"Europe","page":2,"perPage":10}`).Bundles))
}

func TestCataloguePagingShuffled(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithCataloguePaging(PagingShuffled))
	plain := names(catalogue(t, newTestServer(t), `{"region":"Europe","page":1,"perPage":10}`).Bundles)
	var prev []string
	for p := 1; p <= 6; p++ {
		out := catalogue(t, srv, `{"region":"Europe","page":`+itoa(p)+`,"perPage":10}`)
		got := names(out.Bundles)
		require.ElementsMatch(t, plain, got, "page %d has page 1's rows", p)
		require.NotEqual(t, prev, got, "page %d is in a new order", p)
		require.Greater(t, out.PageCount, 1)
		prev = got
	}
	single := catalogue(t, srv, `{"region":"Europe","perPage":1}`)
	require.Len(t, single.Bundles, 1)
	require.Panics(t, func() { WithCataloguePaging(PagingShuffled + 1)(&config{}) })
}

func TestCatalogueIsDeterministicFromSeed(t *testing.T) {
	t.Parallel()
	a, b, c := NewServer(), NewServer(), NewServer(WithSeed(42))
	defer a.Close()
	defer b.Close()
	defer c.Close()
	require.Equal(t, a.Bundles(), b.Bundles())
	require.NotEqual(t, a.Bundles(), c.Bundles())
	_, found := c.Bundle("esim_UL_1D_TR_V2")
	require.True(t, found, "the contract's examples exist whatever the seed")
}

func TestBundleLookup(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	resp := post(t, srv, RouteBundle, `{"bundlename":"esim_1GB_7D_TR_V2"}`)
	require.Equal(t, http.StatusOK, resp.status)
	var b bundleResp
	require.NoError(t, json.Unmarshal(resp.body, &b))
	require.Equal(t, "esim_1GB_7D_TR_V2", b.Name)
	require.Equal(t, "eSIM, 1GB, 7 Days, Turkey, V2", b.Description)

	// Either key, each in exact case; bundlename wins when both are sent.
	for _, body := range []string{
		`{"bundleName":"esim_1GB_7D_TR_V2"}`,
		`{"bundlename":"esim_1GB_7D_TR_V2","bundleName":"esim_1GB_7D_TR_V2"}`,
		`{"bundlename":"esim_1GB_7D_TR_V2","bundleName":"nope"}`,
	} {
		resp = post(t, srv, RouteBundle, body)
		require.Equal(t, http.StatusOK, resp.status, body)
		require.Equal(t, "esim_1GB_7D_TR_V2", resp.json(t)["name"], body)
	}

	for body, msg := range map[string]string{
		`{"bundlename":"ESIM_1GB_7D_TR_V2"}`:  "Bundle not found",
		`{"bundlename":"esim_9GB_7D_TR_V2"}`:  "Bundle not found",
		`{"bundleName":"esim_9GB_7D_TR_V2"}`:  "Bundle not found",
		`{"BundleName":"esim_1GB_7D_TR_V2"}`:  "bundlename is required",
		`{"bundle_name":"esim_1GB_7D_TR_V2"}`: "bundlename is required",
		`{"bundlename":""}`:                   "bundlename is required",
		`{"bundleName":""}`:                   "bundlename is required",
	} {
		resp = post(t, srv, RouteBundle, body)
		require.Equal(t, http.StatusBadRequest, resp.status, body)
		require.Equal(t, msg, resp.message(t), body)
	}
}

func TestDescriptionWildcards(t *testing.T) {
	t.Parallel()
	b := Bundle{Description: "eSIM, 1GB, 7 Days, Turkey, V2"}
	for pattern, want := range map[string]bool{
		"turkey": true, "1GB*Turkey": true, "%7 days%": true, "Turkey*1GB": false, "Greece": false, "*": true,
	} {
		require.Equal(t, want, b.matchesDescription(pattern), pattern)
	}
}

func TestFormatCents(t *testing.T) {
	t.Parallel()
	for c, want := range map[int64]string{185: "1.85", 250: "2.5", 300: "3", 0: "0", 5: "0.05", 48237: "482.37", -120: "-1.2"} {
		require.Equal(t, want, formatCents(c))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
