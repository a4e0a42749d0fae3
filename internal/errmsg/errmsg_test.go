package errmsg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fixture reads a file of the repository's testdata folder.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	require.NoError(t, err)
	return b
}

func TestExtract(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 201)
	for _, tc := range []struct {
		name string
		body string
		want string
	}{
		{"message", string(fixture(t, "error_message.json")), "Bundle not found"},
		{"error", string(fixture(t, "error_error.json")), "Invalid API key"},
		{"msg", string(fixture(t, "error_msg.json")), "countries or region is required"},
		{"errors object", string(fixture(t, "error_errors.json")),
			"countries: Too many countries.; region: The region field must be a single region."},
		{"errors list", string(fixture(t, "error_errors_list.json")), "first problem; second problem"},
		{"html", string(fixture(t, "error_502.html")), ""},
		{"message wins over error", `{"error":"second","message":"first"}`, "first"},
		{"empty message falls through", `{"message":"","error":"the error"}`, "the error"},
		{"message object", `{"message":{"message":"nested"}}`, "nested"},
		{"unknown keys", `{"code":42,"detail":"x"}`, ""},
		{"plain text", "Service Unavailable", "Service Unavailable"},
		{"long text", long, ""},
		{"empty", "", ""},
		{"spaces", "  \n", ""},
		{"json string", `"just a string"`, `"just a string"`},
		{"number message", `{"message":42}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, Extract([]byte(tc.body)))
		})
	}
}

// TestExtractNestingBounded: a deeply nested error body is not walked
// past maxDepth levels (each level re-reads its part of the body, so an
// unbounded walk costs quadratic time), and a shallow Laravel-style body
// still gives its message.
func TestExtractNestingBounded(t *testing.T) {
	t.Parallel()
	nested := func(levels int) []byte {
		return []byte(`{"errors":` + strings.Repeat("[", levels) + `"x"` + strings.Repeat("]", levels) + `}`)
	}
	require.Equal(t, "x", Extract(nested(maxDepth)))
	require.Empty(t, Extract(nested(maxDepth+1)), "not walked past maxDepth")
	require.Empty(t, Extract(nested(9000)))
	require.Equal(t, "bundleName: The bundle name field is required.",
		Extract([]byte(`{"errors":{"bundleName":["The bundle name field is required."]}}`)))
}
