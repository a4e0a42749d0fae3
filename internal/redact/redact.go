// Package redact removes secrets from text a server sent, before the SDK
// puts it in an error string or a log line: the client's own credentials,
// eSIM activation codes (LPA:1$host$matchingId), matching IDs, PIN and
// PUK values, and ICCID-like digit runs (all but the last four digits).
//
// It works on free text, so it errs on the side of masking: a token that
// looks like a matching ID (three or more groups of upper-case letters and
// digits joined by dashes, such as K2-1Z8QAB-3XYV7P) is masked even where
// it was something else; UUIDs (order references) are kept.
package redact

import (
	"regexp"
	"strings"
)

// Mask replaces a removed secret.
const Mask = "[redacted]"

// minSecret is the shortest credential masked: a shorter one would match
// ordinary words.
const minSecret = 8

var (
	// lpa is an activation code, with or without its "LPA:" prefix, also
	// percent-encoded as in an iPhone install link (LPA%3A1%24host%24id),
	// up to the end of a URL parameter.
	lpa = regexp.MustCompile(`(?i)\b(?:LPA(?::|%3A))?1(?:\$|%24)[^\s$%"'<>]+(?:\$|%24)[^\s"'<>,;&]+|\bLPA(?::|%3A)[^\s"'<>,;&]+`)
	// labelled is a matching ID, activation code, PIN or PUK after its
	// label, in JSON ("pin":"1234"), a repr ({'pin': '1234'}), a query
	// (pin=1234) or prose (PIN: 1234, PIN '1234', matching ID K2-…).
	labelled = regexp.MustCompile(`(?i)(\b(?:matching[ _-]?id|activation[ _-]?code|pin[12]?|puk[12]?)\b["']?\s*[:=]?\s*["']?)([^\s"',;}<>]+)`)
	// matchingID is a token shaped like a matching ID.
	matchingID = regexp.MustCompile(`\b[A-Z0-9]{2,}(?:-[A-Z0-9]{2,}){2,}\b`)
	// grouped is a long number written in groups (8944 5385 3201 2345
	// 678, or with dashes), as an ICCID is often shown to people.
	grouped = regexp.MustCompile(`\b\d{2,}(?:[ -]\d{2,}){2,}\b`)
	uuid    = regexp.MustCompile(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
)

// New returns a func that redacts text, also masking each of the given
// credentials (those shorter than 8 bytes are ignored). A func, so that
// printing a value that holds it cannot show the credentials.
func New(credentials ...string) func(string) string {
	var creds []string
	for _, c := range credentials {
		if len(c) >= minSecret {
			creds = append(creds, c)
		}
	}
	return func(s string) string {
		for _, c := range creds {
			if strings.Contains(s, c) {
				s = strings.ReplaceAll(s, c, Mask)
			}
		}
		return Text(s)
	}
}

// Text redacts activation codes, labelled matching IDs, PINs and PUKs,
// tokens shaped like matching IDs, and ICCID-like digit runs (also
// written in groups of digits, 18 digits or more in all).
func Text(s string) string {
	s = lpa.ReplaceAllString(s, Mask)
	s = labelled.ReplaceAllStringFunc(s, func(m string) string {
		sub := labelled.FindStringSubmatch(m)
		if sub[2] == Mask {
			return m
		}
		return sub[1] + Mask
	})
	s = matchingID.ReplaceAllStringFunc(s, func(m string) string {
		if uuid.MatchString(m) || !strings.ContainsAny(m, "0123456789") || strings.Trim(m, "0123456789-") == "" {
			return m // a UUID, a code of letters only, or a number with dashes
		}
		return Mask
	})
	s = grouped.ReplaceAllStringFunc(s, func(m string) string {
		digits := strings.NewReplacer(" ", "", "-", "").Replace(m)
		if len(digits) < 18 {
			return m // a phone number or a date, not an ICCID
		}
		return "…" + digits[len(digits)-4:]
	})
	return Digits(s)
}

// Digits masks every run of 12 or more digits in s (ICCIDs and similar
// identifiers a server may echo in a message), keeping the last four.
func Digits(s string) string {
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j-i >= 12 {
			if !changed {
				b.Grow(len(s))
				b.WriteString(s[:i])
				changed = true
			}
			b.WriteString("…" + s[j-4:j])
			i = j
			continue
		}
		if j == i {
			j++
		}
		if changed {
			b.WriteString(s[i:j])
		}
		i = j
	}
	if !changed {
		return s
	}
	return b.String()
}
