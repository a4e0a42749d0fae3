package travelroam

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"iter"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/roamkit/travelroam/internal/envelope"
	"github.com/roamkit/travelroam/internal/lenient"
	"github.com/roamkit/travelroam/internal/redact"
)

// Region is a catalogue region: one per request. The constants are the
// regions Travel Roam documents (matched in any case); any other name
// without a comma is sent as given, since region names vary over time.
type Region string

// Regions of the catalogue. LATAM is discontinued (use
// [RegionSouthAmerica]) and Antarctica is not supported.
const (
	RegionAfrica       Region = "Africa"
	RegionAsia         Region = "Asia"
	RegionEurope       Region = "Europe"
	RegionGlobal       Region = "Global"
	RegionMiddleEast   Region = "Middle East"
	RegionNorthAmerica Region = "North America"
	RegionOceania      Region = "Oceania"
	RegionSouthAmerica Region = "South America"
)

// Limits of the catalogue.
const (
	// maxCatalogueCountries is the most countries Travel Roam takes in one
	// catalogue request (58, stated on CatalogueOptions.Countries).
	// [Client.CatalogueAll] splits longer lists.
	maxCatalogueCountries = 58
	// defaultCataloguePerPage is the page size [Client.CatalogueAll] asks
	// for when CatalogueOptions.PerPage is 0 (50, stated on CatalogueAll).
	defaultCataloguePerPage = 50
	// maxCataloguePages bounds one walk of CatalogueAll per country batch.
	maxCataloguePages = 1000
)

// CatalogueOptions filters the catalogue. Set Countries or Region, not
// both.
type CatalogueOptions struct {
	// Countries are ISO 3166-1 alpha-2 codes, one per element, e.g.
	// []string{"TR", "US"}. They are trimmed, upper-cased and
	// de-duplicated. At most 58 for [Client.Catalogue]; any number for
	// [Client.CatalogueAll]. PR (Puerto Rico) is not supported.
	Countries []string
	// Region is one region: one of the Region constants, or any other
	// name without a comma (sent as given; LATAM and Antarctica are
	// refused).
	Region Region
	// Description is a wildcard search on the bundle description.
	Description string
	// Page is the page to fetch, from 1 (0 leaves it to the server, which
	// starts at 1). CatalogueAll starts there.
	Page int
	// PerPage is the page size (0 leaves it to the server; CatalogueAll
	// then asks for 50).
	PerPage int
}

// CataloguePage is one page of the catalogue.
type CataloguePage struct {
	// Bundles are the bundles of this page.
	Bundles []Bundle
	// PageCount is the number of pages, Rows the number of matching
	// bundles and PageSize the page size, as the server reports them;
	// zero when it does not say.
	PageCount, Rows, PageSize int
}

// catalogueRequest is the body of POST /catalogue: keys only when set.
type catalogueRequest struct {
	Countries   string `json:"countries,omitempty"`
	Region      Region `json:"region,omitempty"`
	Description string `json:"description,omitempty"`
	Page        int    `json:"page,omitempty"`
	PerPage     int    `json:"perPage,omitempty"`
}

