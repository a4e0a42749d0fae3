// Package errmsg finds the human message in a Travel Roam error body.
//
// eSIM Go answers every error with {"message": …}; Travel Roam's own
// envelope is unknown, and Laravel-style servers send {"message", "errors":
// {field: [texts]}}. Extract looks at "message", "error", "msg" and
// "errors", in that order, and flattens lists and objects of texts.
package errmsg

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/roamkit/travelroam/internal/envelope"
)

// maxDepth bounds how deeply nested lists and objects are flattened: each
// level re-reads its part of the body, so unbounded nesting would cost
// quadratic time. It is the decoders' wrapper limit.
const maxDepth = envelope.MaxDepth

// Extract finds the server's message in an error body: the
// "message", "error", "msg" or "errors" field of a JSON object (a string,
// a list of strings, or an object of lists as Laravel sends), or the body
// itself when it is short plain text.
func Extract(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err == nil {
		for _, k := range []string{"message", "error", "msg", "errors"} {
			if raw, ok := obj[k]; ok {
				if s := flatten(raw); s != "" {
					return s
				}
			}
		}
		return ""
	}
	if body[0] == '<' || len(body) > 200 {
		return "" // an HTML page from a proxy: keep it in Body only
	}
	return string(body)
}

// flatten turns raw into text: a string as it is; a list as its items'
// texts joined by "; "; an object as its "message" member's text, else as
// "name: text" for each member, sorted and joined by "; ". Empty texts
// are left out, and so is anything more than maxDepth levels below raw
// (each level re-reads its part of the body).
//
// It walks the nesting with a stack of its own rather than by recursion:
// a list or an object opens a frame whose items are flattened one after
// the other, and a frame whose items are all done is joined into the
// text of its parent's current item.
func flatten(raw json.RawMessage) string {
	var stack []*frame
	for {
		text, f := open(raw, len(stack))
		if f != nil {
			stack = append(stack, f)
		}
		// Close every frame whose items are done, passing its text up,
		// until one has an item left to open.
		for {
			top := len(stack) - 1
			if top < 0 {
				return text
			}
			f := stack[top]
			if f.next > 0 {
				f.add(text)
			}
			if f.next < len(f.items) {
				raw = f.items[f.next]
				f.next++
				break
			}
			text = f.join()
			stack = stack[:top]
		}
	}
}

// frame is a list or an object being flattened: its items, and the texts
// of those done so far.
type frame struct {
	items []json.RawMessage
	names []string // the members' names of an object; nil for a list
	next  int      // the item to open next
	parts []string
}

// open reads raw, at depth levels below the top: a string (or anything
// that gives no text) is its text; a list or an object is a frame to
// flatten. Past maxDepth it gives no text.
func open(raw json.RawMessage, depth int) (string, *frame) {
	if depth > maxDepth {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		return "", &frame{items: list}
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		if m, ok := obj["message"]; ok {
			return "", &frame{items: []json.RawMessage{m}} // its text alone
		}
		f := &frame{items: make([]json.RawMessage, 0, len(obj)), names: make([]string, 0, len(obj))}
		for k, v := range obj {
			f.items, f.names = append(f.items, v), append(f.names, k)
		}
		return "", f
	}
	return "", nil
}

// add records the text of the item opened last, unless it is empty.
func (f *frame) add(text string) {
	if text == "" {
		return
	}
	if f.names != nil {
		text = f.names[f.next-1] + ": " + text
	}
	f.parts = append(f.parts, text)
}

// join returns the frame's text: its parts joined by "; ", sorted for an
// object (whose members come in no order).
func (f *frame) join() string {
	if f.names != nil {
		slices.Sort(f.parts)
	}
	return strings.Join(f.parts, "; ")
}
