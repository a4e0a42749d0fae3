package travelroamtest

import (
	"net/http"
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
	RoamingEnabled []Country   `json:"roamingEnabled"`
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

func (b *Bundle) wire() bundleJSON {
	return bundleJSON{
		Name: b.Name, Description: b.Description, Groups: b.Groups, Countries: b.Countries,
		DataAmount: b.DataAmountMB, Duration: b.DurationDays, Speed: b.Speed, Autostart: true,
		Unlimited: b.Unlimited, RoamingEnabled: []Country{}, ImageURL: b.ImageURL,
		Price: cents(b.PriceCents), BillingType: b.BillingType,
		Allowances: []allowance{{
			Type: "DATA", Service: "STANDARD", Description: "Data",
			Amount: max(b.DataAmountMB, 0), Unit: "MB", Unlimited: b.Unlimited,
		}},
	}
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
// page.
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
	from := min((q.page-1)*q.perPage, len(hits))
	to := min(from+q.perPage, len(hits))
	for _, b := range hits[from:to] {
		out.Bundles = append(out.Bundles, b.wire())
	}
	return ok(out)
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

// pageParam reads page or perPage from the body, else from the query.
func (c *call) pageParam(key string, def int) (int, *reply) {
	if _, inBody := c.body[key]; inBody {
		return c.body.positiveInt(key, def)
	}
	if v := c.r.URL.Query().Get(key); v != "" {
		return parsePositive(key, v)
	}
	return def, nil
}

// handleBundle serves POST /bundle {"bundlename": …}: one bundle, not
// wrapped, looked up with its exact case.
func (s *Server) handleBundle(c *call) reply {
	name, bad := c.body.required("bundlename")
	if bad != nil {
		return *bad
	}
	b, found := s.bundleByName[name]
	if !found {
		return errorReply(http.StatusBadRequest, "Bundle not found")
	}
	return ok(b.wire())
}
