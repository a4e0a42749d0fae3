package travelroam

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestActivationCodeString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ac    ActivationCode
		want  string
		apple string
	}{
		{ActivationCode{SMDPAddress: "rsp.truphone.com", MatchingID: testMatchingI},
			"LPA:1$rsp.truphone.com$K2-1Z8QAB-3XYV7P",
			"https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24rsp.truphone.com%24K2-1Z8QAB-3XYV7P"},
		{ActivationCode{SMDPAddress: "http://rsp.truphone.com/", MatchingID: testMatchingI},
			"LPA:1$rsp.truphone.com$K2-1Z8QAB-3XYV7P", ""},
		{ActivationCode{SMDPAddress: " HTTPS://smdp.example.com/path/x?q=1 ", MatchingID: "AB-123"},
			"LPA:1$smdp.example.com$AB-123",
			"https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24smdp.example.com%24AB-123"},
		{ActivationCode{SMDPAddress: "rsp.exemplo.com", MatchingID: "AB-123", OID: "1.3.6.1.4.1.31746"},
			"LPA:1$rsp.exemplo.com$AB-123$1.3.6.1.4.1.31746", ""},
		{ActivationCode{SMDPAddress: "rsp.exemplo.com", MatchingID: "AB-123", OID: "1.3.6.1.4.1.31746", ConfirmationRequired: true},
			"LPA:1$rsp.exemplo.com$AB-123$1.3.6.1.4.1.31746$1",
			"https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24rsp.exemplo.com%24AB-123%241.3.6.1.4.1.31746%241"},
		{ActivationCode{SMDPAddress: "rsp.exemplo.com", MatchingID: "AB-123", ConfirmationRequired: true},
			"LPA:1$rsp.exemplo.com$AB-123$$1", ""},
	} {
		require.Equal(t, tc.want, tc.ac.LPA())
		if tc.apple != "" {
			require.Equal(t, tc.apple, tc.ac.AppleInstallURL())
		}
	}
}

func TestParseActivationCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want ActivationCode
	}{
		{"LPA:1$rsp.truphone.com$K2-1Z8QAB-3XYV7P", ActivationCode{SMDPAddress: "rsp.truphone.com", MatchingID: testMatchingI}},
		{"lpa:1$rsp.truphone.com$K2-1Z8QAB-3XYV7P", ActivationCode{SMDPAddress: "rsp.truphone.com", MatchingID: testMatchingI}},
		{"1$rsp.truphone.com$K2-1Z8QAB-3XYV7P", ActivationCode{SMDPAddress: "rsp.truphone.com", MatchingID: testMatchingI}},
		{"  LPA:1$https://rsp.truphone.com/$K2-1Z8QAB-3XYV7P\n", ActivationCode{SMDPAddress: "rsp.truphone.com", MatchingID: testMatchingI}},
		{"LPA:1$smdp.io$", ActivationCode{SMDPAddress: "smdp.io"}},
		{"LPA:1$smdp.io$ID$1.2.3", ActivationCode{SMDPAddress: "smdp.io", MatchingID: "ID", OID: "1.2.3"}},
		{"LPA:1$smdp.io$ID$$1", ActivationCode{SMDPAddress: "smdp.io", MatchingID: "ID", ConfirmationRequired: true}},
		{"LPA:1$smdp.io$ID$1.2.3$1", ActivationCode{SMDPAddress: "smdp.io", MatchingID: "ID", OID: "1.2.3", ConfirmationRequired: true}},
	} {
		got, err := ParseActivationCode(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
		again, err := ParseActivationCode(got.LPA())
		require.NoError(t, err)
		require.Equal(t, got, again, "round trip of %q", tc.in)
	}
}

// TestParseActivationCodeErrors: malformed codes are refused, and no error
// repeats the input (the matching ID is a secret).
func TestParseActivationCodeErrors(t *testing.T) {
	t.Parallel()
	const secret = "SECRET-MATCHING-ID"
	for _, in := range []string{
		"",
		"LPA:",
		secret,
		"LPA:1$smdp.io",
		"LPA:2$smdp.io$" + secret,
		"LPA:$smdp.io$" + secret,
		"LPA:1$$" + secret,
		"LPA:1$https://$" + secret,
		"LPA:1$smdp.io$" + secret + "$1.2$0",
		"LPA:1$smdp.io$" + secret + "$1.2$yes",
		"LPA:1$smdp.io$" + secret + "$1.2$1$extra",
		"LPA:1$smdp.io$" + secret + "$oid-with-letters",
		"LPA:1$smdp.io$SECRET MATCHING",
		"LPA:1$smdp io$" + secret,
		"LPA:1$smdp.io$" + secret + "\x00",
		"LPA:1$smdp.io$" + strings.Repeat("SECRET", 200),
	} {
		_, err := ParseActivationCode(in)
		require.ErrorAs(t, err, new(*ValidationError), "%q", in)
		require.NotContains(t, err.Error(), "SECRET", "%q", in)
		require.NotContains(t, err.Error(), "smdp", "%q", in)
	}
}

func TestNewActivationCodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ smdp, id string }{
		{"", testMatchingI},
		{"https://", testMatchingI},
		{"rsp.truphone.com", ""},
		{"rsp.truphone.com", "  "},
		{"rsp.truphone.com", "K2$" + testMatchingI},
		{"rsp$truphone.com", testMatchingI},
	} {
		a := Assignment{SMDPAddress: tc.smdp, MatchingID: Secret(tc.id)}
		_, err := a.ActivationCode()
		require.ErrorAs(t, err, new(*ValidationError), "%+v", tc)
		require.NotContains(t, err.Error(), testMatchingI)
		_, err = ESIM{SMDPAddress: tc.smdp, MatchingID: Secret(tc.id)}.ActivationCode()
		require.ErrorAs(t, err, new(*ValidationError))
	}
}

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
			checkActivationError(t, s, ac, err, messages)
			return
		}
		checkActivationRoundTrip(t, s, ac)
	})
}

// checkActivationError checks the failure to parse s: no value, an error
// a *ValidationError, and one of the known messages.
func checkActivationError(t *testing.T, s string, ac ActivationCode, err error, messages map[string]bool) {
	t.Helper()
	if ac != (ActivationCode{}) {
		t.Fatalf("%q: a value with the error: %+v", s, ac)
	}
	var ve *ValidationError
	if !errors.As(err, new(*ValidationError)) || !errors.As(err, &ve) {
		t.Fatalf("%q: %T %v is not a *ValidationError", s, err, err)
	}
	if !messages[withoutDigits(err.Error())] {
		t.Fatalf("%q: unexpected message %q (does it quote the input?)", s, err.Error())
	}
}

// checkActivationRoundTrip checks the code ac parsed from s: it prints
// back to itself, its fields hold no separator, its link carries it.
func checkActivationRoundTrip(t *testing.T, s string, ac ActivationCode) {
	t.Helper()
	text := ac.LPA()
	back, err := ParseActivationCode(text)
	if err != nil || back != ac || back.LPA() != text {
		t.Fatalf("%q: %q parses back as %+v, %v; want %+v", s, text, back, err, ac)
	}
	for _, field := range []string{ac.SMDPAddress, ac.MatchingID.Reveal(), ac.OID} {
		if strings.ContainsAny(field, "$ \t\r\n") {
			t.Fatalf("%q: field %q has a separator or a space", s, field)
		}
	}
	link, err := url.Parse(ac.AppleInstallURL())
	if err != nil || link.Query().Get("carddata") != text {
		t.Fatalf("%q: link %q does not carry %q: %v", s, ac.AppleInstallURL(), text, err)
	}
}

func withoutDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, s)
}

// awkwardValues are the kinds of value a fuzzer favours: empty parts,
// non-ASCII text, Unicode spaces and controls (which strings.TrimSpace
// removes but a byte-wise check lets through), "$", schemes and paths,
// invalid UTF-8 and very long values.
var awkwardValues = []string{
	"", " ", "$", "a$b", "rsp.fake.local", "RSP.Fake.Local", "https://rsp.fake.local/x?y#z", "HTTP://x",
	"http://https://x", "x/", "?", "#frag", "ü", "日本", "K2-1Z8QAB-3XYV7P", "a\u00a0", "\u00a0a", "a\u0085",
	"a\u2028b", "a\u3000", "a\u200b", "\u0085", "a\x7f", "a\tb", "\xff", "\xc2", "a\xc2", "LPA:1$x$y",
	strings.Repeat("m", 1100), strings.Repeat("é", 600), strings.Repeat("9", 30),
}

// TestActivationCodeRoundTrip: every activation code the SDK builds from a
// server's data prints (LPA) in a form that parses back to itself, and
// every code that parses prints back to a code that parses to the same.
func TestActivationCodeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, smdp := range awkwardValues {
		for _, mid := range awkwardValues {
			ac, err := newActivationCode(smdp, Secret(mid))
			if err != nil {
				continue
			}
			back, err := ParseActivationCode(ac.LPA())
			if err != nil || back != ac {
				t.Errorf("newActivationCode(%.40q, %.40q).LPA() = %.80q parses back as %+v, %v", smdp, mid, ac.LPA(), back, err)
			}
		}
	}
	for _, a := range awkwardValues {
		for _, b := range awkwardValues {
			for _, tail := range []string{"", "$", "$1.2", "$$1", "$1.2$1"} {
				in := "LPA:1$" + a + "$" + b + tail
				ac, err := ParseActivationCode(in)
				if err != nil {
					continue
				}
				back, err := ParseActivationCode(ac.LPA())
				if err != nil || back != ac {
					t.Errorf("ParseActivationCode(%.80q).LPA() = %.80q parses back as %+v, %v", in, ac.LPA(), back, err)
				}
			}
		}
	}
}
