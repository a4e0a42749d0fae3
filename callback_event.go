package travelroam

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/roamkit/travelroam/internal/redact"
)

// AlertType says why a usage callback was sent. Types other than the
// constants below are delivered as sent.
type AlertType string

const (
	// AlertUtilisation is sent when 1 %, 50 %, 80 % and 100 % of a
	// bundle's data has been used.
	AlertUtilisation AlertType = "Utilisation"
	// AlertFirstUse is sent once, when the eSIM first uses data (at least
	// 1 kB); it replaces the 1 % alert.
	AlertFirstUse AlertType = "FirstUse"
	// AlertUsage is the alert type of the older (V2) callback format.
	AlertUsage AlertType = "usage"
)

// Known reports whether t is one of the constants above.
func (t AlertType) Known() bool {
	return t == AlertUtilisation || t == AlertFirstUse || t == AlertUsage
}

// normaliseAlertType maps a known alert type sent in any case ("FIRSTUSE",
// "Usage") to its constant, and keeps any other as sent.
func normaliseAlertType(s string) AlertType {
	for _, k := range [...]AlertType{AlertUtilisation, AlertFirstUse, AlertUsage} {
		if strings.EqualFold(s, string(k)) {
			return k
		}
	}
	return AlertType(s)
}

// CallbackEvent is a usage callback from Travel Roam. Both documented
// formats decode into it: the older one (alert type "usage",
// callTypeGroup, decimal quantities) and the newer one (bundle id,
// reference and description, integer bytes).
//
// Printing a CallbackEvent with fmt or slog shows only the last four
// digits of the ICCID and never Raw.
type CallbackEvent struct {
	// ICCID is the eSIM the event is about: 1 to 32 digits, exactly as
	// sent (a JSON number is kept digit for digit, never rounded).
	ICCID string
	// AlertType says why the event was sent.
	AlertType AlertType
	// Bundle is the bundle assignment the event is about. Its fields are
	// zero when the callback did not carry them.
	Bundle CallbackBundle
	// Raw is the body exactly as received. It contains personal data (the
	// ICCID and the traveller's usage): do not log it.
	Raw []byte
}

// CallbackBundle is the bundle assignment of a [CallbackEvent].
type CallbackBundle struct {
	// ID and Reference identify the assignment (newer format only).
	ID, Reference string
	// Name is the bundle name, e.g. "esim_1GB_7D_TR_V2".
	Name string
	// Description is the bundle's description (newer format only).
	Description string
	// InitialQuantity and RemainingQuantity are in bytes for data bundles
	// (see Unit). Decimals are cut to whole units.
	InitialQuantity, RemainingQuantity int64
	// Unit is "BYTES", "SMSmessages" or "minutes" when sent (newer format
	// only); empty means bytes.
	Unit string
	// StartTime and EndTime bound the assignment's validity, in UTC. They
	// are zero when absent or in a format the SDK does not know (Raw
	// keeps what was sent).
	StartTime, EndTime time.Time
	// Unlimited is true for unlimited bundles.
	Unlimited bool
	// CallTypeGroup is e.g. "data" (older format only).
	CallTypeGroup string
}

// IsData reports whether the quantities are bytes of data: Unit is empty
// or "BYTES".
func (b CallbackBundle) IsData() bool {
	return b.Unit == "" || strings.EqualFold(b.Unit, "BYTES")
}

