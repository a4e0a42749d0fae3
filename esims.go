package travelroam

import (
	"context"
	"fmt"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/roamkit/travelroam/internal/envelope"
	"github.com/roamkit/travelroam/internal/lenient"
)

// ProfileStatus is the state of an eSIM profile as Travel Roam reports it,
// as documented by eSIM Go (whose answers Travel Roam passes through). The
// known values, normalised to this spelling whatever their case (a value
// the SDK does not know is kept as sent), so that e.ProfileStatus ==
// "Installed" holds for "INSTALLED" too:
//
//   - "Released": ready to install, not installed. If the eSIM has a first
//     installation time, it was installed and later removed.
//   - "Downloaded": downloaded to a device, not yet installed.
//   - "Installed": installed on a device.
//   - "Enabled": installed and switched on.
//   - "Disabled": installed and switched off.
//   - "Deleted": deleted from the device.
//   - "Confirmed": reserved for download.
//   - "Unavailable": withdrawn; the eSIM must be reissued.
//   - "Error": installation failed repeatedly.
//   - "Deactivated": the eSIM was deactivated (eSIM Go v2.5); see also
//     [ESIM.State].
type ProfileStatus string

var knownProfileStatuses = [...]ProfileStatus{
	"Released", "Downloaded", "Installed", "Enabled", "Disabled",
	"Deleted", "Confirmed", "Unavailable", "Error", "Deactivated",
}

// ESIMState is the service state of an eSIM as eSIM Go v2.5 reports it
// ([ESIM.State]): whether it may use the network, apart from its
// profile's installation ([ProfileStatus]). It is empty when the answer
// does not say (API versions before v2.5). The known values, normalised
// to this spelling whatever their case (a value the SDK does not know is
// kept as sent):
//
//   - "Active": the eSIM is in service.
//   - "Suspended": network service is disabled for now (by the reseller,
//     or by the provider for a breach of its fair use policy); the eSIM
//     and its bundles are kept and it can be unsuspended.
//   - "Deactivated": the eSIM is out of service for good.
type ESIMState string

var knownESIMStates = [...]ESIMState{"Active", "Suspended", "Deactivated"}

// Known reports whether s is one of the known values listed on
// [ESIMState].
func (s ESIMState) Known() bool {
	for _, k := range knownESIMStates {
		if s == k {
			return true
		}
	}
	return false
}

func normaliseESIMState(s string) ESIMState {
	for _, k := range knownESIMStates {
		if strings.EqualFold(s, string(k)) {
			return k
		}
	}
	return ESIMState(s)
}

func normaliseProfileStatus(s string) ProfileStatus {
	for _, k := range knownProfileStatuses {
		if strings.EqualFold(s, string(k)) {
			return k
		}
	}
	return ProfileStatus(s)
}

// ESIM is the state of one eSIM ([Client.ESIM]).
//
// MatchingID, PIN, PUK, the installation links and PhoneNumber are held
// in a [Secret], which prints masked (every fmt verb, slog, JSON), and
// the ICCID in an [ICCID], which prints its last four digits, so that
// printing or logging an ESIM by mistake leaks nothing; [Secret.Reveal]
// reads a secret.
type ESIM struct {
	// ICCID identifies the eSIM (18 to 22 digits).
	ICCID ICCID `json:"iccid"`
	// MatchingID is the activation code token. Treat it as a password.
	MatchingID Secret `json:"matchingId"`
	// SMDPAddress is the SM-DP+ server the profile is downloaded from.
	SMDPAddress string `json:"smdpAddress"`
	// ProfileStatus is the state of the profile, e.g. "Installed".
	ProfileStatus ProfileStatus `json:"profileStatus"`
	// PIN and PUK are the SIM codes, when sent.
	PIN Secret `json:"pin"`
	PUK Secret `json:"puk"`
	// FirstInstalledAt is when the profile was first installed; zero when
	// never (or when sent in a form the SDK does not know).
	FirstInstalledAt time.Time `json:"firstInstalledDateTime"`
	// CustomerRef is your own reference for the eSIM, if one was set.
	CustomerRef string `json:"customerRef"`
	// AppleInstallURL is the server's iPhone installation link, when it
	// sends one. [ESIM.ActivationCode] builds one locally in any case.
	AppleInstallURL Secret `json:"appleInstallUrl"`
	// State is the eSIM's service state (eSIM Go v2.5), e.g.
	// "Suspended"; empty when the answer does not say.
	State ESIMState `json:"state"`
	// AndroidInstallURL is the server's Android quick-install link, when
	// it sends one (eSIM Go v2.5). It embeds the activation code: treat it
	// as a secret, like the Apple link.
	AndroidInstallURL Secret `json:"androidInstallUrl"`
	// PhoneNumber is the eSIM's phone number, for eSIMs with SMS or voice
	// (eSIM Go v2.5), as sent; empty otherwise. It is a personal datum,
	// held as a [Secret].
	PhoneNumber Secret `json:"phoneNumber"`
}

