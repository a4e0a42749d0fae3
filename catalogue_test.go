package travelroam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam/internal/lenient"
)

func TestCatalogueRequestAndDecode(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
		requireContractHeaders(t, req)
		require.Equal(t, "page=2&perPage=20", req.URL.RawQuery, "page and perPage go in the query too")
		requireJSONBody(t, req, map[string]any{"countries": "TR,US,GB", "description": "1GB", "page": 2.0, "perPage": 20.0})
		return fixtureResponder(t, 200, "catalogue_wrapped.json")(req)
	})
	opts := CatalogueOptions{Countries: []string{" tr", "us", "GB", "Tr "}, Description: " 1GB ", Page: 2, PerPage: 20}
	page, err := c.Catalogue(t.Context(), opts)
	require.NoError(t, err)
	require.Equal(t, 1, mt.GetTotalCallCount())
	require.Equal(t, []string{" tr", "us", "GB", "Tr "}, opts.Countries, "the caller's slice is not modified")
	require.Equal(t, 3, page.PageCount)
	require.Equal(t, 7, page.Rows)
	require.Equal(t, 3, page.PageSize)
	require.Len(t, page.Bundles, 3)

	require.Equal(t, Bundle{
		Name:         "esim_1GB_7D_TR_V2",
		Description:  "eSIM, 1GB, 7 Days, Turkey, V2",
		Groups:       []string{"Standard Fixed"},
		Countries:    []Country{{Name: "Turkey", Region: "Europe", ISO: "TR"}},
		DataAmountMB: 1000,
		DurationDays: 7,
		Speed:        []string{"3G", "4G", "5G"},
		Autostart:    true,
		ImageURL:     "https://esimgo-cms-images-prod.s3.eu-west-1.amazonaws.com/Turkey.jpg",
		Price:        mustAmount(t, "1.85"),
		BillingType:  "FixedCost",
	}, page.Bundles[0])

	lenient := page.Bundles[1]
	require.Equal(t, "4.10", lenient.Price.String(), "price as a string stays exact")
	require.Equal(t, []string{"4G", "5G"}, lenient.Speed, "speed as a string is split")
	require.Nil(t, lenient.RoamingEnabled, "roamingEnabled false is no list")
	require.False(t, lenient.Autostart)

	unlimited := page.Bundles[2]
	require.True(t, unlimited.Unlimited)
	require.Equal(t, int64(-1), unlimited.DataAmountMB)
	require.Equal(t, "3", unlimited.Price.String())
	require.Equal(t, []Allowance{{Type: "DATA", Service: "STANDARD", Description: "Unlimited data", Unit: "MB", Unlimited: true}}, unlimited.Allowances)
}

func TestCatalogueRegionBody(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
		requireContractHeaders(t, req)
		requireJSONBody(t, req, map[string]any{"region": "Middle East"})
		return httpmock.NewStringResponse(200, `{"bundles":[]}`), nil
	})
	page, err := c.Catalogue(t.Context(), CatalogueOptions{Region: " middle EAST "})
	require.NoError(t, err)
	require.Empty(t, page.Bundles)
	require.Zero(t, page.PageCount)
	require.Equal(t, 1, mt.GetTotalCallCount())
}

func TestCatalogueShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixture         string
		names           []string
		pageCount, rows int
		pageSize        int
		check           func(t *testing.T, bundles []Bundle)
	}{
		{fixture: "catalogue_wrapped.json", names: []string{"esim_1GB_7D_TR_V2", "esimp_3GB_30D_TR_V2", "esim_UL_1D_TR_V2"}, pageCount: 3, rows: 7, pageSize: 3},
		{fixture: "catalogue_array.json", names: []string{"esim_1GB_7D_US_V2", "esim_5GB_30D_GB_V2"}, check: func(t *testing.T, b []Bundle) {
			require.Equal(t, []string{"4G", "5G"}, b[1].Speed, "speed as an object: keys set to true, sorted")
			require.Equal(t, []Country{{Name: "Jersey", Region: "Europe", ISO: "JE"}, {ISO: "GG"}}, b[1].RoamingEnabled)
			require.Equal(t, "7.35", b[1].Price.String())
		}},
		{fixture: "catalogue_data.json", names: []string{"esim_10GB_30D_EU_V2"}, pageCount: 2, rows: 2, pageSize: 1, check: func(t *testing.T, b []Bundle) {
			require.Equal(t, "12.999", b[0].Price.String())
			require.Equal(t, []string{"FR", "DE", "ES"}, b[0].CountryCodes())
			require.Equal(t, []Country{{Name: "Switzerland", Region: "Europe", ISO: "CH"}}, b[0].RoamingEnabled)
			require.Len(t, b[0].Allowances, 2)
			require.Equal(t, 10000.0, b[0].Allowances[0].Amount)
			require.Equal(t, "SMS", b[0].Allowances[1].Unit)
		}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", fixtureResponder(t, 200, tc.fixture))
			page, err := c.Catalogue(t.Context(), CatalogueOptions{Countries: []string{"TR"}})
			require.NoError(t, err)
			require.Equal(t, tc.names, bundleNames(page.Bundles))
			require.Equal(t, tc.pageCount, page.PageCount)
			require.Equal(t, tc.rows, page.Rows)
			require.Equal(t, tc.pageSize, page.PageSize)
			if tc.check != nil {
				tc.check(t, page.Bundles)
			}
		})
	}
}

func TestDecodeCatalogueLenientCounts(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]CataloguePage{
		`{"bundles":[],"pageCount":"4","rows":" 9 ","pageSize":2.0}`: {PageCount: 4, Rows: 9, PageSize: 2},
		`{"bundles":null,"pageCount":null,"rows":null}`:              {},
		`{"data":[{"name":"a"}],"pageCount":2}`:                      {Bundles: []Bundle{{Name: "a"}}, PageCount: 2},
		`{"data":{"data":{"bundles":[{"name":"b"}]}},"rows":5}`:      {Bundles: []Bundle{{Name: "b"}}, Rows: 5},
		` [ ] `: {},
		`null`:  {},
		`{}`:    {},
	} {
		got, err := decodeCatalogue([]byte(body))
		require.NoError(t, err, body)
		require.Equal(t, want, *got, body)
	}
	for bad, field := range map[string]string{
		``: "", `{`: "", `"bundles"`: "", `{"bundles":{}}`: "", `{"bundles":[{"price":"abc"}]}`: `"bundles/0/price"`,
		`{"bundles":[{"dataAmount":"1GB"}]}`: `"bundles/0/dataAmount"`, `{"rows":"x"}`: `"rows"`, `{"pageSize":{}}`: `"pageSize"`,
		`{"bundles":[{"name":"a"},{"duration":7.5}]}`: `"bundles/1/duration": want an integer`,
	} {
		_, err := decodeCatalogue([]byte(bad))
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), field, bad)
	}
}

