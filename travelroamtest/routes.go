package travelroamtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Route is an API route relative to the base URL, e.g. "/processorders".
type Route string

// The routes the fake serves (the contract's Part 1 route table).
const (
	RouteCatalogue      Route = "/catalogue"
	RouteBundle         Route = "/bundle"
	RouteProcessOrders  Route = "/processorders"
	RouteAssignments    Route = "/getesimassignments"
	RouteESIMDetails    Route = "/esims/details"
	RouteAppliedBundles Route = "/esims/applied/bundles"
	RouteLocation       Route = "/esims/location"
	RouteRevoke         Route = "/esims/revoke"
	RouteOrganisation   Route = "/organisation"
)

// Alternative routes of the two guessed operations (the contract's Part 1
// lists them), served next to the defaults so that tests can exercise a
// client whose routes were overridden. Revoke also answers DELETE on
// [RouteRevoke], and organisation answers GET and POST ({}) on each path.
const (
	// RouteRevokeESIM is revoke in the style of /processorders: POST
	// {"iccid": …}.
	RouteRevokeESIM Route = "/revokeesim"
	// RouteOrganization is organisation with the changelog's US spelling.
	RouteOrganization Route = "/organization"
	// RouteOrganizationDetails is organisation named after the changelog's
	// "Organization Details".
	RouteOrganizationDetails Route = "/organizationdetails"
)

// Base paths. The API lives under /api/whitelabel; the same routes also
// answer under /api (in case the real prefix is the shorter one), and both
// can be preceded by /sandbox or /live to reach that environment's state.
const (
	basePath      = "/api/whitelabel"
	shortBasePath = "/api"
)

// A handler answers one authenticated request.
type handler func(s *Server, c *call) reply

type routeSpec struct {
	methods []string
	handle  handler
}

func routeTable() map[Route]routeSpec {
	post := []string{http.MethodPost}
	getOrPost := []string{http.MethodGet, http.MethodPost}
	return map[Route]routeSpec{
		RouteCatalogue:           {post, (*Server).handleCatalogue},
		RouteBundle:              {post, (*Server).handleBundle},
		RouteProcessOrders:       {post, (*Server).handleProcessOrders},
		RouteAssignments:         {[]string{http.MethodGet}, (*Server).handleAssignments},
		RouteESIMDetails:         {post, (*Server).handleDetails},
		RouteAppliedBundles:      {post, (*Server).handleAppliedBundles},
		RouteLocation:            {post, (*Server).handleLocation},
		RouteRevoke:              {[]string{http.MethodPost, http.MethodDelete}, (*Server).handleRevoke},
		RouteRevokeESIM:          {post, (*Server).handleRevoke},
		RouteOrganisation:        {getOrPost, (*Server).handleOrganisation},
		RouteOrganization:        {getOrPost, (*Server).handleOrganisation},
		RouteOrganizationDetails: {getOrPost, (*Server).handleOrganisation},
	}
}

// splitPath finds the environment and the route of a request path; found
// is false for a path outside the API's base paths.
func splitPath(path string, def Environment) (env Environment, route Route, found bool) {
	env = def
	for _, e := range []Environment{Sandbox, Live} {
		if rest, under := strings.CutPrefix(path, "/"+string(e)+"/"); under {
			env, path = e, "/"+rest
			break
		}
	}
	for _, base := range []string{basePath, shortBasePath} {
		if rest, under := strings.CutPrefix(path, base+"/"); under {
			return env, Route("/" + strings.TrimSuffix(rest, "/")), true
		}
	}
	return env, "", false
}

// call is one authenticated request as handlers see it.
type call struct {
	r       *http.Request
	env     Environment
	account string // API key
	body    jsonBody
}

// reply is a handler's answer, written as JSON (or, when raw is set, as
// raw bytes of type contentType).
type reply struct {
	status      int
	header      http.Header
	body        any
	raw         []byte
	contentType string
}

