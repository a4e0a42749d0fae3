package travelroam

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"hash/maphash"
	"iter"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/roamkit/travelroam/internal/envelope"
	"github.com/roamkit/travelroam/internal/lenient"
)

// Region is a catalogue region. Travel Roam accepts exactly one of the
// Region constants per request.
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
	// MaxCatalogueCountries is the most countries Travel Roam takes in one
	// catalogue request. [Client.CatalogueAll] splits longer lists.
	MaxCatalogueCountries = 58
	// DefaultCataloguePerPage is the page size [Client.CatalogueAll] asks
	// for when CatalogueOptions.PerPage is 0.
	DefaultCataloguePerPage = 50
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
	// Region is one of the Region constants.
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
// more than 58 countries, an unknown region) match [ErrInvalidInput] and
// send nothing.
func (c *Client) Catalogue(ctx context.Context, opts CatalogueOptions) (*CataloguePage, error) {
	countries, err := checkCatalogueOptions(opts)
	if err != nil {
		return nil, err
	}
	if len(countries) > MaxCatalogueCountries {
		return nil, invalid("catalogue", "Countries",
			"%d countries, at most %d per request: use CatalogueAll, which splits the list", len(countries), MaxCatalogueCountries)
	}
	return c.cataloguePage(ctx, catalogueRequest{
		Countries:   strings.Join(countries, ","),
		Region:      canonicalRegion(opts.Region),
		Description: strings.TrimSpace(opts.Description),
		Page:        opts.Page,
		PerPage:     opts.PerPage,
	})
}

func (c *Client) cataloguePage(ctx context.Context, body catalogueRequest) (*CataloguePage, error) {
	return read(ctx, c, request{method: http.MethodPost, route: routeCatalogue, body: body}, decodeCatalogue)
}

// CatalogueAll returns every bundle matching opts, walking the pages
// (from opts.Page, 50 per page unless opts.PerPage says otherwise) and
// splitting a list of more than 58 countries into several requests. A
// bundle is yielded once even when several requests return it.
//
// The walk stops at an empty or short page, at the server's page count,
// when a page repeats the previous one, or when the loop body breaks. On
// failure it yields one error and stops.
//
//	for b, err := range c.CatalogueAll(ctx, travelroam.CatalogueOptions{Region: travelroam.RegionEurope}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(b.Name, b.Price)
//	}
func (c *Client) CatalogueAll(ctx context.Context, opts CatalogueOptions) iter.Seq2[Bundle, error] {
	return func(yield func(Bundle, error) bool) {
		countries, err := checkCatalogueOptions(opts)
		if err != nil {
			yield(Bundle{}, err)
			return
		}
		w := catalogueWalk{c: c, yield: yield, seen: make(map[string]struct{}), seed: maphash.MakeSeed()}
		base := catalogueRequest{
			Region:      canonicalRegion(opts.Region),
			Description: strings.TrimSpace(opts.Description),
			Page:        max(opts.Page, 1),
			PerPage:     opts.PerPage,
		}
		if base.PerPage == 0 {
			base.PerPage = DefaultCataloguePerPage
		}
		if len(countries) == 0 {
			w.batch(ctx, base)
			return
		}
		for batch := range slices.Chunk(countries, MaxCatalogueCountries) {
			req := base
			req.Countries = strings.Join(batch, ",")
			if !w.batch(ctx, req) {
				return
			}
		}
	}
}

// catalogueWalk is the state of one CatalogueAll loop. It keeps only the
// names already yielded, never the pages.
type catalogueWalk struct {
	c     *Client
	yield func(Bundle, error) bool
	seen  map[string]struct{}
	seed  maphash.Seed
}

