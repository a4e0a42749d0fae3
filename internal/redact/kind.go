package redact

import (
	"slices"
	"strings"
)

// Kind is what a value is, as far as redaction goes: it decides how the
// value is masked.
type Kind int

// Kinds of values. KindNone values are still searched for things that
// look like secrets (see [Redactor]).
const (
	KindNone Kind = iota
	// KindICCID is an eSIM's ICCID: all but its first two and last four
	// digits are zeroed (other characters become X).
	KindICCID
	// KindCode is activation data: a matching ID, an activation code
	// (LPA:1$host$id keeps "LPA:1$host$"), a confirmation code, an SM-DP+
	// address, a QR code or an install link's carddata: letters become
	// X and digits 0, separators are kept.
	KindCode
	// KindPIN is a PIN or PUK: digits become 0 (letters X).
	KindPIN
	// KindDevice is a device identifier (IMEI, EID, IMSI): as KindPIN.
	KindDevice
	// KindCredential is an API key, a client secret, a token, a password
	// or a signature: replaced by REDACTED.
	KindCredential
	// KindName is a person's name or another personal field: replaced by
	// REDACTED.
	KindName
	// KindEmail is an e-mail address: replaced by redacted@example.com.
	KindEmail
	// KindPhone is a phone number: replaced by +10000000000.
	KindPhone
	// KindURL is a callback URL: replaced by
	// https://callback.example/REDACTED.
	KindURL
)

// Replacements of whole values.
const (
	redacted      = "REDACTED"
	redactedEmail = "redacted@example.com"
	redactedPhone = "+10000000000"
	redactedURL   = "https://callback.example/REDACTED"
)

// NormalKey is a key or column name reduced for matching: lower case,
// letters and digits only, so that matchingId, matching_id, Matching-ID,
// "Matching ID" and MATCHINGID are one name.
func NormalKey(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			b.WriteByte(c)
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	return b.String()
}

// KeyKind is the kind of the values under a JSON key or a CSV column
// named name, in any spelling (see [NormalKey]); KindNone when the name
// says nothing.
func KeyKind(name string) Kind {
	k := NormalKey(name)
	if k == "" {
		return KindNone
	}
	for _, r := range keyRules {
		if r.matches(k) {
			return r.kind
		}
	}
	return KindNone
}

// keyRule says which normalised names hold values of a kind: equal to,
// containing, starting or ending with one of its words.
type keyRule struct {
	kind                                Kind
	exact, contains, prefixes, suffixes []string
}

func (r keyRule) matches(k string) bool {
	return slices.Contains(r.exact, k) || containsAny(k, r.contains...) ||
		slices.ContainsFunc(r.prefixes, func(p string) bool { return strings.HasPrefix(k, p) }) ||
		slices.ContainsFunc(r.suffixes, func(p string) bool { return strings.HasSuffix(k, p) })
}

