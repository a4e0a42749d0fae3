package travelroam

import (
	"context"
	"errors"
	"strings"
	"time"
)

// OrderType is the "orderType" of a purchase. Only [OrderTypeCountry] is
// known to work; other values are passed through as given.
type OrderType string

// OrderTypeCountry is the order type Travel Roam's own integrations send,
// for new eSIMs and top-ups alike. It is the default.
const OrderTypeCountry OrderType = "COUNTRY"

// OrderRequest describes one purchase: a new eSIM with BundleName applied,
// or, when ICCID is set, a top-up of that eSIM with BundleName.
type OrderRequest struct {
	// BundleName is the bundle's Name from the catalogue (case-sensitive).
	BundleName string
	// ICCID, when set, makes the order a top-up of that eSIM. The bundle
	// must come from the same country and network provider as the eSIM.
	ICCID string
	// OrderType defaults to OrderTypeCountry.
	OrderType OrderType
	// Key is your own id for this purchase, e.g. the id of the order in
	// your database; it is never sent to Travel Roam. The Client's
	// [PurchaseJournal] records it before sending, and a purchase whose
	// Key the journal already holds for the Client's account
	// ([Client.AccountKey]) with an outcome that may have bought something
	// is not sent again (see [ErrAlreadyAttempted]): set it, and
	// a retry by your job queue after a timeout, a crash or a deploy
	// cannot buy twice. Empty, the SDK records the attempt under a random
	// Key ("auto-…"), which a recovery job still finds among
	// [Client.UnfinishedPurchases], but a retry then gets a new one. At
	// most 256 bytes of UTF-8 text, without control characters or
	// surrounding spaces; it appears in errors and in the journal, so do
	// not put secrets in it.
	Key string
}

// Order is Travel Roam's answer to a purchase. Once the answer carries an
// order reference, the purchase is a success whatever the other fields
// hold: a field sent in a form outside the SDK's lenient rules is left at
// zero, and Raw keeps the answer as sent.
//
// An order may carry activation data (OrderESIM.MatchingID) and ICCIDs:
// String, GoString, Format and LogValue of Order, OrderLine and OrderESIM
// show neither, nor Raw, so printing or logging an order by mistake leaks
// nothing.
type Order struct {
	// Reference is the orderReference: pass it to
	// [Client.WaitForAssignments] to get the installation data.
	Reference string `json:"orderReference"`
	// Status is the order status as sent, e.g. "completed".
	Status string `json:"status"`
	// StatusMessage is the server's description of the status.
	StatusMessage string `json:"statusMessage"`
	// Total is what the order cost, taken from the wallet.
	Total Amount `json:"total"`
	// Currency is the ISO 4217 code of Total, e.g. "USD".
	Currency string `json:"currency"`
	// CreatedAt is when the order was created, zero if not sent.
	CreatedAt time.Time `json:"createdDate"`
	// Assigned reports whether the bundle was assigned to an eSIM.
	Assigned bool `json:"assigned"`
	// Unlimited reports whether the bundle bought is unlimited.
	Unlimited bool `json:"unlimited"`
	// Lines are the order lines, usually one.
	Lines []OrderLine `json:"order"`
	// Raw is the answer's body exactly as received. It may hold
	// activation data, so it is never printed: do not log it either.
	Raw []byte `json:"-"`
}

// ICCIDs returns the ICCIDs of the eSIMs the order went to, in order and
// without repeats. It may be empty right after purchase: the installation
// data comes from [Client.WaitForAssignments] (or, when the answer
// carried it, [Order.ReadyAssignments]).
func (o Order) ICCIDs() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, l := range o.Lines {
		for _, id := range l.ICCIDs {
			add(id)
		}
		for _, e := range l.ESIMs {
			add(e.ICCID)
		}
	}
	return out
}

