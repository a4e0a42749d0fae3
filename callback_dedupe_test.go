package travelroam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCallbackDuplicatesSequential(t *testing.T) {
	t.Parallel()
	s := newSink()
	h := NewCallbackHandler(s.fn)
	body := fixture(t, "callback_v3.json")
	for range 10 {
		rec := post(h, "/cb", body)
		require.Equal(t, 200, rec.Code)
		require.Equal(t, "ok\n", rec.Body.String())
	}
	require.Equal(t, 1, s.total())
	// Another usage level of the same assignment is a new event.
	require.Equal(t, 200, post(h, "/cb", v3Body(200_000_000)).Code)
	require.Equal(t, 2, s.total())
}

// While the first delivery is in fn, duplicates get 503 + Retry-After;
// once it succeeded, they get 200 without fn.
func TestCallbackDuplicatesConcurrentInFlight(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var calls atomic.Int32
	h := NewCallbackHandler(func(ctx context.Context, ev *CallbackEvent) error {
		calls.Add(1)
		<-release
		return nil
	})
	body := fixture(t, "callback_v3.json")
	codes := make(chan *httptest.ResponseRecorder, 10)
	for range 10 {
		go func() { codes <- post(h, "/cb", body) }()
	}
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	for range 9 {
		select {
		case rec := <-codes:
			require.Equal(t, 503, rec.Code)
			require.Equal(t, "5", rec.Header().Get("Retry-After"))
		case <-time.After(time.Minute): // only a guard against a hang
			unblock()
			t.Fatal("duplicates waited for the first delivery instead of answering 503")
		}
	}
	unblock()
	require.Equal(t, 200, (<-codes).Code)
	for range 9 { // the provider's redeliveries
		require.Equal(t, 200, post(h, "/cb", body).Code)
	}
	require.Equal(t, int32(1), calls.Load())
}

// Ten concurrent duplicates, each retried like a provider would on 503,
// all end in 200 and reach fn once.
func TestCallbackDuplicatesConcurrentRetried(t *testing.T) {
	t.Parallel()
	s := newSink()
	h := NewCallbackHandler(s.fn)
	body := fixture(t, "callback_firstuse.json")
	var wg sync.WaitGroup
	final := make([]int, 10)
	for i := range 10 {
		wg.Go(func() {
			for {
				final[i] = post(h, "/cb", body).Code
				if final[i] != 503 {
					return
				}
				runtime.Gosched()
			}
		})
	}
	wg.Wait()
	for _, c := range final {
		require.Equal(t, 200, c)
	}
	require.Equal(t, 1, s.total())
}

func TestCallbackFailureIsRedelivered(t *testing.T) {
	t.Parallel()
	s := newSink()
	s.err = func(n int) error {
		if n == 1 {
			return errors.New("database down")
		}
		return nil
	}
	h := NewCallbackHandler(s.fn)
	body := fixture(t, "callback_v3.json")
	rec := post(h, "/cb", body)
	require.Equal(t, 500, rec.Code)
	require.Equal(t, "internal error, retry later\n", rec.Body.String())
	require.Equal(t, 200, post(h, "/cb", body).Code)
	require.Equal(t, 200, post(h, "/cb", body).Code)
	require.Equal(t, 2, s.total(), "failed once, delivered again, then deduplicated")
}

func TestCallbackPanicIsRecovered(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := NewCallbackHandler(func(ctx context.Context, ev *CallbackEvent) error {
		if calls.Add(1) == 1 {
			panic(errors.New("boom"))
		}
		return nil
	})
	body := fixture(t, "callback_v3.json")
	require.Equal(t, 500, post(h, "/cb", body).Code)
	require.Equal(t, 200, post(h, "/cb", v3Body(1)).Code, "the handler keeps serving")
	require.Equal(t, 200, post(h, "/cb", body).Code, "the panicked event was released")
	require.Equal(t, int32(3), calls.Load())
}

func TestCallbackManyConcurrentDistinct(t *testing.T) {
	t.Parallel()
	s := newSink()
	key := []byte(testAPIKey)
	h := NewCallbackHandler(s.fn, WithCallbackSignature("", key), WithCallbackQueryToken("t", testCallbackToken))
	const n = 1000
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := v3Body(int64(i))
			codes[i] = post(h, "/cb?t="+testCallbackToken, body, defaultSignatureHeader, signB64(key, body)).Code
		})
	}
	wg.Wait()
	for i, c := range codes {
		require.Equal(t, 200, c, "delivery %d", i)
	}
	require.Equal(t, n, s.total())
	require.Len(t, s.calls, n)
	for k, c := range s.calls {
		require.Equal(t, 1, c, "key %s", k)
	}
}

func TestCallbackDedupeOff(t *testing.T) {
	t.Parallel()
	s := newSink()
	h := NewCallbackHandler(s.fn, WithCallbackDeduper(nil))
	for range 3 {
		require.Equal(t, 200, post(h, "/cb", fixture(t, "callback_v3.json")).Code)
	}
	require.Equal(t, 3, s.total())
}

