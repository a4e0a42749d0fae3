package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/roamkit/travelroam/internal/redact"
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

// organisationNames are the organisation's fields replaced in its
// fixture: its name and address.
var organisationNames = []string{"name", "addr1", "addr2", "postcode", "notes"}

// fixture redacts one recorded answer (internal/redact: by key in any
// spelling, by what each value looks like, JSON, CSV or text) and
// returns its bytes and the file name for it.
func fixture(r *redact.Redactor, chk *routeCheck) ([]byte, string) {
	if chk.Name == "organisation" {
		r = r.WithNames(organisationNames...)
	}
	data, format := r.Body(chk.raw.contentType, chk.raw.body)
	return data, chk.Name + "." + string(format)
}

// makeRecordDir creates the --record directory, 0700 when it is new.
func makeRecordDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("doctor: --record: %w", err)
	}
	return nil
}

// writeFixture writes data to dir/name with mode 0600: into a new file
// of the same directory, renamed over the path, so that an existing
// file's mode is not kept and a planted symbolic link is replaced, never
// written through.
func writeFixture(dir, name string, data []byte) (string, error) {
	path := filepath.Join(dir, name)
	f, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return "", fmt.Errorf("doctor: --record: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("doctor: --record: %w", err)
	}
	// The same answer recorded in another format by an earlier run (an
	// older version may have left it unredacted) does not stay beside it.
	base := strings.TrimSuffix(name, filepath.Ext(name))
	for _, ext := range [...]string{".json", ".csv", ".txt"} {
		if other := base + ext; other != name {
			if err := os.Remove(filepath.Join(dir, other)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("doctor: --record: %w", err)
			}
		}
	}
	return path, nil
}

// redactPaths masks what looks secret in field paths that doctor prints
// (a member name can be an ICCID or a matching ID).
func redactPaths(paths []string) []string {
	for i, p := range paths {
		paths[i] = redact.Text(p)
	}
	return paths
}