// OrderLine is one line of an [Order].
type OrderLine struct {
	// Type is the kind of item: "bundle" for a bundle bought, or
	// "bundleAssignment" for a line about an existing bundle assignment
	// (eSIM Go sends those with an assignment reference as Item and
	// Quantity 0).
	Type string `json:"type"`
	// Item is the bundle name for a "bundle" line. For a
	// "bundleAssignment" line it is an assignment reference, not a bundle
	// name: never take it for one.
	Item string `json:"item"`
	// Quantity is how many were bought, normally 1; 0 on a
	// "bundleAssignment" line.
	Quantity int `json:"quantity"`
	// SubTotal and PricePerUnit are exact amounts in the order's currency.
	SubTotal     Amount `json:"subTotal"`
	PricePerUnit Amount `json:"pricePerUnit"`
	// ICCIDs are the eSIMs the bundle went to.
	ICCIDs []string `json:"iccids"`
	// ESIMs are the eSIMs with whatever installation data was ready; an
	// answer may already carry the matching ID and SM-DP+ address (see
	// [Order.ReadyAssignments]).
	ESIMs []OrderESIM `json:"esims"`
	// AllowReassign is sent by some API versions.
	AllowReassign bool `json:"allowReassign"`
}

// OrderESIM is an eSIM named in an [OrderLine], with whatever installation
// data was ready. MatchingID is secret activation data: String, GoString
// and LogValue leave it out and shorten the ICCID.
type OrderESIM struct {
	// ICCID identifies the eSIM.
	ICCID string `json:"iccid"`
	// MatchingID is the activation code token, often empty right after
	// purchase. Treat it as a password.
	MatchingID string `json:"matchingId"`
	// SMDPAddress is the SM-DP+ server, often empty right after purchase.
	SMDPAddress string `json:"smdpAddress"`
}

type processOrderBody struct {
	BundleName string    `json:"bundleName"`
	OrderType  OrderType `json:"orderType"`
	ICCID      string    `json:"iccid,omitempty"`
}

// ProcessOrder buys a new eSIM (req.ICCID empty) or tops up an eSIM
// (req.ICCID set) with req.BundleName. Real money moves: the price is
// taken from the wallet of the Client's environment.
//
// In order, it:
//  1. checks req (nothing is recorded or sent for bad input);
//  2. records the attempt in the Client's [PurchaseJournal] under its
//     account and req.Key, with a new random attempt ID; if the journal
//     already holds that account and Key with an outcome that
//     may have bought something (pending, unknown, succeeded), nothing is
//     sent and the error is an [*AlreadyAttemptedError] carrying the
//     earlier attempt;
//  3. waits for the account's turn at the [PurchaseGate]: one purchase
//     at a time per account, each starting at least the purchase interval
//     (5 s by default, see [WithPurchaseInterval]) after the previous one
//     ended, across every Client and process sharing the gate; the wait
//     honours ctx;
//  4. sends the purchase, frees the gate as soon as the answer is in
//     (also if the transport panics), and records the outcome in the
//     journal: succeeded with the order reference, refused, not sent or
//     unknown.
//
// By default the gate and the journal are in memory, per Client: use
// [WithPurchaseGate] and [WithPurchaseJournal] with a shared store when
// several processes buy with one API key (see the README's "Running
// several replicas"). If recording the outcome fails after a purchase
// succeeded, the order is still returned (money moved) and the failure is
// logged to the Client's logger at error level; the attempt stays pending
// in the journal.
//
// The SDK never re-sends a purchase whose bytes may have reached the
// server; it re-sends (at most twice) only when the connection provably
// failed before anything was sent. The errors to expect:
//   - [*ValidationError] (ErrInvalidInput): nothing was sent.
//   - [*AlreadyAttemptedError] (ErrAlreadyAttempted): the Key was already
//     attempted; nothing was sent. Its doc says what to do.
//   - an error matching [ErrNotSent]: nothing was sent (the journal or
//     the gate failed, ctx ended while waiting for the gate, or the
//     connection failed before sending); the same Key may be bought again.
//   - [*APIError] matching [ErrUnavailable] (503) or [ErrRateLimited]
//     (429): the order was not processed; try again after RetryAfter.
//   - other [*APIError] (4xx): refused, e.g. unknown bundle, insufficient
//     balance or an incompatible top-up.
//   - [*OutcomeUnknownError] (ErrOutcomeUnknown): the order may or may not
//     exist (timeout or reset after sending, 500/502/504, an unreadable
//     answer, ctx ending while the request was out). Read its doc before
//     buying again; the journal refuses the same Key until the outcome is
//     resolved ([Client.ResolvePurchase]).
//
// On success, pass Order.Reference to [Client.WaitForAssignments].
func (c *Client) ProcessOrder(ctx context.Context, req OrderRequest) (*Order, error) {
	body, err := req.body()
	if err != nil {
		return nil, err
	}
	key, err := req.purchaseKey()
	if err != nil {
		return nil, err
	}
	r := c.newRequest(OpProcessOrder, body)
	ctx, r.call = c.startCall(ctx, c.routes[OpProcessOrder].call, r)
	order, err := c.processOrder(ctx, key, r, writeCall{op: OpProcessOrder.label(), key: key, bundleName: req.BundleName, iccid: req.ICCID, needBody: true})
	r.call.end(err)
	return order, err
}

