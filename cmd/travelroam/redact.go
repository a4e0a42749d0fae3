package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// A jnode is a JSON value that keeps the order of object members and the
// exact text of numbers, so that a redacted fixture differs from the
// answer only where something was masked.
type jnode struct {
	kind  byte // '{', '[', 's' (string), 'n' (number), 'l' (true, false, null)
	keys  []string
	elems []*jnode
	text  string
}

const maxJSONDepth = 200

// parseOrdered parses one JSON value.
func parseOrdered(data []byte) (*jnode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseNode(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the first value")
	}
	return n, nil
}

func parseNode(dec *json.Decoder, depth int) (*jnode, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &jnode{kind: byte(t)}
		for dec.More() {
			if t == '{' {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k.(string))
			}
			e, err := parseNode(dec, depth+1)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, e)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		return n, nil
	case string:
		return &jnode{kind: 's', text: t}, nil
	case json.Number:
		return &jnode{kind: 'n', text: t.String()}, nil
	case bool:
		return &jnode{kind: 'l', text: strconv.FormatBool(t)}, nil
	default:
		return &jnode{kind: 'l', text: "null"}, nil
	}
}

// write appends n, indented by two spaces per level.
func (n *jnode) write(b *bytes.Buffer, indent string) {
	switch n.kind {
	case 's':
		enc, _ := json.Marshal(n.text)
		b.Write(enc)
	case 'n', 'l':
		b.WriteString(n.text)
	default:
		open, end := byte('{'), byte('}')
		if n.kind == '[' {
			open, end = '[', ']'
		}
		b.WriteByte(open)
		if len(n.elems) == 0 {
			b.WriteByte(end)
			return
		}
		inner := indent + "  "
		for i, e := range n.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n" + inner)
			if n.kind == '{' {
				k, _ := json.Marshal(n.keys[i])
				b.Write(k)
				b.WriteString(": ")
			}
			e.write(b, inner)
		}
		b.WriteString("\n" + indent)
		b.WriteByte(end)
	}
}

// redactor masks personal data and secrets in recorded answers: ICCIDs
// (all but the first two and last four digits zeroed, so lengths and
// decoders still work), matching IDs and activation codes, PIN and PUK,
// people's names, e-mail addresses and phone numbers, callback URLs and
// any occurrence of the credentials.
type redactor struct {
	secrets []string
	// extraKeys are more keys whose string values are replaced, e.g. the
	// organisation's name and address.
	extraKeys map[string]bool
}

var (
	iccidRun   = regexp.MustCompile(`\b89\d{16,20}\b|\b\d{18,22}\b`)
	lpaRE      = regexp.MustCompile(`(?i)(LPA:1\$[^$\s"]*\$)([^$\s"&]*)`)
	lpaURLRE   = regexp.MustCompile(`(?i)(LPA%3A1%24.*?%24)([^%&\s"]*)`)
	emailRE    = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	codeKeys   = map[string]bool{"matchingid": true, "activationcode": true, "confirmationcode": true, "pin": true, "puk": true, "pin1": true, "pin2": true, "puk1": true, "puk2": true}
	nameKeys   = map[string]bool{"firstname": true, "lastname": true, "fullname": true, "contactname": true, "username": true, "customerref": true}
	secretKeys = map[string]bool{"apikey": true, "clientsecret": true, "secret": true, "token": true, "password": true, "x-api-key": true}
	emailKeys  = map[string]bool{"email": true, "emailaddress": true}
	phoneKeys  = map[string]bool{"phone": true, "phonenumber": true, "mobile": true, "msisdn": true}
	urlKeys    = map[string]bool{"callbackurl": true, "webhookurl": true}
)

// redactJSON returns the answer with everything sensitive masked, indented.
func (r *redactor) redactJSON(body []byte) ([]byte, error) {
	n, err := parseOrdered(body)
	if err != nil {
		return nil, err
	}
	r.node(n, "")
	var b bytes.Buffer
	n.write(&b, "")
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func (r *redactor) node(n *jnode, key string) {
	lk := strings.ToLower(key)
	switch n.kind {
	case '{':
		for i, e := range n.elems {
			r.node(e, n.keys[i])
		}
	case '[':
		for _, e := range n.elems {
			r.node(e, key) // elements of "iccids" are ICCIDs
		}
	case 'n':
		if strings.Contains(lk, "iccid") || iccidRun.MatchString(n.text) {
			n.text = maskICCID(n.text)
		}
	case 's':
		switch {
		case lk == "iccid" || lk == "iccids":
			n.text = maskICCID(n.text)
		case codeKeys[lk]:
			n.text = maskCode(n.text)
		case nameKeys[lk] || secretKeys[lk] || r.extraKeys[lk]:
			if n.text != "" {
				n.text = "REDACTED"
			}
		case emailKeys[lk]:
			if n.text != "" {
				n.text = "redacted@example.com"
			}
		case phoneKeys[lk]:
			if n.text != "" {
				n.text = "+10000000000"
			}
		case urlKeys[lk]:
			if n.text != "" {
				n.text = "https://callback.example/REDACTED"
			}
		default:
			n.text = r.text(n.text)
		}
	}
}

// text masks what looks sensitive inside free text (a message, a URL).
func (r *redactor) text(s string) string {
	for _, v := range r.secrets {
		if len(v) >= minSecretLen {
			s = strings.ReplaceAll(s, v, "REDACTED")
		}
	}
	s = lpaRE.ReplaceAllStringFunc(s, func(m string) string {
		p := lpaRE.FindStringSubmatch(m)
		return p[1] + maskCode(p[2])
	})
	s = lpaURLRE.ReplaceAllStringFunc(s, func(m string) string {
		p := lpaURLRE.FindStringSubmatch(m)
		return p[1] + maskCode(p[2])
	})
	s = emailRE.ReplaceAllString(s, "redacted@example.com")
	return iccidRun.ReplaceAllStringFunc(s, maskICCID)
}

// redactText masks a body that is not JSON (CSV, HTML, text).
func (r *redactor) redactText(body []byte) []byte {
	return []byte(r.text(string(body)))
}

// maskICCID keeps the first two and the last four digits of an ICCID and
// zeroes the others; a value that is not mostly digits is replaced whole.
func maskICCID(s string) string {
	if len(s) < 8 {
		return strings.Repeat("0", len(s))
	}
	b := []byte(s)
	for i := 2; i < len(b)-4; i++ {
		if b[i] >= '0' && b[i] <= '9' {
			b[i] = '0'
		} else if b[i] != '-' && b[i] != ' ' {
			b[i] = 'X'
		}
	}
	return string(b)
}

// maskCode replaces letters by X and digits by 0, keeping separators, so
// that a matching ID keeps its shape ("XX-XXXXXX-XXX0XX").
func maskCode(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			b[i] = '0'
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			b[i] = 'X'
		}
	}
	return string(b)
}
