// Package redact is the one redactor of the SDK and the command line.
//
// For text a server sent, before the SDK puts it in an error string or a
// log line ([New], [Text], [Digits]), it removes the client's own
// credentials, eSIM activation codes (LPA:1$host$matchingId), matching
// IDs, PIN and PUK values and credentials after their labels, and
// ICCID-like digit runs (all but the last four digits). It works on free
// text, so it errs on the side of masking: a token that looks like a
// matching ID (three or more groups of upper-case letters and digits
// joined by dashes, such as K2-1Z8QAB-3XYV7P) is masked even where it was
// something else; UUIDs (order references) and times are kept.
//
// For recorded answers (travelroam doctor --record), a [Redactor] masks
// JSON, CSV and text by what each value is: by its key or column name in
// any spelling ([KeyKind]) and by its shape whatever the key, member
// names included, keeping the shape a decoder needs. [NewWriter] keeps
// the credentials out of a stream.
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
	// labelled is a matching ID, activation or confirmation code, PIN or
	// PUK after its label, in JSON ("pin":"1234"), a repr ({'pin':
	// '1234'}), a query (pin=1234) or prose (PIN: 1234, PIN '1234',
	// matching ID K2-…, activation_code=…).
	labelled = regexp.MustCompile(`(?i)(\b(?:matching[ _-]?id|activation[ _-]?code|confirmation[ _-]?code|pin[12]?(?:[ _-]?code)?|puk[12]?(?:[ _-]?code)?)\b["']?\s*[:=]?\s*["']?)([^\s"',;}<>&]+)`)
	// credential is an API key, secret, password or token after its
	// label and a ":" or "=" (not in prose: "invalid API key" stays).
	credential = regexp.MustCompile(`(?i)(\b(?:x-api-key|api[ _-]?key|client[ _-]?secret|secret|password|passwd|access[ _-]?token|token)\b["']?\s*[:=]\s*["']?)([^\s"',;}<>&]+)`)
	// member is a JSON member in text that is not (or no longer) a whole
	// JSON document, such as an answer cut short: "key": "value" (the
	// closing quote may be missing) or "key": number.
	member = regexp.MustCompile(`("((?:[^"\\\n]|\\.){1,64})"\s*:\s*)(?:"((?:[^"\\\n]|\\.)*)("?)|(-?[0-9][0-9.eE+-]*))`)
	// element is an XML or HTML element's text: <matchingId>…</…> (the
	// tag name says what it is).
	element = regexp.MustCompile(`(<([A-Za-z][A-Za-z0-9_:.-]{0,63})(?:\s[^<>]*)?>)([^<]+)`)
	// param is a parameter of a URL query or a form: ?matching_id=…&
	param = regexp.MustCompile(`([?&;]([A-Za-z][A-Za-z0-9_.-]{0,63})=)([^&;#\s"'<>]+)`)
	// matchingID is a token shaped like a matching ID.
	matchingID = regexp.MustCompile(`\b[A-Z0-9]{2,}(?:-[A-Z0-9]{2,}){2,}\b`)
	// wholeMatchingID is a whole value shaped like a matching ID, digits
	// or not (in structured data, where prose is not expected).
	wholeMatchingID = regexp.MustCompile(`^[A-Z0-9]{2,}(?:-[A-Z0-9]{2,}){2,}$`)
	// grouped is a long number written in groups (8944 5385 3201 2345
	// 678, or with dashes or dots), as an ICCID is often shown to people.
	grouped = regexp.MustCompile(`\b\d{2,}(?:[ .-]\d{2,}){2,}\b`)
	uuid    = regexp.MustCompile(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	// date is the start of an ISO 8601 time (2026-12-07T11), which
	// matchingID would take for a code.
	date  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d`)
	email = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
)

// style is how a found secret is written back.
type style int

const (
	// messageStyle is for error strings and logs: Mask in place of a
	// code, "…5678" for an ICCID.
	messageStyle style = iota
	// fixtureStyle is for recorded answers: the value keeps its shape
	// (maskCode, maskICCID) so that decoders still read it, and e-mail
	// addresses are replaced too.
	fixtureStyle
)

// New returns a func that redacts text, also masking each of the given
// credentials (those shorter than 8 bytes are ignored). A func, so that
// printing a value that holds it cannot show the credentials.
func New(credentials ...string) func(string) string {
	creds := longEnough(credentials)
	return func(s string) string {
		return scan(replaceAll(s, creds, Mask), messageStyle)
	}
}

// longEnough keeps the credentials of at least minSecret bytes.
func longEnough(credentials []string) []string {
	var out []string
	for _, c := range credentials {
		if len(c) >= minSecret {
			out = append(out, c)
		}
	}
	return out
}

// replaceAll replaces every occurrence of each secret in s by mask,
// whatever the case of its ASCII letters: a server may echo a key it
// upper- or lower-cased.
func replaceAll(s string, secrets []string, mask string) string {
	for _, c := range secrets {
		s = replaceFold(s, c, mask)
	}
	return s
}

// replaceFold replaces every occurrence of c in s by mask, comparing
// ASCII letters without regard to case.
func replaceFold(s, c, mask string) string {
	if c == "" || len(s) < len(c) {
		return s
	}
	ls, lc := asciiLower(s), asciiLower(c)
	if !strings.Contains(ls, lc) {
		return s
	}
	var b strings.Builder
	last := 0
	for {
		i := strings.Index(ls[last:], lc)
		if i < 0 {
			break
		}
		b.WriteString(s[last : last+i])
		b.WriteString(mask)
		last += i + len(c)
	}
	b.WriteString(s[last:])
	return b.String()
}

// asciiLower lower-cases the ASCII letters of s and nothing else, so that
// every byte keeps its offset.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Text redacts activation codes, labelled matching IDs, PINs, PUKs and
// credentials (after "key:" or "key="), tokens shaped like matching IDs,
// and ICCID-like digit runs (also written in groups of digits, 18 digits
// or more in all).
func Text(s string) string { return scan(s, messageStyle) }

// scan finds what looks secret in free text and writes it back in style
// st. It is idempotent: scanning its result changes nothing.
func scan(s string, st style) string {
	if st == fixtureStyle {
		s = email.ReplaceAllString(s, redactedEmail)
	}
	// Each pattern runs only where the text holds what it needs (a cheap
	// test): most text, such as an order's "Order completed: 1 eSIMs
	// assigned", holds none, and the regular expressions would cost a
	// purchase more than its decoding.
	if strings.ContainsAny(s, "$%") || containsFold(s, "lpa") {
		s = replaceLPA(s, st)
	}
	if strings.Contains(s, `"`) {
		s = replaceMembers(s, st)
	}
	if strings.Contains(s, "<") {
		s = replaceNamed(s, element, st)
	}
	if strings.Contains(s, "=") {
		s = replaceNamed(s, param, st)
	}
	if containsAnyFold(s, "matching", "activation", "confirmation", "pin", "puk") {
		s = replaceLabelled(s, labelled, st, KindCode)
	}
	if strings.ContainsAny(s, ":=") && containsAnyFold(s, "key", "secret", "passw", "token") {
		s = replaceLabelled(s, credential, st, KindCredential)
	}
	digits := countDigits(s)
	if digits > 0 && strings.Contains(s, "-") {
		s = replaceMatchingIDs(s, st)
	}
	if digits >= minICCID {
		s = replaceGrouped(s, st)
	}
	if st == fixtureStyle {
		return digitRuns(s, minICCID, maskDigitRun)
	}
	return Digits(s)
}

