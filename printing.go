package travelroam

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// How values that hold secrets print. Every value the SDK returns that
// holds an activation code, a matching ID, a PIN or PUK, a full ICCID,
// the callback URL's token or people's contact details prints without
// them, whichever way it is printed: String, GoString (%#v) and Format
// (every fmt verb, also inside slices, maps and structs), LogValue (slog)
// and MarshalJSON (slog's JSON handler and most loggers marshal what they
// are given, slices and maps included). The secrets stay readable in the
// fields, and [ActivationCode.LPA] gives the code for a QR code: reading
// a secret takes an explicit call, printing one by mistake is not
// possible. To store such a value, store its fields: its JSON is the
// redacted view.

// redactedMark stands for a secret left out.
const redactedMark = "[redacted]"

// redactedJSON marshals v, the redacted view of a value.
func redactedJSON(v any) ([]byte, error) { return json.Marshal(v) }

// profileString and profileLogValue describe an eSIM or an assignment
// without its secrets: the ICCID's last digits, the status, the SM-DP+.
func profileString(kind, iccid string, status ProfileStatus, smdp string) string {
	return fmt.Sprintf("travelroam.%s{ICCID: %s, ProfileStatus: %s, SMDPAddress: %s, MatchingID: [redacted]}",
		kind, RedactICCID(iccid), status, smdp)
}

func profileLogValue(iccid string, status ProfileStatus, smdp string) slog.Value {
	return slog.GroupValue(
		slog.String("iccid", RedactICCID(iccid)),
		slog.String("profileStatus", string(status)),
		slog.String("smdpAddress", smdp),
	)
}

// String describes the eSIM without its secrets (see [ESIM]).
func (e ESIM) String() string {
	s := profileString("ESIM", e.ICCID, e.ProfileStatus, e.SMDPAddress)
	if e.State == "" && e.PhoneNumber == "" {
		return s
	}
	return strings.TrimSuffix(s, "}") + fmt.Sprintf(", State: %s, PhoneNumber: %s}", safeLogText(string(e.State)), RedactICCID(e.PhoneNumber))
}

// GoString is String, so that %#v leaks nothing either.
func (e ESIM) GoString() string { return e.String() }

// Format makes every fmt verb print [ESIM.String].
func (e ESIM) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }

// LogValue makes slog log the eSIM without its secrets.
func (e ESIM) LogValue() slog.Value {
	v := profileLogValue(e.ICCID, e.ProfileStatus, e.SMDPAddress)
	if e.State == "" && e.PhoneNumber == "" {
		return v
	}
	return slog.GroupValue(append(v.Group(), slog.String("state", safeLogText(string(e.State))),
		slog.String("phoneNumber", RedactICCID(e.PhoneNumber)))...)
}

// String describes the assignment without its secrets (see [Assignment]).
func (a Assignment) String() string {
	return profileString("Assignment", a.ICCID, a.ProfileStatus, a.SMDPAddress)
}

// GoString is String, so that %#v leaks nothing either.
func (a Assignment) GoString() string { return a.String() }

// Format makes every fmt verb print [Assignment.String].
func (a Assignment) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, a.String()) }

// LogValue makes slog log the assignment without its secrets.
func (a Assignment) LogValue() slog.Value {
	return profileLogValue(a.ICCID, a.ProfileStatus, a.SMDPAddress)
}

// String describes the event with the ICCID masked and without Raw; an
// account event shows its balance instead.
func (e CallbackEvent) String() string {
	if e.IsAccountEvent() {
		return fmt.Sprintf("CallbackEvent{Account, AlertType: %s, Balance: %s, Threshold: %s}",
			safeLogText(string(e.AlertType)), e.Balance.Balance, e.Balance.Threshold)
	}
	return fmt.Sprintf("CallbackEvent{ICCID: %s, AlertType: %s, Bundle: %s, Remaining: %d/%d %s}",
		RedactICCID(e.ICCID), safeLogText(string(e.AlertType)), safeLogText(e.Bundle.Name),
		e.Bundle.RemainingQuantity, e.Bundle.InitialQuantity, e.unit())
}

func (e CallbackEvent) unit() string {
	switch {
	case e.Bundle.inMB():
		return "MB"
	case e.Bundle.IsData():
		return "bytes"
	}
	return safeLogText(e.Bundle.Unit)
}

// GoString is String, so that %#v does not show the ICCID either.
func (e CallbackEvent) GoString() string { return e.String() }

// Format makes every fmt verb print [CallbackEvent.String].
func (e CallbackEvent) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(e.String())) }

// LogValue makes slog log the event with the ICCID masked and without
// Raw; an account event logs its balance and no ICCID.
func (e CallbackEvent) LogValue() slog.Value {
	if e.IsAccountEvent() {
		return slog.GroupValue(
			slog.String("alert_type", safeLogText(string(e.AlertType))),
			slog.String("balance", e.Balance.Balance.String()),
			slog.String("threshold", e.Balance.Threshold.String()),
		)
	}
	return slog.GroupValue(
		slog.String("iccid", RedactICCID(e.ICCID)),
		slog.String("alert_type", safeLogText(string(e.AlertType))),
		slog.String("bundle", safeLogText(e.Bundle.Name)),
		slog.Int64("remaining", e.Bundle.RemainingQuantity),
		slog.Int64("initial", e.Bundle.InitialQuantity),
	)
}