// batch walks the pages of one request; false means stop everything.
func (w *catalogueWalk) batch(ctx context.Context, req catalogueRequest) bool {
	var (
		prev       uint64
		rowsBefore int // rows up to this page, from the first page's size
	)
	for n := 0; n < maxCataloguePages; n, req.Page = n+1, req.Page+1 {
		if err := ctx.Err(); err != nil {
			w.yield(Bundle{}, fmt.Errorf("travelroam: catalogue: %w", err))
			return false
		}
		page, err := w.c.cataloguePage(ctx, req)
		if err != nil {
			w.yield(Bundle{}, err)
			return false
		}
		sum := w.pageSum(page.Bundles)
		if len(page.Bundles) == 0 || (n > 0 && sum == prev) {
			return true // empty, or the server repeats itself
		}
		prev = sum
		if !w.emit(page.Bundles) {
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

// emit yields the bundles not seen before; false means the consumer
// stopped.
func (w *catalogueWalk) emit(bundles []Bundle) bool {
	for i := range bundles {
		if _, dup := w.seen[bundles[i].Name]; dup {
			continue
		}
		w.seen[bundles[i].Name] = struct{}{}
		if !w.yield(bundles[i], nil) {
			return false
		}
	}
	return true
}

// pageSum identifies a page by the names of its bundles, in order.
func (w *catalogueWalk) pageSum(bundles []Bundle) uint64 {
	var h maphash.Hash
	h.SetSeed(w.seed)
	for i := range bundles {
		h.WriteString(bundles[i].Name)
		h.WriteByte(0)
	}
	return h.Sum64()
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
	const op = "catalogue"
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
			return nil, invalid("catalogue", "Countries",
				"%s is not a two-letter ISO 3166-1 code: pass one code per element, e.g. []string{\"TR\", \"US\"}", quoteInput(raw))
		}
		if code == "PR" {
			return nil, invalid("catalogue", "Countries", "Puerto Rico (PR) is not supported by Travel Roam: remove it")
		}
		if _, dup := seen[code]; !dup {
			seen[code] = struct{}{}
			out = append(out, code)
		}
	}
	return out, nil
}

func isASCIILetter(b byte) bool { return b >= 'A' && b <= 'Z' }

func checkRegion(r Region) error {
	s := strings.TrimSpace(string(r))
	switch {
	case canonicalRegion(r) != "":
		return nil
	case strings.EqualFold(s, "LATAM"):
		return invalid("catalogue", "Region", "LATAM is discontinued: use RegionSouthAmerica")
	case strings.EqualFold(s, "Antarctica"):
		return invalid("catalogue", "Region", "Antarctica is not supported by Travel Roam")
	case strings.Contains(s, ","):
		return invalid("catalogue", "Region", "%s: one region per request, comma lists are not allowed (or use Countries)", quoteInput(s))
	}
	return invalid("catalogue", "Region", "unknown region %s: use one of the Region constants, e.g. RegionEurope", quoteInput(s))
}

// quoteInput quotes user input for an error message, cut to 40 bytes and
// with any ICCID-like number masked.
func quoteInput(s string) string {
	if len(s) > 40 {
		s = strings.ToValidUTF8(s[:40], "") + "…"
	}
	return strconv.Quote(redactDigits(s))
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

// catalogueWire is every shape of a catalogue page: {"bundles": […],
// "pageCount": …}, or a {"data": …} wrapper around either shape.
type catalogueWire struct {
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
	return decodeCatalogueWith(func(b []byte, v any) error { return lenient.Unmarshal(b, v, opts) }, b, 0)
}

// decodeCatalogueWith is decodeCatalogue with the given engine (tests
// compare the JSON v2 engine with encoding/json).
func decodeCatalogueWith(unmarshal func([]byte, any) error, b []byte, depth int) (*CataloguePage, error) {
	if depth > maxWrapperDepth {
		return nil, errWrappersTooDeep
	}
	b = bytes.TrimSpace(b)
	bundles := make([]Bundle, 0, estimateBundles(b))
	if envelope.IsArray(b) {
		if err := unmarshal(b, &bundles); err != nil {
			return nil, err
		}
		return &CataloguePage{Bundles: nonEmpty(bundles)}, nil
	}
	w := catalogueWire{Bundles: bundles}
	if err := unmarshal(b, &w); err != nil {
		return nil, err
	}
	page := &CataloguePage{Bundles: nonEmpty(w.Bundles), PageCount: int(w.PageCount), Rows: int(w.Rows), PageSize: int(w.PageSize)}
	return withData(unmarshal, page, w.Data, depth)
}

// withData decodes the {"data": …} wrapper of a page that has no bundles
// of its own; the page's counts fill in those the inner one lacks.
func withData(unmarshal func([]byte, any) error, page *CataloguePage, data []byte, depth int) (*CataloguePage, error) {
	if page.Bundles != nil || !(envelope.IsObject(data) || envelope.IsArray(data)) {
		return page, nil
	}
	inner, err := decodeCatalogueWith(unmarshal, data, depth+1)
	if err != nil {
		return nil, err
	}
	inner.PageCount = cmp.Or(inner.PageCount, page.PageCount)
	inner.Rows = cmp.Or(inner.Rows, page.Rows)
	inner.PageSize = cmp.Or(inner.PageSize, page.PageSize)
	return inner, nil
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
