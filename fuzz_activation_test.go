package travelroam

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// activationErrorInputs are invalid activation codes that, between them,
// produce every error message of ParseActivationCode.
var activationErrorInputs = []string{
	strings.Repeat("a", 1100),    // too long
	"LPA:1$rsp.example",          // too few fields
	"LPA:1$a$b$1.2$1$x",          // too many fields
	"LPA:2$a$b",                  // version
	"LPA:1$a$b$1.2$2",            // confirmation flag
	"LPA:1$$b",                   // empty address
	"LPA:1$https:// a$b",         // bad address
	"LPA:1$a$b c",                // bad matching ID
	"LPA:1$a$b$x",                // bad OID
	"LPA:1$https://$b",           // address empty once the scheme is dropped
	"LPA:1$rsp.example/p$b\x7f$", // control character
}

// FuzzParseActivationCode checks that a code that parses prints back to
// the same code, that its iPhone link carries it, and that an error never
// quotes the input: its text, digits aside (field counts), is one of the
// messages of activationErrorInputs.
func FuzzParseActivationCode(f *testing.F) {
	for _, s := range []string{"LPA:1$rsp.truphone.com$K2-1Z8QAB-3XYV7P", "lpa:1$HTTPS://rsp.example/path?q#f$ID$1.2.3$1",
		"1$rsp.example$", "LPA:1$rsp.example$ID$$1", " LPA:1$a$b ", "LPA:1$a$\u00e9"} {
		f.Add(s)
	}
	for _, s := range activationErrorInputs {
		f.Add(s)
	}
	messages := map[string]bool{}
	for _, s := range activationErrorInputs {
		_, err := ParseActivationCode(s)
		if err == nil {
			f.Fatalf("%q parses", s)
		}
		messages[withoutDigits(err.Error())] = true
	}
	f.Fuzz(func(t *testing.T, s string) {
		ac, err := ParseActivationCode(s)
		if err != nil {
			if ac != (ActivationCode{}) {
				t.Fatalf("%q: a value with the error: %+v", s, ac)
			}
			var ve *ValidationError
			if !errors.Is(err, ErrInvalidInput) || !errors.As(err, &ve) {
				t.Fatalf("%q: %T %v does not match ErrInvalidInput", s, err, err)
			}
			if !messages[withoutDigits(err.Error())] {
				t.Fatalf("%q: unexpected message %q (does it quote the input?)", s, err.Error())
			}
			return
		}
		text := ac.String()
		back, err := ParseActivationCode(text)
		if err != nil || back != ac || back.String() != text {
			t.Fatalf("%q: %q parses back as %+v, %v; want %+v", s, text, back, err, ac)
		}
		for _, field := range []string{ac.SMDPAddress, ac.MatchingID, ac.OID} {
			if strings.ContainsAny(field, "$ \t\r\n") {
				t.Fatalf("%q: field %q has a separator or a space", s, field)
			}
		}
		link, err := url.Parse(ac.AppleInstallURL())
		if err != nil || link.Query().Get("carddata") != text {
			t.Fatalf("%q: link %q does not carry %q: %v", s, ac.AppleInstallURL(), text, err)
		}
	})
}

func withoutDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, s)
}
