package travelroam

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/stretchr/testify/require"
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
		Speed:        Speeds{"3G", "4G", "5G"},
		Autostart:    true,
		ImageURL:     "https://esimgo-cms-images-prod.s3.eu-west-1.amazonaws.com/Turkey.jpg",
		Price:        mustAmount(t, "1.85"),
		BillingType:  "FixedCost",
	}, page.Bundles[0])

	lenient := page.Bundles[1]
	require.Equal(t, "4.10", lenient.Price.String(), "price as a string stays exact")
	require.Equal(t, Speeds{"4G", "5G"}, lenient.Speed, "speed as a string is split")
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
			require.Equal(t, Speeds{"4G", "5G"}, b[1].Speed, "speed as an object: keys set to true, sorted")
			require.Equal(t, CountryList{{Name: "Jersey", Region: "Europe", ISO: "JE"}, {ISO: "GG"}}, b[1].RoamingEnabled)
			require.Equal(t, "7.35", b[1].Price.String())
		}},
		{fixture: "catalogue_data.json", names: []string{"esim_10GB_30D_EU_V2"}, pageCount: 2, rows: 2, pageSize: 1, check: func(t *testing.T, b []Bundle) {
			require.Equal(t, "12.999", b[0].Price.String())
			require.Equal(t, []string{"FR", "DE", "ES"}, b[0].CountryCodes())
			require.Equal(t, CountryList{{Name: "Switzerland", Region: "Europe", ISO: "CH"}}, b[0].RoamingEnabled)
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
		`{"bundles":null,"pageCount":null,"rows":"","pageSize":{}}`:  {},
		`{"data":[{"name":"a"}],"pageCount":2,"rows":"x"}`:           {Bundles: []Bundle{{Name: "a"}}, PageCount: 2},
		`{"data":{"data":{"bundles":[{"name":"b"}]}},"rows":5}`:      {Bundles: []Bundle{{Name: "b"}}, Rows: 5},
		` [ ] `: {},
		`null`:  {},
		`{}`:    {},
	} {
		got, err := decodeCatalogue([]byte(body))
		require.NoError(t, err, body)
		require.Equal(t, want, *got, body)
	}
	for _, bad := range []string{``, `{`, `"bundles"`, `{"bundles":{}}`, `{"bundles":[{"price":"abc"}]}`, `{"bundles":[{"dataAmount":"1GB"}]}`} {
		_, err := decodeCatalogue([]byte(bad))
		require.Error(t, err, bad)
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
	require.ErrorIs(t, err, ErrInvalidInput)
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
