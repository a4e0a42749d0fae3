package travelroam

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/roamkit/travelroam/internal/envelope"
	"github.com/roamkit/travelroam/internal/lenient"
)

// Assignment is the installation data of an eSIM bought in an order
// ([Client.Assignments], [Client.WaitForAssignments]): what the traveller
// needs to install it. [Assignment.ActivationCode] turns it into the
// string of a QR code and the iPhone link.
//
// MatchingID, PIN, PUK and the installation links are held in a
// [Secret], which prints masked (every fmt verb, slog, JSON), and the
// ICCID in an [ICCID], which prints its last four digits, so that
// printing or logging an Assignment by mistake leaks nothing.
type Assignment struct {
	// ICCID identifies the eSIM; keep it to query or top up the eSIM.
	ICCID ICCID `json:"iccid"`
	// MatchingID is the activation code token. Treat it as a password.
	MatchingID Secret `json:"matchingId"`
	// SMDPAddress is the SM-DP+ server the profile is downloaded from.
	SMDPAddress string `json:"smdpAddress"`
	// ProfileStatus is the state of the profile, e.g. "Released".
	ProfileStatus ProfileStatus `json:"profileStatus"`
	// PIN and PUK are the SIM codes, when sent.
	PIN Secret `json:"pin"`
	PUK Secret `json:"puk"`
	// FirstInstalledAt is when the profile was first installed; zero when
	// never (or when sent in a form the SDK does not know).
	FirstInstalledAt time.Time `json:"firstInstalledDateTime"`
	// AppleInstallURL is the server's iPhone installation link, when it
	// sends one. [ActivationCode.AppleInstallURL] builds one locally.
	AppleInstallURL Secret `json:"appleInstallUrl"`
	// RSPURL is a full activation code string, when the server sends one.
	RSPURL Secret `json:"rspUrl"`
	// Bundle is the name of the bundle the eSIM was bought with, when the
	// answer says (a CSV answer's Bundle column).
	Bundle string `json:"bundle,omitempty"`
}

// UnmarshalJSON decodes an assignment leniently (see [ESIM.UnmarshalJSON]).
func (a *Assignment) UnmarshalJSON(b []byte) error { return lenient.UnmarshalFrom(b, a) }

// assignmentFields is Assignment without its methods, for the JSON v2
// engine to decode field by field.
type assignmentFields Assignment

// UnmarshalJSONFrom is UnmarshalJSON for the JSON v2 engine. The members
// only eSIM details carry are read under the same rules, so that an
// assignment and an eSIM accept the same answers.
func (a *Assignment) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	var v struct {
		assignmentFields
		CustomerRef       string `json:"customerRef"`
		State             string `json:"state"`
		AndroidInstallURL string `json:"androidInstallUrl"`
		PhoneNumber       string `json:"phoneNumber"`
		MSISDN            string `json:"msisdn"`
	}
	err := unmarshalIn(dec, &v)
	*a = Assignment(v.assignmentFields)
	a.ICCID = ICCID(strings.TrimSpace(string(a.ICCID)))
	a.SMDPAddress, a.Bundle = strings.TrimSpace(a.SMDPAddress), strings.TrimSpace(a.Bundle)
	for _, s := range []*Secret{&a.MatchingID, &a.PIN, &a.PUK, &a.AppleInstallURL, &a.RSPURL} {
		*s = trimSecret(*s)
	}
	a.ProfileStatus = normaliseProfileStatus(strings.TrimSpace(string(a.ProfileStatus)))
	return err
}

// ActivationCode returns the activation code to show as a QR code or to
// turn into the iPhone link. It fails when the SM-DP+ address or the
// matching ID is missing or malformed.
func (a Assignment) ActivationCode() (ActivationCode, error) {
	return newActivationCode(a.SMDPAddress, a.MatchingID)
}

func (a Assignment) ready() bool { return a.MatchingID != "" && a.SMDPAddress != "" }

// Assignments asks once for the installation data of the eSIMs bought in
// the order with the given reference (the OrderReference of a purchase).
// It sends one request (re-sent only when it provably never left): "not
// ready" is an answer, not a failure to retry.
//
// While Travel Roam is still preparing the data (a 503, or an answer
// without a matching ID or SM-DP+ address), the error matches
// [ErrAssignmentsNotReady]; for a 503, errors.As also finds the
// [*APIError] with the server's RetryAfter. A "not found" answer (a 404,
// or a 400 "Order not found") matches both [ErrAssignmentsNotReady] and
// [ErrNotFound]: right after a purchase it may only mean "not known yet",
// later a wrong reference. Right after a purchase, use
// [Client.WaitForAssignments] instead: it polls on the schedule Travel
// Roam asks for, and takes "not found" for "not ready" during its first
// minute only.
func (c *Client) Assignments(ctx context.Context, orderReference string, opts ...CallOption) ([]Assignment, error) {
	if err := checkOrderReference(OpAssignments.label(), orderReference); err != nil {
		return nil, err
	}
	cfg, err := callOptions("assignments", kindsPoll, opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := cfg.context(ctx)
	defer cancel()
	return c.assignments(ctx, strings.TrimSpace(orderReference), nil, &cfg)
}

// assignments makes one read, a single attempt (see request.single), as
// part of the observed call (nil: the read reports its own call). With
// the default GET, the reference goes in the query string. cfg holds the
// call's options.
func (c *Client) assignments(ctx context.Context, ref string, call *observedCall, cfg *callConfig) ([]Assignment, error) {
	r := c.newRequest(OpAssignments, map[string]string{"orderReference": ref})
	r.call = call
	if err := cfg.apply(&r); err != nil {
		return nil, err
	}
	list, err := readAnswer(ctx, c, r, decodeAssignmentsAnswer)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && (ae.StatusCode == http.StatusServiceUnavailable || ae.notFound()) {
			return nil, &assignmentsNotReadyError{ref: ref, cause: ae}
		}
		return nil, err
	}
	if len(list) == 0 {
		return nil, &assignmentsNotReadyError{ref: ref}
	}
	for _, a := range list {
		if !a.ready() {
			return nil, &assignmentsNotReadyError{ref: ref}
		}
	}
	return list, nil
}

