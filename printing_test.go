package travelroam

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/stretchr/testify/require"
)

// TestPrintingLeaksNothing logs every exported value the SDK returns that
// holds a secret, alone, in a slice and in a map, behind a pointer in a
// slice or a struct field, and (for an error, which the SDK returns as a
// pointer) as the value it points to, through slog's text and JSON
// handlers, every fmt verb, encoding/json and encoding/json/v2, and greps
// the output for the secrets: activation codes, matching IDs, PINs, PUKs,
// full ICCIDs, the callback URL's token and people's contact details, as
// text, in hex, in base64 and as decimal bytes.
//
// A pointer inside a slice, a map or a struct printed with a verb fmt
// does not take for pointers (%s, %q) sends fmt down its error path,
// which prints the value behind the pointer without calling any method:
// before the structs had their own Format, fmt.Sprintf("%s",
// []*ESIM{e}) showed the PIN, the matching ID and the whole ICCID.
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
	encoded := []string{fmt.Sprintf("%x", testICCID), fmt.Sprintf("%X", testMatchingI), strings.Trim(fmt.Sprint([]byte("LPA:1")), "[]")}
	for _, body := range [][]byte{apiErr.Body, []byte(lpa)} {
		encoded = append(encoded, base64.StdEncoding.EncodeToString(body)[:12])
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			slice := reflect.MakeSlice(reflect.SliceOf(reflect.TypeOf(v)), 0, 2)
			slice = reflect.Append(slice, reflect.ValueOf(v), reflect.ValueOf(v))
			m := reflect.MakeMap(reflect.MapOf(reflect.TypeFor[string](), reflect.TypeOf(v)))
			m.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf(v))
			wrapper := struct{ Field any }{v}
			ptr := reflect.New(reflect.TypeOf(v))
			ptr.Elem().Set(reflect.ValueOf(v))
			ptrs := reflect.Append(reflect.MakeSlice(reflect.SliceOf(ptr.Type()), 0, 1), ptr)
			shapes := []any{v, slice.Interface(), m.Interface(), wrapper, &wrapper, ptrs.Interface(), struct{ Field any }{ptr.Interface()}}
			if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
				value := rv.Elem().Interface() // the error's struct, e.g. a copy a caller made: *apiErr
				shapes = append(shapes, value, []any{value}, struct{ Field any }{value})
			}
			for _, shape := range shapes {
				var out bytes.Buffer
				for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
					fmt.Fprintf(&out, verb+"\n", shape)
				}
				for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
					slog.New(h).Info("value", "v", shape)
				}
				for _, marshal := range []func(any) ([]byte, error){
					func(v any) ([]byte, error) { return json.Marshal(v) },
					func(v any) ([]byte, error) { return jsonv2.Marshal(v) },
				} {
					b, err := marshal(shape)
					require.NoError(t, err, "%T", shape)
					out.Write(b)
				}
				text := out.String()
				for _, secret := range append(secrets, encoded...) {
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