// RemainingBytes returns the data left in bytes (never negative), and
// false when the bundle does not count data (see [CallbackBundle.IsData]).
func (b CallbackBundle) RemainingBytes() (int64, bool) {
	if !b.IsData() {
		return 0, false
	}
	return max(b.RemainingQuantity, 0), true
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
func (e *CallbackEvent) DedupeKey() string {
	h := sha256.New()
	if e.Bundle.ID != "" || e.Bundle.Reference != "" {
		for _, part := range [...]string{"event", e.ICCID, string(e.AlertType), e.Bundle.ID, e.Bundle.Reference,
			strconv.FormatInt(e.Bundle.RemainingQuantity, 10)} {
			h.Write([]byte(part))
			h.Write([]byte{0})
		}
	} else {
		h.Write([]byte("body\x00"))
		h.Write(e.Raw)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// String describes the event with the ICCID masked and without Raw.
func (e CallbackEvent) String() string {
	return fmt.Sprintf("CallbackEvent{ICCID: %s, AlertType: %s, Bundle: %s, Remaining: %d/%d %s}",
		RedactICCID(e.ICCID), safeLogText(string(e.AlertType)), safeLogText(e.Bundle.Name),
		e.Bundle.RemainingQuantity, e.Bundle.InitialQuantity, e.unit())
}

func (e CallbackEvent) unit() string {
	if e.Bundle.IsData() {
		return "bytes"
	}
	return safeLogText(e.Bundle.Unit)
}

// GoString is String, so that %#v does not show the ICCID either.
func (e CallbackEvent) GoString() string { return e.String() }

// Format makes every fmt verb print [CallbackEvent.String].
func (e CallbackEvent) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(e.String())) }

// LogValue makes slog log the event with the ICCID masked and without Raw.
func (e CallbackEvent) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("iccid", RedactICCID(e.ICCID)),
		slog.String("alert_type", safeLogText(string(e.AlertType))),
		slog.String("bundle", safeLogText(e.Bundle.Name)),
		slog.Int64("remaining", e.Bundle.RemainingQuantity),
		slog.Int64("initial", e.Bundle.InitialQuantity),
	)
}

// maxCallbackICCID is the longest ICCID a callback may carry; real ones
// have 18 to 22 digits, the decoder is lenient.
const maxCallbackICCID = 32

type callbackWire struct {
	ICCID     cbString      `json:"iccid"`
	AlertType cbString      `json:"alertType"`
	Bundle    *cbBundleWire `json:"bundle"`
}

type cbBundleWire struct {
	ID                cbString   `json:"id"`
	Reference         cbString   `json:"reference"`
	Name              cbString   `json:"name"`
	Description       cbString   `json:"description"`
	InitialQuantity   cbQuantity `json:"initialQuantity"`
	RemainingQuantity cbQuantity `json:"remainingQuantity"`
	Unit              cbString   `json:"unit"`
	StartTime         cbTime     `json:"startTime"`
	EndTime           cbTime     `json:"endTime"`
	Unlimited         cbBool     `json:"unlimited"`
	CallTypeGroup     cbString   `json:"callTypeGroup"`
}

// decodeCallback decodes a callback body; raw is kept in the event.
func decodeCallback(raw []byte) (*CallbackEvent, error) {
	var w callbackWire
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCallbackMalformed, redact.Digits(err.Error()))
	}
	ev := &CallbackEvent{ICCID: strings.TrimSpace(string(w.ICCID)), AlertType: normaliseAlertType(strings.TrimSpace(string(w.AlertType))), Raw: raw}
	switch {
	case ev.ICCID == "":
		return nil, fmt.Errorf("%w: no iccid", ErrCallbackMalformed)
	case len(ev.ICCID) > maxCallbackICCID || !allDigits(ev.ICCID):
		return nil, fmt.Errorf("%w: iccid is not 1 to %d digits", ErrCallbackMalformed, maxCallbackICCID)
	case ev.AlertType == "":
		return nil, fmt.Errorf("%w: no alertType", ErrCallbackMalformed)
	}
	if b := w.Bundle; b != nil {
		ev.Bundle = CallbackBundle{
			ID: string(b.ID), Reference: string(b.Reference), Name: string(b.Name), Description: string(b.Description),
			InitialQuantity: int64(b.InitialQuantity), RemainingQuantity: int64(b.RemainingQuantity),
			Unit: string(b.Unit), StartTime: time.Time(b.StartTime), EndTime: time.Time(b.EndTime),
			Unlimited: bool(b.Unlimited), CallTypeGroup: string(b.CallTypeGroup),
		}
	}
	return ev, nil
}

// cbString accepts a JSON string, a number (kept digit for digit) or null.
type cbString string

func (s *cbString) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		v, err := unquoteJSON(b)
		if err != nil {
			return err
		}
		*s = cbString(v)
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		*s = cbString(b) // a valid JSON number: the decoder checked it
	default:
		return errors.New("want a string or a number")
	}
	return nil
}

