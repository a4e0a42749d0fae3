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

func flatten(raw json.RawMessage) string { return flattenAt(raw, 0) }

// flattenAt stops at maxDepth levels of nesting: each level
// re-reads its part of the body.
func flattenAt(raw json.RawMessage, depth int) string {
	if depth > maxDepth {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		var parts []string
		for _, item := range list {
			if s := flattenAt(item, depth+1); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "; ")
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		if m, ok := obj["message"]; ok {
			return flattenAt(m, depth+1)
		}
		var parts []string
		for k, v := range obj {
			if s := flattenAt(v, depth+1); s != "" {
				parts = append(parts, k+": "+s)
			}
		}
		slices.Sort(parts)
		return strings.Join(parts, "; ")
	}
	return ""
}