type failingDeduper struct{ beginErr, doneErr error }

func (f failingDeduper) Begin(context.Context, string) (DedupeState, string, error) {
	return DedupeNew, "t", f.beginErr
}
func (f failingDeduper) Done(context.Context, string, string, bool) error { return f.doneErr }

type bogusDeduper struct{}

func (bogusDeduper) Begin(context.Context, string) (DedupeState, string, error) { return 42, "", nil }
func (bogusDeduper) Done(context.Context, string, string, bool) error           { return nil }

func TestCallbackDeduperFailures(t *testing.T) {
	t.Parallel()
	body := fixture(t, "callback_v3.json")
	s := newSink()
	rec := post(NewCallbackHandler(s.fn, WithCallbackDeduper(failingDeduper{beginErr: errors.New("redis down")})), "/cb", body)
	require.Equal(t, 503, rec.Code)
	require.Equal(t, "5", rec.Header().Get("Retry-After"))
	require.Zero(t, s.total())

	require.Equal(t, 503, post(NewCallbackHandler(s.fn, WithCallbackDeduper(bogusDeduper{})), "/cb", body).Code)
	require.Zero(t, s.total())

	rec = post(NewCallbackHandler(s.fn, WithCallbackDeduper(failingDeduper{doneErr: errors.New("redis down")})), "/cb", body)
	require.Equal(t, 200, rec.Code, "fn succeeded: acknowledge even if the record failed")
	require.Equal(t, 1, s.total())
}

func TestMemoryDeduperBoundedInSize(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := newMemoryDeduper(3, time.Hour)
	for i := range 5 {
		k := fmt.Sprint(i)
		st, token, err := d.Begin(ctx, k)
		require.NoError(t, err)
		require.Equal(t, DedupeNew, st)
		require.NoError(t, d.Done(ctx, k, token, true))
	}
	require.Equal(t, 3, d.Len())
	for _, k := range []string{"2", "3", "4"} {
		st, _, _ := d.Begin(ctx, k)
		require.Equal(t, DedupeSeen, st, k)
	}
	st, _, _ := d.Begin(ctx, "0")
	require.Equal(t, DedupeNew, st, "the oldest key was forgotten")

	// In flight is bounded too.
	d = newMemoryDeduper(1, time.Hour)
	st, token, err := d.Begin(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, DedupeNew, st)
	st, _, _ = d.Begin(ctx, "a")
	require.Equal(t, DedupeInFlight, st)
	_, _, err = d.Begin(ctx, "b")
	require.Error(t, err)
	require.NoError(t, d.Done(ctx, "a", token, false))
	st, _, _ = d.Begin(ctx, "a")
	require.Equal(t, DedupeNew, st, "a failure releases the key")
}

func TestMemoryDeduperDefaultsBounded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := newMemoryDeduper(0, 0)
	for i := range defaultDedupeKeys + 500 {
		k := fmt.Sprint(i)
		_, token, _ := d.Begin(ctx, k)
		_ = d.Done(ctx, k, token, true)
	}
	require.Equal(t, defaultDedupeKeys, d.Len())
	require.LessOrEqual(t, cap(d.order), 2*defaultDedupeKeys+1024, "the queue does not grow without bound")
}

func TestMemoryDeduperExpires(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSink()
		d := newMemoryDeduper(0, 0)
		h := NewCallbackHandler(s.fn, WithCallbackDeduper(d))
		body := fixture(t, "callback_v3.json")
		require.Equal(t, 200, post(h, "/cb", body).Code)
		time.Sleep(defaultDedupeTTL - time.Second)
		require.Equal(t, 200, post(h, "/cb", body).Code)
		require.Equal(t, 1, s.total(), "still remembered just before 72 h")
		require.Equal(t, 1, d.Len())
		time.Sleep(time.Second)
		require.Zero(t, d.Len())
		require.Equal(t, 200, post(h, "/cb", body).Code)
		require.Equal(t, 2, s.total(), "forgotten after 72 h")
	})
}

// countingReader yields n bytes of 'a' and counts how many were read.
type countingReader struct {
	n, read int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.read >= c.n {
		return 0, io.EOF
	}
	k := min(int64(len(p)), c.n-c.read)
	for i := range p[:k] {
		p[i] = 'a'
	}
	c.read += k
	return int(k), nil
}

