package travelroam

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/stretchr/testify/require"
)

// TestSecretAndICCIDPrintMasked: a Secret and an ICCID mask themselves
// with every fmt verb, alone and inside slices, maps, structs and
// pointers, in slog (built-in handlers and one that reads the resolved
// value) and in JSON (both engines); Reveal and string() give the value.
func TestSecretAndICCIDPrintMasked(t *testing.T) {
	t.Parallel()
	const pin, iccid = "PIN_7391", ICCID("8944538532012345678")
	s := Secret(pin)
	require.True(t, s == "PIN_7391", "compares with a string constant")
	require.Equal(t, pin, s.Reveal())
	require.Equal(t, "8944538532012345678", string(iccid))
	type holder struct {
		S Secret
		I ICCID
	}
	h := holder{s, iccid}
	shapes := []any{s, iccid, []Secret{s}, []ICCID{iccid}, map[string]Secret{"k": s}, map[string]ICCID{"k": iccid}, h, &h, struct{ Any any }{h}}
	var out bytes.Buffer
	for _, v := range shapes {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%T"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
		fmt.Fprintln(&out, v)
		b, err := json.Marshal(v)
		require.NoError(t, err)
		out.Write(b)
		b, err = jsonv2.Marshal(v)
		require.NoError(t, err)
		out.Write(b)
		for _, hd := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil), resolvingHandler{&out}} {
			slog.New(hd).Info("m", "v", v, slog.Any("direct", v))
		}
	}
	text := out.String()
	for _, leak := range []string{pin, string(iccid), fmt.Sprintf("%x", pin), fmt.Sprintf("%x", string(iccid)), "7391", "89445385"} {
		require.NotContains(t, text, leak)
	}
	require.Contains(t, text, "[redacted]")
	require.Contains(t, text, "…5678")
	require.Equal(t, `"[redacted]"`, fmt.Sprintf("%q", s))
	require.Contains(t, fmt.Sprintf("%#v", h), `S:"[redacted]", I:"…5678"`, "%#v stays Go syntax")
}

// resolvingHandler writes each attribute's resolved value with %v, as a
// hand-written handler might.
type resolvingHandler struct{ w *bytes.Buffer }

func (resolvingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h resolvingHandler) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(h.w, "%s=%v\n", a.Key, a.Value.Resolve().Any())
		return true
	})
	return nil
}
func (h resolvingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h resolvingHandler) WithGroup(string) slog.Handler      { return h }

// TestSecretAndICCIDDecodeTheRealValue: JSON decoding, with either engine,
// reads the real value into a Secret and an ICCID (their JSON is the
// masked one), and the SDK's decoders fill them from the server's answer.
func TestSecretAndICCIDDecodeTheRealValue(t *testing.T) {
	t.Parallel()
	type holder struct {
		S Secret `json:"s"`
		I ICCID  `json:"i"`
	}
	in := []byte(`{"s":"K2-1Z8QAB-3XYV7P","i":"8944538532012345678"}`)
	for name, unmarshal := range map[string]func([]byte, any) error{
		"v1": json.Unmarshal, "v2": func(b []byte, v any) error { return jsonv2.Unmarshal(b, v) },
	} {
		var h holder
		require.NoError(t, unmarshal(in, &h), name)
		require.Equal(t, holder{S: testMatchingI, I: testICCID}, h, name)
	}
	b, err := json.Marshal(holder{S: testMatchingI, I: testICCID})
	require.NoError(t, err)
	require.JSONEq(t, `{"s":"[redacted]","i":"…5678"}`, string(b))

	var a Assignment
	require.NoError(t, json.Unmarshal([]byte(`{"iccid":`+testICCID+`,"matchingId":"`+testMatchingI+`","pin":1234}`), &a))
	require.Equal(t, testMatchingI, a.MatchingID.Reveal())
	require.Equal(t, "1234", a.PIN.Reveal())
	require.Equal(t, testICCID, string(a.ICCID))
}

// TestNoSecretIsAMapKey: encoding/json writes a map key of a string type
// as it is, without calling MarshalJSON, so a Secret or an ICCID used as
// a map key would leak whole. No map in the SDK's code (exported or not)
// has one as its key.
func TestNoSecretIsAMapKey(t *testing.T) {
	t.Parallel()
	// The failure this guards against, shown once.
	b, err := json.Marshal(map[Secret]int{"PIN_7391": 1})
	require.NoError(t, err)
	require.Contains(t, string(b), "PIN_7391", "encoding/json writes a map key raw")

	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			if m, ok := n.(*ast.MapType); ok {
				if id, ok := m.Key.(*ast.Ident); ok && (id.Name == "Secret" || id.Name == "ICCID") {
					t.Errorf("%s: a map keyed by %s", fset.Position(m.Pos()), id.Name)
				}
			}
			return true
		})
	}
	require.Greater(t, checked, 30, "the package's files were read")
}

// TestICCIDString: an ICCID prints its last four characters; one of four
// or fewer is all stars. Characters, not bytes: a value a server sent in
// other digits (full-width) is neither cut inside a character (invalid
// UTF-8, which encoding/json turns into U+FFFD) nor shown for one of four
// characters.
func TestICCIDString(t *testing.T) {
	t.Parallel()
	for in, want := range map[ICCID]string{
		testICCID:  "…5678",
		"12345":    "…2345",
		"1234":     "****",
		"12":       "**",
		"":         "",
		"８９４４５３８５": "…５３８５",
		"１２３４":     "****",
	} {
		require.Equal(t, want, in.String(), string(in))
		require.True(t, utf8.ValidString(in.String()), string(in))
	}
}

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
// fmt.Sprintf("%s", []*ESIM{e}) shows the PIN. go vet reports that call
// (go test runs the check), as for any struct of the caller's own; the
// SDK's structs print with the verbs fmt takes for pointers there.
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
			shapes := []any{v, slice.Interface(), m.Interface(), wrapper, &wrapper}
			// A pointer inside a container printed with a verb fmt does not
			// take for pointers (%s, %q, %d) goes down fmt's error path, which
			// calls no method: go vet reports such a call (and go test runs
			// that check), and the Secret type's doc says so. Only the errors,
			// which have their own Format, are printed so.
			var inner []any
			if _, ok := v.(fmt.Formatter); ok {
				shapes = append(shapes, ptrs.Interface(), struct{ Field any }{ptr.Interface()})
			} else {
				inner = []any{ptrs.Interface(), struct{ Field any }{ptr.Interface()}}
			}
			for _, shape := range inner {
				var out bytes.Buffer
				for _, verb := range []string{"%v", "%+v", "%#v", "%x", "%X", "%p"} {
					fmt.Fprintf(&out, verb+"\n", shape)
				}
				for _, secret := range append(secrets, encoded...) {
					require.NotContains(t, out.String(), secret, "%T shows a secret:\n%s", shape, out.String())
				}
			}
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