// decodeAssignmentsAnswer decodes an answer of the assignments route: CSV
// when its Content-Type says text/csv (eSIM Go's default format, when
// Travel Roam does not pass our Accept on), else as decodeAssignments.
func decodeAssignmentsAnswer(b []byte, h http.Header, rules jsonv2.Options) ([]Assignment, error) {
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); mt == "text/csv" {
		return decodeAssignmentsCSV(b)
	}
	return decodeAssignments(b, rules)
}

// decodeAssignments accepts a bare object, an array, and the wrappers
// {"esims": …}, {"assignments": …} and {"data": …}; a body that starts
// with the CSV header (ICCID or "ICCID") is CSV (decodeAssignmentsCSV).
func decodeAssignments(b []byte, rules jsonv2.Options) ([]Assignment, error) {
	if isAssignmentsCSV(b) {
		return decodeAssignmentsCSV(b)
	}
	b = envelope.Unwrap(b, "esims", "assignments", "data")
	if envelope.IsArray(b) {
		var list []Assignment
		if err := lenient.Unmarshal(b, &list, rules); err != nil {
			return nil, err
		}
		return list, nil
	}
	if !envelope.IsObject(b) {
		return nil, errors.New("want a JSON object or array")
	}
	var a Assignment
	if err := lenient.Unmarshal(b, &a, rules); err != nil {
		return nil, err
	}
	return []Assignment{a}, nil
}

// isAssignmentsCSV reports whether b starts with the header of eSIM Go's
// CSV answer (its default without an Accept header), after any byte order
// mark and white space.
func isAssignmentsCSV(b []byte) bool {
	b = bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\ufeff")), " \t\r\n")
	return len(b) >= 5 && strings.EqualFold(string(b[:5]), "ICCID") ||
		len(b) >= 7 && strings.EqualFold(string(b[:7]), `"ICCID"`)
}

// decodeAssignmentsCSV reads a CSV answer: a header row, then one row per
// eSIM. The columns are matched by name, in any case and ignoring spaces,
// dashes and underscores: ICCID and Bundle give the fields of those
// names, Matching ID gives MatchingID, and RSP URL gives SMDPAddress (an
// activation code "LPA:1$host$id" there gives the host, and the matching
// ID when no column has it). Other columns are ignored; a row without an
// ICCID is skipped.
func decodeAssignmentsCSV(b []byte) ([]Assignment, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	col := map[string]int{}
	for i, name := range header {
		key := strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(strings.TrimSpace(name)))
		if _, dup := col[key]; !dup {
			col[key] = i
		}
	}
	if _, ok := col["iccid"]; !ok {
		return nil, errors.New("CSV without an ICCID column")
	}
	list := []Assignment{}
	for {
		row, err := r.Read()
		if err == io.EOF {
			return list, nil
		}
		if err != nil {
			return nil, fmt.Errorf("CSV: %w", err)
		}
		cell := func(name string) string {
			if i, ok := col[name]; ok && i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		a := Assignment{ICCID: ICCID(cell("iccid")), Bundle: cell("bundle"), MatchingID: Secret(cell("matchingid")), SMDPAddress: cell("rspurl")}
		if a.ICCID == "" {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(a.SMDPAddress), "LPA:") {
			a.RSPURL = Secret(a.SMDPAddress)
			a.SMDPAddress, a.MatchingID = splitLPA(a.SMDPAddress, a.MatchingID)
		}
		list = append(list, a)
	}
}

// splitLPA returns the SM-DP+ address of an activation code, and its
// matching ID unless matchingID is already set.
func splitLPA(code string, matchingID Secret) (smdp string, id Secret) {
	if ac, err := ParseActivationCode(code); err == nil {
		return ac.SMDPAddress, cmp.Or(matchingID, ac.MatchingID)
	}
	parts := strings.Split(code, "$")
	if len(parts) > 2 {
		return strings.TrimSpace(parts[1]), cmp.Or(matchingID, Secret(strings.TrimSpace(parts[2])))
	}
	if len(parts) == 2 {
		return strings.TrimSpace(parts[1]), matchingID
	}
	return "", matchingID
}

func checkOrderReference(op, ref string) error {
	ref = strings.TrimSpace(ref)
	switch {
	case ref == "":
		return invalid(op, "order reference", "empty: pass the OrderReference of the purchase")
	case len(ref) > 256:
		return invalid(op, "order reference", "has %d characters, want at most 256", len(ref))
	case strings.ContainsFunc(ref, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return invalid(op, "order reference", "contains a control character")
	}
	return nil
}

// assignmentsNotReadyError matches ErrAssignmentsNotReady; cause is the
// 503 or "not found" *APIError, or nil for an answer without activation
// data.
type assignmentsNotReadyError struct {
	ref   string
	cause error
}

func (e *assignmentsNotReadyError) Error() string {
	s := "travelroam: assignments for order " + e.ref + " not ready: "
	if e.cause == nil {
		return s + "the answer has no matching ID or SM-DP+ address yet"
	}
	return s + strings.TrimPrefix(e.cause.Error(), "travelroam: ")
}

func (e *assignmentsNotReadyError) Is(target error) bool { return target == ErrAssignmentsNotReady }

func (e *assignmentsNotReadyError) Unwrap() error { return e.cause }
