package redact

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/url"
	"strings"
)

// Redactor masks recorded answers (doctor --record's fixtures) by what
// each value is, not only by the spelling of its key:
//
//   - a value under a sensitive key or CSV column, in any spelling
//     ([KeyKind]: matching_id, Matching ID, activationCode, sm-dp+,
//     PIN1, esimPin, apiKey, X-API-KEY, …), is masked as its [Kind];
//   - any other string (a value, a CSV cell, an object's member name) is
//     searched like free text: activation codes, labelled codes, PINs and
//     credentials, tokens shaped like matching IDs (a whole value with or
//     without digits), ICCID-like digit runs (18 digits or more, also in
//     groups: shorter numbers such as times in milliseconds are kept),
//     e-mail addresses, and the credentials given to
//     [NewRedactor] (also URL- and JSON-escaped);
//   - a JSON number of 18 digits or more is masked like an ICCID.
//
// Masks keep the value's shape where a decoder cares: an ICCID keeps its
// length, first two and last four digits; a matching ID its separators
// ("XX-XXXXXX-0XXXXX"); an activation code its "LPA:1$host$"; a PIN its
// length. Redacting a redacted body changes nothing.
type Redactor struct {
	credentials []string
	names       map[string]bool // more keys whose values are KindName
}

// NewRedactor returns a Redactor that also replaces every occurrence of
// the given credentials (those shorter than 8 bytes are ignored), as they
// are and URL- or JSON-escaped.
func NewRedactor(credentials ...string) *Redactor {
	r := &Redactor{}
	for _, c := range longEnough(credentials) {
		r.credentials = append(r.credentials, c)
		for _, form := range escapedForms(c) {
			if form != c {
				r.credentials = append(r.credentials, form)
			}
		}
	}
	return r
}

// escapedForms are the forms a credential takes inside a URL or a JSON
// string.
func escapedForms(c string) []string {
	j, _ := json.Marshal(c)
	return []string{url.QueryEscape(c), url.PathEscape(c), string(j[1 : len(j)-1])}
}

// WithNames returns a copy of r that also replaces the values of the
// given keys (in any spelling) as personal data, e.g. an organisation's
// name and address.
func (r *Redactor) WithNames(keys ...string) *Redactor {
	c := &Redactor{credentials: r.credentials, names: map[string]bool{}}
	for k := range r.names {
		c.names[k] = true
	}
	for _, k := range keys {
		c.names[NormalKey(k)] = true
	}
	return c
}

// kind is the kind of the values under key.
func (r *Redactor) kind(key string) Kind {
	if k := KeyKind(key); k != KindNone {
		return k
	}
	if r.names[NormalKey(key)] {
		return KindName
	}
	return KindNone
}

// Format is the format a body was redacted as, also the extension of its
// fixture file.
type Format string

// Formats of [Redactor.Body].
const (
	FormatJSON Format = "json"
	FormatCSV  Format = "csv"
	FormatText Format = "txt"
)

// Body redacts an answer whatever its format: JSON (indented, members in
// their order, numbers as sent), else CSV when the content type says so
// or the body is a table of two or more columns and rows, else text.
func (r *Redactor) Body(contentType string, body []byte) ([]byte, Format) {
	if out, err := r.JSON(body); err == nil {
		return out, FormatJSON
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	declared := mt == "text/csv" || mt == "application/csv" || mt == "text/comma-separated-values"
	if rows, ok := parseCSV(body, !declared); ok {
		return r.csv(body, rows), FormatCSV
	}
	return []byte(r.Text(string(body))), FormatText
}

// Text redacts free text (an HTML page, a message, a body cut short).
func (r *Redactor) Text(s string) string {
	return scan(replaceAll(s, r.credentials, redacted), fixtureStyle)
}

// value redacts a string that no key classifies: a value, a cell, a
// member name.
func (r *Redactor) value(s string) string {
	s = r.Text(s)
	if t := strings.TrimSpace(s); wholeMatchingID.MatchString(t) && !uuid.MatchString(t) && strings.Trim(t, "0123456789-") != "" {
		s = maskCode(s)
	}
	return s
}

// masked redacts a string of kind k (KindNone: see value).
func (r *Redactor) masked(k Kind, s string) string {
	if k == KindNone {
		return r.value(s)
	}
	return maskKind(k, s)
}

// JSON redacts a JSON document; the error is the parser's when body is
// not one JSON value.
func (r *Redactor) JSON(body []byte) ([]byte, error) {
	n, err := parseOrdered(body)
	if err != nil {
		return nil, err
	}
	r.node(n, KindNone)
	var b bytes.Buffer
	n.write(&b, "")
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// node redacts n, a value of kind k (that of the key it is under, or of
// an enclosing key: the elements of "iccids" are ICCIDs, every string in
// a "qrCode" object is activation data).
func (r *Redactor) node(n *jnode, k Kind) {
	switch n.kind {
	case '{':
		for i, e := range n.elems {
			// The kind comes from the redacted name, so that redacting
			// again finds the same kind.
			n.keys[i] = r.value(n.keys[i])
			ek := r.kind(n.keys[i])
			if ek == KindNone {
				ek = k
			}
			r.node(e, ek)
		}
	case '[':
		for _, e := range n.elems {
			r.node(e, k)
		}
	case 's':
		n.text = r.masked(k, n.text)
	case 'n':
		if k != KindNone {
			n.text = maskNumber(k, n.text)
		} else {
			n.text = digitRuns(n.text, minICCID, maskDigitRun)
		}
	}
}
