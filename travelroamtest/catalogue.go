package travelroamtest

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
)

// DefaultPerPage is the catalogue page size when the request sets none.
const DefaultPerPage = 50

// bundleJSON is a bundle on the wire (contract §3.1).
type bundleJSON struct {
	Name           string      `json:"name"`
	Description    string      `json:"description"`
	Groups         []string    `json:"groups"`
	Countries      []Country   `json:"countries"`
	DataAmount     int64       `json:"dataAmount"`
	Duration       int         `json:"duration"`
	Speed          []string    `json:"speed"`
	Autostart      bool        `json:"autostart"`
	Unlimited      bool        `json:"unlimited"`
	RoamingEnabled any         `json:"roamingEnabled,omitempty"` // absent unless the bundle has a list (even empty)
	ImageURL       string      `json:"imageUrl"`
	Price          cents       `json:"price"`
	BillingType    string      `json:"billingType"`
	Allowances     []allowance `json:"allowances"`
}

type allowance struct {
	Type        string `json:"type"`
	Service     string `json:"service"`
	Description string `json:"description"`
	Amount      int64  `json:"amount"`
	Unit        string `json:"unit"`
	Unlimited   bool   `json:"unlimited"`
}

// wire is the bundle as the catalogue and /bundle answer it: like eSIM
// Go's real v2.5 answer, without roamingEnabled (unless the bundle has a
// list) and with allowance service "ROAMING".
func (b *Bundle) wire() bundleJSON {
	out := bundleJSON{
		Name: b.Name, Description: b.Description, Groups: b.Groups, Countries: b.Countries,
		DataAmount: b.DataAmountMB, Duration: b.DurationDays, Speed: b.Speed, Autostart: true,
		Unlimited: b.Unlimited, ImageURL: b.ImageURL,
		Price: cents(b.PriceCents), BillingType: b.BillingType,
		Allowances: []allowance{{
			Type: "DATA", Service: "ROAMING", Description: "Data",
			Amount: max(b.DataAmountMB, 0), Unit: "MB", Unlimited: b.Unlimited,
		}},
	}
	if b.RoamingEnabled != nil {
		out.RoamingEnabled = b.RoamingEnabled
	}
	return out
}

type catalogueJSON struct {
	Bundles   []bundleJSON `json:"bundles"`
	PageCount int          `json:"pageCount"`
	Rows      int          `json:"rows"`
	PageSize  int          `json:"pageSize"`
}

// catalogueQuery is a parsed catalogue request.
type catalogueQuery struct {
	countries   map[string]bool
	region      string
	description string
	group       string
	page        int
	perPage     int
}

// handleCatalogue serves POST /catalogue: filter by region (which wins
// over countries) or by countries, then by description and group, then
// page (as [WithCataloguePaging] says).
func (s *Server) handleCatalogue(c *call) reply {
	q, bad := parseCatalogueQuery(c)
	if bad != nil {
		return *bad
	}
	var hits []*Bundle
	for i := range s.catalogue {
		if b := &s.catalogue[i]; q.matches(b) {
			hits = append(hits, b)
		}
	}
	out := catalogueJSON{Bundles: []bundleJSON{}, Rows: len(hits), PageSize: q.perPage}
	out.PageCount = (len(hits) + q.perPage - 1) / q.perPage
	if s.cfg.paging != PagingNormal {
		q.page = 1
	}
	from := min((q.page-1)*q.perPage, len(hits))
	to := min(from+q.perPage, len(hits))
	page := hits[from:to]
	if s.cfg.paging == PagingShuffled {
		page = s.shuffle(page)
	}
	for _, b := range page {
		out.Bundles = append(out.Bundles, b.wire())
	}
	return ok(out)
}

// shuffle returns the rows in a new order, never the order of the previous
// shuffled answer (when there are two rows or more). The caller holds s.mu.
func (s *Server) shuffle(rows []*Bundle) []*Bundle {
	if s.shuffler == nil {
		s.shuffler = rand.New(rand.NewPCG(s.cfg.seed, 0x73687566))
	}
	out := slices.Clone(rows)
	s.shuffler.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	if len(out) > 1 && slices.Equal(out, s.lastShuffle) {
		out[0], out[1] = out[1], out[0]
	}
	s.lastShuffle = out
	return out
}

func parseCatalogueQuery(c *call) (catalogueQuery, *reply) {
	var q catalogueQuery
	var bad *reply
	if q.region, bad = c.trimmed("region"); bad != nil {
		return q, bad
	}
	countries, bad := c.trimmed("countries")
	if bad != nil {
		return q, bad
	}
	if q.description, bad = c.trimmed("description"); bad != nil {
		return q, bad
	}
	if q.group, bad = c.trimmed("group"); bad != nil {
		return q, bad
	}
	if q.region == "" && countries == "" {
		rp := errorReply(http.StatusBadRequest, "countries or region is required")
		return q, &rp
	}
	if strings.Contains(q.region, ",") {
		rp := errorReply(http.StatusBadRequest, "region must be a single region")
		return q, &rp
	}
	if q.region == "" {
		q.countries = countrySet(countries)
	}
	if q.page, bad = c.pageParam("page", 1); bad != nil {
		return q, bad
	}
	q.perPage, bad = c.pageParam("perPage", DefaultPerPage)
	return q, bad
}

// countrySet splits a comma-separated list, trims and upper-cases the
// codes, and drops the unsupported PR (Puerto Rico) and AQ (Antarctica).
func countrySet(list string) map[string]bool {
	set := map[string]bool{}
	for _, code := range strings.Split(list, ",") {
		code = strings.ToUpper(strings.TrimSpace(code))
		if code != "" && code != "PR" && code != "AQ" {
			set[code] = true
		}
	}
	return set
}

func (q catalogueQuery) matches(b *Bundle) bool {
	if q.region != "" && b.Region != q.region {
		return false
	}
	if q.region == "" && !b.matchesCountries(q.countries) {
		return false
	}
	if q.description != "" && !b.matchesDescription(q.description) {
		return false
	}
	return q.group == "" || containsFold(b.Groups, q.group)
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// trimmed reads an optional string field of the body, trimmed.
func (c *call) trimmed(key string) (string, *reply) {
	v, _, bad := c.body.str(key)
	return strings.TrimSpace(v), bad
}

// pageParam reads page or perPage from the body, else from the query (the
// body wins when both have it, as Laravel's $request->input() does).
func (c *call) pageParam(key string, def int) (int, *reply) {
	if _, inBody := c.body[key]; inBody {
		return c.body.positiveInt(key, def)
	}
	if v := c.r.URL.Query().Get(key); v != "" {
		return parsePositive(key, v)
	}
	return def, nil
}

// handleBundle serves POST /bundle {"bundlename": …} or {"bundleName":
// …} (each key in exact case; bundlename wins when both are sent): one
// bundle, not wrapped, looked up with its exact case.
func (s *Server) handleBundle(c *call) reply {
	key := "bundlename"
	if _, lower := c.body[key]; !lower {
		if _, camel := c.body["bundleName"]; camel {
			key = "bundleName"
		}
	}
	name, _, bad := c.body.str(key)
	if bad != nil {
		return *bad
	}
	if strings.TrimSpace(name) == "" {
		return errorReply(http.StatusBadRequest, "bundlename is required")
	}
	b, found := s.bundleByName[name]
	if !found {
		return errorReply(http.StatusBadRequest, "Bundle not found")
	}
	return ok(b.wire())
}