// Catalogue returns one page of the bundles you can buy. Travel Roam asks
// you to store the catalogue on your side and refresh it rarely.
//
// Invalid options (neither or both of Countries and Region, a bad code,
// more than 58 countries, an unknown region) are [*ValidationError] values and
// send nothing.
func (c *Client) Catalogue(ctx context.Context, opts CatalogueOptions, callOpts ...CallOption) (*CataloguePage, error) {
	countries, err := checkCatalogueOptions(opts)
	if err != nil {
		return nil, err
	}
	if len(countries) > maxCatalogueCountries {
		return nil, invalid(OpCatalogue.label(), "Countries",
			"%d countries, at most %d per request: use CatalogueAll, which splits the list", len(countries), maxCatalogueCountries)
	}
	cfg, err := callOptions("catalogue", kindsRead, callOpts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := cfg.context(ctx)
	defer cancel()
	return c.cataloguePage(ctx, catalogueRequest{
		Countries:   strings.Join(countries, ","),
		Region:      regionToSend(opts.Region),
		Description: strings.TrimSpace(opts.Description),
		Page:        opts.Page,
		PerPage:     opts.PerPage,
	}, &cfg)
}

// cataloguePage reads one page with the call's options.
func (c *Client) cataloguePage(ctx context.Context, body catalogueRequest, cfg *callConfig) (*CataloguePage, error) {
	r := c.newRequest(OpCatalogue, body)
	// page and perPage go in the body and in the query string: where the
	// server reads them is unknown (Laravel-style servers merge both).
	if body.Page > 0 || body.PerPage > 0 {
		r.query = url.Values{}
		if body.Page > 0 {
			r.query.Set("page", strconv.Itoa(body.Page))
		}
		if body.PerPage > 0 {
			r.query.Set("perPage", strconv.Itoa(body.PerPage))
		}
	}
	if err := cfg.apply(&r); err != nil {
		return nil, err
	}
	return read(ctx, c, r, decodeCatalogue)
}

// CatalogueAll returns every bundle matching opts, walking the pages
// (from opts.Page, 50 per page unless opts.PerPage says otherwise) and
// splitting a list of more than 58 countries into several requests. A
// bundle is yielded once even when several requests return it.
//
// The walk stops at an empty or short page, at the server's page count or
// row count, or when the loop body breaks. On failure it yields one error
// and stops; an empty page while the server's counts say that more
// follow is a failure. A server that ignores page (a later page repeats or
// reshuffles the earlier ones while more are expected) ends the walk with
// an error matching [ErrPaginationIgnored], after the bundles it had: a
// partial catalogue must never look complete.
//
//	for b, err := range c.CatalogueAll(ctx, travelroam.CatalogueOptions{Region: travelroam.RegionEurope}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(b.Name, b.Price)
//	}
func (c *Client) CatalogueAll(ctx context.Context, opts CatalogueOptions, callOpts ...CallOption) iter.Seq2[Bundle, error] {
	return func(yield func(Bundle, error) bool) {
		countries, err := checkCatalogueOptions(opts)
		if err != nil {
			yield(Bundle{}, err)
			return
		}
		cfg, err := callOptions("catalogue", kindsRead, callOpts)
		if err != nil {
			yield(Bundle{}, err)
			return
		}
		ctx, cancel := cfg.context(ctx)
		defer cancel()
		w := catalogueWalk{c: c, yield: yield, seen: make(map[string]int), cfg: &cfg}
		base := catalogueRequest{
			Region:      regionToSend(opts.Region),
			Description: strings.TrimSpace(opts.Description),
			Page:        max(opts.Page, 1),
			PerPage:     opts.PerPage,
		}
		if base.PerPage == 0 {
			base.PerPage = defaultCataloguePerPage
		}
		if len(countries) == 0 {
			w.walkBatch(ctx, base)
			return
		}
		for batch := range slices.Chunk(countries, maxCatalogueCountries) {
			req := base
			req.Countries = strings.Join(batch, ",")
			if !w.walkBatch(ctx, req) {
				return
			}
		}
	}
}

// catalogueWalk is the state of one CatalogueAll loop. It keeps only the
// names already seen, never the pages: for each, the country batch in
// which it was last seen.
type catalogueWalk struct {
	c     *Client
	yield func(Bundle, error) bool
	seen  map[string]int
	batch int         // the country batch being walked, from 1
	cfg   *callConfig // the walk's call options
}

// walkBatch walks the pages of one request; false means stop everything.
// A page that adds no bundle this batch has not seen, while more pages
// are expected, means that the server ignores page (it repeats or
// reshuffles one page): the walk ends with ErrPaginationIgnored instead
// of passing a partial catalogue off as complete. An empty page ends the
// walk, with an error when the server's own counts say that more pages
// or rows follow (a page it failed to fill, a list under a key the SDK
// does not know). Only a page count above the page asked for counts:
// Laravel's paginator reports one page for an empty result.
func (w *catalogueWalk) walkBatch(ctx context.Context, req catalogueRequest) bool {
	w.batch++
	rowsBefore := 0 // rows up to this page, from the first page's size
	for n := 0; n < maxCataloguePages; n, req.Page = n+1, req.Page+1 {
		if err := ctx.Err(); err != nil {
			w.yield(Bundle{}, fmt.Errorf("travelroam: catalogue: %w", err))
			return false
		}
		page, err := w.c.cataloguePage(ctx, req, w.cfg)
		if err != nil {
			w.yield(Bundle{}, err)
			return false
		}
		if len(page.Bundles) == 0 {
			if n == 0 {
				rowsBefore = (max(req.Page, 1) - 1) * cmp.Or(page.PageSize, req.PerPage)
			}
			if page.PageCount > req.Page || page.Rows > rowsBefore {
				w.yield(Bundle{}, fmt.Errorf("travelroam: catalogue: page %d is empty, but the server counts %d pages and %d bundles: the catalogue is incomplete",
					req.Page, page.PageCount, page.Rows))
				return false
			}
			return true
		}
		fresh, ok := w.emit(page.Bundles)
		switch {
		case !ok:
			return false
		case fresh == 0:
			w.yield(Bundle{}, fmt.Errorf("travelroam: catalogue: page %d adds no bundle to the pages before it while more are expected: %w",
				req.Page, ErrPaginationIgnored))
			return false
		}
		if n == 0 {
			firstSize := len(page.Bundles)
			if page.PageSize > 0 {
				firstSize = page.PageSize
			}
			rowsBefore = (max(req.Page, 1) - 1) * firstSize
		}
		rowsBefore += len(page.Bundles)
		if lastPage(page, req, rowsBefore) {
			return true
		}
	}
	w.yield(Bundle{}, fmt.Errorf("travelroam: catalogue: stopped after %d pages from page %d; narrow the filter or raise PerPage",
		maxCataloguePages, req.Page-maxCataloguePages))
	return false
}

// emit yields the bundles not seen before in the whole walk, and counts
// those not seen before in this batch (a bundle may belong to several
// batches of countries); ok is false when the consumer stopped.
func (w *catalogueWalk) emit(bundles []Bundle) (fresh int, ok bool) {
	for i := range bundles {
		name := bundles[i].Name
		batch, known := w.seen[name]
		if batch == w.batch {
			continue
		}
		fresh++
		w.seen[name] = w.batch
		if known {
			continue
		}
		if !w.yield(bundles[i], nil) {
			return fresh, false
		}
	}
	return fresh, true
}

// lastPage reports whether page, fetched with req, is the last one;
// rowsSoFar counts the rows up to and including it. The server's page
// count, then its row count, win over the page's length: a server may cap
// the page size below the perPage asked for, and then every page is
// "short". Without either, a short page is the last.
func lastPage(page *CataloguePage, req catalogueRequest, rowsSoFar int) bool {
	size := req.PerPage
	if page.PageSize > 0 {
		size = page.PageSize
	}
	switch {
	case len(page.Bundles) == 0:
		return true
	case page.PageCount > 0:
		return req.Page >= page.PageCount
	case page.Rows > 0:
		return rowsSoFar >= page.Rows
	}
	return len(page.Bundles) < size
}

// checkCatalogueOptions validates opts and returns the normalised
// country codes.
func checkCatalogueOptions(opts CatalogueOptions) ([]string, error) {
	op := OpCatalogue.label()
	switch {
	case opts.Page < 0:
		return nil, invalid(op, "Page", "%d is negative: pages start at 1 (0 leaves it to the server)", opts.Page)
	case opts.PerPage < 0:
		return nil, invalid(op, "PerPage", "%d is negative: pass a page size, or 0 for the default", opts.PerPage)
	case len(opts.Countries) > 0 && opts.Region != "":
		return nil, invalid(op, "Countries", "set Countries or Region, not both (Travel Roam ignores Countries when Region is set)")
	case len(opts.Countries) == 0 && opts.Region == "":
		return nil, invalid(op, "Countries", "set Countries (ISO codes such as \"TR\") or Region (e.g. RegionEurope): Travel Roam requires one")
	}
	if opts.Region != "" {
		return nil, checkRegion(opts.Region)
	}
	return normaliseCountries(opts.Countries)
}

// normaliseCountries trims, upper-cases and de-duplicates the codes,
// keeping their order, in a new slice.
func normaliseCountries(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	seen := make(map[string]struct{}, len(in))
	for _, raw := range in {
		code := strings.ToUpper(strings.TrimSpace(raw))
		if len(code) != 2 || !isASCIILetter(code[0]) || !isASCIILetter(code[1]) {
			return nil, invalid(OpCatalogue.label(), "Countries",
				"%s is not a two-letter ISO 3166-1 code: pass one code per element, e.g. []string{\"TR\", \"US\"}", quoteInput(raw))
		}
		if code == "PR" {
			return nil, invalid(OpCatalogue.label(), "Countries", "Puerto Rico (PR) is not supported by Travel Roam: remove it")
		}
		if _, dup := seen[code]; !dup {
			seen[code] = struct{}{}
			out = append(out, code)
		}
	}
	return out, nil
}

func isASCIILetter(b byte) bool { return b >= 'A' && b <= 'Z' }

// maxRegionLen bounds a region name the SDK does not know: region names
// in eSIM Go's country objects vary, so any reasonable one is sent.
const maxRegionLen = 64

// checkRegion refuses what Travel Roam documents as refused (LATAM,
// Antarctica, comma lists) and what cannot be a region name; any other
// non-empty region is sent, the eight known ones in their canonical
// spelling.
func checkRegion(r Region) error {
	s := strings.TrimSpace(string(r))
	switch {
	case canonicalRegion(r) != "":
		return nil
	case strings.EqualFold(s, "LATAM"):
		return invalid(OpCatalogue.label(), "Region", "LATAM is discontinued: use RegionSouthAmerica")
	case strings.EqualFold(s, "Antarctica"):
		return invalid(OpCatalogue.label(), "Region", "Antarctica is not supported by Travel Roam")
	case strings.Contains(s, ","):
		return invalid(OpCatalogue.label(), "Region", "%s: one region per request, comma lists are not allowed (or use Countries)", quoteInput(s))
	case s == "" || len(s) > maxRegionLen || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
		return invalid(OpCatalogue.label(), "Region", "%s is not a region name: use one of the Region constants, e.g. RegionEurope", quoteInput(s))
	}
	return nil
}

// regionToSend returns the region as sent: a known one in its canonical
// spelling, any other trimmed.
func regionToSend(r Region) Region {
	if known := canonicalRegion(r); known != "" {
		return known
	}
	return Region(strings.TrimSpace(string(r)))
}

// quoteInput quotes user input for an error message, cut to 40 bytes and
// with any ICCID-like number masked.
func quoteInput(s string) string {
	if len(s) > 40 {
		s = strings.ToValidUTF8(s[:40], "") + "…"
	}
	return strconv.Quote(redact.Digits(s))
}

// canonicalRegion returns the constant matching r (case and surrounding
// space ignored), or "".
func canonicalRegion(r Region) Region {
	s := strings.TrimSpace(string(r))
	for _, known := range [...]Region{RegionAfrica, RegionAsia, RegionEurope, RegionGlobal, RegionMiddleEast,
		RegionNorthAmerica, RegionOceania, RegionSouthAmerica} {
		if strings.EqualFold(s, string(known)) {
			return known
		}
	}
	return ""
}

// wireCatalogue is every shape of a catalogue page: {"bundles": […],
// "pageCount": …}, or a {"data": …} wrapper around either shape.
type wireCatalogue struct {
	Bundles   []Bundle       `json:"bundles"`
	PageCount lenient.Int    `json:"pageCount"`
	Rows      lenient.Int    `json:"rows"`
	PageSize  lenient.Int    `json:"pageSize"`
	Data      jsontext.Value `json:"data"`
}

// decodeCatalogue accepts {"bundles": […], "pageCount", "rows",
// "pageSize"}, a bare array of bundles, and {"data": …} around either.
// An empty page has nil Bundles.
//
// It decodes with the JSON v2 engine under encoding/json's semantics
// (lenient.Options), each bundle read in place (bundleOptions), and
// falls back to encoding/json on failure (lenient.Unmarshal): 2.5 to 3
// times as fast as encoding/json, with a third of its memory, and the
// same values and errors (FuzzCatalogueEngines compares the two).
func decodeCatalogue(b []byte) (*CataloguePage, error) {
	opts := bundleOptions()
	return decodeCatalogueWith(func(b []byte, v any) error { return lenient.Unmarshal(b, v, opts) }, b)
}

// decodeCatalogueWith is decodeCatalogue with the given engine (tests
// compare the JSON v2 engine with encoding/json). It reads the
// {"data": …} wrappers of pages without bundles of their own down to the
// page that has them (envelope.Descend); each wrapper's counts fill in
// those the pages inside it lack.
func decodeCatalogueWith(unmarshal func([]byte, any) error, b []byte) (*CataloguePage, error) {
	var pages []*CataloguePage // outermost first
	err := envelope.Descend(b, func(v []byte) ([]byte, error) {
		page, data, err := decodeCataloguePage(unmarshal, v)
		pages = append(pages, page)
		return data, err
	})
	if err != nil {
		return nil, err
	}
	page := pages[len(pages)-1]
	for _, outer := range slices.Backward(pages[:len(pages)-1]) {
		page.PageCount = cmp.Or(page.PageCount, outer.PageCount)
		page.Rows = cmp.Or(page.Rows, outer.Rows)
		page.PageSize = cmp.Or(page.PageSize, outer.PageSize)
	}
	return page, nil
}

// decodeCataloguePage decodes one level of a catalogue answer: the page,
// and the value of its "data" member when the page has no bundles of its
// own and that value is an object or an array (a wrapped page), else nil.
func decodeCataloguePage(unmarshal func([]byte, any) error, b []byte) (page *CataloguePage, data []byte, err error) {
	b = bytes.TrimSpace(b)
	bundles := make([]Bundle, 0, estimateBundles(b))
	if envelope.IsArray(b) {
		if err := unmarshal(b, &bundles); err != nil {
			return nil, nil, err
		}
		return &CataloguePage{Bundles: nonEmpty(bundles)}, nil, nil
	}
	w := wireCatalogue{Bundles: bundles}
	if err := unmarshal(b, &w); err != nil {
		return nil, nil, err
	}
	page = &CataloguePage{Bundles: nonEmpty(w.Bundles), PageCount: int(w.PageCount), Rows: int(w.Rows), PageSize: int(w.PageSize)}
	if page.Bundles != nil || !(envelope.IsObject(w.Data) || envelope.IsArray(w.Data)) {
		return page, nil, nil
	}
	return page, w.Data, nil
}

func nonEmpty(b []Bundle) []Bundle {
	if len(b) == 0 {
		return nil
	}
	return b
}

// minBundleBytes bounds estimateBundles: a real bundle is several hundred
// bytes, so a hostile body cannot make the estimate allocate much more
// than its own size.
const minBundleBytes = 256

// estimateBundles guesses how many bundles b holds by counting their
// "duration" keys, so that the slice is allocated once instead of being
// grown and copied (the largest cost of decoding a big page).
func estimateBundles(b []byte) int {
	return min(bytes.Count(b, []byte(`"duration"`)), len(b)/minBundleBytes)
}