func TestCatalogueValidation(t *testing.T) {
	t.Parallel()
	many := make([]string, 59)
	for i := range many {
		many[i] = fmt.Sprintf("%c%c", 'A'+i/26, 'A'+i%26)
	}
	for _, tc := range []struct {
		name   string
		opts   CatalogueOptions
		field  string
		reason string
	}{
		{"neither", CatalogueOptions{Description: "1GB"}, "Countries", "set Countries"},
		{"empty countries slice", CatalogueOptions{Countries: []string{}}, "Countries", "requires one"},
		{"both", CatalogueOptions{Countries: []string{"TR"}, Region: RegionEurope}, "Countries", "not both"},
		{"three letters", CatalogueOptions{Countries: []string{"TUR"}}, "Countries", `"TUR" is not a two-letter`},
		{"comma list in one element", CatalogueOptions{Countries: []string{"TR,US"}}, "Countries", "one code per element"},
		{"blank code", CatalogueOptions{Countries: []string{"TR", " "}}, "Countries", "two-letter"},
		{"digits", CatalogueOptions{Countries: []string{"T1"}}, "Countries", "two-letter"},
		{"non-ASCII", CatalogueOptions{Countries: []string{"TÜ"}}, "Countries", "two-letter"},
		{"ICCID is masked", CatalogueOptions{Countries: []string{testICCID}}, "Countries", `"…5678" is not a two-letter`},
		{"long input is cut", CatalogueOptions{Region: Region(strings.Repeat("é", 40))}, "Region", `"` + strings.Repeat("é", 20) + `…" is not a region name`},
		{"control character", CatalogueOptions{Region: "Europe\nX-Evil: 1"}, "Region", "is not a region name"},
		{"Puerto Rico", CatalogueOptions{Countries: []string{"US", "pr"}}, "Countries", "Puerto Rico (PR) is not supported"},
		{"too many for one page", CatalogueOptions{Countries: many}, "Countries", "use CatalogueAll"},
		{"LATAM", CatalogueOptions{Region: "LATAM"}, "Region", "use RegionSouthAmerica"},
		{"latam lower case", CatalogueOptions{Region: "latam"}, "Region", "use RegionSouthAmerica"},
		{"Antarctica", CatalogueOptions{Region: "Antarctica"}, "Region", "not supported"},
		{"antarctica lower case", CatalogueOptions{Region: " antarctica"}, "Region", "not supported"},
		{"comma list", CatalogueOptions{Region: "Europe,Asia"}, "Region", "comma lists are not allowed"},
		{"negative page", CatalogueOptions{Region: RegionAsia, Page: -1}, "Page", "negative"},
		{"negative perPage", CatalogueOptions{Region: RegionAsia, PerPage: -5}, "PerPage", "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			page, err := c.Catalogue(t.Context(), tc.opts)
			require.Nil(t, page)
			requireValidation(t, err, tc.field, tc.reason)

			if tc.name != "too many for one page" { // CatalogueAll splits long lists
				// CatalogueAll refuses the same input, with one error.
				var errs []error
				for b, err := range c.CatalogueAll(t.Context(), tc.opts) {
					require.Zero(t, b)
					errs = append(errs, err)
				}
				require.Len(t, errs, 1)
				requireValidation(t, errs[0], tc.field, tc.reason)
			}
			require.Zero(t, mt.GetTotalCallCount(), "nothing may be sent")
		})
	}
}

func TestCatalogueAllWalksPages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		pages    [][]string // the server's pages, from page 1
		perPage  int
		count    int // pageCount sent by the server, 0 for none
		wantReqs int
		want     []string
		ignored  bool // the walk ends with ErrPaginationIgnored
	}{
		{name: "short page stops", pages: [][]string{{"a", "b"}, {"c", "d"}, {"e"}, {"never"}}, perPage: 2, wantReqs: 3, want: []string{"a", "b", "c", "d", "e"}},
		{name: "empty page stops", pages: [][]string{{"a", "b"}, {"c", "d"}, {}}, perPage: 2, wantReqs: 3, want: []string{"a", "b", "c", "d"}},
		{name: "page count stops", pages: [][]string{{"a", "b"}, {"c", "d"}, {"never", "sent"}}, perPage: 2, count: 2, wantReqs: 2, want: []string{"a", "b", "c", "d"}},
		{name: "repeated page is an error", pages: [][]string{{"a", "b"}, {"c", "d"}, {"c", "d"}, {"c", "d"}}, perPage: 2, wantReqs: 3, want: []string{"a", "b", "c", "d"}, ignored: true},
		{name: "server ignores page", pages: [][]string{{"a", "b"}, {"a", "b"}, {"a", "b"}}, perPage: 2, wantReqs: 2, want: []string{"a", "b"}, ignored: true},
		{name: "server ignores page and shuffles", pages: [][]string{{"a", "b", "c"}, {"c", "a", "b"}, {"b", "c", "a"}}, perPage: 3, wantReqs: 2, want: []string{"a", "b", "c"}, ignored: true},
		{name: "counts say more, page repeats", pages: [][]string{{"a", "b"}, {"a", "b"}, {"e"}}, perPage: 2, count: 3, wantReqs: 2, want: []string{"a", "b"}, ignored: true},
		{name: "duplicates across pages dropped", pages: [][]string{{"a", "b"}, {"b", "c"}, {}}, perPage: 2, wantReqs: 3, want: []string{"a", "b", "c"}},
		{name: "server caps the page size, page count wins", pages: [][]string{{"a", "b"}, {"c", "d"}, {"e"}, {"never"}}, perPage: 5, count: 3, wantReqs: 3, want: []string{"a", "b", "c", "d", "e"}},
		{name: "default perPage 50", pages: [][]string{names("p1-", 50), names("p2-", 49)}, wantReqs: 2, want: append(names("p1-", 50), names("p2-", 49)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			var mu sync.Mutex
			var bodies []catalogueRequest
			mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
				requireContractHeaders(t, req)
				body := readCatalogueRequest(t, req)
				mu.Lock()
				bodies = append(bodies, body)
				mu.Unlock()
				require.GreaterOrEqual(t, body.Page, 1)
				require.LessOrEqual(t, body.Page, len(tc.pages))
				return catalogueResponse(tc.pages[body.Page-1], tc.count), nil
			})
			var got []string
			var errs []error
			for b, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Region: RegionEurope, PerPage: tc.perPage}) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				require.Empty(t, errs, "nothing after the error")
				got = append(got, b.Name)
			}
			require.Equal(t, tc.want, got)
			if tc.ignored {
				require.Len(t, errs, 1)
				require.ErrorIs(t, errs[0], ErrPaginationIgnored)
			} else {
				require.Empty(t, errs)
			}
			require.Equal(t, tc.wantReqs, mt.GetTotalCallCount())
			wantPerPage := tc.perPage
			if wantPerPage == 0 {
				wantPerPage = 50
			}
			for i, body := range bodies {
				require.Equal(t, catalogueRequest{Region: RegionEurope, Page: i + 1, PerPage: wantPerPage}, body)
			}
		})
	}
}

