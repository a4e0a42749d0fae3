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

// Walk reads b and the wrappers inside it without recursion, breadth
// first: visit reads one value (b first) and returns the values it wraps,
// to be read after the others of its level, or done when the walk is
// over (v held the payload). At most MaxDepth levels below b are read: a
// walk that would go deeper returns ErrTooDeep. An error from visit ends
// the walk and is returned.
func Walk(b []byte, visit func(v []byte) (inner [][]byte, done bool, err error)) error {
	level := [][]byte{b}
	for depth := 0; len(level) > 0; depth++ {
		if depth > MaxDepth {
			return ErrTooDeep
		}
		var next [][]byte
		for _, v := range level {
			inner, done, err := visit(v)
			if err != nil || done {
				return err
			}
			next = append(next, inner...)
		}
		level = next
	}
	return nil
}

// Descend is [Walk] along one path: step reads one value (b first) and
// returns the one value it wraps, to be read next, or nil when v held the
// payload.
func Descend(b []byte, step func(v []byte) (inner []byte, err error)) error {
	return Walk(b, func(v []byte) ([][]byte, bool, error) {
		inner, err := step(v)
		if err != nil || inner == nil {
			return nil, true, err
		}
		return [][]byte{inner}, false, nil
	})
}

// Unwrap follows the first present, non-null key of keys (e.g. "data")
// down to the payload, at most MaxDepth levels deep. Keys match exactly.
// It returns b, trimmed, when b is not an object holding one of them.
func Unwrap(b []byte, keys ...string) []byte {
	_ = Descend(b, func(v []byte) ([]byte, error) {
		b = bytes.TrimSpace(v)
		return member(b, keys), nil
	})
	return b
}

// member returns the value of the first present, non-null key of keys in
// the object b, or nil.
func member(b []byte, keys []string) []byte {
	if !IsObject(b) {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil {
		return nil
	}
	for _, k := range keys {
		if v, ok := obj[k]; ok && !IsNull(v) {
			return v
		}
	}
	return nil
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
