package travelroam

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// TestReadResponse covers the size cap of response bodies: declared
// lengths (true, lying, over the cap), unknown lengths at the boundary,
// and error bodies, which are cut rather than refused.
func TestReadResponse(t *testing.T) {
	t.Parallel()
	const limit = 1000
	body := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name     string
		status   int
		declared int64 // Content-Length; -1 unknown
		body     string
		want     int // bytes returned
		tooLarge bool
		read     int // bytes taken from the body at most
	}{
		{"declared, fits", 200, 1000, body(1000), 1000, false, 1000},
		{"declared over the cap: refused unread", 200, 1001, body(1001), 0, true, 0},
		{"declared short, body longer", 200, 10, body(20), 20, false, 20},
		{"declared short, body over the cap", 200, 10, body(2000), 0, true, 1001},
		{"unknown, fits exactly", 200, -1, body(1000), 1000, false, 1000},
		{"unknown, one byte over", 200, -1, body(1001), 0, true, 1001},
		{"unknown, far over", 200, -1, body(50000), 0, true, 1001},
		{"empty", 200, 0, "", 0, false, 0},
		{"error body cut, not refused", 503, 5000, body(100 << 10), 1000, false, 1001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := &bodyCounter{r: iotest.HalfReader(strings.NewReader(tc.body))}
			resp := &http.Response{StatusCode: tc.status, ContentLength: tc.declared, Body: io.NopCloser(src)}
			b, err := readResponse(resp, limit)
			if tc.tooLarge {
				require.ErrorIs(t, err, ErrResponseTooLarge)
			} else {
				require.NoError(t, err)
				require.Equal(t, tc.body[:tc.want], string(b))
			}
			require.LessOrEqual(t, src.n, tc.read)
		})
	}
}

func TestReadResponseKeepsReadErrors(t *testing.T) {
	t.Parallel()
	for _, declared := range []int64{-1, 100} {
		resp := &http.Response{StatusCode: 200, ContentLength: declared,
			Body: io.NopCloser(io.MultiReader(bytes.NewReader([]byte("partial")), iotest.ErrReader(io.ErrUnexpectedEOF)))}
		b, err := readResponse(resp, 1000)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		require.Nil(t, b)
	}
}

type bodyCounter struct {
	r io.Reader
	n int
}

func (c *bodyCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