// TestCatalogueAllEmptyPageWhileCountsSayMore: an empty page while the
// server's own page or row count says more bundles follow (a page it
// failed to fill, or an answer whose list is under an unknown key) ends
// the walk with an error after the bundles it had: a partial catalogue
// must never look complete. Without counts, or past the last page the
// counts name, an empty page is the end.
func TestCatalogueAllEmptyPageWhileCountsSayMore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		start   int
		answers map[int]string // by page
		want    []string
		fails   bool
	}{
		{name: "page count says 3, page 2 empty", answers: map[int]string{
			1: `{"bundles":[{"name":"a"},{"name":"b"}],"pageCount":3}`, 2: `{"bundles":[],"pageCount":3}`},
			want: []string{"a", "b"}, fails: true},
		{name: "rows say 4, page 2 empty", answers: map[int]string{
			1: `{"bundles":[{"name":"a"},{"name":"b"}],"rows":4}`, 2: `{"bundles":[],"rows":4}`},
			want: []string{"a", "b"}, fails: true},
		{name: "list under an unknown key", answers: map[int]string{1: `{"items":[{"name":"a"}],"rows":1}`}, fails: true},
		{name: "no counts: empty page ends", answers: map[int]string{
			1: `{"bundles":[{"name":"a"},{"name":"b"}]}`, 2: `{"bundles":[]}`}, want: []string{"a", "b"}},
		{name: "start past the last page", start: 5, answers: map[int]string{5: `{"bundles":[],"pageCount":3,"rows":6}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
				body := readCatalogueRequest(t, req)
				answer, ok := tc.answers[body.Page]
				require.True(t, ok, "page %d", body.Page)
				return httpmock.NewStringResponse(200, answer), nil
			})
			var got []string
			var errs []error
			for b, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Region: RegionEurope, Page: tc.start, PerPage: 2}) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				got = append(got, b.Name)
			}
			require.Equal(t, tc.want, got)
			if tc.fails {
				require.Len(t, errs, 1, "a partial catalogue must end with an error")
			} else {
				require.Empty(t, errs)
			}
		})
	}
}

func TestCatalogueAllStartPageAndRows(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var pages []int
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
		body := readCatalogueRequest(t, req)
		pages = append(pages, body.Page)
		// rows=6 with pages of 2: page 3 is the last one.
		return httpmock.NewStringResponse(200, fmt.Sprintf(`{"bundles":[{"name":"x%d"},{"name":"y%d"}],"rows":"6"}`, body.Page, body.Page)), nil
	})
	var got []string
	for b, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Countries: []string{"GB"}, Page: 2, PerPage: 2}) {
		require.NoError(t, err)
		got = append(got, b.Name)
	}
	require.Equal(t, []int{2, 3}, pages)
	require.Equal(t, []string{"x2", "y2", "x3", "y3"}, got)
	require.Equal(t, 2, mt.GetTotalCallCount())
}

// TestCatalogueAllServerCapsPageSize: a server that sends fewer bundles
// per page than asked, saying only how many rows there are, is walked to
// the end (each page looks "short").
func TestCatalogueAllServerCapsPageSize(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
		p := readCatalogueRequest(t, req).Page
		if p > 3 {
			return httpmock.NewStringResponse(200, `{"bundles":[],"rows":5}`), nil
		}
		if p == 3 {
			return httpmock.NewStringResponse(200, `{"bundles":[{"name":"e"}],"rows":5}`), nil
		}
		return httpmock.NewStringResponse(200, fmt.Sprintf(`{"bundles":[{"name":"a%d"},{"name":"b%d"}],"rows":5}`, p, p)), nil
	})
	var got []string
	for b, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Region: RegionAsia, PerPage: 100}) {
		require.NoError(t, err)
		got = append(got, b.Name)
	}
	require.Equal(t, []string{"a1", "b1", "a2", "b2", "e"}, got)
	require.Equal(t, 3, mt.GetTotalCallCount())
}

func TestCatalogueAllSplitsCountries(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	codes := make([]string, 0, 131)
	for i := range 130 {
		code := fmt.Sprintf("%c%c", 'A'+i/26, 'A'+i%26)
		if code == "PR" {
			code = "ZZ"
		}
		codes = append(codes, strings.ToLower(code))
	}
	codes = append(codes, "AA") // a duplicate, dropped before splitting
	original := slices.Clone(codes)

	var batches [][]string
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
		requireContractHeaders(t, req)
		body := readCatalogueRequest(t, req)
		require.Equal(t, 1, body.Page)
		require.Empty(t, body.Region)
		batch := strings.Split(body.Countries, ",")
		batches = append(batches, batch)
		// Every batch returns the global bundle, plus one of its own.
		return catalogueResponse([]string{"global", "only-" + batch[0]}, 1), nil
	})
	var got []string
	for b, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Countries: codes}) {
		require.NoError(t, err)
		got = append(got, b.Name)
	}
	require.Equal(t, original, codes, "the caller's slice is not modified")
	require.Equal(t, 3, mt.GetTotalCallCount())
	require.Len(t, batches, 3)
	require.Equal(t, []int{58, 58, 14}, []int{len(batches[0]), len(batches[1]), len(batches[2])})
	all := slices.Concat(batches...)
	require.Len(t, all, 130)
	for _, code := range all {
		require.Regexp(t, `^[A-Z]{2}$`, code)
	}
	require.Equal(t, []string{"global", "only-AA", "only-CG", "only-EM"}, got)
}

func TestCatalogueAllConsumerBreak(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
		body := readCatalogueRequest(t, req)
		return catalogueResponse([]string{fmt.Sprint("a", body.Page), fmt.Sprint("b", body.Page)}, 0), nil
	})
	var got []string
	for b, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Region: RegionAsia, PerPage: 2}) {
		require.NoError(t, err)
		got = append(got, b.Name)
		if len(got) == 3 {
			break
		}
	}
	require.Equal(t, []string{"a1", "b1", "a2"}, got)
	require.Equal(t, 2, mt.GetTotalCallCount(), "no request after the consumer stopped")
}

func TestCatalogueAllErrorMidWalk(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
		if readCatalogueRequest(t, req).Page == 2 {
			return httpmock.NewStringResponse(403, `{"message":"Unauthorised"}`), nil
		}
		return catalogueResponse([]string{"a", "b"}, 5), nil
	})
	var got []string
	var errs []error
	for b, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Region: RegionAsia, PerPage: 2}) {
		if err != nil {
			require.Zero(t, b)
			errs = append(errs, err)
			continue // keep ranging: the iterator must stop by itself
		}
		got = append(got, b.Name)
	}
	require.Equal(t, []string{"a", "b"}, got)
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], ErrUnauthorized)
	require.Equal(t, 2, mt.GetTotalCallCount())
}

func TestCatalogueAllPageCeiling(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
		return catalogueResponse([]string{fmt.Sprint("b", readCatalogueRequest(t, req).Page)}, 0), nil
	})
	n := 0
	var errs []error
	for _, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Region: RegionGlobal, PerPage: 1}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	require.Equal(t, maxCataloguePages, n)
	require.Equal(t, maxCataloguePages, mt.GetTotalCallCount())
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], "stopped after 1000 pages from page 1")
}

func TestCatalogueAllContextCanceled(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
		return catalogueResponse([]string{fmt.Sprint("b", readCatalogueRequest(t, req).Page)}, 0), nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var errs []error
	n := 0
	for _, err := range c.CatalogueAll(ctx, CatalogueOptions{Region: RegionGlobal, PerPage: 1}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n++; n == 2 {
			cancel()
		}
	}
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], context.Canceled)
	require.Equal(t, 2, mt.GetTotalCallCount())
}

// helpers

func requireValidation(t *testing.T, err error, field, reason string) {
	t.Helper()
	require.ErrorAs(t, err, new(*ValidationError))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, field, ve.Field)
	require.Contains(t, ve.Reason, reason)
	require.True(t, strings.HasPrefix(err.Error(), "travelroam: "), err.Error())
}

func readCatalogueRequest(t *testing.T, req *http.Request) catalogueRequest {
	t.Helper()
	b, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	var keys map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &keys))
	for k := range keys {
		require.Contains(t, []string{"countries", "region", "description", "page", "perPage"}, k)
	}
	var body catalogueRequest
	require.NoError(t, json.Unmarshal(b, &body))
	return body
}

func catalogueResponse(names []string, pageCount int) *http.Response {
	bundles := make([]map[string]any, len(names))
	for i, n := range names {
		bundles[i] = map[string]any{"name": n, "price": 1.5, "speed": []string{"4G"}}
	}
	body := map[string]any{"bundles": bundles}
	if pageCount > 0 {
		body["pageCount"] = pageCount
	}
	b, _ := json.Marshal(body)
	return httpmock.NewBytesResponse(200, b)
}

func bundleNames(bundles []Bundle) []string {
	out := make([]string, len(bundles))
	for i, b := range bundles {
		out[i] = b.Name
	}
	return out
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(prefix, i)
	}
	return out
}

func mustAmount(t testing.TB, s string) Amount {
	t.Helper()
	a, err := ParseAmount(s)
	require.NoError(t, err)
	return a
}

// TestCatalogueAllMemoryIsFlat walks 600 pages of large bundles and checks
// that the live heap does not grow with them: only the names are kept.
// It is not parallel so that other tests do not disturb the measure.
func TestCatalogueAllMemoryIsFlat(t *testing.T) {
	c, mt := newMockClient(t)
	const pages, perPage = 600, 20
	description := strings.Repeat("d", 2000)
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
		page := readCatalogueRequest(t, req).Page
		var b strings.Builder
		b.WriteString(`{"pageCount":` + fmt.Sprint(pages) + `,"bundles":[`)
		for i := range perPage {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"name":"p%d-b%d","description":%q,"price":1.5}`, page, i, description)
		}
		b.WriteString("]}")
		return httpmock.NewStringResponse(200, b.String()), nil
	})
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var early, late uint64
	n := 0
	for b, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Region: RegionGlobal, PerPage: perPage}) {
		require.NoError(t, err)
		require.Len(t, b.Description, 2000)
		n++
		switch n {
		case 50 * perPage:
			early = heap()
		case pages * perPage:
			late = heap()
		}
	}
	require.Equal(t, pages*perPage, n)
	require.Equal(t, pages, mt.GetTotalCallCount())
	// Keeping the pages would hold 550·20·2 KB = 22 MB more; the names
	// alone are well under 1 MB.
	require.Less(t, int64(late)-int64(early), int64(4<<20), "heap grew from %d to %d bytes", early, late)
}