// MarshalJSON writes the eSIM without its secrets (see [ESIM]).
func (e ESIM) MarshalJSON() ([]byte, error) {
	return redactedJSON(struct {
		ICCID         string        `json:"iccid"`
		ProfileStatus ProfileStatus `json:"profileStatus"`
		SMDPAddress   string        `json:"smdpAddress"`
		MatchingID    string        `json:"matchingId"`
		State         ESIMState     `json:"state,omitempty"`
		PhoneNumber   string        `json:"phoneNumber,omitempty"`
	}{RedactICCID(e.ICCID), e.ProfileStatus, e.SMDPAddress, redactedMark, e.State, RedactICCID(e.PhoneNumber)})
}

// MarshalJSON writes the assignment without its secrets (see
// [Assignment]).
func (a Assignment) MarshalJSON() ([]byte, error) {
	return redactedJSON(profileView(a.ICCID, a.ProfileStatus, a.SMDPAddress))
}

// profileView is the redacted JSON of an eSIM or an assignment.
func profileView(iccid string, status ProfileStatus, smdp string) any {
	return struct {
		ICCID         string        `json:"iccid"`
		ProfileStatus ProfileStatus `json:"profileStatus"`
		SMDPAddress   string        `json:"smdpAddress"`
		MatchingID    string        `json:"matchingId"`
	}{RedactICCID(iccid), status, smdp, redactedMark}
}

// MarshalJSON writes the event without its ICCID's digits and without
// Raw (see [CallbackEvent]).
func (e CallbackEvent) MarshalJSON() ([]byte, error) {
	return redactedJSON(struct {
		ICCID         string           `json:"iccid"`
		AlertType     AlertType        `json:"alertType"`
		ProfileStatus ProfileStatus    `json:"profileStatus,omitempty"`
		Country       Country          `json:"country"`
		Bundle        string           `json:"bundle"`
		Remaining     int64            `json:"remaining"`
		Initial       int64            `json:"initial"`
		Unit          string           `json:"unit"`
		Balance       *CallbackBalance `json:"balance,omitempty"`
	}{RedactICCID(e.ICCID), e.AlertType, e.ProfileStatus, e.Country, e.Bundle.Name, e.Bundle.RemainingQuantity,
		e.Bundle.InitialQuantity, e.unit(), e.balanceView()})
}

// balanceView is the event's balance for its JSON: nil when it has none.
func (e CallbackEvent) balanceView() *CallbackBalance {
	if e.Balance == (CallbackBalance{}) {
		return nil
	}
	b := e.Balance
	return &b
}

// String returns the activation code with its matching ID left out, e.g.
// "LPA:1$rsp.truphone.com$[redacted]": printing a code by mistake leaks
// nothing. [ActivationCode.LPA] gives the whole code.
func (a ActivationCode) String() string {
	return "LPA:1$" + smdpHost(a.SMDPAddress) + "$" + redactedMark
}

// GoString is String, so that %#v leaks nothing either.
func (a ActivationCode) GoString() string { return a.String() }

// Format makes every fmt verb print [ActivationCode.String].
func (a ActivationCode) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, a.String()) }

// LogValue makes slog log the code without its matching ID.
func (a ActivationCode) LogValue() slog.Value {
	return slog.GroupValue(slog.String("smdpAddress", smdpHost(a.SMDPAddress)), slog.String("matchingId", redactedMark))
}

// MarshalJSON writes the code without its matching ID.
func (a ActivationCode) MarshalJSON() ([]byte, error) {
	return redactedJSON(struct {
		SMDPAddress string `json:"smdpAddress"`
		MatchingID  string `json:"matchingId"`
	}{smdpHost(a.SMDPAddress), redactedMark})
}

// String describes the organisation without its callback URL (which may
// carry a secret token) or its users' contact details.
func (o Organisation) String() string {
	return fmt.Sprintf("travelroam.Organisation{Name: %s, Balance: %s %s, Users: %d}", o.Name, o.Balance, o.Currency, len(o.Users))
}

// GoString is String, so that %#v leaks nothing either.
func (o Organisation) GoString() string { return o.String() }

// Format makes every fmt verb print [Organisation.String].
func (o Organisation) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// LogValue makes slog log the organisation without its secrets.
func (o Organisation) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", o.Name),
		slog.String("balance", o.Balance.String()),
		slog.String("currency", o.Currency),
		slog.Int("users", len(o.Users)),
	)
}

// MarshalJSON writes the organisation without its callback URL, address
// or users' contact details.
func (o Organisation) MarshalJSON() ([]byte, error) {
	return redactedJSON(struct {
		Name     string `json:"name"`
		Balance  Amount `json:"balance"`
		Currency string `json:"currency"`
		Users    int    `json:"users"`
	}{o.Name, o.Balance, o.Currency, len(o.Users)})
}

