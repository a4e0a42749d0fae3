package redact

import (
	"io"
)

// writer writes through with every occurrence of the secrets replaced.
type writer struct {
	w       io.Writer
	secrets []string
}

// NewWriter returns a writer that writes through to w with every
// occurrence of the given credentials (those of 8 bytes or more), in any
// case of their ASCII letters, replaced by [Mask], so that no output
// holds them even when a server echoes them; w itself when there is
// nothing to replace. A credential split across two writes is not found:
// write whole lines.
func NewWriter(w io.Writer, credentials ...string) io.Writer {
	s := &writer{w: w, secrets: longEnough(credentials)}
	if len(s.secrets) == 0 {
		return w
	}
	return s
}

// Write writes p with the credentials replaced and reports len(p) written
// unless w failed.
func (s *writer) Write(p []byte) (int, error) {
	out := p
	if masked := replaceAll(string(p), s.secrets, Mask); masked != string(p) {
		out = []byte(masked)
	}
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