// processOrder is ProcessOrder once the request is built and observed:
// the journal around the gate and the send.
func (c *Client) processOrder(ctx context.Context, key string, r request, call writeCall) (*Order, error) {
	attempt, err := c.beginPurchase(ctx, call, key)
	if err != nil {
		return nil, err
	}
	finished := false
	defer func() {
		if !finished { // the gate or the transport panicked: it may have been sent
			c.finishPurchase(ctx, attempt, OutcomeUnknown, "")
		}
	}()
	order, err := c.sendPurchase(ctx, r, call, attempt)
	finished = true
	var taken *attemptTakenError
	if errors.As(err, &taken) { // nothing sent, and the journal's attempt is no longer this call's to finish
		return nil, taken.err
	}
	outcome, ref := purchaseOutcome(order, err)
	c.finishPurchase(ctx, attempt, outcome, ref)
	return order, err
}

// sendPurchase waits for the gate, checks that the journal still holds
// attempt a as pending, sends the purchase under the deadline that keeps
// it inside its lease, frees the gate and decodes the answer.
func (c *Client) sendPurchase(ctx context.Context, r request, call writeCall, a PurchaseAttempt) (*Order, error) {
	release, err := c.acquirePurchase(ctx)
	if err != nil {
		return nil, call.notSent(err)
	}
	if err := c.stillPending(ctx, call, a); err != nil {
		release()
		return nil, err
	}
	sendCtx, cancel := context.WithTimeout(ctx, c.purchaseSend)
	defer cancel()
	out := c.writeReleasing(sendCtx, r, release)
	resp, err := call.settle(r, out)
	if err != nil {
		return nil, err
	}
	order, err := decodeOrder(resp.body)
	if err != nil {
		return nil, call.unknown(out, &DecodeError{Method: r.method, Route: r.route, Err: err})
	}
	return order, nil
}

func (req OrderRequest) body() (processOrderBody, error) {
	name := strings.TrimSpace(req.BundleName)
	if name == "" {
		return processOrderBody{}, invalid(OpProcessOrder.label(), "BundleName", "empty: pass a bundle Name from the catalogue")
	}
	if name != req.BundleName {
		return processOrderBody{}, invalid(OpProcessOrder.label(), "BundleName", "has leading or trailing spaces; bundle names are exact")
	}
	if req.ICCID != "" {
		if err := checkICCID(OpProcessOrder.label(), req.ICCID); err != nil {
			return processOrderBody{}, err
		}
	}
	t := req.OrderType
	if t == "" {
		t = OrderTypeCountry
	}
	return processOrderBody{BundleName: req.BundleName, OrderType: t, ICCID: req.ICCID}, nil
}