// keyRules, first match wins: "iccid" anywhere is an ICCID, the matching
// ID, activation and confirmation codes, SM-DP+ address (the CSV's "RSP
// URL"), LPA strings, QR codes and carddata are activation data; pin,
// puk, pin1, pukCode, esimPin… are PINs.
var keyRules = [...]keyRule{
	{kind: KindICCID, contains: []string{"iccid"}},
	{kind: KindCode, contains: []string{"matchingid", "activationcode", "confirmationcode", "carddata", "qrcode", "smdp", "rspurl"},
		prefixes: []string{"lpa", "qr"}, suffixes: []string{"qr"}},
	{kind: KindPIN, exact: []string{"pincode", "pukcode", "pin1code", "pin2code", "puk1code", "puk2code"},
		suffixes: []string{"pin", "puk", "pin1", "pin2", "puk1", "puk2"}},
	{kind: KindDevice, exact: []string{"eid"}, suffixes: []string{"imei", "imsi"}},
	{kind: KindCredential, contains: []string{"apikey", "secret", "password", "passwd", "token", "authorization", "signingkey",
		"privatekey", "accesskey", "signature", "cookie", "credential"}},
	{kind: KindEmail, contains: []string{"email"}},
	{kind: KindPhone, exact: []string{"mobile", "msisdn", "tel"}, contains: []string{"phone"}},
	{kind: KindURL, exact: []string{"callback", "webhook"}, suffixes: []string{"callbackurl", "webhookurl"}},
	{kind: KindName, contains: []string{"firstname", "lastname", "fullname", "surname", "username", "contactname", "customername", "customerref"}},
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// maskKind masks a string value of kind k (not KindNone); an empty value
// stays empty.
func maskKind(k Kind, s string) string {
	if s == "" {
		return s
	}
	switch k {
	case KindICCID:
		return maskICCID(s)
	case KindCode:
		if m, ok := maskLPA(s); ok {
			return m
		}
		if i := strings.Index(s, "://"); i > 0 && i <= len("https") {
			return s[:i+3] + maskCode(s[i+3:]) // an SM-DP+ URL keeps its scheme
		}
		return maskCode(s)
	case KindPIN, KindDevice:
		return maskCode(s)
	case KindEmail:
		return redactedEmail
	case KindPhone:
		return redactedPhone
	case KindURL:
		return redactedURL
	}
	return redacted
}

// maskICCID keeps the first two and the last four digits of an ICCID and
// zeroes the others; other characters but dashes, dots and spaces become X
// (only digits and separators are kept from a value that is not an
// ICCID). A value of fewer than 8 bytes is zeroed whole.
func maskICCID(s string) string {
	b := []byte(s)
	if len(b) < 8 {
		for i := range b {
			b[i] = '0'
		}
		return string(b)
	}
	for i := 2; i < len(b)-4; i++ {
		if b[i] >= '0' && b[i] <= '9' {
			b[i] = '0'
		} else if b[i] != '-' && b[i] != ' ' && b[i] != '.' {
			b[i] = 'X'
		}
	}
	for _, i := range [...]int{0, 1, len(b) - 4, len(b) - 3, len(b) - 2, len(b) - 1} {
		if b[i] >= 0x80 || !(b[i] >= '0' && b[i] <= '9' || b[i] == '-' || b[i] == ' ' || b[i] == '.') {
			b[i] = 'X'
		}
	}
	return string(b)
}

// maskCode replaces ASCII letters by X and digits by 0, and any other
// byte but ASCII punctuation and spaces by X, so that a matching ID keeps
// its shape ("XX-XXXXXX-0XXXXX").
func maskCode(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			b[i] = '0'
		case c >= 0x80 || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			b[i] = 'X'
		}
	}
	return string(b)
}

// maskLPA masks an activation code ("LPA:1$host$id…", also without
// "LPA:" and percent-encoded), keeping "LPA:1$host$" and masking the rest
// with maskCode. ok is false when s is not one.
func maskLPA(s string) (string, bool) {
	rest := s
	for _, p := range [...]string{"lpa:", "lpa%3a"} {
		if len(rest) >= len(p) && strings.EqualFold(rest[:len(p)], p) {
			rest = rest[len(p):]
			break
		}
	}
	if !strings.HasPrefix(rest, "1") {
		return "", false
	}
	rest = rest[1:]
	sep := sepAt(rest)
	if sep == "" {
		return "", false
	}
	rest = rest[len(sep):]
	for i := 0; i < len(rest); i++ {
		if sep := sepAt(rest[i:]); sep != "" {
			keep := len(s) - len(rest) + i + len(sep)
			return s[:keep] + maskCode(s[keep:]), true
		}
	}
	return "", false
}

// sepAt returns the separator of an activation code at the start of s:
// "$", "%24" (any case) or "".
func sepAt(s string) string {
	switch {
	case strings.HasPrefix(s, "$"):
		return "$"
	case len(s) >= 3 && strings.EqualFold(s[:3], "%24"):
		return s[:3]
	}
	return ""
}

// maskDigitRun masks one run of digits as long as an ICCID's: the
// first two and the last four are kept, the others zeroed, so that the
// length and the digits' meaning for a decoder stay.
func maskDigitRun(run string) string {
	b := []byte(run)
	for i := 2; i < len(b)-4; i++ {
		b[i] = '0'
	}
	return string(b)
}

// maskNumber masks a JSON number under a key of kind k: ICCIDs as
// maskDigitRun; other kinds have every digit zeroed, but for the first
// of a multi-digit integer part (1), so that the number stays valid JSON.
func maskNumber(k Kind, n string) string {
	b := []byte(n)
	first := true
	for i := 0; i < len(b); {
		if b[i] < '0' || b[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		switch {
		case k == KindICCID && j-i >= 8:
			copy(b[i:j], maskDigitRun(string(b[i:j])))
		default:
			for x := i; x < j; x++ {
				b[x] = '0'
			}
			if first && j-i > 1 {
				b[i] = '1'
			}
		}
		first = false
		i = j
	}
	return string(b)
}