// TestCatalogueAllAgainstAFakeThatIgnoresPage: the fake can ignore page
// (every page the same) or reshuffle page 1's rows on each request; the
// walk ends with ErrPaginationIgnored after at most 3 requests, having
// yielded page 1's bundles once.
func TestCatalogueAllAgainstAFakeThatIgnoresPage(t *testing.T) {
	t.Parallel()
	for _, style := range []travelroamtest.PagingStyle{travelroamtest.PagingIgnored, travelroamtest.PagingShuffled} {
		srv := travelroamtest.NewServer(travelroamtest.WithCataloguePaging(style))
		t.Cleanup(srv.Close)
		c, err := NewClient(srv.APIKey, srv.ClientSecret, WithBaseURL(srv.URL), WithHTTPClient(srv.Client()))
		require.NoError(t, err)
		t.Cleanup(c.CloseIdleConnections)
		var names []string
		var last error
		for b, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Region: RegionEurope, PerPage: 5}) {
			if err != nil {
				last = err
				continue
			}
			names = append(names, b.Name)
		}
		require.ErrorIs(t, last, ErrPaginationIgnored, "style %v", style)
		require.Len(t, names, 5)
		require.LessOrEqual(t, srv.RequestCount(travelroamtest.RouteCatalogue), 3)
	}
}

// TestCatalogueSendsOtherRegions: a region the SDK does not list is sent
// as given (trimmed); the known ones in their canonical spelling.
func TestCatalogueSendsOtherRegions(t *testing.T) {
	t.Parallel()
	for in, want := range map[Region]Region{" Caribbean ": "Caribbean", "middle east": RegionMiddleEast, "Central Asia": "Central Asia"} {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
			requireJSONBody(t, req, map[string]any{"region": string(want)})
			return httpmock.NewStringResponse(200, `{"bundles":[]}`), nil
		})
		_, err := c.Catalogue(t.Context(), CatalogueOptions{Region: in})
		require.NoError(t, err)
		require.Equal(t, 1, mt.GetTotalCallCount())
	}
}

var catalogueSeeds = []string{
	"catalogue_wrapped.json", "catalogue_array.json", "catalogue_data.json", "catalogue_v25.json",
	"catalogue_lenient_scalars.json", "bundle.json", "bundle_wrapped.json", "bundle_data.json",
}

// assertEnginesAgree decodes data with the JSON v2 engine alone and with
// encoding/json alone, and fails unless both fail or both give the same
// page; decodeCatalogue must then give that page, or an error that is
// encoding/json's own (unless it names a field outside the rules). It
// returns decodeCatalogue's error.
func assertEnginesAgree(t testing.TB, data []byte) error {
	t.Helper()
	opts := bundleOptions()
	v2, err2 := decodeCatalogueWith(func(b []byte, v any) error { return lenient.UnmarshalV2(b, v, opts) }, data)
	v1, err1 := decodeCatalogueWith(json.Unmarshal, data)
	if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(v1, v2) {
		t.Fatalf("%q:\nencoding/json %#v, %v\nJSON v2       %#v, %v", data, v1, err1, v2, err2)
	}
	got, err := decodeCatalogue(data)
	if (err == nil) != (err1 == nil) || !reflect.DeepEqual(got, v1) {
		t.Fatalf("%q: decodeCatalogue %#v, %v; encoding/json %#v, %v", data, got, err, v1, err1)
	}
	if err != nil && lenient.AsFieldError(err) == nil && err.Error() != err1.Error() {
		t.Fatalf("%q: error %q, encoding/json's is %q", data, err, err1)
	}
	return err
}