// replaceLPA masks activation codes (LPA:1$…$…).
func replaceLPA(s string, st style) string {
	return replaceFunc(lpa, s, func(m string) string {
		if st == fixtureStyle {
			if masked, ok := maskLPA(m); ok {
				return masked
			}
			return maskCode(m)
		}
		return Mask
	})
}

// replaceMatchingIDs masks tokens shaped like matching IDs that hold a
// digit.
func replaceMatchingIDs(s string, st style) string {
	return replaceFunc(matchingID, s, func(m string) string {
		if uuid.MatchString(m) || date.MatchString(m) || !strings.ContainsAny(m, "0123456789") || strings.Trim(m, "0123456789-") == "" {
			return m // a UUID, a time, a code of letters only, or a number with dashes
		}
		if st == fixtureStyle {
			return maskCode(m)
		}
		return Mask
	})
}

// replaceGrouped masks long numbers written in groups, 18 digits or more
// in all.
func replaceGrouped(s string, st style) string {
	return replaceFunc(grouped, s, func(m string) string {
		digits := strings.NewReplacer(" ", "", "-", "", ".", "").Replace(m)
		switch {
		case len(digits) < 18:
			return m // a phone number or a date, not an ICCID
		case st == fixtureStyle:
			return maskICCID(m)
		}
		return "…" + digits[len(digits)-4:]
	})
}

