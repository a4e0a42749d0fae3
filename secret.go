package travelroam

// This file holds all the SDK's masking: the two types a secret or a
// personal datum is held in, and how they print. The structs that hold
// them (ESIM, Assignment, Order, CallbackEvent, PurchaseAttempt…) have no
// printing methods of their own: their fields protect themselves,
// whichever way the struct is printed. The errors print their Error text
// (see each error type).

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"unicode/utf8"
)

// Secret is a text the SDK keeps out of every output: an activation
// code's matching ID, a PIN or PUK, an installation link, a body as the
// server sent it, people's contact details, the callback URL (its token).
// It compares with string constants as a string does (e.PIN == "0000"),
// and it prints masked whichever way it is printed: every fmt verb
// ("[redacted]", also inside slices, maps and structs), log/slog in any
// handler (LogValue) and encoding/json (MarshalJSON writes
// "[redacted]"). An empty Secret prints the same, so that not even
// whether it is set shows.
//
// [Secret.Reveal] is the one way to read the value; [ActivationCode.LPA]
// gives a whole activation code, for a QR code.
//
// JSON decoding reads the real value (a Secret has no UnmarshalJSON: a
// JSON string decodes into it as into a string), so a value marshalled by
// the SDK does not decode back to its secret: to store one, store
// Reveal's result.
//
// A Secret protects itself only where its methods are called: on its
// own, in an exported field, in a slice or as a map's value. fmt prints
// an unexported field of a struct raw, and so it does everything behind
// a pointer it prints through its error path ("%!s(…)"): a pointer to a
// struct (the SDK's included, such as []*ESIM) or to a slice, inside a
// slice, a map or a struct printed with %s or %q. go vet reports that
// call, and go test runs the check; print such values with %v, which
// shows a pointer inside a container as an address. encoding/json writes
// a map key of a string type as it is, so never use a Secret (or an
// [ICCID]) as a map key in a value that may be marshalled: the SDK has
// none. encoding/xml, encoding/gob and reflection-based printers that
// skip methods (go-spew with DisableMethods, as in testify's diffs) see
// the value too. Converting
// it, string(s), gives the value too; do that only where Reveal would do.
type Secret string

// Reveal returns the secret itself. Show it only to whom it belongs and
// never log it.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]", whatever the secret.
func (s Secret) String() string { return redactedMark }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %x, %d...) print
// [Secret.String]; %q and %#v quote it.
func (s Secret) Format(f fmt.State, verb rune) { formatMasked(f, verb, s.String()) }

// LogValue makes slog log [Secret.String], whichever handler it uses.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes [Secret.String] as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// ICCID is an eSIM's ICCID, 18 to 22 digits (a callback's 1 to 32). It
// is not a secret but a personal datum: printed with fmt (any verb, also
// inside slices, maps and structs), logged with log/slog or marshalled
// to JSON it shows only its last four digits, e.g. "…5678" (String), so
// that a value holding one can be logged whole.
//
// The methods that take an ICCID take this type, so that one returned
// by the SDK (an [OrderESIM]'s, an [Assignment]'s) passes on as it is,
// and a string constant converts by itself: c.ESIM(ctx,
// "8944538532012345678"). A string variable converts explicitly,
// travelroam.ICCID(s), and string(iccid) gives the whole ICCID, e.g. to
// store it. It compares with string constants as a string does, and JSON
// decoding reads the whole ICCID. Like a [Secret], never use it as a map
// key in a value that may be marshalled.
type ICCID string

// String returns the ICCID with all but its last four characters
// masked, e.g. "…5678"; one of four characters or fewer is all stars.
// It counts characters, not bytes.
func (i ICCID) String() string {
	s, cut := string(i), len(i)
	for n := range 4 {
		if cut == 0 {
			return strings.Repeat("*", n)
		}
		_, size := utf8.DecodeLastRuneInString(s[:cut])
		cut -= size
	}
	if cut == 0 {
		return "****"
	}
	return "…" + s[cut:]
}

// Format makes every fmt verb print [ICCID.String]; %q and %#v quote it.
func (i ICCID) Format(f fmt.State, verb rune) { formatMasked(f, verb, i.String()) }

// LogValue makes slog log [ICCID.String], whichever handler it uses.
func (i ICCID) LogValue() slog.Value { return slog.StringValue(i.String()) }

// MarshalJSON writes [ICCID.String] as a JSON string.
func (i ICCID) MarshalJSON() ([]byte, error) { return json.Marshal(i.String()) }

// formatMasked writes the masked text s for any verb: quoted for %q and
// for %#v (so that a struct printed with %#v stays Go syntax), as is
// otherwise. %x and %d never see the value.
func formatMasked(f fmt.State, verb rune, s string) {
	if verb == 'q' || (verb == 'v' && f.Flag('#')) {
		_, _ = fmt.Fprintf(f, "%q", s)
		return
	}
	_, _ = io.WriteString(f, s)
}

// redactedMark stands for a secret left out.
const redactedMark = "[redacted]"

// trimSecret removes the white space around a secret.
func trimSecret(s Secret) Secret { return Secret(strings.TrimSpace(string(s))) }