// esimFields is ESIM without its methods, for the JSON v2 engine to
// decode field by field under the SDK's lenient rules (package lenient).
type esimFields ESIM

// UnmarshalJSON decodes an eSIM under the SDK's lenient rules: the ICCID
// may be a number, firstInstalledDateTime milliseconds (a number or a
// string) or RFC 3339. A value outside the rules is an error that names
// its field and does not quote the value.
func (e *ESIM) UnmarshalJSON(b []byte) error { return lenient.UnmarshalFrom(b, e) }

// UnmarshalJSONFrom is UnmarshalJSON for the JSON v2 engine.
func (e *ESIM) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	var v struct {
		esimFields
		RSPURL string `json:"rspUrl"`
		Bundle string `json:"bundle"`
		MSISDN string `json:"msisdn"`
	}
	err := unmarshalIn(dec, &v)
	*e = ESIM(v.esimFields)
	e.tidy(v.MSISDN)
	return err
}

// tidy removes the white space around the strings and normalises the
// statuses; msisdn stands in for a missing phone number.
func (e *ESIM) tidy(msisdn string) {
	e.ICCID = ICCID(strings.TrimSpace(string(e.ICCID)))
	e.SMDPAddress, e.CustomerRef = strings.TrimSpace(e.SMDPAddress), strings.TrimSpace(e.CustomerRef)
	for _, s := range []*Secret{&e.MatchingID, &e.PIN, &e.PUK, &e.AppleInstallURL, &e.AndroidInstallURL, &e.PhoneNumber} {
		*s = trimSecret(*s)
	}
	e.ProfileStatus = normaliseProfileStatus(strings.TrimSpace(string(e.ProfileStatus)))
	e.State = normaliseESIMState(strings.TrimSpace(string(e.State)))
	if e.PhoneNumber == "" {
		e.PhoneNumber = Secret(strings.TrimSpace(msisdn))
	}
}

// ActivationCode returns the eSIM's activation code (for a QR code or the
// iPhone link). It fails when the SM-DP+ address or the matching ID is
// missing or malformed.
func (e ESIM) ActivationCode() (ActivationCode, error) {
	return newActivationCode(e.SMDPAddress, e.MatchingID)
}

// ESIM returns the state of the eSIM with the given ICCID: its profile
// status, installation time and installation data. Call it when you need
// it; Travel Roam asks not to poll it or store the result.
//
// An unknown ICCID, or one that is not yours, gives an error matching
// [ErrNotFound] (a 404, a 400 saying "not found", or a 200 without an
// eSIM) or [ErrUnauthorized] (a 403).
func (c *Client) ESIM(ctx context.Context, iccid ICCID, opts ...CallOption) (*ESIM, error) {
	if err := checkICCID(OpESIMDetails.label(), iccid); err != nil {
		return nil, err
	}
	r := c.newRequest(OpESIMDetails, iccidBody(iccid))
	ctx, cancel, err := prepareCall(ctx, &r, OpESIMDetails.label(), kindsRead, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	e, err := readInPlace(ctx, c, r, decodeESIM)
	if err != nil {
		return nil, err
	}
	if e.ICCID == "" {
		return nil, fmt.Errorf("travelroam: %s %s: the answer carries no eSIM: %w", r.method, r.route, ErrNotFound)
	}
	return e, nil
}

// iccidBody is the body of a call about one eSIM: the whole ICCID, as a
// string (an ICCID would marshal masked).
func iccidBody(iccid ICCID) map[string]string { return map[string]string{"iccid": string(iccid)} }

// decodeESIM accepts a flat object, {"data": …} or {"esim": …}, or a list
// of one.
func decodeESIM(b []byte, rules jsonv2.Options) (*ESIM, error) {
	obj, err := envelope.ObjectOrFirst(envelope.Unwrap(b, "data", "esim"))
	if err != nil {
		return nil, err
	}
	var e ESIM
	if err := lenient.Unmarshal(obj, &e, rules); err != nil {
		return nil, err
	}
	return &e, nil
}

// Location is the network an eSIM was last seen on ([Client.Location]).
type Location struct {
	// MobileNetworkCode is the network's code as sent: a TADIG-style
	// operator code such as "FRAF1" in eSIM Go's answers. Keep it opaque.
	MobileNetworkCode string `json:"mobileNetworkCode"`
	// NetworkName is the operator's legal name.
	NetworkName string `json:"networkName"`
	// NetworkBrandName is the operator's brand, e.g. "Turkcell".
	NetworkBrandName string `json:"networkBrandName"`
	// Country is the country as sent: an ISO 3166-1 alpha-2 code such as
	// "TR" in the answers seen.
	Country string `json:"country"`
	// LastSeen is when the eSIM was last seen; zero when not sent.
	LastSeen time.Time `json:"lastSeen"`
}

// locationFields is Location without its methods, for the JSON v2
// engine to decode field by field.
type locationFields Location

// UnmarshalJSON decodes a location under the SDK's lenient rules (the
// network code may be a number, lastSeen milliseconds or RFC 3339).
func (l *Location) UnmarshalJSON(b []byte) error { return lenient.UnmarshalFrom(b, l) }

// UnmarshalJSONFrom is UnmarshalJSON for the JSON v2 engine.
func (l *Location) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*l = Location{}
	return unmarshalIn(dec, (*locationFields)(l))
}