// countDigits counts the ASCII digits in s.
func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			n++
		}
	}
	return n
}

// containsFold reports whether s holds sub (lower-case ASCII letters),
// compared without case.
func containsFold(s, sub string) bool {
	first := sub[0]
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i]|0x20 == first && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// containsAnyFold reports whether s holds one of subs (containsFold).
func containsAnyFold(s string, subs ...string) bool {
	for _, sub := range subs {
		if containsFold(s, sub) {
			return true
		}
	}
	return false
}

// replaceMembers masks the values of JSON members found in text whose
// key says they are sensitive ([KeyKind]).
func replaceMembers(s string, st style) string {
	if !strings.Contains(s, `"`) {
		return s
	}
	return replaceFunc(member, s, func(m string) string {
		sub := member.FindStringSubmatch(m)
		k := KeyKind(sub[2])
		inner, closing, number := sub[3], sub[4], sub[5]
		switch {
		case k == KindNone || inner == Mask || number == "" && inner == "":
			return m
		case number != "" && st == messageStyle:
			return sub[1] + Mask
		case number != "":
			return sub[1] + maskNumber(k, number)
		case st == messageStyle:
			return sub[1] + `"` + Mask + closing
		}
		return sub[1] + `"` + maskKind(k, inner) + closing
	})
}

// replaceNamed masks the value (third group) of each match of re whose
// name (second group) says it is sensitive ([KeyKind]); the first group
// is kept.
func replaceNamed(s string, re *regexp.Regexp, st style) string {
	return replaceFunc(re, s, func(m string) string {
		sub := re.FindStringSubmatch(m)
		k := KeyKind(sub[2])
		switch {
		case k == KindNone || sub[3] == Mask || strings.TrimSpace(sub[3]) == "":
			return m
		case st == messageStyle:
			return sub[1] + Mask
		}
		return sub[1] + maskKind(k, sub[3])
	})
}

// replaceLabelled masks the value (second group) after each label (first
// group) that re matches, as a value of kind k.
func replaceLabelled(s string, re *regexp.Regexp, st style, k Kind) string {
	return replaceFunc(re, s, func(m string) string {
		sub := re.FindStringSubmatch(m)
		switch {
		case sub[2] == Mask:
			return m
		case !strings.ContainsAny(sub[1], `:="'`) && !strings.ContainsAny(sub[2], "0123456789"):
			return m // prose: "PIN Code", "matching ID missing"
		case st == messageStyle:
			return sub[1] + Mask
		}
		return sub[1] + maskKind(k, sub[2])
	})
}

// Digits masks every run of 12 or more digits in s (ICCIDs and similar
// identifiers a server may echo in a message), keeping the last four.
func Digits(s string) string {
	return digitRuns(s, 12, func(run string) string { return "…" + run[len(run)-4:] })
}

// minICCID is the fewest digits of an ICCID (ITU-T E.118: 18 to 22 with
// the check digit). Fixtures mask digit runs from this length: shorter
// ones are times in milliseconds (13 digits), amounts and order numbers
// that a fixture should keep. Messages mask from 12 digits (Digits).
const minICCID = 18

// digitRuns replaces every run of minLen or more ASCII digits in s by
// mask(run).
func digitRuns(s string, minLen int, mask func(run string) string) string {
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j-i >= minLen {
			if !changed {
				b.Grow(len(s))
				b.WriteString(s[:i])
				changed = true
			}
			b.WriteString(mask(s[i:j]))
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

// replaceFunc is re.ReplaceAllStringFunc that returns s itself, without
// a copy, when re matches nothing in it: most text holds no secret, and a
// purchase's answer passes through here (an order's status message).
func replaceFunc(re *regexp.Regexp, s string, f func(string) string) string {
	if !re.MatchString(s) {
		return s
	}
	return re.ReplaceAllStringFunc(s, f)
}
