package redact

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	pin     = "8284"
	puk     = "21334089"
	lpaCode = "LPA:1$rsp.example.com$" + code
)

func TestRedactorJSONKeepsOrderAndNumbers(t *testing.T) {
	t.Parallel()
	r := NewRedactor("KEYKEYKEYKEY").WithNames("name")
	in := `{"z":1.50,"iccid":"8944538591614631810","n":8944538591614631810,"iccids":["8944538591614631811"],
	"matchingId":"VG-PNFESC-6PYKZZ","pin":"1234","puk":"12345678","firstName":"Ada","emailAddress":"ada@example.org",
	"phoneNumber":"+44 20 7946 0000","callbackUrl":"https://shop.example/cb?token=abc","apiKey":"x","name":"Acme",
	"msg":"ICCID 8944538591614631810 of ada@example.org: LPA:1$rsp.x$AB-CDEF and key KEYKEYKEYKEY",
	"appleInstallUrl":"https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24rsp.x%24AB-CDEF",
	"created":"2026-12-07T11:03:19Z","ms":1733569399000,"smdpAddress":"https://rsp.example.com/x",
	"empty":"","list":[],"obj":{},"t":true,"nul":null}`
	out, err := r.JSON([]byte(in))
	require.NoError(t, err)
	require.Equal(t, `{
  "z": 1.50,
  "iccid": "8900000000000001810",
  "n": 8900000000000001810,
  "iccids": [
    "8900000000000001811"
  ],
  "matchingId": "XX-XXXXXX-0XXXXX",
  "pin": "0000",
  "puk": "00000000",
  "firstName": "REDACTED",
  "emailAddress": "redacted@example.com",
  "phoneNumber": "+10000000000",
  "callbackUrl": "https://callback.example/REDACTED",
  "apiKey": "REDACTED",
  "name": "REDACTED",
  "msg": "ICCID 8900000000000001810 of redacted@example.com: LPA:1$rsp.x$XX-XXXX and key REDACTED",
  "appleInstallUrl": "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24rsp.x%24XX-XXXX",
  "created": "2026-12-07T11:03:19Z",
  "ms": 1733569399000,
  "smdpAddress": "https://XXX.XXXXXXX.XXX/X",
  "empty": "",
  "list": [],
  "obj": {},
  "t": true,
  "nul": null
}
`, string(out))

	_, err = r.JSON([]byte(`{"a":1} x`))
	require.Error(t, err)
	_, err = r.JSON([]byte(strings.Repeat("[", 300) + strings.Repeat("]", 300)))
	require.ErrorContains(t, err, "nested too deeply")
}

// TestRedactorAnyKeySpelling fails before the shared redactor: the
// command line's list had matchingId and activationCode, not matching_id,
// "Activation-Code" or "PIN Code", and masked nothing by its shape.
func TestRedactorAnyKeySpelling(t *testing.T) {
	t.Parallel()
	r := NewRedactor()
	for _, key := range []string{"matchingId", "matching_id", "Matching-ID", "Matching ID", "MATCHINGID", "activation_code",
		"Activation-Code", "activationCodeString", "confirmation_code", "lpa", "lpaString", "qr", "qr_code", "QRCodeURL", "cardData", "esimQr"} {
		out, err := r.JSON([]byte(`{"` + key + `":"abcdefgh2345"}`))
		require.NoError(t, err)
		require.NotContains(t, string(out), "abcdefgh2345", key)
	}
	for _, key := range []string{"pin", "PIN1", "puk_2", "PIN Code", "esimPin", "simPUK", "pukCode"} {
		out, err := r.JSON([]byte(`{"` + key + `":"` + pin + `","n":{"` + key + `":` + puk + `}}`))
		require.NoError(t, err)
		require.NotContains(t, string(out), pin, key)
		require.NotContains(t, string(out), puk, key)
	}
	for _, key := range []string{"iccid", "ICCID", "esim_iccid", "IccidList"} {
		out, err := r.JSON([]byte(`{"` + key + `":["89445385916146", 89445385916146]}`))
		require.NoError(t, err)
		require.NotContains(t, string(out), "89445385916146", key)
	}
	for _, key := range []string{"apiKey", "api_key", "X-API-KEY", "clientSecret", "client-secret", "Clientsecret", "access_token", "password", "Authorization"} {
		out, err := r.JSON([]byte(`{"` + key + `":"hunter2"}`))
		require.NoError(t, err)
		require.NotContains(t, string(out), "hunter2", key)
	}
}

