package travelroam

import (
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
		require.Equal(t, tc.want, tc.ac.String())
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
		again, err := ParseActivationCode(got.String())
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
		require.ErrorIs(t, err, ErrInvalidInput, "%q", in)
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
		a := Assignment{SMDPAddress: tc.smdp, MatchingID: tc.id}
		_, err := a.ActivationCode()
		require.ErrorIs(t, err, ErrInvalidInput, "%+v", tc)
		require.NotContains(t, err.Error(), testMatchingI)
		_, err = ESIM{SMDPAddress: tc.smdp, MatchingID: tc.id}.ActivationCode()
		require.ErrorIs(t, err, ErrInvalidInput)
	}
}