func ok(body any) reply { return reply{status: http.StatusOK, body: body} }

type message struct {
	Message string `json:"message"`
}

// mediaType is the Content-Type of the reply.
func (rp reply) mediaType() string {
	if rp.raw != nil {
		return rp.contentType
	}
	return "application/json"
}

func errorReply(status int, format string, args ...any) reply {
	return reply{status: status, body: message{Message: fmt.Sprintf(format, args...)}}
}

// encode renders the reply's body.
func (rp reply) encode() []byte {
	if rp.raw != nil {
		return rp.raw
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rp.body); err != nil {
		panic("travelroamtest: encoding a reply: " + err.Error()) // the fake's own types always encode
	}
	return buf.Bytes()
}

// jsonBody is a POST body. Keys are looked up exactly (encoding/json
// would match "bundleName" for "bundlename", and the contract says keys
// are case-sensitive).
type jsonBody map[string]json.RawMessage

// parseBody decodes a POST body that must be a JSON object.
func parseBody(raw []byte) (jsonBody, *reply) {
	var b jsonBody
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil || b == nil || dec.More() {
		rp := errorReply(http.StatusBadRequest, "Request body must be a JSON object")
		return nil, &rp
	}
	return b, nil
}

// str returns the string at key; present is false when the key is absent
// or null. A value of another type is a 400.
func (b jsonBody) str(key string) (value string, present bool, bad *reply) {
	raw, found := b[key]
	if !found || string(raw) == "null" {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &value); err != nil {
		rp := errorReply(http.StatusBadRequest, "%s must be a string", key)
		return "", true, &rp
	}
	return value, true, nil
}

// required returns the non-blank string at key, or a 400 naming it.
func (b jsonBody) required(key string) (string, *reply) {
	v, _, bad := b.str(key)
	if bad != nil {
		return "", bad
	}
	if strings.TrimSpace(v) == "" {
		rp := errorReply(http.StatusBadRequest, "%s is required", key)
		return "", &rp
	}
	return v, nil
}

// positiveInt reads key as a positive integer, given as a JSON number or a
// numeric string; def when absent.
func (b jsonBody) positiveInt(key string, def int) (int, *reply) {
	raw, found := b[key]
	if !found || string(raw) == "null" {
		return def, nil
	}
	s := strings.Trim(string(raw), `"`)
	return parsePositive(key, s)
}

func parsePositive(key, s string) (int, *reply) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		rp := errorReply(http.StatusBadRequest, "%s must be a positive integer", key)
		return 0, &rp
	}
	return n, nil
}

// param returns the text of an optional parameter, from the JSON body
// (a string's content, or a number's or boolean's literal) or else from
// the query string. The body wins when both have it, as Laravel's
// $request->input() does for a JSON request.
func (c *call) param(key string) (value string, present bool) {
	if raw, found := c.body[key]; found && string(raw) != "null" {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s, true
		}
		return string(raw), true
	}
	if q := c.r.URL.Query(); q.Has(key) {
		return q.Get(key), true
	}
	return "", false
}

// boolParamOr reads an optional boolean parameter (body or query):
// true/false, "true"/"false" in any case, 1/0 or "1"/"0".
// It is def when the parameter is absent.
func (c *call) boolParamOr(key string, def bool) (bool, *reply) {
	v, present := c.param(key)
	if !present {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1":
		return true, nil
	case "false", "0", "":
		return false, nil
	}
	rp := errorReply(http.StatusBadRequest, "%s must be a boolean", key)
	return false, &rp
}

// intParam reads an optional integer parameter (body or query) within
// [lo, hi]; def when absent.
func (c *call) intParam(key string, def, lo, hi int) (int, *reply) {
	v, present := c.param(key)
	if !present {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		rp := errorReply(http.StatusBadRequest, "%s must be between %d and %d", key, lo, hi)
		return 0, &rp
	}
	return n, nil
}