// TestCatalogueEnginesAgree checks the JSON v2 engine against
// encoding/json on inputs chosen to be awkward: case folding, duplicate
// keys, invalid UTF-8, escapes, nulls, nesting beyond the limit.
func TestCatalogueEnginesAgree(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`["4G","5G"]`, `[ "a" ,"b"]`, `["\u00e9"]`, "[\"\xff\"]", `[]`, `null`, `true`, `[1]`, ` [ ] `,
		`[{"name":"Åland","countries":[{"name":"Åland","region":"Europe","iso":"AX"}]}]`,
		`[{"name":"a","countries":[{"iso":"TR","iso":"US"}]}]`, `[{"countries":["TR",null,{}]}]`,
		`[{"countries":[{"ISO":"TR"},{"iſo":"GB"}]}]`, `[{"x":[1,{"y":null}]}]`,
		`{"bundles":[{"name":"a","Name":"b"}]}`, `{"bundles":[{"name":"a","name":"b"}]}`,
		`{"bundles":[{"NAME":"a","nAmE":"b","ﬀ":1}]}`, `{"bundles":[{"ſpeed":["5G"],"ſpeed":"4G"}]}`,
		`{"bundles":[{"name":"a","groups":["x"]}],"bundles":[{"groups":[null]}]}`, `{"bundles":[{"dataAmount":1.0}]}`,
		`{"bundles":[{"duration":99999999999999999999}]}`, `{"bundles":[{"price":"1.5"}]}`, `{"bundles":[{"price":"x"}]}`,
		`{"bundles":[{"price":null,"unlimited":null}]}`, `{"bundles":[{"speed":"4G/5G","roamingEnabled":false}]}`,
		`{"bundles":[{"allowances":[{"amount":"1"}]}]}`, `{"bundles":[{"allowances":[null,{}]}]}`,
		`{"bundles":[{"name":"\u0000","description":"\ud800\udc00"}]}`, `[{"name":"a"},null]`,
		`{"bundles":null,"data":[{"name":"d"}]}`, `{"bundles":[],"pageCount":"3","rows":{},"pageSize":[1]}`,
		`{"data":{"data":{"bundles":[{"name":"b"}]}},"rows":5}`, `{"bundles":[{"name":"a"}],"bundles":null}`,
		`{"bundles":[{"name":"\ud83d\u0041","description":"\ud83dx"}]}`, "{\"bundles\":[{\"name\":\"a\xffb\xfe\"}]}",
		`{"bundles":[{"name":"a"}],"BUNDLES":[{"name":"b"}]}`, `{"bundles":[{"name":"a"}]} x`, `{"bundles":[{"name":"a"}]}{}`,
	} {
		assertEnginesAgree(t, []byte(in))
	}
	deep := `{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`
	require.Error(t, assertEnginesAgree(t, []byte(deep)), "nesting beyond encoding/json's limit")
	shallow := `{"x":` + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + `}`
	require.NoError(t, assertEnginesAgree(t, []byte(shallow)))
	for _, name := range catalogueSeeds {
		require.NoError(t, assertEnginesAgree(t, fixture(t, name)), name)
	}
	require.NoError(t, assertEnginesAgree(t, catalogueBenchJSON(50)))
}

func FuzzDecodeCatalogue(f *testing.F) {
	for _, name := range catalogueSeeds {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"bundles":[{"speed":"4G","roamingEnabled":false,"price":"1.00"}],"pageCount":"2"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		page, err := decodeCatalogue(data)
		if (page == nil) == (err == nil) {
			t.Fatalf("want a page or an error, got %v, %v", page, err)
		}
		if err != nil {
			return
		}
		// What was decoded can be stored and read back.
		b, err := json.Marshal(page.Bundles)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var again []Bundle
		if err := json.Unmarshal(b, &again); err != nil || len(again) != len(page.Bundles) {
			t.Fatalf("round trip: %v (%d vs %d bundles)", err, len(again), len(page.Bundles))
		}
	})
}

