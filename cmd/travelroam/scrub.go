package main

import (
	"bytes"
	"io"
)

// scrubber writes through to w with every occurrence of the credentials
// replaced, so that no output of the command line holds them, even when a
// server echoes them in an error message. The command line writes whole
// lines, so a secret is never split across two writes.
type scrubber struct {
	w       io.Writer
	secrets [][]byte
}

// minSecretLen is the shortest value scrubbed: shorter ones would mangle
// ordinary output, and real credentials are 60 characters.
const minSecretLen = 8

func newScrubber(w io.Writer, secrets ...string) io.Writer {
	s := &scrubber{w: w}
	for _, v := range secrets {
		if len(v) >= minSecretLen {
			s.secrets = append(s.secrets, []byte(v))
		}
	}
	if len(s.secrets) == 0 {
		return w
	}
	return s
}

func (s *scrubber) Write(p []byte) (int, error) {
	out := p
	for _, v := range s.secrets {
		if bytes.Contains(out, v) {
			out = bytes.ReplaceAll(out, v, []byte("[REDACTED]"))
		}
	}
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
