package travelroamtest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Usage alert types of the callbacks.
const (
	AlertFirstUse    = "FirstUse"
	AlertUtilisation = "Utilisation"
)

// SignatureHeader carries base64(HMAC-SHA256(key, body)) on signed
// callbacks.
const SignatureHeader = "X-Signature-SHA256"

// alert is a callback to send, rendered while the state was locked.
type alert struct {
	iccid, alertType string
	body             []byte
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

// consume draws n bytes from the eSIM's bundles and returns the alerts
// crossed and the bytes that found no bundle. The caller holds s.mu.
func (e *esim) consume(now time.Time, n int64) ([]alert, int64) {
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
			alerts = append(alerts, e.alert(a, AlertFirstUse))
		}
		alerts = append(alerts, e.utilisation(a)...)
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
func (e *esim) utilisation(a *assignment) []alert {
	if a.bundle.Unlimited {
		return nil
	}
	var out []alert
	used := a.initial - a.remain
	for _, pct := range []int{50, 80, 100} {
		if a.alerted < pct && used*100 >= int64(pct)*a.initial {
			a.alerted = pct
			out = append(out, e.alert(a, AlertUtilisation))
		}
	}
	return out
}

func (e *esim) alert(a *assignment, alertType string) alert {
	body, err := json.Marshal(callbackJSON{ICCID: e.iccid, AlertType: alertType, Bundle: callbackBundleJSON{
		ID: a.id, Reference: a.reference, Name: a.bundle.Name, Description: a.bundle.Description,
		InitialQuantity: a.initial, RemainingQuantity: a.remain, Unit: "BYTES",
		StartTime: timestamp(a.start), EndTime: timestamp(a.end), Unlimited: a.bundle.Unlimited,
	}})
	if err != nil {
		panic("travelroamtest: encoding a callback: " + err.Error())
	}
	return alert{iccid: e.iccid, alertType: alertType, body: body}
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
		cb := Callback{Time: s.now(), ICCID: a.iccid, AlertType: a.alertType, Body: a.body}
		if len(s.cfg.callbackKey) > 0 {
			cb.Signature = Sign(s.cfg.callbackKey, a.body)
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

// Sign returns base64(HMAC-SHA256(key, body)), the X-Signature-SHA256 value
// of a callback body.
func Sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
