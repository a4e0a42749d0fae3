package main

import (
	"io"

	"github.com/roamkit/travelroam/internal/redact"
)

// newScrubber writes through to w with every occurrence of the
// credentials replaced (internal/redact, the SDK's redactor), so that no
// output of the command line holds them, even when a server echoes them
// in an error message. The command line writes whole lines, so a secret
// is never split across two writes.
func newScrubber(w io.Writer, secrets ...string) io.Writer {
	return redact.NewWriter(w, secrets...)
}
