package travelroam

import (
	"net/http"
	"net/url"
	"strings"
)

// Operation names one operation of the Travel Roam API: for [WithRoute],
// and in what the SDK reports about its calls.
type Operation string

// The operations of the Travel Roam API.
const (
	OpCatalogue      Operation = "catalogue"
	OpBundle         Operation = "bundle"
	OpProcessOrder   Operation = "process_order"
	OpAssignments    Operation = "assignments"
	OpESIMDetails    Operation = "esim_details"
	OpAppliedBundles Operation = "applied_bundles"
	OpLocation       Operation = "location"
	OpRevokeESIM     Operation = "revoke_esim"
	OpOrganisation   Operation = "organisation"
)

// Route is the HTTP method and path of an [Operation], the path relative
// to the base URL (e.g. "/esims/revoke").
type Route struct {
	Method, Path string
}

// DefaultRoute returns the route the SDK uses for op unless [WithRoute]
// says otherwise, and false for an unknown operation. The routes of
// [OpRevokeESIM] (POST /esims/revoke) and [OpOrganisation] (GET
// /organisation) are guesses: Travel Roam's changelog names these
// operations, not their paths.
func DefaultRoute(op Operation) (Route, bool) {
	r, ok := defaultRoutes()[op]
	return r, ok
}

// defaultRoutes is the one table of Travel Roam's routes (see the
// contract, Part 1, "Routes").
func defaultRoutes() map[Operation]Route {
	return map[Operation]Route{
		OpCatalogue:      {http.MethodPost, "/catalogue"},
		OpBundle:         {http.MethodPost, "/bundle"},
		OpProcessOrder:   {http.MethodPost, "/processorders"},
		OpAssignments:    {http.MethodGet, "/getesimassignments"},
		OpESIMDetails:    {http.MethodPost, "/esims/details"},
		OpAppliedBundles: {http.MethodPost, "/esims/applied/bundles"},
		OpLocation:       {http.MethodPost, "/esims/location"},
		OpRevokeESIM:     {http.MethodPost, "/esims/revoke"}, // a guess (changelog v1.5)
		OpOrganisation:   {http.MethodGet, "/organisation"},  // a guess (changelog v1.6 spells it "Organization")
	}
}

// WithRoute replaces the method and path of one operation, for a user who
// learns Travel Roam's real route (say GET /organization). Only the method
// and the path change, not the fields sent: with GET (or HEAD) they go in
// the query string, with any other method in a JSON body ({} when the
// operation has none). Path must start with "/" and is relative to the
// base URL; Method must be an HTTP method token. Anything else, or an
// unknown operation, makes [NewClient] fail with an error matching
// [ErrInvalidInput]. The last WithRoute of an operation wins.
func WithRoute(op Operation, r Route) Option {
	return func(c *config) error {
		if _, ok := DefaultRoute(op); !ok {
			return invalid("route", "Operation", "unknown operation %q: use one of the Op constants", string(op))
		}
		if err := checkRoute(r); err != nil {
			return err
		}
		if c.routes == nil {
			c.routes = map[Operation]Route{}
		}
		c.routes[op] = r
		return nil
	}
}

func checkRoute(r Route) error {
	if r.Method == "" || strings.IndexFunc(r.Method, func(c rune) bool { return !isTokenChar(c) }) >= 0 {
		return invalid("route", "Method", "%s is not an HTTP method token such as GET or POST", quoteInput(r.Method))
	}
	p := r.Path
	u, err := url.Parse(p)
	switch {
	case !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//"):
		return invalid("route", "Path", "%s must start with a single \"/\" and is relative to the base URL", quoteInput(p))
	case err != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(p, "?# \t\r\n"):
		return invalid("route", "Path", "%s must be a plain path, without a query or fragment", quoteInput(p))
	case strings.Contains("/"+p+"/", "/../") || strings.Contains("/"+p+"/", "/./"):
		return invalid("route", "Path", "%s must not contain . or .. segments", quoteInput(p))
	}
	return nil
}

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110).
func isTokenChar(c rune) bool {
	return c < 0x7f && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c))
}

// resolvedRoute is a Route with its absolute URL, computed once.
type resolvedRoute struct {
	Route
	url string
}

// resolveRoutes returns the client's route of every operation: the
// defaults, replaced by the given overrides.
func resolveRoutes(base *url.URL, overrides map[Operation]Route) map[Operation]resolvedRoute {
	out := make(map[Operation]resolvedRoute, len(defaultRoutes()))
	for op, r := range defaultRoutes() {
		if o, ok := overrides[op]; ok {
			r = o
		}
		out[op] = resolvedRoute{Route: r, url: routeURL(base, r.Path)}
	}
	return out
}

// routeURL joins the base URL and a path.
func routeURL(base *url.URL, path string) string {
	u := *base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawPath = ""
	return u.String()
}

// String returns the method and the path, e.g. "POST /esims/revoke".
func (r Route) String() string { return r.Method + " " + r.Path }
