package travelroam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	// Key is your own id for this purchase, e.g. the id of the order in
	// your database; it is never sent to Travel Roam. The Client's
	// [PurchaseJournal] records it before sending, and a purchase whose
	// Key the journal already holds with an outcome that may have bought
	// something is not sent again (see [ErrAlreadyAttempted]): set it, and
	// a retry by your job queue after a timeout, a crash or a deploy
	// cannot buy twice. Empty, the SDK records the attempt under a random
	// Key ("auto-…"), which a recovery job still finds among
	// [Client.UnfinishedPurchases], but a retry then gets a new one. At
	// most 256 bytes of UTF-8 text, without control characters or
	// surrounding spaces; it appears in errors and in the journal, so do
	// not put secrets in it.
	Key string
}

// Order is Travel Roam's answer to a purchase.
//
// An order may carry activation data (OrderESIM.MatchingID) and ICCIDs:
// String, GoString and LogValue of Order, OrderLine and OrderESIM show
// neither, so printing or logging an order by mistake leaks nothing.
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
	// Lines are the order lines, usually one.
	Lines []OrderLine `json:"order"`
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
// In order, it:
//  1. checks req (nothing is recorded or sent for bad input);
//  2. records the attempt in the Client's [PurchaseJournal] under
//     req.Key; if the journal already holds that Key with an outcome that
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
	ctx, r.call = c.startCall(ctx, "ProcessOrder", r)
	order, err := c.processOrder(ctx, key, r, writeCall{op: opProcessOrder, bundleName: req.BundleName, iccid: req.ICCID, needBody: true})
	r.call.end(err)
	return order, err
}

// processOrder is ProcessOrder once the request is built and observed:
// the journal around the gate and the send.
func (c *Client) processOrder(ctx context.Context, key string, r request, call writeCall) (*Order, error) {
	if err := c.beginPurchase(ctx, call, key); err != nil {
		return nil, err
	}
	finished := false
	defer func() {
		if !finished { // the gate or the transport panicked: it may have been sent
			c.finishPurchase(ctx, key, OutcomeUnknown, "")
		}
	}()
	order, err := c.sendPurchase(ctx, r, call)
	finished = true
	outcome, ref := purchaseOutcome(order, err)
	c.finishPurchase(ctx, key, outcome, ref)
	return order, err
}

// sendPurchase waits for the gate, sends the purchase under the deadline
// that keeps it inside its lease, frees the gate and decodes the answer.
func (c *Client) sendPurchase(ctx context.Context, r request, call writeCall) (*Order, error) {
	release, err := c.acquirePurchase(ctx)
	if err != nil {
		return nil, call.notSent(err)
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

// wireOrder is the processorders answer: eSIM Go's transaction order,
// possibly wrapped in "data" or "order".
type wireOrder struct {
	Order json.RawMessage `json:"order"`
	Data  json.RawMessage `json:"data"`
	wireOrderFields
}

// wireOrderFields are the fields of an order besides its lines, shared by
// both decoding paths.
type wireOrderFields struct {
	Total          Amount          `json:"total"`
	Currency       string          `json:"currency"`
	Status         string          `json:"status"`
	StatusMessage  string          `json:"statusMessage"`
	OrderReference json.RawMessage `json:"orderReference"`
	CreatedDate    string          `json:"createdDate"`
	Assigned       bool            `json:"assigned"`
}

// order returns the Order these fields describe, with reference ref.
func (w *wireOrderFields) order(ref string) *Order {
	o := &Order{
		Reference:     ref,
		Status:        w.Status,
		StatusMessage: w.StatusMessage,
		Total:         w.Total,
		Currency:      w.Currency,
		Assigned:      w.Assigned,
	}
	if t, err := time.Parse(time.RFC3339Nano, w.CreatedDate); err == nil {
		o.CreatedAt = t
	}
	return o
}

// decodeOrder finds the order and its orderReference at the top level,
// under "data" or under "order". An answer without a reference is an
// error: the order could not be followed up. The usual answer takes the
// one-pass path; decodeOrderStd decides everything else.
func decodeOrder(b []byte) (*Order, error) {
	if o, ok := decodeFlatOrder(b); ok {
		return o, nil
	}
	return decodeOrderStd(b)
}

// wireFlatOrder is the usual answer, the order at the top level with its
// lines in "order", for decoding in one pass.
type wireFlatOrder struct {
	Lines []OrderLine `json:"order"`
	wireOrderFields
}

// decodeFlatOrder decodes the usual answer in one pass, giving exactly
// what decodeOrderStd would; ok is false for anything else (no reference
// at the top level, "order" not a list of lines, a type mismatch). A body
// that may hold "order" twice (keys match in any case, and may be
// escaped) is left to decodeOrderStd too: encoding/json would merge two
// lists of lines, where decodeOrderStd keeps the last one.
func decodeFlatOrder(b []byte) (*Order, bool) {
	if bytes.Contains(b, []byte(`\u`)) || orderKeys(b) > 1 {
		return nil, false
	}
	var w wireFlatOrder
	if json.Unmarshal(b, &w) != nil {
		return nil, false
	}
	ref := rawString(w.OrderReference)
	if ref == "" {
		return nil, false
	}
	o := w.order(ref)
	o.Lines = w.Lines
	return o, true
}

// orderKeys counts the strings "order", in any case, in b.
func orderKeys(b []byte) int {
	n := 0
	for i := 0; i+7 <= len(b); i++ {
		if b[i] == '"' && b[i+6] == '"' && bytes.EqualFold(b[i+1:i+6], []byte("order")) {
			n++
		}
	}
	return n
}

// decodeOrderStd is decodeOrder in several encoding/json passes: the
// wrapper, then the lines.
func decodeOrderStd(b []byte) (*Order, error) {
	for depth := 0; depth < 3; depth++ {
		var w wireOrder
		if err := json.Unmarshal(b, &w); err != nil {
			return nil, err
		}
		if ref := rawString(w.OrderReference); ref != "" {
			return w.toOrder(ref)
		}
		switch {
		case isJSONObject(w.Data):
			b = w.Data
		case isJSONObject(w.Order):
			b = w.Order
		default:
			return nil, errors.New("no orderReference in the answer")
		}
	}
	return nil, errors.New("no orderReference in the answer")
}

func (w *wireOrder) toOrder(ref string) (*Order, error) {
	o := w.order(ref)
	if trimmed := bytes.TrimSpace(w.Order); len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &o.Lines); err != nil {
			return nil, fmt.Errorf("order lines: %w", err)
		}
	}
	return o, nil
}

// rawString returns a JSON string's value, or a JSON number's digits.
func rawString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if s, err := unquoteJSON(raw); err == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func isJSONObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}
