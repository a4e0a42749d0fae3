package travelroamtest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// order is an order with what the server needs to answer its assignments.
type order struct {
	Order
	readyAt time.Time
}

type orderJSON struct {
	Order          []orderLineJSON `json:"order"`
	Total          cents           `json:"total"`
	Currency       string          `json:"currency"`
	Status         string          `json:"status"`
	StatusMessage  string          `json:"statusMessage"`
	OrderReference string          `json:"orderReference"`
	CreatedDate    string          `json:"createdDate"`
	Assigned       bool            `json:"assigned"`
	Unlimited      bool            `json:"unlimited"`
}

type orderLineJSON struct {
	Type          string          `json:"type"`
	Item          string          `json:"item"`
	Quantity      int             `json:"quantity"`
	SubTotal      cents           `json:"subTotal"`
	PricePerUnit  cents           `json:"pricePerUnit"`
	ICCIDs        []string        `json:"iccids"`
	ESIMs         []orderESIMJSON `json:"esims"`
	AllowReassign bool            `json:"allowReassign"`
}

type orderESIMJSON struct {
	ICCID       string `json:"iccid"`
	MatchingID  string `json:"matchingId"`
	SMDPAddress string `json:"smdpAddress"`
}

// applyReply is eSIM Go's answer to a top-up ("apply a bundle"), for
// [OrderAnswerApplyReference].
type applyReply struct {
	ESIMs          []appliedESIMJSON `json:"esims"`
	ApplyReference string            `json:"applyReference"`
}

type appliedESIMJSON struct {
	ICCID  string `json:"iccid"`
	Status string `json:"status"`
}

// purchase is a parsed, checked purchase request.
type purchase struct {
	bundle    *Bundle
	orderType string
	topUp     *esim // nil for a new eSIM
}

// handleProcessOrders serves POST /processorders: buy a new eSIM with a
// bundle, or (with "iccid") top one up. The price comes off the wallet of
// the environment called.
func (s *Server) handleProcessOrders(c *call) reply {
	p, bad := s.parsePurchase(c)
	if bad != nil {
		return *bad
	}
	if s.cfg.orderRefusal {
		return validationFailure("bundleName", "The selected bundle name is invalid.")
	}
	wallet := s.accounts[c.account].balance
	if wallet[c.env] < p.bundle.PriceCents {
		return errorReply(http.StatusBadRequest, "Insufficient balance")
	}
	wallet[c.env] -= p.bundle.PriceCents
	now := s.now()
	e := p.topUp
	if e == nil {
		e = s.newESIM(c, p.bundle)
	}
	ref := s.ids.uuid()
	if s.cfg.orderAnswer == OrderAnswerNumericReference {
		ref = s.ids.numericReference()
		for s.orders[ref] != nil {
			ref = s.ids.numericReference()
		}
	}
	o := &order{Order: Order{
		Reference: ref, Environment: c.env, APIKey: c.account, BundleName: p.bundle.Name,
		OrderType: p.orderType, ICCID: e.iccid, TopUp: p.topUp != nil, PriceCents: p.bundle.PriceCents, CreatedAt: now,
	}, readyAt: now.Add(s.cfg.assignmentDelay)}
	s.orders[o.Reference] = o
	s.orderLog = append(s.orderLog, o.Order)
	s.assign(e, p.bundle, o)
	if s.cfg.orderAnswer == OrderAnswerApplyReference && o.TopUp {
		return ok(applyReply{ESIMs: []appliedESIMJSON{{ICCID: o.ICCID, Status: "Bundle applied"}}, ApplyReference: o.Reference})
	}
	return ok(shapeOrder(s.withInstallationData(orderReply(o, p.bundle.Unlimited), e, o), s.cfg.orderAnswer))
}

// validationFailure is a Laravel validation refusal: 422 {"message": "The
// given data was invalid.", "errors": {field: [message]}}.
func validationFailure(field, message string) reply {
	return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
		"message": "The given data was invalid.",
		"errors":  map[string][]string{field: {message}},
	}}
}

func (s *Server) parsePurchase(c *call) (purchase, *reply) {
	var p purchase
	name, bad := c.body.required("bundleName")
	if bad != nil {
		return p, bad
	}
	if p.orderType, bad = c.body.required("orderType"); bad != nil {
		return p, bad
	}
	iccid, present, bad := c.body.str("iccid")
	if bad != nil {
		return p, bad
	}
	if p.bundle = s.bundleByName[name]; p.bundle == nil {
		rp := errorReply(http.StatusBadRequest, "Bundle not found")
		return p, &rp
	}
	if !present {
		return p, nil
	}
	if p.topUp = s.lookupESIM(c, iccid); p.topUp == nil {
		rp := errorReply(s.cfg.iccidStatus, "ICCID not found")
		return p, &rp
	}
	if p.topUp.coverage != p.bundle.Coverage || p.topUp.provider != p.bundle.Provider {
		rp := errorReply(http.StatusBadRequest, "Bundle is not compatible with this eSIM")
		return p, &rp
	}
	return p, nil
}

// newESIM issues an eSIM for a first bundle. The caller holds s.mu.
func (s *Server) newESIM(c *call, b *Bundle) *esim {
	iccid := s.ids.iccid()
	for s.issued[iccid] {
		iccid = s.ids.iccid()
	}
	s.issued[iccid] = true
	e := &esim{
		iccid: iccid, owner: c.account, env: c.env, matchingID: s.ids.matchingID(),
		pin: s.ids.digits(4), puk: s.ids.digits(8), profileStatus: ProfileReleased,
		coverage: b.Coverage, provider: b.Provider,
	}
	s.esims[iccid] = e
	s.handOut(e)
	return e
}