// TestRedactorValueShapes: a value that looks like a secret is masked
// under any key, and so is an object's member name.
func TestRedactorValueShapes(t *testing.T) {
	t.Parallel()
	r := NewRedactor(key, secret)
	in := `{"ref":"` + code + `","x":"` + lpaCode + `","n":` + iccid + `,"s":"` + iccid + `","grouped":"8944 5385 3201 2345 678",
	"letters":"VGPQ-PNFESC-XPYKZZ","` + iccid + `":{"` + code + `":"` + lpaCode + `"},"note":"pin: ` + pin + `, puk=` + puk + `",
	"escaped":"\u004b2-1Z8QAB-3XYV7P","k":"` + key + `","url":"https://x/?k=` + url.QueryEscape(secret) + `"}`
	out, err := r.JSON([]byte(in))
	require.NoError(t, err)
	for _, s := range []string{code, iccid, "8944 5385", "VGPQ-PNFESC-XPYKZZ", "rsp.example.com$K", pin, puk, key, secret} {
		require.NotContains(t, string(out), s)
	}
	require.Contains(t, string(out), `"8900000000000005678": {`, "an ICCID as a member name keeps its shape")
	require.Contains(t, string(out), `"X0-0X0XXX-0XXX0X": "LPA:1$rsp.example.com$X0-0X0XXX-0XXX0X"`)
	again, err := r.JSON(out)
	require.NoError(t, err)
	require.Equal(t, string(out), string(again))
}

// TestRedactorCSV fails before the shared redactor: the matching ID of
// eSIM Go's CSV answer was written in clear.
func TestRedactorCSV(t *testing.T) {
	t.Parallel()
	r := NewRedactor()
	in := "\"ICCID\",\"Matching ID\",\"RSP URL\",\"Bundle\"\n\"" + iccid + "\",\"abcdefgh\",\"rsp.example.com\",\"esim_1GB_7D_TR_V2\"\n"
	out, format := r.Body("text/csv", []byte(in))
	require.Equal(t, FormatCSV, format)
	require.Equal(t, "\"ICCID\",\"Matching ID\",\"RSP URL\",\"Bundle\"\n\"8900000000000005678\",\"XXXXXXXX\",\"XXX.XXXXXXX.XXX\",\"esim_1GB_7D_TR_V2\"\n", string(out))

	// Unquoted, CRLF, other spellings, no CSV content type, shapes in
	// unnamed columns, a byte order mark.
	in = bom + "iccid,matching_id,Activation Code,Pin,PUK2,Note\r\n" + iccid + ",abcdefgh," + lpaCode + "," + pin + "," + puk + ",\"code " + code + ", pin: " + pin + "\"\r\n"
	out, format = r.Body("text/plain", []byte(in))
	require.Equal(t, FormatCSV, format)
	require.Equal(t, bom+"iccid,matching_id,Activation Code,Pin,PUK2,Note\r\n8900000000000005678,XXXXXXXX,LPA:1$rsp.example.com$X0-0X0XXX-0XXX0X,0000,00000000,\"code X0-0X0XXX-0XXX0X, pin: 0000\"\r\n", string(out))

	// A first row of data: found by shape.
	out, err := r.CSV([]byte(iccid + "," + code + "\n"))
	require.NoError(t, err)
	require.Equal(t, "8900000000000005678,X0-0X0XXX-0XXX0X\n", string(out))

	_, err = r.CSV(nil)
	require.Error(t, err)
	out, format = r.Body("text/plain", []byte("Service unavailable, try later"))
	require.Equal(t, FormatText, format, "one line of prose is not a table")
	require.Equal(t, "Service unavailable, try later", string(out))
	out, format = r.Body("text/html", []byte("<p>ICCID "+iccid+", matching ID "+code+"</p>"))
	require.Equal(t, FormatText, format)
	require.Equal(t, "<p>ICCID 8900000000000005678, matching ID X0-0X0XXX-0XXX0X</p>", string(out))
}

