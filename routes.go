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
func (op Operation) DefaultRoute() (Route, bool) {
	o, ok := op.row()
	return o.Route, ok
}

// operation is one row of the table of operations: everything the SDK
// says or decides about an operation by its name.
type operation struct {
	op Operation
	// Route is the default route (see the contract, Part 1, "Routes").
	Route
	// call is the Client method that makes the operation, as observers
	// (CallInfo.Call) and travelroamotel's span names see it.
	call string
	// label names the operation in errors: ValidationError.Op, the Op of
	// an OutcomeUnknownError, "travelroam: <label>: …".
	label string
	// large answers may be up to maxResponseBytes; the others are cut at
	// maxSmallResponse (see responseCap).
	large bool
	// single makes each read one attempt (a poll: its schedule replaces
	// retries).
	single bool
}

// operations is the one table of the SDK's operations: every name an
// operation has (its Op constant, its route, its method, its label in
// errors) comes from here.
func operations() [9]operation {
	return [...]operation{
		{op: OpCatalogue, Route: Route{http.MethodPost, "/catalogue"}, call: "Catalogue", label: "catalogue", large: true},
		{op: OpBundle, Route: Route{http.MethodPost, "/bundle"}, call: "Bundle", label: "bundle"},
		{op: OpProcessOrder, Route: Route{http.MethodPost, "/processorders"}, call: "ProcessOrder", label: "process order"},
		{op: OpAssignments, Route: Route{http.MethodGet, "/getesimassignments"}, call: "Assignments", label: "assignments", single: true},
		{op: OpESIMDetails, Route: Route{http.MethodPost, "/esims/details"}, call: "ESIM", label: "eSIM details"},
		{op: OpAppliedBundles, Route: Route{http.MethodPost, "/esims/applied/bundles"}, call: "AppliedBundles", label: "applied bundles"},
		{op: OpLocation, Route: Route{http.MethodPost, "/esims/location"}, call: "Location", label: "eSIM location"},
		{op: OpRevokeESIM, Route: Route{http.MethodPost, "/esims/revoke"}, call: "RevokeESIM", label: "revoke eSIM"},     // a guess (changelog v1.5)
		{op: OpOrganisation, Route: Route{http.MethodGet, "/organisation"}, call: "Organisation", label: "organisation"}, // a guess (changelog v1.6 spells it "Organization")
	}
}

// Calls of the SDK that are not one operation, named in the same
// vocabulary: WaitForAssignments polls OpAssignments; ResolvePurchase
// and ParseActivationCode send nothing.
const (
	callWaitForAssignments  = "WaitForAssignments"
	labelWaitForAssignments = "wait for assignments"
	labelResolvePurchase    = "resolve purchase"
	labelActivationCode     = "parse activation code"
	labelRoute              = "route"
)

// row returns op's row of the table, and false for an unknown operation.
func (op Operation) row() (operation, bool) {
	for _, o := range operations() {
		if o.op == op {
			return o, true
		}
	}
	return operation{}, false
}

// label names op in errors, e.g. "process order".
func (op Operation) label() string {
	o, _ := op.row()
	return o.label
}

// WithRoute replaces the method and path of one operation, for a user who
// learns Travel Roam's real route (say GET /organization). Only the method
// and the path change, not the fields sent: with GET (or HEAD) they go in
// the query string, with any other method in a JSON body ({} when the
// operation has none). Path must start with "/" and is relative to the
// base URL; Method must be an HTTP method token. Anything else, or an
// unknown operation, makes [NewClient] fail with a
// [*ValidationError]. The last WithRoute of an operation wins.
func WithRoute(op Operation, r Route) Option {
	return clientOption("WithRoute", func(c *config) error {
		if _, ok := op.row(); !ok {
			return invalid(labelRoute, "Operation", "unknown operation %q: use one of the Op constants", string(op))
		}
		if err := checkRoute(r); err != nil {
			return err
		}
		if c.routes == nil {
			c.routes = map[Operation]Route{}
		}
		c.routes[op] = r
		return nil
	})
}

func checkRoute(r Route) error {
	if r.Method == "" || strings.IndexFunc(r.Method, func(c rune) bool { return !isTokenChar(c) }) >= 0 {
		return invalid(labelRoute, "Method", "%s is not an HTTP method token such as GET or POST", quoteInput(r.Method))
	}
	p := r.Path
	u, err := url.Parse(p)
	switch {
	case !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//"):
		return invalid(labelRoute, "Path", "%s must start with a single \"/\" and is relative to the base URL", quoteInput(p))
	case err != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(p, "?# \t\r\n"):
		return invalid(labelRoute, "Path", "%s must be a plain path, without a query or fragment", quoteInput(p))
	case strings.Contains("/"+p+"/", "/../") || strings.Contains("/"+p+"/", "/./"):
		return invalid(labelRoute, "Path", "%s must not contain . or .. segments", quoteInput(p))
	}
	return nil
}

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110).
func isTokenChar(c rune) bool {
	return c < 0x7f && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c))
}

// resolvedRoute is an operation's row with the Client's route (the
// default, or the WithRoute override) and its absolute URL, computed once.
type resolvedRoute struct {
	operation
	url string
}

// resolveRoutes returns the client's row of every operation: the
// defaults, their routes replaced by the given overrides.
func resolveRoutes(base *url.URL, overrides map[Operation]Route) map[Operation]resolvedRoute {
	ops := operations()
	out := make(map[Operation]resolvedRoute, len(ops))
	for _, o := range ops {
		if r, ok := overrides[o.op]; ok {
			o.Route = r
		}
		out[o.op] = resolvedRoute{operation: o, url: routeURL(base, o.Path)}
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