// assign applies b to e for order o; it is "processing" until the order's
// assignments are ready. The caller holds s.mu.
func (s *Server) assign(e *esim, b *Bundle, o *order) {
	n := len(e.assignments)
	e.assignments = append(e.assignments, &assignment{
		id: s.ids.assignmentID(), reference: o.Reference + "-" + strconv.Itoa(n),
		bundle: b, assigned: o.CreatedAt, readyAt: o.readyAt, initial: b.DataBytes(), remain: b.DataBytes(),
	})
}

func orderReply(o *order, unlimited bool) orderJSON {
	price := cents(o.PriceCents)
	msg := "Order completed: 1 eSIMs assigned"
	if o.TopUp {
		msg = "Order completed: 1 bundle applied to eSIM"
	}
	return orderJSON{
		Order: []orderLineJSON{{
			Type: "bundle", Item: o.BundleName, Quantity: 1, SubTotal: price, PricePerUnit: price,
			ICCIDs: []string{o.ICCID}, ESIMs: []orderESIMJSON{{ICCID: o.ICCID}},
		}},
		Total: price, Currency: "USD", Status: "completed", StatusMessage: msg,
		OrderReference: o.Reference, CreatedDate: timestamp(o.CreatedAt), Assigned: true, Unlimited: unlimited,
	}
}

type installJSON struct {
	ICCID                  string `json:"iccid"`
	MatchingID             string `json:"matchingId"`
	SMDPAddress            string `json:"smdpAddress"`
	ProfileStatus          string `json:"profileStatus"`
	PIN                    string `json:"pin"`
	PUK                    string `json:"puk"`
	FirstInstalledDateTime string `json:"firstInstalledDateTime"`
}

// handleAssignments serves GET /getesimassignments?orderReference=…: the
// installation data of the order's eSIM once ready, "processing" before.
// An unknown (or foreign) reference is 400 "Order not found", as eSIM Go
// answers a bad reference; the order of a revoked eSIM is 410.
func (s *Server) handleAssignments(c *call) reply {
	ref := strings.TrimSpace(c.r.URL.Query().Get("orderReference"))
	if ref == "" {
		return errorReply(http.StatusBadRequest, "orderReference is required")
	}
	o := s.orders[ref]
	if o == nil || o.APIKey != c.account || o.Environment != c.env {
		return errorReply(http.StatusBadRequest, "Order not found")
	}
	e := s.esims[o.ICCID]
	if e == nil {
		return errorReply(http.StatusGone, "eSIM has been deactivated")
	}
	out := installJSON{ICCID: e.iccid, ProfileStatus: e.profileStatus, PIN: e.pin, PUK: e.puk}
	if !e.installed.IsZero() {
		out.FirstInstalledDateTime = timestamp(e.installed)
	}
	if s.now().Before(o.readyAt) {
		rp := s.pendingReply(out)
		if rp.status == http.StatusOK {
			return s.assignmentsReply(c, o, rp)
		}
		return rp
	}
	out.MatchingID, out.SMDPAddress = e.matchingID, SMDPAddress
	return s.assignmentsReply(c, o, ok(out))
}

// assignmentsReply renders a 200 assignments answer in the format of
// [WithAssignmentsFormat].
func (s *Server) assignmentsReply(c *call, o *order, rp reply) reply {
	csv := s.cfg.assignmentsFormat == AssignmentsCSV ||
		s.cfg.assignmentsFormat == AssignmentsByAccept && !strings.Contains(c.r.Header.Get("Accept"), "application/json")
	if !csv {
		return rp
	}
	a := rp.body.(installJSON)
	rp.raw = []byte(csvRow("ICCID", "Matching ID", "RSP URL", "Bundle") + csvRow(a.ICCID, a.MatchingID, a.SMDPAddress, o.BundleName))
	rp.contentType = "text/csv"
	return rp
}

// csvRow is one CSV line with every field quoted, as eSIM Go writes them.
func csvRow(fields ...string) string {
	quoted := make([]string, len(fields))
	for i, f := range fields {
		quoted[i] = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
	}
	return strings.Join(quoted, ",") + "\n"
}

func (s *Server) pendingReply(empty installJSON) reply {
	switch s.cfg.pending {
	case PendingEmpty200:
		return ok(empty)
	case Pending404:
		return errorReply(http.StatusNotFound, "Assignments not found")
	}
	rp := errorReply(http.StatusServiceUnavailable, "Processing – please come back later")
	if s.cfg.retryAfter > 0 {
		rp.header = http.Header{"Retry-After": {strconv.Itoa(s.cfg.retryAfter)}}
	}
	return rp
}

type organisationsJSON struct {
	Organisations []organisationJSON `json:"organisations"`
}

type organisationJSON struct {
	Name        string   `json:"name"`
	Currency    string   `json:"currency"`
	Balance     cents    `json:"balance"`
	TestCredit  cents    `json:"testCredit"`
	CallbackURL string   `json:"callbackUrl"`
	Groups      []string `json:"groups"`
	Country     string   `json:"country"`
	City        string   `json:"city"`
	Users       []any    `json:"users"`
}

// handleOrganisation serves GET /organisation: the account's details and
// the balance of the environment called.
func (s *Server) handleOrganisation(c *call) reply {
	return ok(organisationsJSON{Organisations: []organisationJSON{{
		Name: "Fake Travel Ltd", Currency: "USD", Balance: cents(s.accounts[c.account].balance[c.env]),
		CallbackURL: s.cfg.callbackURL, Groups: []string{"Standard Fixed", "Standard Unlimited Essential"},
		Country: "GB", City: "London", Users: []any{},
	}}})
}
