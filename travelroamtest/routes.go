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
	return map[Route]routeSpec{
		RouteCatalogue:      {post, (*Server).handleCatalogue},
		RouteBundle:         {post, (*Server).handleBundle},
		RouteProcessOrders:  {post, (*Server).handleProcessOrders},
		RouteAssignments:    {[]string{http.MethodGet}, (*Server).handleAssignments},
		RouteESIMDetails:    {post, (*Server).handleDetails},
		RouteAppliedBundles: {post, (*Server).handleAppliedBundles},
		RouteLocation:       {post, (*Server).handleLocation},
		RouteRevoke:         {post, (*Server).handleRevoke},
		RouteOrganisation:   {[]string{http.MethodGet, http.MethodPost}, (*Server).handleOrganisation},
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

// reply is a handler's answer, written as JSON.
type reply struct {
	status int
	header http.Header
	body   any
}

func ok(body any) reply { return reply{status: http.StatusOK, body: body} }

type message struct {
	Message string `json:"message"`
}

func errorReply(status int, format string, args ...any) reply {
	return reply{status: status, body: message{Message: fmt.Sprintf(format, args...)}}
}

// encode renders the reply's body.
func (rp reply) encode() []byte {
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
