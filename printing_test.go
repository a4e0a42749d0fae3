package travelroam

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPrintingLeaksNothing logs every exported value the SDK returns that
// holds a secret, alone, in a slice and in a map, through slog's text and
// JSON handlers and every fmt verb, and greps the output for the secrets:
// activation codes, matching IDs, PINs, PUKs, full ICCIDs, the callback
// URL's token and people's contact details.
func TestPrintingLeaksNothing(t *testing.T) {
	t.Parallel()
	const (
		pin, puk = "PIN_7391", "PUK_73915264" // distinctive, so that a timestamp cannot match them
		token    = "cbtok_SECRET_0123456789"
		email    = "ops@shop.example"
		phone    = "+4915112345678"
		person   = "Adalinda"
	)
	lpa := "LPA:1$rsp.truphone.com$" + testMatchingI
	apple := "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24rsp.truphone.com%24" + testMatchingI
	secrets := []string{testICCID, testMatchingI, pin, puk, token, email, phone, person, "carddata=LPA"}
	esim := ESIM{ICCID: testICCID, MatchingID: testMatchingI, SMDPAddress: "rsp.truphone.com", PIN: pin, PUK: puk,
		ProfileStatus: ProfileStatus("Installed"), AppleInstallURL: Secret(apple), FirstInstalledAt: time.Unix(1, 0),
		State: ESIMState("Suspended"), PhoneNumber: phone, AndroidInstallURL: Secret("https://esimsetup.android.com/esim_qrcode_provisioning?carddata=" + lpa)}
	assignment := Assignment{ICCID: testICCID, MatchingID: testMatchingI, SMDPAddress: "rsp.truphone.com", PIN: pin, PUK: puk,
		AppleInstallURL: Secret(apple), RSPURL: Secret(lpa)}
	line := OrderLine{Item: "esim_1GB_7D_TR_V2", Quantity: 1, ICCIDs: []ICCID{testICCID},
		ESIMs: []OrderESIM{{ICCID: testICCID, MatchingID: testMatchingI, SMDPAddress: "rsp.truphone.com"}}}
	user := OrganisationUser{FirstName: person, LastName: person, Role: "admin", EmailAddress: email, PhoneNumber: phone}
	apiErr := &APIError{StatusCode: 400, Message: "bad", Body: []byte(lpa + " " + testICCID), Method: "POST", Route: "/processorders"}
	values := map[string]any{
		"ActivationCode":   ActivationCode{SMDPAddress: "rsp.truphone.com", MatchingID: testMatchingI},
		"ESIM":             esim,
		"Assignment":       assignment,
		"Order":            Order{Reference: "ref-1", Lines: []OrderLine{line}, Raw: Secret(lpa + testICCID)},
		"OrderLine":        line,
		"OrderESIM":        line.ESIMs[0],
		"OrderRequest":     OrderRequest{BundleName: "esim_1GB_7D_TR_V2", ICCID: testICCID},
		"Organisation":     Organisation{Name: "Shop", CallbackURL: "https://shop.example/cb?token=" + token, Users: []OrganisationUser{user}},
		"OrganisationUser": user,
		"CallbackEvent":    CallbackEvent{ICCID: testICCID, AlertType: AlertType("Utilisation"), Raw: Secret(`{"iccid":"` + testICCID + `"}`)},
		"AccountEvent": CallbackEvent{AlertType: AlertType("LowBalance"), Balance: CallbackBalance{Balance: amountFromCents(129930)},
			Raw: Secret(`{"alertType":"LowBalance","token":"` + token + `"}`)},
		"PurchaseAttempt": PurchaseAttempt{Key: "k", BundleName: "b", ICCID: testICCID, Outcome: OutcomeUnknown},
		"APIError":        apiErr,
		"OutcomeUnknownError": &OutcomeUnknownError{Op: "process order", ICCID: testICCID, Body: []byte(lpa),
			Err: apiErr},
		"AlreadyAttemptedError": &AlreadyAttemptedError{Attempt: PurchaseAttempt{Key: "k", ICCID: testICCID}},
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			slice := reflect.MakeSlice(reflect.SliceOf(reflect.TypeOf(v)), 0, 2)
			slice = reflect.Append(slice, reflect.ValueOf(v), reflect.ValueOf(v))
			m := reflect.MakeMap(reflect.MapOf(reflect.TypeFor[string](), reflect.TypeOf(v)))
			m.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf(v))
			wrapper := struct{ Field any }{v}
			for _, shape := range []any{v, slice.Interface(), m.Interface(), wrapper, &wrapper} {
				var out bytes.Buffer
				for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
					fmt.Fprintf(&out, verb+"\n", shape)
				}
				for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
					slog.New(h).Info("value", "v", shape)
				}
				text := out.String()
				hex := fmt.Sprintf("%x", testICCID)
				for _, secret := range append(secrets, hex) {
					require.NotContains(t, text, secret, "%T shows a secret:\n%s", shape, text)
				}
				require.False(t, strings.Contains(text, "!BADKEY") || strings.Contains(text, "!ERROR"), text)
			}
		})
	}
	// The secrets stay readable on purpose.
	ac, err := assignment.ActivationCode()
	require.NoError(t, err)
	require.Equal(t, lpa, ac.LPA())
	require.True(t, errors.As(values["OutcomeUnknownError"].(error), new(*OutcomeUnknownError)))
}
