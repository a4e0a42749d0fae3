package travelroam

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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

// String describes the order without ICCIDs or activation data.
func (o Order) String() string {
	return fmt.Sprintf("travelroam.Order{Reference: %s, Status: %s, Total: %s %s, Lines: %d}",
		o.Reference, o.Status, o.Total, o.Currency, len(o.Lines))
}

// GoString is String, so that %#v leaks nothing either.
func (o Order) GoString() string { return o.String() }

// Format makes every fmt verb print [Order.String].
func (o Order) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// LogValue makes slog log the order without ICCIDs or activation data.
func (o Order) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("reference", o.Reference),
		slog.String("status", o.Status),
		slog.String("total", o.Total.String()),
		slog.String("currency", o.Currency),
	)
}

// ICCIDs returns the ICCIDs of the eSIMs the order went to, in order and
// without repeats. It may be empty right after purchase: the installation
// data comes from [Client.WaitForAssignments].
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
	// Type is the kind of item, e.g. "bundle".
	Type string `json:"type"`
	// Item is the bundle name.
	Item string `json:"item"`
	// Quantity is how many were bought, normally 1.
	Quantity int `json:"quantity"`
	// SubTotal and PricePerUnit are exact amounts in the order's currency.
	SubTotal     Amount `json:"subTotal"`
	PricePerUnit Amount `json:"pricePerUnit"`
	// ICCIDs are the eSIMs the bundle went to.
	ICCIDs []string `json:"iccids"`
	// ESIMs are the eSIMs with whatever installation data was ready.
	ESIMs []OrderESIM `json:"esims"`
	// AllowReassign is sent by some API versions.
	AllowReassign bool `json:"allowReassign"`
}

// String describes the line without ICCIDs.
func (l OrderLine) String() string {
	return fmt.Sprintf("travelroam.OrderLine{Item: %s, Quantity: %d, SubTotal: %s, eSIMs: %d}",
		l.Item, l.Quantity, l.SubTotal, max(len(l.ICCIDs), len(l.ESIMs)))
}

// GoString is String, so that %#v leaks nothing either.
func (l OrderLine) GoString() string { return l.String() }

// Format makes every fmt verb print [OrderLine.String].
func (l OrderLine) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, l.String()) }

// LogValue makes slog log the line without ICCIDs or activation data.
func (l OrderLine) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("item", l.Item),
		slog.Int("quantity", l.Quantity),
		slog.String("subTotal", l.SubTotal.String()),
		slog.Int("esims", max(len(l.ICCIDs), len(l.ESIMs))),
	)
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

// String describes the eSIM without its activation data.
func (e OrderESIM) String() string {
	return "travelroam.OrderESIM{ICCID: " + RedactICCID(e.ICCID) + ", SMDPAddress: " + e.SMDPAddress + ", MatchingID: [redacted]}"
}

// GoString is String, so that %#v leaks nothing either.
func (e OrderESIM) GoString() string { return e.String() }

// Format makes every fmt verb print [OrderESIM.String].
func (e OrderESIM) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }

// LogValue makes slog log the eSIM without its activation data.
func (e OrderESIM) LogValue() slog.Value {
	return slog.GroupValue(slog.String("iccid", RedactICCID(e.ICCID)), slog.String("smdpAddress", e.SMDPAddress))
}

type processOrderBody struct {
	BundleName string    `json:"bundleName"`
	OrderType  OrderType `json:"orderType"`
	ICCID      string    `json:"iccid,omitempty"`
}

const opProcessOrder = "process order"

// ProcessOrder buys a new eSIM (req.ICCID empty) or tops up an eSIM
// (req.ICCID set) with req.BundleName. Real money moves: the price is
// taken from the wallet of the Client's environment.
//
// Purchases through one Client run one at a time, and each starts at
// least the purchase interval (5 s by default, see [WithPurchaseInterval])
// after the previous one ended; the wait honours ctx. If several
// processes share one API key, they need a lock of their own.
//
// The SDK never re-sends a purchase whose bytes may have reached the
// server; it re-sends (at most twice) only when the connection provably
// failed before anything was sent. The errors to expect:
//   - [*ValidationError] (ErrInvalidInput): nothing was sent.
//   - [*APIError] matching [ErrUnavailable] (503) or [ErrRateLimited]
//     (429): the order was not processed; try again after RetryAfter.
//   - other [*APIError] (4xx): refused, e.g. unknown bundle, insufficient
//     balance or an incompatible top-up.
//   - [*OutcomeUnknownError] (ErrOutcomeUnknown): the order may or may not
//     exist (timeout or reset after sending, 500/502/504, an unreadable
//     answer, ctx ending while the request was out). Read its doc before
//     buying again.
//   - a context error without ErrOutcomeUnknown: ctx ended before anything
//     was sent.
//
// On success, pass Order.Reference to [Client.WaitForAssignments].
func (c *Client) ProcessOrder(ctx context.Context, req OrderRequest) (*Order, error) {
	body, err := req.body()
	if err != nil {
		return nil, err
	}
	r := c.newRequest(OpProcessOrder, body)
	ctx, r.call = c.startCall(ctx, "ProcessOrder", r)
	order, err := c.processOrder(ctx, req, r)
	r.call.end(err)
	return order, err
}

// processOrder is ProcessOrder once the request is built and observed.
func (c *Client) processOrder(ctx context.Context, req OrderRequest, r request) (*Order, error) {
	call := writeCall{op: opProcessOrder, bundleName: req.BundleName, iccid: req.ICCID, needBody: true}
	release, err := c.acquirePurchase(ctx)
	if err != nil {
		return nil, call.notSent(err)
	}
	out := c.writeReleasing(ctx, r, release)
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
		return processOrderBody{}, invalid(opProcessOrder, "BundleName", "empty: pass a bundle Name from the catalogue")
	}
	if name != req.BundleName {
		return processOrderBody{}, invalid(opProcessOrder, "BundleName", "has leading or trailing spaces; bundle names are exact")
	}
	if req.ICCID != "" {
		if err := checkICCID(opProcessOrder, req.ICCID); err != nil {
			return processOrderBody{}, err
		}
	}
	t := req.OrderType
	if t == "" {
		t = OrderTypeCountry
	}
	return processOrderBody{BundleName: req.BundleName, OrderType: t, ICCID: req.ICCID}, nil
}

// acquirePurchase waits for this Client's purchase slot and for the
// purchase interval since the previous purchase ended. release records the
// end of this purchase and frees the slot.
func (c *Client) acquirePurchase(ctx context.Context) (release func(), err error) {
	select {
	case c.purchaseGate <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if !c.lastPurchaseEnd.IsZero() {
		if err := sleepCtx(ctx, time.Until(c.lastPurchaseEnd.Add(c.purchaseInterval))); err != nil {
			<-c.purchaseGate
			return nil, err
		}
	}
	return func() {
		c.lastPurchaseEnd = time.Now()
		<-c.purchaseGate
	}, nil
}
