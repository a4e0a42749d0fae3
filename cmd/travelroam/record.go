package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"sync"
)

// maxRecorded is the most of one answer the recorder keeps; the rest
// still reaches the SDK.
const maxRecorded = 16 << 20

// exchange is one HTTP request and its answer, as doctor saw them.
type exchange struct {
	method, path string
	status       int
	contentType  string
	body         []byte // decompressed; at most maxRecorded bytes
	complete     bool   // the whole body was read without error
	err          error  // the transport's error, if no answer came
}

// recorder is an http.RoundTripper that keeps a copy of every answer, so
// that doctor can compare the raw JSON with what the SDK decoded. The SDK
// still makes every request: this only watches.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	log  []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	ex := exchange{method: req.Method, path: req.URL.Path, err: err}
	if err != nil {
		r.add(ex)
		return nil, err
	}
	ex.status = resp.StatusCode
	ex.contentType = resp.Header.Get("Content-Type")
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxRecorded+1))
	replay := io.Reader(bytes.NewReader(body))
	switch {
	case readErr != nil:
		replay = io.MultiReader(replay, errReader{readErr})
	case len(body) > maxRecorded:
		replay = io.MultiReader(replay, resp.Body)
		body = body[:maxRecorded]
	default:
		ex.complete = true
	}
	ex.body = body
	if !resp.Uncompressed && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		ex.body, ex.complete = gunzip(body)
	}
	r.add(ex)
	resp.Body = readCloser{replay, resp.Body}
	return resp, nil
}

func (r *recorder) add(ex exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, ex)
}

// since returns the exchanges recorded after the first n.
func (r *recorder) since(n int) []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.log[n:]...)
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

// gunzip inflates a copy of a compressed answer, at most maxRecorded bytes.
func gunzip(b []byte) ([]byte, bool) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, false
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxRecorded+1))
	return out, err == nil && len(out) <= maxRecorded
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type readCloser struct {
	io.Reader
	io.Closer
}