// FuzzCatalogueEngines checks on arbitrary input that the JSON v2 engine
// and encoding/json decode a catalogue alike (see assertEnginesAgree).
func FuzzCatalogueEngines(f *testing.F) {
	for _, name := range catalogueSeeds {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`["4G","5G"]`))
	f.Add([]byte(`[{"countries":[{"name":"Turkey","region":"Europe","iso":"TR"}, {}, "GB", null]}]`))
	f.Add([]byte(`{"bundles":[{"name":"x","groups":["a",null],"allowances":[null,{"amount":1e2}],"dataAmount":-0}]}`))
	f.Add([]byte(`{"bundles":[{"name":"\ud83d\ude00 \u00e9\/","Speed":{"5G":true}}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		assertEnginesAgree(t, data)
	})
}

// TestCatalogueEnginesAgreeOnRandomDocuments builds thousands of
// catalogue pages from awkward pieces (escapes, nulls, wrong types, odd
// keys, duplicates, white space) and checks the JSON v2 engine against
// encoding/json on each.
func TestCatalogueEnginesAgreeOnRandomDocuments(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(options ...string) string { return options[rng.IntN(len(options))] }
	str := func() string {
		return pick(`"plain"`, `""`, `"é ü 東京"`, `"esc \" \\ \/ \n \t"`, `"\u00e9\u0000"`, `"\ud83d\ude00"`, `"\ud83d"`,
			"\"bad \xff utf8\"", `null`, `1`, `true`, `[]`, `{}`)
	}
	values := map[string]func() string{
		"name": str, "description": str, "imageUrl": str, "billingType": str,
		"groups": func() string {
			return pick(`["Standard Fixed"]`, `[]`, `null`, `["a",null,"b"]`, `[1]`, `"x"`, `["\u0041"]`)
		},
		"countries": func() string {
			return pick(`[{"name":"Turkey","region":"Europe","iso":"TR"}]`, `[]`, `null`, `["TR"]`, `false`, `[{"NAME":"x"}]`, `[{"iso":"T\u0052","extra":[1,{}]}]`, `[1]`, `{}`)
		},
		"dataAmount": func() string {
			return pick(`1000`, `-1`, `0`, `1.5`, `1e3`, `"1000"`, `null`, `99999999999999999999`, `-0`)
		},
		"duration": func() string { return pick(`7`, `30`, `0`, `7.0`, `"7"`, `null`, `true`) },
		"speed": func() string {
			return pick(`["4G","5G"]`, `"4G/5G"`, `{"5G":true}`, `[]`, `null`, `["4\u0047"]`, `[1]`, `7`)
		},
		"autostart": func() string { return pick(`true`, `false`, `null`, `1`, `"true"`) },
		"unlimited": func() string { return pick(`true`, `false`, `null`, `0`) },
		"roamingEnabled": func() string {
			return pick(`[]`, `false`, `null`, `[{"name":"Jersey","region":"Europe","iso":"JE"}]`, `["GG",null]`, `true`, `"x"`, `[[]]`)
		},
		"price": func() string {
			return pick(`1.85`, `"4.10"`, `3`, `null`, `""`, `"abc"`, `1e400`, `-0.5`, `true`, `"1\u002e5"`)
		},
		"allowances": func() string {
			return pick(`[{"type":"DATA","service":"STANDARD","description":"d","amount":1000,"unit":"MB","unlimited":false}]`,
				`[]`, `null`, `[null,{}]`, `[{"amount":"1"}]`, `[{"amount":1e400}]`, `[{"Amount":2}]`, `[{"extra":{"x":[null]}}]`, `{}`)
		},
	}
	keys := slices.Sorted(maps.Keys(values))
	ws := func() string { return pick("", "", " ", "\n\t ") }
	bundle := func() string {
		if rng.IntN(40) == 0 {
			return pick(`null`, `1`, `"x"`, `[]`)
		}
		var parts []string
		for _, k := range keys {
			if rng.IntN(6) == 0 {
				continue
			}
			key := k
			switch rng.IntN(60) {
			case 0:
				key = strings.ToUpper(k[:1]) + k[1:]
			case 1:
				parts = append(parts, `"`+k+`":`+values[k]()) // a duplicate
			case 2:
				key = "unknown_" + k
			}
			parts = append(parts, ws()+`"`+key+`"`+ws()+":"+ws()+values[k]()+ws())
		}
		rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		return "{" + strings.Join(parts, ",") + "}"
	}
	accepted := 0
	const docs = 3000
	for range docs {
		list := make([]string, rng.IntN(4))
		for i := range list {
			list[i] = bundle()
		}
		arr := "[" + strings.Join(list, ","+ws()) + "]"
		doc := pick(
			`{"bundles":`+arr+`,"pageCount":`+pick(`2`, `"3"`, `null`, `{}`)+`,"rows":5}`,
			arr,
			`{"data":{"bundles":`+arr+`},"pageSize":`+pick(`1`, `"2"`)+`}`,
			`{"extra":[1,2,{"a":null}],"bundles":`+arr+`}`,
		)
		if assertEnginesAgree(t, []byte(doc)) == nil {
			accepted++
		}
	}
	require.Greater(t, accepted, docs/10, "the decoding must succeed often enough to compare values")
	t.Logf("%d of %d documents decoded", accepted, docs)
}

// The decoding benchmarks compare the SDK's catalogue decoder with what a
// user would write by hand: encoding/json into plain structs with a
// float64 price and a []string speed.

type baselineCountry struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	ISO    string `json:"iso"`
}

type baselineAllowance struct {
	Type        string  `json:"type"`
	Service     string  `json:"service"`
	Description string  `json:"description"`
	Amount      float64 `json:"amount"`
	Unit        string  `json:"unit"`
	Unlimited   bool    `json:"unlimited"`
}

type baselineBundle struct {
	Name           string              `json:"name"`
	Description    string              `json:"description"`
	Groups         []string            `json:"groups"`
	Countries      []baselineCountry   `json:"countries"`
	DataAmount     int64               `json:"dataAmount"`
	Duration       int                 `json:"duration"`
	Speed          []string            `json:"speed"`
	Autostart      bool                `json:"autostart"`
	Unlimited      bool                `json:"unlimited"`
	RoamingEnabled []baselineCountry   `json:"roamingEnabled"`
	ImageURL       string              `json:"imageUrl"`
	Price          float64             `json:"price"`
	BillingType    string              `json:"billingType"`
	Allowances     []baselineAllowance `json:"allowances"`
}

type baselinePage struct {
	Bundles   []baselineBundle `json:"bundles"`
	PageCount int              `json:"pageCount"`
	Rows      int              `json:"rows"`
	PageSize  int              `json:"pageSize"`
}

var benchCountries = []baselineCountry{
	{"Turkey", "Europe", "TR"}, {"United States", "North America", "US"}, {"United Kingdom", "Europe", "GB"},
	{"France", "Europe", "FR"}, {"Germany", "Europe", "DE"}, {"Spain", "Europe", "ES"}, {"Italy", "Europe", "IT"},
	{"Japan", "Asia", "JP"}, {"Thailand", "Asia", "TH"}, {"India", "Asia", "IN"}, {"Brazil", "South America", "BR"},
	{"Mexico", "North America", "MX"}, {"Australia", "Oceania", "AU"}, {"Egypt", "Africa", "EG"},
	{"United Arab Emirates", "Middle East", "AE"}, {"South Africa", "Africa", "ZA"}, {"Canada", "North America", "CA"},
	{"Argentina", "South America", "AR"}, {"Indonesia", "Asia", "ID"}, {"Greece", "Europe", "GR"},
}

// catalogueBenchJSON returns a realistic catalogue page of n bundles:
// mostly single-country bundles, every tenth a regional one with 20
// countries, every seventh unlimited, a few with roaming countries and
// allowances.
func catalogueBenchJSON(n int) []byte {
	bundles := make([]baselineBundle, n)
	sizes := []int{1, 2, 3, 5, 10, 20, 50}
	days := []int{1, 7, 15, 30, 90}
	for i := range bundles {
		c := benchCountries[i%len(benchCountries)]
		gb, d := sizes[i%len(sizes)], days[i%len(days)]
		b := baselineBundle{
			Name:        fmt.Sprintf("esim_%dGB_%dD_%s_V2_%d", gb, d, c.ISO, i),
			Description: fmt.Sprintf("eSIM, %dGB, %d Days, %s, V2", gb, d, c.Name),
			Groups:      []string{"Standard Fixed"},
			Countries:   []baselineCountry{c},
			DataAmount:  int64(gb * 1000),
			Duration:    d,
			Speed:       []string{"3G", "4G", "5G"}[i%2:],
			Autostart:   i%3 != 0,
			ImageURL:    "https://esimgo-cms-images-prod.s3.eu-west-1.amazonaws.com/" + strings.ReplaceAll(c.Name, " ", "") + ".jpg",
			Price:       float64(100+i%4000) / 100,
			BillingType: "FixedCost",
		}
		if i%10 == 0 {
			b.Countries = benchCountries
		}
		if i%7 == 0 {
			b.Unlimited, b.DataAmount = true, -1
			b.Groups = []string{"Standard Unlimited Lite"}
		}
		if i%5 == 0 {
			b.RoamingEnabled = benchCountries[:2]
		} else {
			b.RoamingEnabled = []baselineCountry{}
		}
		if i%4 == 0 {
			b.Allowances = []baselineAllowance{{"DATA", "STANDARD", fmt.Sprintf("%dGB data", gb), float64(gb * 1000), "MB", b.Unlimited}}
		}
		bundles[i] = b
	}
	out, err := json.Marshal(baselinePage{Bundles: bundles, PageCount: 1, Rows: n, PageSize: n})
	if err != nil {
		panic(err)
	}
	return out
}

// BenchmarkDecodeCatalogue decodes a whole catalogue held in memory: the
// SDK's decodeCatalogue (the JSON v2 engine) against json.Unmarshal into
// plain structs (baseline), and against the SDK's own types decoded by
// encoding/json (impl=encoding-json, the fall-back path).
func BenchmarkDecodeCatalogue(b *testing.B) {
	for _, n := range []int{5000, 50000} {
		data := catalogueBenchJSON(n)
		b.Run(fmt.Sprintf("bundles=%d/impl=baseline", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				var page baselinePage
				if err := json.Unmarshal(data, &page); err != nil || len(page.Bundles) != n {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("bundles=%d/impl=encoding-json", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				page, err := decodeCatalogueWith(json.Unmarshal, data)
				if err != nil || len(page.Bundles) != n {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("bundles=%d/impl=sdk", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				page, err := decodeCatalogue(data)
				if err != nil || len(page.Bundles) != n {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRoundTripCatalogue fetches one catalogue page of 50 bundles
// (36 KB) and of 500 (360 KB), sent chunked, and the page of 500 with a
// Content-Length too.
func BenchmarkRoundTripCatalogue(b *testing.B) {
	for _, tc := range []struct {
		n          int
		withLength bool
	}{{50, false}, {500, false}, {500, true}} {
		n, framing := tc.n, "chunked"
		if tc.withLength {
			framing = "length"
		}
		b.Run(fmt.Sprintf("bundles=%d/body=%s", n, framing), func(b *testing.B) {
			roundTrip(b, "/api/whitelabel/catalogue", catalogueBenchJSON(n), tc.withLength,
				func(hc *http.Client, url string) error {
					in := struct {
						Region  string `json:"region"`
						PerPage int    `json:"perPage"`
					}{"Europe", n}
					var page baselinePage
					if err := baselineCall(hc, url, in, &page); err != nil || len(page.Bundles) != n {
						return fmt.Errorf("%d bundles, %v", len(page.Bundles), err)
					}
					return nil
				},
				func(c *Client) error {
					page, err := c.Catalogue(b.Context(), CatalogueOptions{Region: RegionEurope, PerPage: n})
					if err != nil || len(page.Bundles) != n {
						return fmt.Errorf("%v, %v", page, err)
					}
					return nil
				})
		})
	}
}

// walkCountryCodes returns n distinct two-letter codes ("AA", "AB", …),
// without PR, which Travel Roam does not support.
func walkCountryCodes(n int) []string {
	var out []string
	for a := 'A'; a <= 'Z' && len(out) < n; a++ {
		for b := 'A'; b <= 'Z' && len(out) < n; b++ {
			if code := string([]rune{a, b}); code != "PR" {
				out = append(out, code)
			}
		}
	}
	return out
}

// walkServer serves the catalogue for every 58-country chunk of codes:
// two bundles per country after four regional bundles that every chunk
// lists (so that a walk must drop repeats), in pages of perPage.
type walkServer struct {
	*httptest.Server
	requests atomic.Int64
	pages    map[string][]byte // "countries#page" → body
}

func newWalkServer(tb testing.TB, codes []string, perPage int) *walkServer {
	s := &walkServer{pages: make(map[string][]byte)}
	var template baselinePage
	if err := json.Unmarshal(catalogueBenchJSON(1), &template); err != nil {
		tb.Fatal(err)
	}
	regional := make([]baselineBundle, 4)
	for i := range regional {
		regional[i] = template.Bundles[0]
		regional[i].Name = fmt.Sprintf("esim_%dGB_30D_RGLOBAL_V2", 10*(i+1))
	}
	for chunk := range slices.Chunk(codes, maxCatalogueCountries) {
		bundles := slices.Clone(regional)
		for _, code := range chunk {
			for _, plan := range []string{"1GB_7D", "5GB_30D"} {
				b := template.Bundles[0]
				b.Name = "esim_" + plan + "_" + code + "_V2"
				b.Countries = []baselineCountry{{Name: "Country " + code, Region: "Europe", ISO: code}}
				bundles = append(bundles, b)
			}
		}
		pages := (len(bundles) + perPage - 1) / perPage
		for p := 1; p <= pages; p++ {
			body, err := json.Marshal(baselinePage{Bundles: bundles[(p-1)*perPage : min(p*perPage, len(bundles))],
				PageCount: pages, Rows: len(bundles), PageSize: perPage})
			if err != nil {
				tb.Fatal(err)
			}
			s.pages[fmt.Sprintf("%s#%d", strings.Join(chunk, ","), p)] = body
		}
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		var in struct {
			Countries string `json:"countries"`
			Page      int    `json:"page"`
			PerPage   int    `json:"perPage"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.PerPage != perPage {
			http.Error(w, `{"message":"bad body"}`, http.StatusBadRequest)
			return
		}
		body, ok := s.pages[fmt.Sprintf("%s#%d", in.Countries, in.Page)]
		if !ok {
			body = []byte(`{"bundles":[],"pageCount":0}`)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	tb.Cleanup(s.Close)
	return s
}

// baselineCatalogueAll is the hand-written walk: chunks of 58 countries,
// pages until a short page or the page count, repeats dropped.
func baselineCatalogueAll(hc *http.Client, url string, codes []string, perPage int) (int, error) {
	seen := make(map[string]struct{})
	n := 0
	for chunk := range slices.Chunk(codes, 58) {
		in := struct {
			Countries string `json:"countries"`
			Page      int    `json:"page"`
			PerPage   int    `json:"perPage"`
		}{strings.Join(chunk, ","), 1, perPage}
		for ; ; in.Page++ {
			var page baselinePage
			if err := baselineCall(hc, url, in, &page); err != nil {
				return n, err
			}
			for _, b := range page.Bundles {
				if _, dup := seen[b.Name]; !dup {
					seen[b.Name] = struct{}{}
					n++
				}
			}
			if len(page.Bundles) < perPage || in.Page >= page.PageCount {
				break
			}
		}
	}
	return n, nil
}

// BenchmarkCatalogueAll walks the catalogue of 250 countries: 5 chunks
// of at most 58 countries, 13 pages of 50 in all, 504 distinct bundles.
func BenchmarkCatalogueAll(b *testing.B) {
	const countries, perPage, want = 250, defaultCataloguePerPage, 2*250 + 4
	codes := walkCountryCodes(countries)
	report := func(b *testing.B, s *walkServer) {
		b.ReportMetric(float64(s.requests.Load())/float64(b.N), "requests/op")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(s.requests.Load()), "ns/request")
	}
	b.Run(fmt.Sprintf("countries=%d/impl=baseline", countries), func(b *testing.B) {
		s := newWalkServer(b, codes, perPage)
		hc := s.Client()
		hc.Timeout = defaultReadTimeout
		b.ReportAllocs()
		for b.Loop() {
			if n, err := baselineCatalogueAll(hc, s.URL+"/api/whitelabel/catalogue", codes, perPage); err != nil || n != want {
				b.Fatal(n, err)
			}
		}
		report(b, s)
	})
	b.Run(fmt.Sprintf("countries=%d/impl=sdk", countries), func(b *testing.B) {
		s := newWalkServer(b, codes, perPage)
		c, err := NewClient(testAPIKey, testSecret, WithBaseURL(s.URL+"/api/whitelabel"), WithHTTPClient(s.Client()))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, err := range c.CatalogueAll(b.Context(), CatalogueOptions{Countries: codes}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != want {
				b.Fatal(n)
			}
		}
		report(b, s)
	})
}

func TestCatalogueAllRequestsOfTheBenchmark(t *testing.T) {
	t.Parallel()
	codes := walkCountryCodes(250)
	require.Len(t, codes, 250)
	require.NotContains(t, codes, "PR")
	s := newWalkServer(t, codes, defaultCataloguePerPage)
	c, err := NewClient(testAPIKey, testSecret, WithBaseURL(s.URL+"/api/whitelabel"), WithHTTPClient(s.Client()))
	require.NoError(t, err)
	seen := map[string]bool{}
	for b, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Countries: codes}) {
		require.NoError(t, err)
		require.False(t, seen[b.Name], "%s yielded twice", b.Name)
		seen[b.Name] = true
	}
	require.Len(t, seen, 504)
	require.Equal(t, int64(13), s.requests.Load(), "4 chunks of 58 countries in 3 pages, one of 18 in 1")
	n, err := baselineCatalogueAll(s.Client(), s.URL+"/api/whitelabel/catalogue", codes, defaultCataloguePerPage)
	require.NoError(t, err)
	require.Equal(t, 504, n)
	require.Equal(t, int64(26), s.requests.Load(), "the baseline makes the same requests")
}

