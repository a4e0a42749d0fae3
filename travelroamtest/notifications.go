package travelroamtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// ErrNoCallbackURL means a callback was asked for but the server has no
// [WithCallbackURL].
var ErrNoCallbackURL = errors.New("travelroamtest: no callback URL configured")

// CallbackKind names a callback that [Server.SendCallback] sends.
type CallbackKind int

const (
	// CallbackUtilisation is a usage alert about the eSIM's current bundle
	// (the active one, else the next to start, else the latest), in the
	// shape of [WithCallbackFormat].
	CallbackUtilisation CallbackKind = iota + 1
	// CallbackFirstUse is a FirstUse alert about the current bundle (in
	// the V2 formats, a Utilisation or usage alert, as V2 has no FirstUse).
	CallbackFirstUse
	// CallbackFirstAttachment is {"alertType":"FirstAttachment","iccid":…}.
	CallbackFirstAttachment
	// CallbackCountryChange is {"alertType":"CountryChange","iccid":…,
	// "country":{"code":"NO","name":"Norway"}}, the country of the eSIM's
	// location ([Server.SetLocation] first).
	CallbackCountryChange
	// CallbackDeletionScheduled is {"date":…,"event":
	// "esim.deletion_scheduled","iccid":…}, without alertType.
	CallbackDeletionScheduled
	// CallbackDeleted is {"date":…,"event":"esim.deleted","iccid":…},
	// without alertType.
	CallbackDeleted
	// CallbackProfileStatusChange is {"iccid":…,"profileStatus":…,"date":…}
	// with the eSIM's profile status and, once it is installed,
	// "device":{"imei","eid","tac","make","model"}; it has neither
	// alertType nor event.
	CallbackProfileStatusChange
)

// String names the kind, e.g. "CountryChange" or "esim.deleted".
func (k CallbackKind) String() string {
	switch k {
	case CallbackUtilisation:
		return AlertUtilisation
	case CallbackFirstUse:
		return AlertFirstUse
	case CallbackFirstAttachment:
		return AlertFirstAttachment
	case CallbackCountryChange:
		return AlertCountryChange
	case CallbackDeletionScheduled:
		return EventDeletionScheduled
	case CallbackDeleted:
		return EventDeleted
	case CallbackProfileStatusChange:
		return "ProfileStatusChange"
	}
	return "CallbackKind(" + strconv.Itoa(int(k)) + ")"
}

type attachmentJSON struct {
	AlertType string `json:"alertType"`
	ICCID     string `json:"iccid"`
}

type countryChangeJSON struct {
	AlertType string      `json:"alertType"`
	ICCID     string      `json:"iccid"`
	Country   countryJSON `json:"country"`
}

type countryJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type eventJSON struct {
	Date  string `json:"date"`
	Event string `json:"event"`
	ICCID string `json:"iccid"`
}

type profileStatusJSON struct {
	ICCID         string      `json:"iccid"`
	ProfileStatus string      `json:"profileStatus"`
	Date          string      `json:"date"`
	Device        *deviceJSON `json:"device,omitempty"`
}

type deviceJSON struct {
	IMEI  string `json:"imei"`
	EID   string `json:"eid"`
	TAC   string `json:"tac"`
	Make  string `json:"make"`
	Model string `json:"model"`
}

// SendCallback POSTs one callback of kind about the eSIM to the callback
// URL, signed as [WithCallbackSigningKey] says, and records it in the
// ledger ([Server.Callbacks]). It changes no state: send
// CallbackDeleted after [Server.SetProfileStatus] or a revoke if the test
// wants both. Event kinds (CallbackDeletionScheduled, CallbackDeleted) and
// CallbackFirstAttachment also work for a revoked eSIM; the others need an
// eSIM of the server. It returns [ErrNoCallbackURL] without a callback
// URL, [ErrUnknownICCID], an error for an unknown kind, or the delivery
// error.
func (s *Server) SendCallback(ctx context.Context, iccid string, kind CallbackKind) error {
	if kind < CallbackUtilisation || kind > CallbackProfileStatusChange {
		return fmt.Errorf("travelroamtest: unknown callback kind %d", int(kind))
	}
	if s.cfg.callbackURL == "" {
		return ErrNoCallbackURL
	}
	a, err := s.renderCallback(iccid, kind)
	if err != nil {
		return err
	}
	return s.deliver(ctx, []alert{a})
}

// renderCallback builds the callback with the state locked.
func (s *Server) renderCallback(iccid string, kind CallbackKind) (alert, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch kind {
	case CallbackFirstAttachment, CallbackDeletionScheduled, CallbackDeleted:
		if !s.issued[iccid] {
			return alert{}, fmt.Errorf("%w: %s", ErrUnknownICCID, redact(iccid))
		}
		if kind == CallbackFirstAttachment {
			return alert{iccid: iccid, alertType: AlertFirstAttachment,
				body: mustMarshal(attachmentJSON{AlertType: AlertFirstAttachment, ICCID: iccid})}, nil
		}
		return alert{iccid: iccid, event: kind.String(),
			body: mustMarshal(eventJSON{Date: timestamp(now), Event: kind.String(), ICCID: iccid})}, nil
	}
	e := s.esims[iccid]
	if e == nil {
		return alert{}, fmt.Errorf("%w: %s", ErrUnknownICCID, redact(iccid))
	}
	switch kind {
	case CallbackCountryChange:
		if e.location == nil {
			return alert{}, errors.New("travelroamtest: a CountryChange callback needs the eSIM's location: call SetLocation first")
		}
		code := e.location.Country
		return alert{iccid: iccid, alertType: AlertCountryChange, body: mustMarshal(countryChangeJSON{
			AlertType: AlertCountryChange, ICCID: iccid, Country: countryJSON{Code: code, Name: countryName(code)},
		})}, nil
	case CallbackProfileStatusChange:
		p := profileStatusJSON{ICCID: iccid, ProfileStatus: e.profileStatus, Date: timestamp(now)}
		if !e.installed.IsZero() {
			if e.device == nil {
				e.device = s.ids.device()
			}
			p.Device = e.device
		}
		return alert{iccid: iccid, body: mustMarshal(p)}, nil
	}
	a := e.usable(now)
	if a == nil {
		a = e.assignments[len(e.assignments)-1]
	}
	alertType := AlertUtilisation
	if kind == CallbackFirstUse {
		alertType = AlertFirstUse
	}
	return e.alert(a, alertType, s.cfg.callbackFormat), nil
}

// SendRawCallback POSTs body exactly as given (JSON or not) to the
// callback URL, signed as [WithCallbackSigningKey] says, e.g. to send an
// ICCID as a JSON number or a shape the fake does not model. The ledger
// records the body's iccid, alertType and event when it is a JSON object
// that has them. It returns [ErrNoCallbackURL] without a callback URL, or
// the delivery error.
func (s *Server) SendRawCallback(ctx context.Context, body []byte) error {
	if s.cfg.callbackURL == "" {
		return ErrNoCallbackURL
	}
	a := alert{body: bytes.Clone(body)}
	var fields map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&fields) == nil {
		a.iccid = scalarText(fields["iccid"])
		a.alertType = scalarText(fields["alertType"])
		a.event = scalarText(fields["event"])
	}
	return s.deliver(ctx, []alert{a})
}

// scalarText is a string's content or a number's digits, else "".
func scalarText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}