func TestRedactorWithNames(t *testing.T) {
	t.Parallel()
	r := NewRedactor()
	org := r.WithNames("name", "addr1")
	out, err := org.JSON([]byte(`{"name":"Acme","Addr_1":"1 Road","city":"London"}`))
	require.NoError(t, err)
	require.Equal(t, "{\n  \"name\": \"REDACTED\",\n  \"Addr_1\": \"REDACTED\",\n  \"city\": \"London\"\n}\n", string(out))
	out, err = r.JSON([]byte(`{"name":"Acme"}`))
	require.NoError(t, err)
	require.Contains(t, string(out), "Acme", "the names are the copy's only")
}

func TestNewWriter(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := NewWriter(&b, "SECRETKEY123", "short", "")
	n, err := w.Write([]byte("a SECRETKEY123 b SECRETKEY123 short"))
	require.NoError(t, err)
	require.Equal(t, 35, n, "reports the bytes it was given")
	require.Equal(t, "a [redacted] b [redacted] short", b.String(), "values under 8 characters are left alone")
	b.Reset()
	_, err = w.Write([]byte("echoed secretkey123 and SecretKey123"))
	require.NoError(t, err)
	require.Equal(t, "echoed [redacted] and [redacted]", b.String(), "in any case")
	require.Same(t, &b, NewWriter(&b, "", "x"), "nothing to replace: no wrapper")
}

// plantedSecrets are what FuzzRedactor plants: an ICCID, a matching ID,
// an activation code (also percent-encoded), the credentials.
var plantedSecrets = []string{iccid, code, lpaCode, key, secret}

// FuzzRedactor: whatever the keys, column names and other values around
// them, a secret planted in a JSON document (as a value under any key, a
// value under a sensitive key in any spelling, a member name, a word of
// free text) or in a
// CSV table (a cell under any column, a cell under a sensitive column, a
// column name) never survives redaction, in any form; a PIN under a PIN
// key or column neither; and redacting twice changes nothing.
func FuzzRedactor(f *testing.F) {
	f.Add("note", "matching_id", "x", "y", "before", "after", uint8(0))
	f.Add("", "Matching ID", "\"", ",", "\r\n", "\n", uint8(1))
	f.Add("ICCID", "PIN", "a b", "LPA:", "1$", "$", uint8(2))
	f.Add("esims", "activationCode", "{", "[", "\x00", "é", uint8(3))
	f.Fuzz(func(t *testing.T, k1, sensitiveKey, k2, v1, v2, v3 string, which uint8) {
		r := NewRedactor(key, secret)
		planted := plantedSecrets[int(which)%len(plantedSecrets)]
		sensitive := []string{"matchingId", "matching_id", "Matching ID", "activation-code", "ICCID", "iccids", "lpa", "qr_code", "apiKey", "X-API-KEY"}[int(which/8)%10]
		// JSON: every string is encoded, so the document is valid.
		doc := map[string]any{
			k1:           planted,
			k2:           []any{v1, planted, map[string]any{planted: v2}},
			sensitive:    planted,
			sensitiveKey: v3,
			"pin":        pin,
			"n":          json.Number(iccid),
			"text":       v1 + " " + planted + " " + v2,
		}
		body, err := json.Marshal(doc)
		require.NoError(t, err)
		// A PIN is found only by its key: the fuzzer may write it elsewhere.
		pinToo := !strings.Contains(k1+sensitiveKey+k2+v1+v2+v3, pin)
		checkRedacted(t, r, "application/json", body, planted, pinToo, FormatJSON)

		// CSV: a header of fuzzed names, one sensitive, and PIN.
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		_ = w.Write([]string{k1, sensitive, "PIN", planted, k2})
		_ = w.Write([]string{planted, planted, pin, v1, v2 + " " + planted + " " + v3})
		_ = w.Write([]string{v1, v2, v3, " " + planted, planted})
		w.Flush()
		checkRedacted(t, r, "text/csv", b.Bytes(), planted, pinToo, FormatCSV)

		// Any bytes at all, the format guessed: redacting twice changes
		// nothing, the format included.
		for _, raw := range []string{v1, v1 + "\n" + v2 + "\n" + v3, k1 + "," + k2 + "\n" + v1 + "," + v2} {
			out, format := r.Body("", []byte(raw))
			again, format2 := r.Body("", out)
			require.Equal(t, format, format2, "%q → %q", raw, out)
			require.Equal(t, string(out), string(again), "%q", raw)
		}
	})
}