// String describes the user by role only.
func (u OrganisationUser) String() string {
	return "travelroam.OrganisationUser{Role: " + u.Role + ", Name: [redacted], Contact: [redacted]}"
}

// GoString is String, so that %#v leaks nothing either.
func (u OrganisationUser) GoString() string { return u.String() }

// Format makes every fmt verb print [OrganisationUser.String].
func (u OrganisationUser) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, u.String()) }

// LogValue makes slog log the user's role only.
func (u OrganisationUser) LogValue() slog.Value { return slog.GroupValue(slog.String("role", u.Role)) }

// MarshalJSON writes the user's role only.
func (u OrganisationUser) MarshalJSON() ([]byte, error) {
	return redactedJSON(struct {
		Role string `json:"role"`
	}{u.Role})
}

// MarshalJSON writes the order without its lines' ICCIDs and activation
// data, and without Raw (see [Order]).
func (o Order) MarshalJSON() ([]byte, error) {
	return redactedJSON(struct {
		Reference string `json:"orderReference"`
		Status    string `json:"status"`
		Total     Amount `json:"total"`
		Currency  string `json:"currency"`
		Lines     int    `json:"lines"`
	}{o.Reference, o.Status, o.Total, o.Currency, len(o.Lines)})
}

// MarshalJSON writes the line without its ICCIDs and activation data.
func (l OrderLine) MarshalJSON() ([]byte, error) {
	return redactedJSON(struct {
		Item     string `json:"item"`
		Quantity int    `json:"quantity"`
		SubTotal Amount `json:"subTotal"`
		ESIMs    int    `json:"esims"`
	}{l.Item, l.Quantity, l.SubTotal, max(len(l.ICCIDs), len(l.ESIMs))})
}

// MarshalJSON writes the eSIM without its activation data.
func (e OrderESIM) MarshalJSON() ([]byte, error) {
	return redactedJSON(struct {
		ICCID       string `json:"iccid"`
		SMDPAddress string `json:"smdpAddress"`
		MatchingID  string `json:"matchingId"`
	}{RedactICCID(e.ICCID), e.SMDPAddress, redactedMark})
}

// String describes the request with a top-up's ICCID shortened.
func (req OrderRequest) String() string {
	s := "travelroam.OrderRequest{BundleName: " + req.BundleName
	if req.ICCID != "" {
		s += ", ICCID: " + RedactICCID(req.ICCID)
	}
	return s + "}"
}

// GoString is String, so that %#v leaks nothing either.
func (req OrderRequest) GoString() string { return req.String() }

// Format makes every fmt verb print [OrderRequest.String].
func (req OrderRequest) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, req.String()) }

// LogValue makes slog log the request with a top-up's ICCID shortened.
func (req OrderRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("bundleName", req.BundleName), slog.String("iccid", RedactICCID(req.ICCID)))
}

// MarshalJSON writes the request with a top-up's ICCID shortened.
func (req OrderRequest) MarshalJSON() ([]byte, error) {
	return redactedJSON(struct {
		BundleName string `json:"bundleName"`
		ICCID      string `json:"iccid,omitempty"`
		OrderType  string `json:"orderType,omitempty"`
	}{req.BundleName, RedactICCID(req.ICCID), req.OrderType})
}

// MarshalJSON writes the attempt with its ICCID shortened, like its
// String (a journal stores the fields, not this).
func (a PurchaseAttempt) MarshalJSON() ([]byte, error) {
	return redactedJSON(struct {
		Key         string  `json:"key"`
		BundleName  string  `json:"bundleName"`
		ICCID       string  `json:"iccid,omitempty"`
		Environment string  `json:"environment"`
		Outcome     Outcome `json:"outcome"`
		Reference   string  `json:"reference,omitempty"`
	}{a.Key, a.BundleName, RedactICCID(a.ICCID), a.Environment, a.Outcome, a.Reference})
}

// MarshalJSON writes the error's text: its fields include the raw body,
// which may hold anything the server sent.
func (e *APIError) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// MarshalJSON writes the error's text: its fields include the raw body
// and the full ICCID.
func (e *OutcomeUnknownError) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// MarshalJSON writes the error's text: its attempt holds the full ICCID.
func (e *AlreadyAttemptedError) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// MarshalJSON writes the error's text.
func (e *AssignmentsPendingError) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// MarshalJSON writes the error's text.
func (e *DecodeError) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// Format makes every fmt verb print the error's text (%d or %x would
// otherwise print its fields, the raw body included).
func (e *APIError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// Format makes every fmt verb print the error's text, not its fields.
func (e *OutcomeUnknownError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// Format makes every fmt verb print the error's text, not its fields.
func (e *AlreadyAttemptedError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// Format makes every fmt verb print the error's text, not its fields.
func (e *AssignmentsPendingError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// Format makes every fmt verb print the error's text, not its fields.
func (e *DecodeError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

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
