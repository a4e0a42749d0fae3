package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// A jnode is a JSON value that keeps the order of object members and the
// exact text of numbers, so that a redacted answer differs from the
// original only where something was masked.
type jnode struct {
	kind  byte // '{', '[', 's' (string), 'n' (number), 'l' (true, false, null)
	keys  []string
	elems []*jnode
	text  string
}

// maxJSONDepth bounds the nesting parseOrdered accepts.
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
		if t != '{' && t != '[' {
			return nil, errors.New("unexpected " + t.String())
		}
		n := &jnode{kind: byte(t)}
		for dec.More() {
			if t == '{' {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, isString := k.(string)
				if !isString {
					return nil, errors.New("object key is not a string")
				}
				n.keys = append(n.keys, key)
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
		writeString(b, n.text)
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
				writeString(b, n.keys[i])
				b.WriteString(": ")
			}
			e.write(b, inner)
		}
		b.WriteString("\n" + indent)
		b.WriteByte(end)
	}
}

// writeString appends s as a JSON string, without escaping <, > and &
// (the answer's text stays readable: URLs keep their "&").
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode's newline
}
