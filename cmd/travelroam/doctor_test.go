package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckFields(t *testing.T) {
	org := routeSchema{body: organisationSchema, wrappers: []string{"organisations", "data"}}
	r, err := checkFields(org, []byte(`{"organisations":[{"balance":1,"currency":"USD","colour":"red","users":[{"firstName":"A","pet":"cat"}]}],"meta":{}}`))
	require.NoError(t, err)
	require.Equal(t, `wrapped in {"organisations": […]}`, r.Shape)
	require.Equal(t, []string{"meta", "organisations[].colour", "organisations[].users[].pet"}, r.Unexpected)
	require.Empty(t, r.Missing)

	r, err = checkFields(org, []byte(`{"data":{"currency":"USD"}}`))
	require.NoError(t, err)
	require.Equal(t, `wrapped in {"data": {…}}`, r.Shape)
	require.Equal(t, []string{"data.balance"}, r.Missing)

	r, err = checkFields(org, []byte(`{"balance":1,"currency":"USD"}`))
	require.NoError(t, err)
	require.Empty(t, r.Shape)
	require.False(t, r.differs())

	asg := routeSchema{body: assignmentsSchema, wrappers: []string{"esims", "data"}, list: true}
	r, err = checkFields(asg, []byte(`[{"iccid":"1","matchingId":"m","smdpAddress":"s","extra":1},{"iccid":"2"}]`))
	require.NoError(t, err)
	require.Equal(t, "a bare array", r.Shape)
	require.Equal(t, []string{"[].extra"}, r.Unexpected)
	require.Equal(t, []string{"[].matchingId", "[].smdpAddress"}, r.Missing)

	cat := routeSchema{body: catalogueSchema}
	r, err = checkFields(cat, []byte(`{"bundles":"none","pageCount":1,"rows":0,"pageSize":5}`))
	require.NoError(t, err)
	require.Equal(t, []string{"bundles (not a list or an object)"}, r.Mismatched)
	r, err = checkFields(cat, []byte(`{"bundles":[1],"pageCount":1,"rows":0,"pageSize":5}`))
	require.NoError(t, err)
	require.Equal(t, []string{"bundles[] (not an object)"}, r.Mismatched)
	r, err = checkFields(cat, []byte(`"x"`))
	require.NoError(t, err)
	require.True(t, r.differs())

	_, err = checkFields(cat, []byte(`{"bundles":[`))
	require.ErrorContains(t, err, "not JSON")
	_, err = checkFields(cat, []byte(`{} {}`))
	require.ErrorContains(t, err, "not JSON")
}

// stubTransport answers every request with one response.
type stubTransport struct {
	resp func() *http.Response
	err  error
}

func (s stubTransport) RoundTrip(*http.Request) (*http.Response, error) {
	if s.err != nil {
		return nil, s.err
	}
	return s.resp(), nil
}

func TestRecorderReplaysWhatItRead(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "http://x/api/organisation", nil)
	rec := &recorder{base: stubTransport{resp: func() *http.Response {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(`{"a":1}`))}
	}}}
	resp, err := rec.RoundTrip(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, `{"a":1}`, string(body), "the SDK still reads the whole answer")
	ex := rec.since(0)
	require.Len(t, ex, 1)
	require.Equal(t, "/api/organisation", ex[0].path)
	require.True(t, ex[0].complete)

	// A body that breaks off: the SDK sees the same error after the bytes.
	broken := errors.New("connection reset")
	rec = &recorder{base: stubTransport{resp: func() *http.Response {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(io.MultiReader(strings.NewReader("{\"a\""), errReader{broken}))}
	}}}
	resp, err = rec.RoundTrip(req)
	require.NoError(t, err)
	body, err = io.ReadAll(resp.Body)
	require.ErrorIs(t, err, broken)
	require.Equal(t, `{"a"`, string(body))
	require.False(t, rec.since(0)[0].complete)

	// A compressed answer the transport did not inflate is inflated for the check only.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"b":2}`))
	_ = zw.Close()
	rec = &recorder{base: stubTransport{resp: func() *http.Response {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Encoding": {"gzip"}}, Body: io.NopCloser(bytes.NewReader(gz.Bytes()))}
	}}}
	resp, err = rec.RoundTrip(req)
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	require.Equal(t, gz.Bytes(), body, "the SDK gets the bytes as sent")
	require.Equal(t, `{"b":2}`, string(rec.since(0)[0].body))

	rec = &recorder{base: stubTransport{err: broken}}
	_, err = rec.RoundTrip(req)
	require.ErrorIs(t, err, broken)
	require.ErrorIs(t, rec.since(0)[0].err, broken)
}
