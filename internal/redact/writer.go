package redact

import (
	"bytes"
	"io"
)

// writer writes through with every occurrence of the secrets replaced.
type writer struct {
	w       io.Writer
	secrets [][]byte
}

// NewWriter returns a writer that writes through to w with every
// occurrence of the given credentials (those of 8 bytes or more)
// replaced by [Mask], so that no output holds them even when a server
// echoes them; w itself when there is nothing to replace. A credential
// split across two writes is not found: write whole lines.
func NewWriter(w io.Writer, credentials ...string) io.Writer {
	s := &writer{w: w}
	for _, c := range longEnough(credentials) {
		s.secrets = append(s.secrets, []byte(c))
	}
	if len(s.secrets) == 0 {
		return w
	}
	return s
}

// Write writes p with the credentials replaced and reports len(p) written
// unless w failed.
func (s *writer) Write(p []byte) (int, error) {
	out := p
	for _, v := range s.secrets {
		if bytes.Contains(out, v) {
			out = bytes.ReplaceAll(out, v, []byte(Mask))
		}
	}
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
