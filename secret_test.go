package travelroam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
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