// cbQuantity accepts an integer, a decimal such as 1000.00 (cut to whole
// units), either as a JSON number or a string, or null.
type cbQuantity int64

func (q *cbQuantity) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*q = 0
		return nil
	}
	if n, ok := plainInt(b); ok {
		*q = cbQuantity(n)
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		var err error
		if s, err = unquoteJSON(b); err != nil {
			return err
		}
	}
	n, err := parseQuantity(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*q = cbQuantity(n)
	return nil
}

// parseQuantity parses a decimal number exactly and cuts it to an
// integer (toward zero). "" is 0.
func parseQuantity(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	bad := errors.New("want a quantity such as 1000000000 or 1000.00")
	if len(s) > 64 {
		return 0, bad
	}
	neg := s[0] == '-'
	if neg || s[0] == '+' {
		s = s[1:]
	}
	mant, exp, err := splitExponent(s)
	if err != nil {
		return 0, bad
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return 0, bad
	}
	n, err := strconv.ParseInt(wholeDigits(intPart+frac, len(intPart)+exp), 10, 64)
	if err != nil {
		return 0, bad
	}
	if neg {
		n = -n
	}
	return n, nil
}

func splitExponent(s string) (string, int, error) {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return s, 0, nil
	}
	exp, err := strconv.Atoi(s[i+1:])
	if err != nil || exp < -40 || exp > 40 {
		return "", 0, errors.New("bad exponent")
	}
	return s[:i], exp, nil
}

// wholeDigits returns the digits before the decimal point placed at
// point, without leading zeros ("0" when none).
func wholeDigits(digits string, point int) string {
	switch {
	case point <= 0:
		digits = "0"
	case point >= len(digits):
		digits += strings.Repeat("0", point-len(digits))
	default:
		digits = digits[:point]
	}
	if digits = strings.TrimLeft(digits, "0"); digits == "" {
		return "0"
	}
	return digits
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cbTime accepts an RFC 3339 string (also without a zone, taken as UTC,
// or with a space for the T), integer milliseconds since the epoch, or
// null. A string in another format gives the zero time.
type cbTime time.Time

func (t *cbTime) UnmarshalJSON(b []byte) error {
	*t = cbTime{}
	switch {
	case string(b) == "null":
	case len(b) > 0 && b[0] == '"':
		s, err := unquoteJSON(b)
		if err != nil {
			return err
		}
		*t = cbTime(parseCallbackTime(strings.TrimSpace(s)))
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		if ms, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			*t = cbTime(time.UnixMilli(ms).UTC())
		}
	default:
		return errors.New("want a time string or milliseconds")
	}
	return nil
}

func parseCallbackTime(s string) time.Time {
	for _, layout := range [...]string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// cbBool accepts true/false, the strings "true"/"false"/"1"/"0", the
// numbers 1/0, or null.
type cbBool bool

func (v *cbBool) UnmarshalJSON(b []byte) error {
	s := strings.ToLower(string(bytes.Trim(b, `"`)))
	switch s {
	case "true", "1":
		*v = true
	case "false", "0", "null", "":
		*v = false
	default:
		return errors.New("want a boolean")
	}
	return nil
}

// unquoteJSON decodes a JSON string token as encoding/json does, without
// its cost when the token has no escapes and is valid UTF-8 (the common
// case): its contents are then the string.
func unquoteJSON(b []byte) (string, error) {
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && plainJSONString(b[1:n-1]) {
		return string(b[1 : n-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// plainJSONString reports whether s can stand between quotes in JSON as
// it is: no quote, backslash or control character, and valid UTF-8.
func plainJSONString(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return utf8.Valid(s) && bytes.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == '"' || r == '\\' }) < 0
		}
	}
	return true
}

// plainInt reads a JSON integer of at most 18 digits, with an optional
// minus sign and no leading zero, which cannot overflow an int64.
func plainInt(b []byte) (int64, bool) {
	digits := b
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 || (digits[0] == '0' && len(digits) > 1) {
		return 0, false
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if len(digits) < len(b) {
		n = -n
	}
	return n, true
}
