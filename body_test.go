package travelroam

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

// endless is a body of endless spaces.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	const spaces = "                                                                "
	n := 0
	for n < len(p) {
		n += copy(p[n:], spaces)
	}
	return n, nil
}

// TestReadBodyOverCap: a small route's answer over its 1 MiB cap fails
// with ErrResponseTooLarge after one attempt; exactly at the cap is fine.
// (The catalogue's 128 MiB cap works alike, but is slow under -race.)
func TestReadBodyOverCap(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", func(req *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(200, "")
		resp.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"name":"`), endless{}))
		return resp, nil
	})
	_, err := c.Organisation(t.Context())
	require.ErrorIs(t, err, ErrResponseTooLarge)
	require.EqualError(t, err, "travelroam: GET /organisation: travelroam: response too large")
	require.Equal(t, 1, mt.GetTotalCallCount(), "too large is not retried")

	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", func(req *http.Request) (*http.Response, error) {
		body := `{"name":"Acme","balance":1}`
		return httpmock.NewStringResponse(200, body+strings.Repeat(" ", maxSmallResponse-len(body))), nil
	})
	_, err = c.Organisation(t.Context())
	require.NoError(t, err)
}

// TestResponseCaps: only the catalogue may send a large answer.
func TestResponseCaps(t *testing.T) {
	t.Parallel()
	for _, o := range operations() {
		op := o.op
		want := int64(1 << 20)
		if op == OpCatalogue {
			want = maxResponseBytes
		}
		require.Equal(t, want, responseCap(op), op)
	}
}

func TestReadCapped(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 3000)
	for _, tc := range []struct {
		name, in string
		limit    int64
		hint     int64
		want     string
		tooLarge bool
	}{
		{"exact fit, no hint", "12345", 5, -1, "12345", false},
		{"one byte over, no hint", "123456", 5, -1, "12345", true},
		{"exact hint", "12345", 5, 5, "12345", false},
		{"hint over the limit", "123456", 5, 6, "12345", true},
		{"hint too small", long, 5000, 10, long, false},
		{"hint too large", "123", 5000, 4000, "123", false},
		{"empty with hint 0", "", 10, 0, "", false},
		{"grows past 512 bytes", long, 5000, -1, long, false},
	} {
		b, err := readCapped(strings.NewReader(tc.in), tc.limit, tc.hint)
		if tc.tooLarge {
			require.ErrorIs(t, err, ErrResponseTooLarge, tc.name)
		} else {
			require.NoError(t, err, tc.name)
		}
		require.Equal(t, tc.want, string(b), tc.name)
	}
	require.Equal(t, int64(128<<20), int64(maxResponseBytes))
}

func TestReadCappedPresizesFromContentLength(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x", 100_000)
	b, err := readCapped(strings.NewReader(body), maxResponseBytes, int64(len(body)))
	require.NoError(t, err)
	require.Len(t, b, len(body))
	require.Equal(t, len(body)+1, cap(b), "one allocation of the declared size")
	// A huge declared length is not trusted with a huge allocation.
	b, err = readCapped(strings.NewReader("{}"), maxResponseBytes, maxResponseBytes)
	require.NoError(t, err)
	require.Equal(t, "{}", string(b))
	require.LessOrEqual(t, cap(b), maxPresize+1)
}

func TestReadCappedReturnsReadErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, hint := range []int64{-1, 3, 50} {
		b, err := readCapped(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), 100, hint)
		require.ErrorIs(t, err, boom, "hint %d", hint)
		require.Equal(t, "abc", string(b), "hint %d", hint)
	}
}

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
		require.Equal(t, "partial", string(b), "the bytes that arrived come with the error")
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

// TestReadRefusesAnswersOfTinyObjects: a body within its size cap whose
// objects are too small to be real ([{},{},…]) would decode into hundreds
// of times its size; it is a DecodeError, decoded not at all, and what the
// call allocates stays a small multiple of the body.
func TestReadRefusesAnswersOfTinyObjects(t *testing.T) {
	// Not parallel: it measures the allocations of the whole process.
	for route, body := range map[string][]byte{
		"/catalogue":    append(append([]byte("["), bytes.Repeat([]byte("{},"), 1<<20)...), "{}]"...),
		"/organisation": append(append([]byte(`{"users":[`), bytes.Repeat([]byte("{},"), 300_000)...), "{}]}"...),
	} {
		c, mt := newMockClient(t)
		mt.RegisterNoResponder(httpmock.NewBytesResponder(200, body))
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		var err error
		if route == "/catalogue" {
			_, err = c.Catalogue(t.Context(), CatalogueOptions{Region: RegionEurope})
		} else {
			_, err = c.Organisation(t.Context())
		}
		runtime.ReadMemStats(&m1)
		var de *DecodeError
		require.ErrorAs(t, err, &de, route)
		require.ErrorIs(t, err, errTooManyObjects)
		require.Equal(t, 1, mt.GetTotalCallCount(), "not asked for again")
		require.Less(t, m1.TotalAlloc-m0.TotalAlloc, uint64(8*len(body)), route)
	}
	require.NoError(t, checkObjectDensity(fixture(t, "catalogue_v25.json")))
	require.NoError(t, checkObjectDensity([]byte(`[{}]`)), "a small answer is never refused")
}
