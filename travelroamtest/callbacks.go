package travelroamtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Alert types and event names of the callbacks (contract §3.10).
const (
	// AlertFirstUse is sent once, at a bundle's first use (V3).
	AlertFirstUse = "FirstUse"
	// AlertUtilisation is sent when 50, 80 and 100 % of a bundle is used.
	AlertUtilisation = "Utilisation"
	// AlertUsage is the alert type of the oldest V2 usage callbacks.
	AlertUsage = "usage"
	// AlertFirstAttachment is sent the first time the eSIM joins a network.
	AlertFirstAttachment = "FirstAttachment"
	// AlertCountryChange is sent when the eSIM registers in a new country.
	AlertCountryChange = "CountryChange"
	// EventDeletionScheduled is the "event" (no alertType) of an inactive
	// eSIM that will be deleted in 7 days unless a bundle is applied.
	EventDeletionScheduled = "esim.deletion_scheduled"
	// EventDeleted is the "event" (no alertType) of a deleted eSIM.
	EventDeleted = "esim.deleted"
)

// SignatureHeader carries HMAC-SHA256(key, body) on signed callbacks, in
// hex ([Sign], the default) or base64 ([SignBase64]).
const SignatureHeader = "X-Signature-SHA256"

// alert is a callback to send, rendered while the state was locked.
type alert struct {
	iccid, alertType, event string
	body                    []byte
}

type callbackJSON struct {
	ICCID     string             `json:"iccid"`
	AlertType string             `json:"alertType"`
	Bundle    callbackBundleJSON `json:"bundle"`
}

type callbackBundleJSON struct {
	ID                string `json:"id"`
	Reference         string `json:"reference"`
	Name              string `json:"name"`
	Description       string `json:"description"`
	InitialQuantity   int64  `json:"initialQuantity"`
	RemainingQuantity int64  `json:"remainingQuantity"`
	Unit              string `json:"unit"`
	StartTime         string `json:"startTime"`
	EndTime           string `json:"endTime"`
	Unlimited         bool   `json:"unlimited"`
}

// callbackV2JSON is the V2 usage callback: quantities in MB, no unit.
type callbackV2JSON struct {
	ICCID     string               `json:"iccid"`
	AlertType string               `json:"alertType"`
	Bundle    callbackV2BundleJSON `json:"bundle"`
}

type callbackV2BundleJSON struct {
	Name              string    `json:"name"`
	CallTypeGroup     string    `json:"callTypeGroup"`
	InitialQuantity   megabytes `json:"initialQuantity"`
	RemainingQuantity megabytes `json:"remainingQuantity"`
	StartTime         string    `json:"startTime"`
	EndTime           string    `json:"endTime"`
}

// megabytes is a byte count written as decimal megabytes with two
// decimals (1 MB = 10^6 bytes), e.g. 90000000 → 90.00; -1 (unlimited)
// is -1.00.
type megabytes int64

// MarshalJSON writes the amount in MB with two decimals.
func (m megabytes) MarshalJSON() ([]byte, error) {
	if m < 0 {
		return []byte("-1.00"), nil
	}
	hundredths := (int64(m) + 5_000) / 10_000 // rounded half up
	return fmt.Appendf(nil, "%d.%02d", hundredths/100, hundredths%100), nil
}

// consume draws n bytes from the eSIM's bundles and returns the alerts
// crossed and the bytes that found no bundle. The caller holds s.mu.
func (e *esim) consume(now time.Time, n int64, f CallbackFormat) ([]alert, int64) {
	e.install(now)
	var alerts []alert
	for n > 0 {
		a := e.usable(now)
		if a == nil {
			break
		}
		firstUse := a.start.IsZero()
		if firstUse {
			a.start, a.end = now, now.AddDate(0, 0, a.bundle.DurationDays)
		}
		if a.bundle.Unlimited {
			n = 0
		} else {
			take := min(n, a.remain)
			a.remain -= take
			n -= take
		}
		if firstUse {
			a.alerted = 1
			alerts = append(alerts, e.alert(a, AlertFirstUse, f))
		}
		alerts = append(alerts, e.utilisation(a, f)...)
	}
	return alerts, n
}

