package travelroam

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/roamkit/travelroam/internal/lenient"
	"github.com/roamkit/travelroam/internal/redact"
)

// AlertType says why a callback was sent: the payload's alertType, or,
// for the event-style notifications, its event. A payload that names
// neither (a profile status change) has the empty type. The known types,
// normalised to this spelling whatever their case (any other type is
// delivered as sent), so that ev.AlertType == "FirstUse" holds for
// "FIRSTUSE" too:
//
//   - "Utilisation": 1 %, 50 %, 80 % and 100 % of a bundle's data has
//     been used.
//   - "FirstUse": sent once, when the eSIM first uses data (at least
//     1 kB); it replaces the 1 % alert.
//   - "usage": the alert type of the older (V2) usage format.
//   - "FirstAttachment": the first time the eSIM joins a network.
//   - "CountryChange": the eSIM registered in a country it was not seen
//     in for 24 hours (then every 24 hours there); the event's Country
//     says which.
//   - "esim.deletion_scheduled" (an event): the eSIM is inactive and will
//     be deleted 7 days later unless a bundle is applied.
//   - "esim.deleted" (an event): the eSIM was permanently deactivated.
//   - "LowBalance": an account notification, without ICCID: the wallet's
//     balance reached the organisation's low-balance threshold, or passed
//     75 %, 50 % or 10 % of it. The event's Balance says by how much.
//   - "InsufficientBalance": an account notification, without ICCID: a
//     purchase was refused for lack of credit. The provider re-sends it
//     up to 10 times; identical re-sends share one
//     [CallbackEvent.DedupeKey], so the handler's function runs once.
//
// "LowBalance" and "InsufficientBalance" are about the account, not an
// eSIM (see [CallbackEvent.IsAccountEvent]).
type AlertType string

var knownAlertTypes = [...]AlertType{"Utilisation", "FirstUse", "usage", "FirstAttachment",
	"CountryChange", "esim.deletion_scheduled", "esim.deleted", "LowBalance", "InsufficientBalance"}

// Known reports whether t is one of the known types listed on
// [AlertType].
func (t AlertType) Known() bool { return slices.Contains(knownAlertTypes[:], t) }

// normaliseAlertType maps a known alert type sent in any case ("FIRSTUSE",
// "Usage") to its known spelling, and keeps any other as sent.
func normaliseAlertType(s string) AlertType {
	for _, k := range knownAlertTypes {
		if strings.EqualFold(s, string(k)) {
			return k
		}
	}
	return AlertType(s)
}

// CallbackEvent is a callback from Travel Roam: a usage alert (both
// documented formats: the older one with alert type "usage",
// callTypeGroup and decimal quantities, and the newer one with bundle id,
// reference and description) or another notification (first attachment,
// country change, an event such as "esim.deleted", a profile status
// change).
//
// Every JSON object with a valid ICCID is delivered, and so is every
// JSON object without ICCID that names a type (alertType or event): an
// account event such as "LowBalance", whose ICCID is empty (see
// [CallbackEvent.IsAccountEvent]). A field sent in a form outside the
// SDK's lenient rules is left at zero; Raw keeps what was sent.
//
// Printing a CallbackEvent with fmt, slog or encoding/json shows only
// the last four digits of the ICCID ([ICCID]) and never Raw ([Secret]);
// the text fields the sender filled (alert type, profile status,
// country, bundle) hold no control characters: each is escaped, e.g.
// "\x1b".
type CallbackEvent struct {
	// ICCID is the eSIM the event is about: 1 to 32 digits, exactly as
	// sent (a JSON number is kept digit for digit, never rounded). It is
	// empty for an account event ([CallbackEvent.IsAccountEvent]), such
	// as "LowBalance": never assume an event names an eSIM.
	ICCID ICCID `json:"iccid"`
	// AlertType says why the event was sent: the payload's alertType,
	// else its event; empty when it names neither.
	AlertType AlertType `json:"alertType"`
	// Date is when the event happened, when the payload says (the
	// event-style notifications); zero otherwise.
	Date time.Time `json:"date"`
	// Country is the country of a "CountryChange" event: its ISO code
	// (sent as "code", e.g. "NO") and Name (e.g. "Norway"); Region stays
	// empty. Zero otherwise.
	Country Country `json:"country"`
	// ProfileStatus is the eSIM's new profile status in a profile status
	// change, e.g. "Installed"; empty otherwise.
	ProfileStatus ProfileStatus `json:"profileStatus,omitempty"`
	// Bundle is the bundle assignment the event is about. Its fields are
	// zero when the callback did not carry them.
	Bundle CallbackBundle `json:"bundle"`
	// Balance is the wallet's state in a balance notification
	// ("LowBalance", "InsufficientBalance"); zero otherwise.
	Balance CallbackBalance `json:"balance"`
	// Raw is the body exactly as received. It contains personal data (the
	// ICCID and the traveller's usage), and whatever else the sender put
	// in it: it prints masked, and Reveal reads it.
	Raw Secret `json:"-"`
}