// Not parallel: it measures allocations.
func TestCallbackHugeBody(t *testing.T) {
	s := newSink()
	h := NewCallbackHandler(s.fn)
	const size = 10 << 20
	for _, declared := range []int64{-1, size} {
		body := &countingReader{n: size}
		req := httptest.NewRequest(http.MethodPost, "/cb", body)
		req.ContentLength = declared
		rec := httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		h.ServeHTTP(rec, req)
		runtime.ReadMemStats(&after)
		require.Equal(t, 413, rec.Code)
		require.Equal(t, "request entity too large\n", rec.Body.String())
		require.LessOrEqual(t, body.read, int64(defaultCallbackMaxBytes+1), "declared %d", declared)
		if declared > 0 {
			require.Zero(t, body.read, "a declared length over the limit is refused unread")
		}
		// io.ReadAll grows its buffer geometrically; -race adds its own.
		require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8*defaultCallbackMaxBytes), "allocations bounded by the limit, not the body")
	}
	require.Zero(t, s.total())
}

func TestCallbackLogsNoSecrets(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	key := []byte(testAPIKey)
	var n atomic.Int32
	fn := func(ctx context.Context, ev *CallbackEvent) error {
		switch n.Add(1) {
		case 2:
			return fmt.Errorf("saving %s failed", ev.ICCID)
		case 3:
			panic("cannot handle " + ev.ICCID)
		}
		return nil
	}
	h := NewCallbackHandler(fn, WithLogger(logger), WithCallbackSignature("", key), WithCallbackQueryToken("t", testCallbackToken))
	target := "/cb?t=" + testCallbackToken
	body := fixture(t, "callback_v3.json")
	sig := signHex(key, body)
	unknown := []byte(`{"iccid":"8944538532012345678","alertType":"Alert-8944538532012345678","bundle":{"id":"1"}}`)
	var sigs []string
	for i, b := range [][]byte{body, v3Body(1), v3Body(2), v3Body(3), unknown} {
		sigs = append(sigs, signHex(key, b), signB64(key, b))
		require.Equal(t, []int{200, 500, 500, 200, 200}[i], post(h, target, b, defaultSignatureHeader, signHex(key, b)).Code)
	}
	require.Equal(t, 200, post(h, target, body, defaultSignatureHeader, sig).Code) // duplicate
	require.Equal(t, 401, post(h, target, body, defaultSignatureHeader, signHex([]byte("wrong"), body)).Code)
	require.Equal(t, 401, post(h, "/cb?t="+testCallbackToken+"x", body, defaultSignatureHeader, sig).Code)
	require.Equal(t, 400, post(h, target, []byte(`{"iccid":"8944538532012345678X"}`), defaultSignatureHeader,
		signHex(key, []byte(`{"iccid":"8944538532012345678X"}`))).Code)
	require.Equal(t, 405, send(h, http.MethodGet, target, nil).Code)

	mu.Lock()
	logs := buf.String()
	mu.Unlock()
	require.Contains(t, logs, "…5678", "the last four digits are logged")
	require.Contains(t, logs, "panicked")
	require.Contains(t, logs, "unauthorized")
	forbidden := append([]string{testICCID, testCallbackToken, testAPIKey, string(body), "6f1d2c9a-4b7e", "215009266", "esim_1GB"}, sigs...)
	for _, f := range forbidden {
		require.NotContains(t, logs, f)
	}
	require.GreaterOrEqual(t, strings.Count(logs, "\n"), 9)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestCallbackEventPrintsRedacted(t *testing.T) {
	t.Parallel()
	ev, err := decodeCallback(fixture(t, "callback_v3.json"))
	require.NoError(t, err)
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{ev, *ev} {
			out := fmt.Sprintf(format, v)
			require.Contains(t, out, "…5678", format)
			require.NotContains(t, out, testICCID, format)
			require.NotContains(t, out, `"iccid"`, "%s prints Raw", format)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("event", "ev", ev)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("event", "ev", ev)
	require.Contains(t, buf.String(), "ICCID:…5678")
	require.Contains(t, buf.String(), `"iccid":"…5678"`)
	require.NotContains(t, buf.String(), testICCID)
}

// recordingDeduper reserves every key under a new numbered token and
// records the tokens that Done is called with.
type recordingDeduper struct {
	mu     sync.Mutex
	begins int
	dones  []string
}

func (d *recordingDeduper) Begin(context.Context, string) (DedupeState, string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.begins++
	return DedupeNew, fmt.Sprintf("token-%d", d.begins), nil
}

func (d *recordingDeduper) Done(_ context.Context, _, token string, _ bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dones = append(d.dones, token)
	return nil
}

// TestCallbackDoneCarriesItsToken: each delivery ends the reservation it
// made, named by the token Begin gave it, so that a deduper can fence a
// late Done (see storetest's StaleDone and LateDone).
func TestCallbackDoneCarriesItsToken(t *testing.T) {
	t.Parallel()
	s := newSink()
	d := &recordingDeduper{}
	h := NewCallbackHandler(s.fn, WithCallbackDeduper(d))
	body := fixture(t, "callback_v3.json")
	require.Equal(t, 200, post(h, "/cb", body).Code)
	require.Equal(t, 200, post(h, "/cb", body).Code)
	require.Equal(t, []string{"token-1", "token-2"}, d.dones)
}