// pagedServer serves pageCount pages of 50 realistic bundles (about
// 36 KB each), every bundle's name unique to its page.
func pagedServer(t *testing.T, pageCount int) *httptest.Server {
	template := catalogueBenchJSON(50)
	template = bytes.Replace(template, []byte(`"pageCount":1`), fmt.Appendf(nil, `"pageCount":%d`, pageCount), 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Page int `json:"page"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, `{"message":"bad body"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bytes.ReplaceAll(template, []byte(`"name":"esim_`), fmt.Appendf(nil, `"name":"p%d_esim_`, in.Page)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// walkMemory is what one CatalogueAll walk cost in memory.
type walkMemory struct {
	allocPerPage float64 // bytes allocated per page (TotalAlloc)
	peakInuse    uint64  // highest HeapInuse seen at a page boundary
	retained     uint64  // live heap after a GC at the last bundle, above the start
}

func measureWalk(t *testing.T, pageCount int) walkMemory {
	srv := pagedServer(t, pageCount)
	c, err := NewClient(testAPIKey, testSecret, WithBaseURL(srv.URL), WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	start, startAlloc := m.HeapAlloc, m.TotalAlloc
	var out walkMemory
	n := 0
	for _, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Region: RegionGlobal}) {
		require.NoError(t, err)
		n++
		switch {
		case n == pageCount*50:
			runtime.GC()
			runtime.ReadMemStats(&m)
			out.retained = m.HeapAlloc - min(start, m.HeapAlloc)
		case n%50 == 1:
			runtime.ReadMemStats(&m)
			out.peakInuse = max(out.peakInuse, m.HeapInuse)
		}
	}
	require.Equal(t, pageCount*50, n)
	runtime.ReadMemStats(&m)
	out.allocPerPage = float64(m.TotalAlloc-startAlloc) / float64(pageCount)
	c.CloseIdleConnections()
	return out
}

// TestCatalogueAllPeakMemoryDoesNotGrowWithPages walks 100 and then 1,000
// pages of 50 realistic bundles over loopback. A walk keeps only the names
// it yielded (to drop repeats), never the pages: the allocations per page
// are the same for both walks, and the heap of the long walk exceeds that
// of the short one by no more than those names. Keeping the 900 extra
// pages would hold some 45,000 decoded bundles, about 45 MB. Not
// parallel: it reads the process-wide heap statistics.
func TestCatalogueAllPeakMemoryDoesNotGrowWithPages(t *testing.T) {
	short := measureWalk(t, 100)
	long := measureWalk(t, 1000)
	t.Logf("100 pages: %.0f B allocated/page, peak HeapInuse %d KiB, retained %d KiB", short.allocPerPage, short.peakInuse>>10, short.retained>>10)
	t.Logf("1000 pages: %.0f B allocated/page, peak HeapInuse %d KiB, retained %d KiB", long.allocPerPage, long.peakInuse>>10, long.retained>>10)

	require.Less(t, long.allocPerPage, 1.15*short.allocPerPage, "allocations per page grow with the walk")
	// The names of 45,000 more bundles (about 30 bytes each) and their map
	// entries: under 128 bytes a bundle.
	const perExtraBundle = 128
	budget := uint64(900 * 50 * perExtraBundle)
	require.Less(t, long.retained, short.retained+budget, "the walk retains more than the names it yielded")
	// The peak may also hold the garbage of a page or two, and the GC lets
	// the heap reach twice what is live.
	require.Less(t, long.peakInuse, short.peakInuse+2*budget+8<<20, "peak heap grows with the number of pages")
}

// TestCatalogueEvidenceFixtures: the real v2.5 answer's shape, and one
// bundle with odd scalars, decode (an odd field no longer fails the page).
func TestCatalogueEvidenceFixtures(t *testing.T) {
	t.Parallel()
	page, err := decodeCatalogue(fixture(t, "catalogue_odd_scalars.json"))
	require.NoError(t, err)
	b := page.Bundles[0]
	require.True(t, b.Unlimited)
	require.Equal(t, int64(500), b.DataAmountMB)
	require.Equal(t, 7, b.DurationDays)
	require.Equal(t, []string{"Standard Fixed"}, b.Groups)
	page, err = decodeCatalogue(fixture(t, "catalogue_v25.json"))
	require.NoError(t, err)
	require.NotEmpty(t, page.Bundles)
	require.Positive(t, page.Rows)
	require.Nil(t, page.Bundles[0].RoamingEnabled, "absent in the real answer")
	require.Equal(t, "ROAMING", page.Bundles[0].Allowances[0].Service)
}