// IsAccountEvent reports whether the event is about the account rather
// than an eSIM: it carries no ICCID (a balance notification, or another
// type the SDK does not know yet).
func (e *CallbackEvent) IsAccountEvent() bool { return e.ICCID == "" }

// CallbackBalance is the wallet's state in a balance notification, as
// sent in its balanceInfo, with exact amounts.
type CallbackBalance struct {
	// Balance is the balance left, in the account's currency (eSIM Go
	// says dollars), e.g. 1299.3.
	Balance Amount `json:"balance"`
	// Threshold is the organisation's low-balance threshold, set in the
	// provider's portal, e.g. 2600.
	Threshold Amount `json:"threshold"`
	// ThresholdPercentRemaining is the balance as a percentage of the
	// threshold, e.g. 49.973.
	ThresholdPercentRemaining Amount `json:"thresholdPercentRemaining"`
}

// CallbackBundle is the bundle assignment of a [CallbackEvent].
type CallbackBundle struct {
	// ID and Reference identify the assignment (newer format only).
	ID, Reference string
	// Name is the bundle name, e.g. "esim_1GB_7D_TR_V2".
	Name string
	// Description is the bundle's description (newer format only).
	Description string
	// InitialQuantity and RemainingQuantity count Unit: bytes for data in
	// the newer format, megabytes in the older (V2) one. Decimals are cut
	// to whole units (Raw keeps the digits); use RemainingBytes for bytes
	// in either case.
	InitialQuantity, RemainingQuantity int64
	// Unit is the unit of the quantities: as sent ("BYTES", "SMSmessages"
	// or "minutes"), "MB" for an older (V2) usage payload (decimal
	// quantities, no unit, no assignment id or reference), or empty,
	// which means bytes.
	Unit string
	// StartTime and EndTime bound the assignment's validity, in UTC. They
	// are zero when absent or in a form outside the SDK's rules (Raw
	// keeps what was sent).
	StartTime, EndTime time.Time
	// Unlimited is true for unlimited bundles.
	Unlimited bool
	// CallTypeGroup is e.g. "data" (older format only).
	CallTypeGroup string
}

// IsData reports whether the quantities count data: Unit is empty,
// "BYTES" or "MB" (in any case).
func (b CallbackBundle) IsData() bool {
	return b.Unit == "" || strings.EqualFold(b.Unit, "BYTES") || b.inMB()
}

func (b CallbackBundle) inMB() bool { return strings.EqualFold(b.Unit, "MB") }

// bytesPerMB is the megabyte of the V2 format: decimal, as eSIM Go counts
// (a 1 GB bundle is 1000 MB).
const bytesPerMB = 1_000_000

// RemainingBytes returns the data left in bytes (never negative),
// converting megabytes at 1 MB = 10^6 bytes, and false when the bundle
// does not count data (see [CallbackBundle.IsData]).
func (b CallbackBundle) RemainingBytes() (int64, bool) {
	if !b.IsData() {
		return 0, false
	}
	n := max(b.RemainingQuantity, 0)
	if b.inMB() {
		n = min(n, math.MaxInt64/bytesPerMB) * bytesPerMB
	}
	return n, true
}

