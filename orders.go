package travelroam

import (
	"slices"
	"time"
)

// orderTypeCountry is the default OrderRequest.OrderType.
const orderTypeCountry = "COUNTRY"

// OrderRequest describes one purchase: a new eSIM with BundleName applied,
// or, when ICCID is set, a top-up of that eSIM with BundleName.
type OrderRequest struct {
	// BundleName is the bundle's Name from the catalogue (case-sensitive).
	BundleName string
	// ICCID, when set, makes the order a top-up of that eSIM. The bundle
	// must come from the same country and network provider as the eSIM.
	ICCID ICCID
	// OrderType is the "orderType" sent. Empty sends "COUNTRY", the order
	// type Travel Roam's own integrations send for new eSIMs and top-ups
	// alike and the only one known to work; another value is sent as
	// given.
	OrderType string
	// Key is your own id for this purchase, e.g. the id of the order in
	// your database; it is never sent to Travel Roam. The Client's
	// [PurchaseJournal] records it before sending, and a purchase whose
	// Key the journal already holds for the Client's account
	// ([Client.AccountKey]) with an outcome that may have bought something
	// is not sent again (see [AlreadyAttemptedError]): set it, and
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
// they are held in a [Secret] and an [ICCID], and Raw in a Secret, which
// print masked (fmt, slog, JSON), so printing or logging an order by
// mistake leaks nothing.
type Order struct {
	// Reference is the orderReference: pass it to
	// [Client.WaitForAssignments] to get the installation data.
	Reference string `json:"orderReference"`
	// Status is the order status as sent, e.g. "completed".
	Status string `json:"status"`
	// StatusMessage is the server's description of the status, with any
	// ICCID or activation code in it masked as in an error's message (Raw
	// keeps it as sent).
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
	// activation data: it prints masked, and Reveal reads it.
	Raw Secret `json:"-"`
}

// ICCIDs returns the ICCIDs of the eSIMs the order went to, in order and
// without repeats. It may be empty right after purchase: the installation
// data comes from [Client.WaitForAssignments] (or, when the answer
// carried it, [Order.ReadyAssignments]).
func (o Order) ICCIDs() []ICCID {
	var out []ICCID
	add := func(s ICCID) {
		if s != "" && !slices.Contains(out, s) {
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
	ICCIDs []ICCID `json:"iccids"`
	// ESIMs are the eSIMs with whatever installation data was ready; an
	// answer may already carry the matching ID and SM-DP+ address (see
	// [Order.ReadyAssignments]).
	ESIMs []OrderESIM `json:"esims"`
	// AllowReassign is sent by some API versions.
	AllowReassign bool `json:"allowReassign"`
}

// OrderESIM is an eSIM named in an [OrderLine], with whatever installation
// data was ready. MatchingID is secret activation data: as a [Secret] it
// prints masked, and the [ICCID] prints its last four digits.
type OrderESIM struct {
	// ICCID identifies the eSIM.
	ICCID ICCID `json:"iccid"`
	// MatchingID is the activation code token, often empty right after
	// purchase. Treat it as a password.
	MatchingID Secret `json:"matchingId"`
	// SMDPAddress is the SM-DP+ server, often empty right after purchase.
	SMDPAddress string `json:"smdpAddress"`
}
