// Package envelope finds the payload of a JSON answer inside the
// wrappers the sources disagree about: {"data": …}, {"esim": …}, a list
// of one. It reads bytes and returns bytes; the decoders of the SDK then
// read the payload with the rules of package lenient.
package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
)

// MaxDepth bounds how many wrappers a decoder unwraps: each level
// re-reads the body, so an unbounded nesting would cost quadratic time.
const MaxDepth = 4

// ErrTooDeep reports wrappers nested more than MaxDepth levels deep.
var ErrTooDeep = errors.New("response wrappers nested too deeply")

// Unwrap follows the first present, non-null key of keys (e.g. "data")
// down to the payload, at most MaxDepth levels deep. Keys match exactly.
// It returns b, trimmed, when b is not an object holding one of them.
func Unwrap(b []byte, keys ...string) []byte {
	for range MaxDepth {
		b = bytes.TrimSpace(b)
		if !IsObject(b) {
			return b
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(b, &obj) != nil {
			return b
		}
		next := b
		for _, k := range keys {
			if v, ok := obj[k]; ok && !IsNull(v) {
				next = v
				break
			}
		}
		if bytes.Equal(next, b) {
			return b
		}
		b = next
	}
	return bytes.TrimSpace(b)
}

// ObjectOrFirst returns b when it is a JSON object, or the first element
// of b when it is a JSON array. An empty array, or anything else, is an
// error.
func ObjectOrFirst(b []byte) ([]byte, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, errors.New("empty list")
		}
		b = list[0]
	}
	if !IsObject(b) {
		return nil, errors.New("want a JSON object")
	}
	return b, nil
}

// IsNull reports whether b is empty or the JSON null, white space
// aside.
func IsNull(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null"
}

// IsObject reports whether b starts a JSON object, white space aside.
func IsObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

// IsArray reports whether b starts a JSON array, white space aside.
func IsArray(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '['
}
