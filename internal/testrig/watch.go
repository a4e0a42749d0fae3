package testrig

import (
	"bytes"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/stretchr/testify/require"
)

// LeakWatch collects the SDK's log output and error strings of one test
// and, when the test ends, fails it if any secret appears in them.
type LeakWatch struct {
	t       *testing.T
	logs    Buffer
	mu      sync.Mutex
	errs    []string
	secrets []string
	servers []*travelroamtest.Server
}

// NewLeakWatch returns a watch that checks for leaks when t ends.
func NewLeakWatch(t *testing.T) *LeakWatch {
	w := &LeakWatch{t: t}
	t.Cleanup(w.check)
	return w
}

// Logger logs everything at debug level into the watch.
func (w *LeakWatch) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(&w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Err records err's text for the leak check and returns err.
func (w *LeakWatch) Err(err error) error {
	if err != nil {
		w.mu.Lock()
		w.errs = append(w.errs, err.Error())
		w.mu.Unlock()
	}
	return err
}

// Secret adds values that must never appear in logs or errors.
func (w *LeakWatch) Secret(values ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.secrets = append(w.secrets, values...)
}

// WatchServer makes the server's credentials and the ICCIDs of all its
// orders secrets (collected when the test ends).
func (w *LeakWatch) WatchServer(srv *travelroamtest.Server) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.servers = append(w.servers, srv)
}

func (w *LeakWatch) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	secrets := slices.Clone(w.secrets)
	for _, srv := range w.servers {
		secrets = append(secrets, srv.APIKey, srv.ClientSecret)
		for _, o := range srv.Orders() {
			secrets = append(secrets, o.ICCID)
		}
	}
	logs := w.logs.String()
	if len(w.servers) > 0 {
		require.Contains(w.t, logs, "travelroam: request", "the SDK logged nothing: the leak check would prove nothing")
	}
	for _, s := range secrets {
		if len(s) < 6 {
			continue // an empty or tiny value would match anything
		}
		require.NotContains(w.t, logs, s, "a secret leaked into the logs")
		for _, e := range w.errs {
			require.NotContains(w.t, e, s, "a secret leaked into an error string")
		}
	}
}

// Buffer is a bytes.Buffer safe for concurrent writers.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// RoundTripFunc is an http.RoundTripper made of a function.
type RoundTripFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f RoundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