// UsedFraction returns the share of the initial quantity used, from 0 to
// 1, e.g. 0.8 after the 80 % alert. It is 0 when InitialQuantity is not
// positive.
func (b CallbackBundle) UsedFraction() float64 {
	if b.InitialQuantity <= 0 {
		return 0
	}
	used := b.InitialQuantity - min(max(b.RemainingQuantity, 0), b.InitialQuantity)
	return float64(used) / float64(b.InitialQuantity)
}

// DedupeKey returns the key that identifies the event among deliveries:
// a hex SHA-256 (it carries no personal data) of the ICCID, alert type,
// bundle id, reference and remaining quantity when the bundle has an id
// or a reference, so that successive usage levels of one assignment are
// distinct events; otherwise of the raw body.
//
// For an account event with balance information, it is a hash of the
// alert type and the amounts (compared by value, so 1299.3 and 1299.30
// are one): the re-sends of one notification share the key however they
// are formatted. Two notifications with the same type and amounts cannot
// be told apart and share it too.
func (e *CallbackEvent) DedupeKey() string {
	h := sha256.New()
	if e.IsAccountEvent() && e.Balance != (CallbackBalance{}) {
		for _, part := range [...]string{"account", string(e.AlertType), canonicalAmount(e.Balance.Balance),
			canonicalAmount(e.Balance.Threshold), canonicalAmount(e.Balance.ThresholdPercentRemaining)} {
			h.Write([]byte(part))
			h.Write([]byte{0})
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	if e.Bundle.ID != "" || e.Bundle.Reference != "" {
		for _, part := range [...]string{"event", string(e.ICCID), string(e.AlertType), e.Bundle.ID, e.Bundle.Reference,
			strconv.FormatInt(e.Bundle.RemainingQuantity, 10)} {
			h.Write([]byte(part))
			h.Write([]byte{0})
		}
	} else {
		h.Write([]byte("body\x00"))
		_, _ = io.WriteString(h, e.Raw.Reveal())
	}
	return hex.EncodeToString(h.Sum(nil))
}

// canonicalAmount writes a as decimal text without trailing zeros in its
// fraction, so that equal amounts of different precision give one text.
func canonicalAmount(a Amount) string {
	s := a.String()
	if strings.ContainsAny(s, "eE") || !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// maxCallbackICCID is the longest ICCID a callback may carry; real ones
// have 18 to 22 digits, the decoder is lenient.
const maxCallbackICCID = 32

// wireCallback is a callback under the SDK's lenient rules: the event
// with its type under either name, and the bundle with its quantities as
// sent. Only the ICCID must be read: decoded member by member, any other
// field outside the rules is left at zero. Its fields are the rules'
// types (package lenient), which decode themselves: a callback needs no
// rule set (rules_decode.go), so that ParseCallback builds none per call.
type wireCallback struct {
	ICCID         lenient.String                      `json:"iccid" lenient:"strict"`
	AlertType     lenient.String                      `json:"alertType"`
	Event         lenient.String                      `json:"event"`
	Date          lenient.Time                        `json:"date"`
	ProfileStatus lenient.String                      `json:"profileStatus"`
	Country       struct{ Code, Name lenient.String } `json:"country"`
	Bundle        wireCallbackBundle                  `json:"bundle"`
	BalanceInfo   CallbackBalance                     `json:"balanceInfo"`
}

// wireCallbackBundle is a callback's bundle, its quantities kept as
// decimals (the older format sends megabytes with a fraction).
type wireCallbackBundle struct {
	ID                lenient.String  `json:"id"`
	Reference         lenient.String  `json:"reference"`
	Name              lenient.String  `json:"name"`
	Description       lenient.String  `json:"description"`
	InitialQuantity   lenient.Decimal `json:"initialQuantity"`
	RemainingQuantity lenient.Decimal `json:"remainingQuantity"`
	Unit              lenient.String  `json:"unit"`
	StartTime         lenient.Time    `json:"startTime"`
	EndTime           lenient.Time    `json:"endTime"`
	Unlimited         lenient.Bool    `json:"unlimited"`
	CallTypeGroup     lenient.String  `json:"callTypeGroup"`
}

// readCallbackWire decodes a callback body in one pass when every field
// follows the rules (the usual case), else member by member, leaving each
// field outside the rules at zero (and reading a nested object member by
// member in turn). It fails only for a body that is not a JSON object,
// or an ICCID outside the rules.
func readCallbackWire(raw []byte) (wireCallback, error) {
	var w wireCallback
	err := lenient.OnePassOrFields(raw, &w)
	return w, err
}

// bundle converts the wire form. A payload shaped like the older (V2)
// usage format, with decimal quantities but no unit and no assignment id
// or reference, counts megabytes.
func (w *wireCallbackBundle) bundle() CallbackBundle {
	b := CallbackBundle{
		ID: trimmed(w.ID), Reference: trimmed(w.Reference), Name: senderText(string(w.Name)), Description: senderText(string(w.Description)),
		InitialQuantity: w.InitialQuantity.Trunc(), RemainingQuantity: w.RemainingQuantity.Trunc(),
		Unit: trimmed(w.Unit), StartTime: time.Time(w.StartTime), EndTime: time.Time(w.EndTime),
		Unlimited: bool(w.Unlimited), CallTypeGroup: trimmed(w.CallTypeGroup),
	}
	if b.Unit == "" && b.ID == "" && b.Reference == "" && (w.InitialQuantity.HasFraction() || w.RemainingQuantity.HasFraction()) {
		b.Unit = "MB"
	}
	return b
}

// trimmed is a text field as the sender sent it, without the white space
// around it and with its control characters escaped ([senderText]).
func trimmed[S ~string](s S) string { return senderText(strings.TrimSpace(string(s))) }

// senderText returns s with every rune that is not graphic (a control
// character, a line break, a bidirectional override) written as a
// visible escape, "\x1b" or "\u202e", and every byte that is not UTF-8 as
// "\xff": a callback's sender is not trusted, and the event's text
// fields, printed as they are by fmt or the application's own logs, must
// not carry terminal escapes or fake log lines. Raw keeps the body as
// sent.
func senderText(s string) string {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1, r < utf8.RuneSelf && (r < 0x20 || r == 0x7f):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == ' ' || unicode.IsGraphic(r):
			b.WriteString(s[i : i+n])
		case r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += n
	}
	return b.String()
}

// decodeCallback decodes a callback body; raw is kept in the event. Any
// JSON object with a valid ICCID is an event, and so is one without ICCID
// that names a type (an account event).
func decodeCallback(raw []byte) (*CallbackEvent, error) {
	w, err := readCallbackWire(raw)
	if err != nil {
		return nil, malformed("%s", redact.Digits(err.Error()))
	}
	ev := &CallbackEvent{
		ICCID:     ICCID(trimmed(w.ICCID)),
		AlertType: normaliseAlertType(trimmed(w.AlertType)),
		Date:      time.Time(w.Date),
		Country:   Country{ISO: trimmed(w.Country.Code), Name: trimmed(w.Country.Name)},
		Bundle:    w.Bundle.bundle(),
		Balance:   w.BalanceInfo,
		Raw:       Secret(raw),
	}
	if ev.AlertType == "" {
		ev.AlertType = normaliseAlertType(trimmed(w.Event))
	}
	if ps := trimmed(w.ProfileStatus); ps != "" {
		ev.ProfileStatus = normaliseProfileStatus(ps)
	}
	switch {
	case ev.ICCID == "" && ev.AlertType == "":
		return nil, malformed("neither an iccid nor a type (alertType or event)")
	case ev.ICCID == "": // an account event, e.g. LowBalance
		return ev, nil
	case len(ev.ICCID) > maxCallbackICCID || !allDigits(string(ev.ICCID)):
		return nil, malformed("iccid is not 1 to %d digits", maxCallbackICCID)
	}
	return ev, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
