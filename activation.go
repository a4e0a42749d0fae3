package travelroam

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// appleInstallBase is Apple's universal link for installing an eSIM on an
// iPhone (iOS 17.4 and later) from its activation code.
const appleInstallBase = "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata="

// ActivationCode is an eSIM activation code as defined by GSMA SGP.22
// §4.1: what a QR code for an eSIM contains, e.g.
// "LPA:1$rsp.truphone.com$K2-1Z8QAB-3XYV7P".
//
// An activation code is a secret, like a password: whoever has it can
// install the eSIM. Its MatchingID is a [Secret], so the code prints
// redacted (every fmt verb, slog and JSON show the matching ID as
// "[redacted]"); [ActivationCode.LPA] gives the whole code, for a QR code.
//
// For manual entry on a phone, the SM-DP+ address is SMDPAddress and the
// activation code is MatchingID.Reveal().
type ActivationCode struct {
	// SMDPAddress is the SM-DP+ server's address, a host name such as
	// "rsp.truphone.com" (LPA drops any scheme and path).
	SMDPAddress string
	// MatchingID is the activation code token.
	MatchingID Secret
	// OID is the SM-DP+ server's object identifier; usually empty.
	OID string
	// ConfirmationRequired is true when the user must also type a
	// confirmation code (which is never part of the activation code).
	ConfirmationRequired bool
}

// LPA returns the whole activation code in SGP.22 form,
// "LPA:1$<SM-DP+ address>$<matching ID>", followed by "$<OID>" and
// "$1" only when OID is set or a confirmation code is required. This is
// the text to put in a QR code (see package qr). It is a secret: show it
// only to the eSIM's buyer, never log it.
func (a ActivationCode) LPA() string {
	var b strings.Builder
	b.WriteString("LPA:1$")
	b.WriteString(smdpHost(a.SMDPAddress))
	b.WriteByte('$')
	b.WriteString(a.MatchingID.Reveal())
	if a.OID != "" || a.ConfirmationRequired {
		b.WriteByte('$')
		b.WriteString(a.OID)
	}
	if a.ConfirmationRequired {
		b.WriteString("$1")
	}
	return b.String()
}

// AppleInstallURL returns Apple's one-tap installation link for the
// activation code (iOS 17.4 and later): opened on the iPhone, it starts
// the eSIM installation. Like the code itself, it is a secret.
func (a ActivationCode) AppleInstallURL() string {
	return appleInstallBase + url.QueryEscape(a.LPA())
}

// ParseActivationCode parses an activation code in SGP.22 form:
// "LPA:1$<SM-DP+ address>$<matching ID>[$<OID>[$1]]". The "LPA:" prefix
// is optional and matched without regard to case; the version must be 1;
// the address must not be empty (a scheme and path are dropped); the
// matching ID may be empty, as SGP.22 allows; the OID, when present, is
// digits and dots; the last field, when present, must be "1". No field may
// contain "$", white space (Unicode's included), control or invisible
// formatting characters, or bytes that are not UTF-8; the code after
// "LPA:" is at most 1024 bytes.
//
// Errors are [*ValidationError] values and never quote the input.
func ParseActivationCode(s string) (ActivationCode, error) {
	const op, field = labelActivationCode, "activation code"
	s = strings.TrimSpace(s)
	if len(s) >= 4 && strings.EqualFold(s[:4], "LPA:") {
		s = s[4:]
	}
	if len(s) > maxActivationCode {
		return ActivationCode{}, invalid(op, field, "longer than %d bytes", maxActivationCode)
	}
	fields := strings.Split(s, "$")
	switch {
	case len(fields) < 3:
		return ActivationCode{}, invalid(op, field, `want "LPA:1$<SM-DP+ address>$<matching ID>", got %d "$"-separated fields`, len(fields))
	case len(fields) > 5:
		return ActivationCode{}, invalid(op, field, `has %d "$"-separated fields, at most 5 allowed (is there a "$" inside a field?)`, len(fields))
	case fields[0] != "1":
		return ActivationCode{}, invalid(op, field, "unsupported format version: want 1")
	}
	ac := ActivationCode{SMDPAddress: smdpHost(fields[1]), MatchingID: Secret(fields[2])}
	if len(fields) >= 4 {
		ac.OID = fields[3]
	}
	if len(fields) == 5 {
		if fields[4] != "1" {
			return ActivationCode{}, invalid(op, field, `confirmation code flag must be "1" when present`)
		}
		ac.ConfirmationRequired = true
	}
	if err := ac.check(op, false); err != nil {
		return ActivationCode{}, err
	}
	return ac, nil
}

// newActivationCode builds the code of an eSIM from the server's data.
func newActivationCode(smdpAddress string, matchingID Secret) (ActivationCode, error) {
	ac := ActivationCode{SMDPAddress: smdpHost(smdpAddress), MatchingID: Secret(strings.TrimSpace(string(matchingID)))}
	if err := ac.check("activation code", true); err != nil {
		return ActivationCode{}, err
	}
	return ac, nil
}

// maxActivationCode is the longest activation code accepted, in bytes,
// without its "LPA:" prefix.
const maxActivationCode = 1024

// check validates the fields without quoting them. A code that passes
// prints (LPA) in a form that parses back to itself.
func (a ActivationCode) check(op string, needMatchingID bool) error {
	switch {
	case len(a.LPA())-len("LPA:") > maxActivationCode:
		return invalid(op, "activation code", "longer than %d bytes", maxActivationCode)
	case a.SMDPAddress == "":
		return invalid(op, "SM-DP+ address", "empty")
	case !plainField(a.SMDPAddress):
		return invalid(op, "SM-DP+ address", `contains "$", a space, a control character or bytes that are not UTF-8`)
	case needMatchingID && a.MatchingID == "":
		return invalid(op, "matching ID", "empty")
	case !plainField(a.MatchingID.Reveal()):
		return invalid(op, "matching ID", `contains "$", a space, a control character or bytes that are not UTF-8`)
	case strings.Trim(a.OID, "0123456789.") != "":
		return invalid(op, "OID", "must be digits and dots")
	}
	return nil
}

// plainField reports whether s can stand as one field of an activation
// code: UTF-8 without "$", white space, control characters or invisible
// formatting characters. Unicode white space matters as much as ASCII's:
// ParseActivationCode trims the code it is given, so a field ending in
// U+00A0 or U+0085 would not parse back to itself, and none of them
// belongs in a host name or a token a person may have to type.
func plainField(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == 0x7f || c == '$' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
		i += size
	}
	return true
}

// smdpHost reduces an SM-DP+ address to its host: it drops spaces
// around it, an http:// or https:// scheme, and any path, query or
// fragment.
func smdpHost(addr string) string {
	s := strings.TrimSpace(addr)
	for _, scheme := range [...]string{"https://", "http://"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			s = s[len(scheme):]
			break
		}
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	return s
}