// Location returns the network the eSIM with the given ICCID was last seen
// on. Call it on demand; Travel Roam asks not to poll it or store the
// result. An eSIM that never attached to a network usually gives a 4xx
// [*APIError].
func (c *Client) Location(ctx context.Context, iccid ICCID, opts ...CallOption) (*Location, error) {
	if err := checkICCID(OpLocation.label(), iccid); err != nil {
		return nil, err
	}
	r := c.newRequest(OpLocation, iccidBody(iccid))
	ctx, cancel, err := prepareCall(ctx, &r, OpLocation.label(), kindsRead, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	return readInPlace(ctx, c, r, decodeLocation)
}

// decodeLocation accepts a flat object, {"data": …} or {"location": …}.
func decodeLocation(b []byte, rules jsonv2.Options) (*Location, error) {
	obj, err := envelope.ObjectOrFirst(envelope.Unwrap(b, "data", "location"))
	if err != nil {
		return nil, err
	}
	var l Location
	if err := lenient.Unmarshal(obj, &l, rules); err != nil {
		return nil, err
	}
	return &l, nil
}

// RevokeESIM revokes the eSIM with the given ICCID from your account. It is
// destructive and irreversible: the eSIM and all its bundles are gone at
// once, and you can no longer query or top it up. Whether any money comes
// back to the wallet is Travel Roam's decision.
//
// Like a purchase, a revoke is never re-sent once its bytes may have
// reached the server; it is re-sent (at most twice) only when the
// connection provably failed before anything was sent. The results:
//   - nil: Travel Roam answered 2xx, the eSIM is revoked;
//   - [*OutcomeUnknownError]: the request may
//     have been carried out, but no clear answer came back (a timeout or a
//     reset after sending, a 408 or a 5xx other than 503, or ctx ending while the
//     request was out). Check with [Client.ESIM] (a revoked eSIM is no
//     longer found) before revoking again;
//   - [*APIError]: any other status, e.g. 400 "ICCID not found" (matching
//     [ErrNotFound]) or 403 (matching [ErrUnauthorized]); nothing was
//     revoked;
//   - another error: nothing was sent (a bad ICCID, a
//     [*ValidationError], a refused connection, or ctx ended first).
//
// The route is the contract's best guess, POST /esims/revoke; change it
// with [WithRoute] and [OpRevokeESIM].
func (c *Client) RevokeESIM(ctx context.Context, iccid ICCID, opts ...CallOption) error {
	op := OpRevokeESIM.label()
	if err := checkICCID(op, iccid); err != nil {
		return err
	}
	r := c.newRequest(OpRevokeESIM, iccidBody(iccid))
	ctx, cancel, err := prepareCall(ctx, &r, op, kindsRevoke, opts)
	if err != nil {
		return err
	}
	defer cancel()
	ctx, r.call = c.startCall(ctx, c.routes[OpRevokeESIM].call, r)
	_, err = writeCall{op: op, iccid: iccid}.settle(r, c.write(ctx, r))
	r.call.end(err)
	return err
}