// checkRedacted redacts body and fails if planted (or the PIN) survives
// in any form, or if a second pass changes the result.
func checkRedacted(t *testing.T, r *Redactor, contentType string, body []byte, planted string, pinToo bool, want Format) {
	t.Helper()
	out, format := r.Body(contentType, body)
	require.Equal(t, want, format, "%s", body)
	for _, form := range []string{planted, url.QueryEscape(planted), strings.ReplaceAll(planted, "$", `\u0024`)} {
		require.NotContains(t, string(out), form, "%s\n→\n%s", body, out)
	}
	if pinToo {
		require.NotRegexp(t, `(^|[^0-9])`+pin+`([^0-9]|$)`, string(out), "%s\n→\n%s", body, out)
	}
	again, format := r.Body(contentType, out)
	require.Equal(t, want, format)
	require.Equal(t, string(out), string(again), "redacting twice: %s", body)
}

// TestRedactorTextFindsJSONMembers: an answer cut short is not JSON, but
// its members still say what their values are: a PIN under esimPin, a QR
// code, a matching ID cut in the middle.
func TestRedactorTextFindsJSONMembers(t *testing.T) {
	t.Parallel()
	r := NewRedactor()
	in := `{"esimPin":"` + pin + `","qr_code":"data:image/png;base64,iVBORw0KGgo","Iccid":` + iccid + `,"Smdp_Address":"rsp.example.com","matching_id":"abcdefgh`
	out, format := r.Body("application/json", []byte(in))
	require.Equal(t, FormatText, format)
	require.Equal(t, `{"esimPin":"0000","qr_code":"XXXX:XXXXX/XXX;XXXX00,XXXXXX0XXXX","Iccid":8900000000000005678,"Smdp_Address":"XXX.XXXXXXX.XXX","matching_id":"XXXXXXXX`, string(out))
	require.Equal(t, string(out), r.Text(string(out)))
	require.Equal(t, `{"esimPin":"[redacted]","Iccid":[redacted],"name":"x"}`, Text(`{"esimPin":"`+pin+`","Iccid":`+iccid+`,"name":"x"}`))

	// XML and HTML elements, URL queries and forms.
	in = `<esim><matchingId>abcdefgh</matchingId><PIN>` + pin + `</PIN><name>x</name></esim> <a href="https://x/?qr=abcdefgh&esim_pin=` + pin + `&page=2">`
	require.Equal(t, `<esim><matchingId>XXXXXXXX</matchingId><PIN>0000</PIN><name>x</name></esim> <a href="https://x/?qr=XXXXXXXX&esim_pin=0000&page=2">`, r.Text(in))
	require.Equal(t, `<esim><matchingId>[redacted]</matchingId><PIN>[redacted]</PIN><name>x</name></esim> <a href="https://x/?qr=[redacted]&esim_pin=[redacted]&page=2">`, Text(in))
}