// usable is the bundle that data comes from: the active one, else the
// oldest one not started yet.
func (e *esim) usable(now time.Time) *assignment {
	for _, a := range e.assignments {
		if a.state(now) == StateActive {
			return a
		}
	}
	for _, a := range e.assignments {
		if s := a.state(now); s == StateQueued || s == StateProcessing {
			return a
		}
	}
	return nil
}

// utilisation returns the Utilisation alerts newly crossed (50, 80, 100 %).
func (e *esim) utilisation(a *assignment, f CallbackFormat) []alert {
	if a.bundle.Unlimited {
		return nil
	}
	var out []alert
	used := a.initial - a.remain
	for _, pct := range []int{50, 80, 100} {
		if a.alerted < pct && used*100 >= int64(pct)*a.initial {
			a.alerted = pct
			out = append(out, e.alert(a, AlertUtilisation, f))
		}
	}
	return out
}

// alert renders a usage callback about assignment a in format f. The
// caller holds the server's lock.
func (e *esim) alert(a *assignment, alertType string, f CallbackFormat) alert {
	var payload any
	switch f {
	case CallbackFormatV2, CallbackFormatV2Usage:
		alertType = AlertUtilisation
		if f == CallbackFormatV2Usage {
			alertType = AlertUsage
		}
		payload = callbackV2JSON{ICCID: e.iccid, AlertType: alertType, Bundle: callbackV2BundleJSON{
			Name: a.bundle.Name, CallTypeGroup: "data",
			InitialQuantity: megabytes(a.initial), RemainingQuantity: megabytes(a.remain),
			StartTime: optTimestamp(a.start), EndTime: optTimestamp(a.end),
		}}
	default:
		payload = callbackJSON{ICCID: e.iccid, AlertType: alertType, Bundle: callbackBundleJSON{
			ID: a.id, Reference: a.reference, Name: a.bundle.Name, Description: a.bundle.Description,
			InitialQuantity: a.initial, RemainingQuantity: a.remain, Unit: "BYTES",
			StartTime: optTimestamp(a.start), EndTime: optTimestamp(a.end), Unlimited: a.bundle.Unlimited,
		}}
	}
	return alert{iccid: e.iccid, alertType: alertType, body: mustMarshal(payload)}
}

// optTimestamp is timestamp(t), or "" for the zero time (a bundle not
// started yet).
func optTimestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return timestamp(t)
}

func mustMarshal(v any) []byte {
	body, err := json.Marshal(v)
	if err != nil {
		panic("travelroamtest: encoding a callback: " + err.Error())
	}
	return body
}

// deliver POSTs the alerts in order to the callback URL, records them,
// and returns the delivery failures. Without a callback URL it does
// nothing.
func (s *Server) deliver(ctx context.Context, alerts []alert) error {
	if s.cfg.callbackURL == "" {
		return nil
	}
	var errs []error
	for _, a := range alerts {
		cb := Callback{Time: s.now(), ICCID: a.iccid, AlertType: a.alertType, Event: a.event, Body: a.body}
		if len(s.cfg.callbackKey) > 0 {
			cb.Signature = s.sign(a.body)
		}
		var err error
		cb.Status, err = s.post(ctx, a.body, cb.Signature)
		if err != nil {
			cb.Err = err.Error()
			errs = append(errs, err)
		}
		s.mu.Lock()
		s.callbackLog = append(s.callbackLog, cb)
		s.mu.Unlock()
	}
	return errors.Join(errs...)
}

func (s *Server) post(ctx context.Context, body []byte, signature string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.callbackURL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("travelroamtest: callback request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(SignatureHeader, signature)
	}
	resp, err := s.callbacks.Do(req)
	if err != nil {
		return 0, fmt.Errorf("travelroamtest: sending callback: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("travelroamtest: callback receiver answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}
