package redact

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	key    = "KEY-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789"
	secret = "SECRET-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP"
	iccid  = "8944538532012345678"
	code   = "K2-1Z8QAB-3XYV7P"
)

func TestRedactsWhatServersEcho(t *testing.T) {
	t.Parallel()
	scrub := New(key, secret, "short")
	for _, tc := range []struct{ in, want string }{
		{"invalid key " + key, "invalid key [redacted]"},
		{"bad secret '" + secret + "' for " + key[:20], "bad secret '[redacted]' for " + key[:20]},
		{"use LPA:1$rsp.example.com$" + code + " to install", "use [redacted] to install"},
		{"code 1$rsp.example.com$" + code + ".", "code [redacted]"},
		{"lpa:1$rsp.example.com$abc", "[redacted]"},
		{`{"matchingId":"abc-def","pin":"1234","puk":"12345678"}`, `{"matchingId":"[redacted]","pin":"[redacted]","puk":"[redacted]"}`},
		{"PIN: 0000, PUK 12345678", "PIN: [redacted], PUK [redacted]"},
		{"matching ID " + code + " is used", "matching ID [redacted] is used"},
		{"token " + code + " and A1B2-C3D4-E5F6-G7H8", "token [redacted] and [redacted]"},
		{"ICCID " + iccid + " not found", "ICCID …5678 not found"},
		{"no account for " + strings.ToUpper(key) + " or " + strings.ToLower(secret), "no account for [redacted] or [redacted]"},
		{"order 6F1D2C9A-4B7E-4E0F-9A51-0C2B7D3E8F10 not found", "order 6F1D2C9A-4B7E-4E0F-9A51-0C2B7D3E8F10 not found"},
		{"order 6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10-0 not found", "order 6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10-0 not found"},
		{"Bundle esim_1GB_7D_TR_V2 not found", "Bundle esim_1GB_7D_TR_V2 not found"},
		{"Service Unavailable: try at 2026-11-29", "Service Unavailable: try at 2026-11-29"},
		{"spinning up, shortage", "spinning up, shortage"},
	} {
		require.Equal(t, tc.want, scrub(tc.in), tc.in)
	}
}

// TestRedactsQuotedAndEncodedSecrets: a labelled value in single quotes
// (a Python or PHP repr, prose such as "PIN '1234'") and an activation code
// percent-encoded in a URL (an iPhone install link's carddata) are masked
// like their plain forms, whatever the matching ID looks like.
func TestRedactsQuotedAndEncodedSecrets(t *testing.T) {
	t.Parallel()
	scrub := New(key, secret)
	for _, tc := range []struct{ in, want string }{
		{`{'matchingId': 'abcdef0123', 'pin': '1234'}`, `{'matchingId': '[redacted]', 'pin': '[redacted]'}`},
		{"pin='1234' puk='12345678'", "pin='[redacted]' puk='[redacted]'"},
		{"MatchingId='abcdef0123'", "MatchingId='[redacted]'"},
		{"Invalid PIN '1234'", "Invalid PIN '[redacted]'"},
		{"see https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24rsp.example.com%24abcdef0123456789 now",
			"see https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=[redacted] now"},
		{"code 1%24rsp.example.com%24abcdef0123456789", "code [redacted]"},
		{"code lpa%3a1%24rsp.example.com%24abcdef0123456789&x=1", "code [redacted]&x=1"},
	} {
		got := scrub(tc.in)
		require.Equal(t, tc.want, got, tc.in)
		require.NotContains(t, got, "abcdef0123")
		require.Equal(t, got, scrub(got), "idempotent")
	}
}

// FuzzText: whatever the text, the result never holds a secret planted
// in it, and redacting twice changes nothing more.
func FuzzText(f *testing.F) {
	f.Add("before", "after")
	f.Add(`{"message":"`, `"}`)
	f.Add("LPA:", " ")
	f.Fuzz(func(t *testing.T, before, after string) {
		scrub := New(key, secret)
		for _, planted := range []string{key, secret, iccid, "LPA:1$rsp.example.com$" + code} {
			out := scrub(before + " " + planted + " " + after)
			if strings.Contains(out, planted) {
				t.Fatalf("%q survives in %q", planted, out)
			}
			if again := scrub(out); again != out {
				t.Fatalf("not idempotent: %q then %q", out, again)
			}
		}
	})
}

func TestDigits(t *testing.T) {
	t.Parallel()
	require.Equal(t, "a …5678 b 12345678901", Digits("a "+iccid+" b 12345678901"))
	require.Equal(t, "plain", Digits("plain"))
}

// TestGroupedICCIDs: an ICCID written in groups, as people read it, is
// masked too; shorter grouped numbers (phones, dates) are not.
func TestGroupedICCIDs(t *testing.T) {
	t.Parallel()
	require.Equal(t, "ICCID …5678 not found", Text("ICCID 8944 5385 3201 2345 678 not found"))
	require.Equal(t, "ICCID …5678", Text("ICCID 8944-5385-3201-2345-678"))
	require.Equal(t, "call +44 20 7946 0000 on 2026-11-29", Text("call +44 20 7946 0000 on 2026-11-29"))
}

// TestTextKeepsTimesAndProse: an ISO time is not a matching ID, a label
// followed by a word in prose masks nothing, and a credential after its
// label and ":" or "=" is masked (not in prose).
func TestTextKeepsTimesAndProse(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"retry at 2026-12-07T11:03:19Z": "retry at 2026-12-07T11:03:19Z",
		"PIN Code missing":              "PIN Code missing",
		"matching ID missing":           "matching ID missing",
		"invalid API key":               "invalid API key",
		"api_key=abcdef&x=1":            "api_key=[redacted]&x=1",
		`{"client_secret":"abcdef"}`:    `{"client_secret":"[redacted]"}`,
		"activation_code: " + code:      "activation_code: [redacted]",
		"Confirmation-Code=1234":        "Confirmation-Code=[redacted]",
		"PIN Code: 1234":                "PIN Code: [redacted]",
	} {
		require.Equal(t, want, Text(in), in)
		require.Equal(t, want, Text(want), "idempotent: %s", in)
	}
}

// TestDottedICCIDs: an ICCID grouped with dots (8944.5385.3201.2345.678,
// as some people and systems write long numbers) is an ICCID too, in
// messages and in fixtures; a dotted version, address or date is not.
func TestDottedICCIDs(t *testing.T) {
	t.Parallel()
	require.Equal(t, "eSIM …5678 not found", Text("eSIM 8944.5385.3201.2345.678 not found"))
	fixed := NewRedactor().Text("eSIM 8944.5385.3201.2345.678")
	require.NotContains(t, fixed, "5385")
	require.Equal(t, fixed, NewRedactor().Text(fixed), "a fixed point")
	for _, keep := range []string{"v1.22.3", "10.0.0.1", "2026.12.07", "version 1.2.3.4"} {
		require.Equal(t, keep, Text(keep))
	}
}
