package travelroam

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// The callback benchmarks serve one usage callback (testdata
// callback_v3.json) per iteration, calling ServeHTTP directly with a
// reused request and a discarding ResponseWriter, so that they measure the
// handler and not the network. The baseline is a hand-written handler that
// reads the body and json.Unmarshal's it into a plain struct. Both call a
// function that does nothing.

// baselineCallbackEvent is the plain struct a user would decode into.
type baselineCallbackEvent struct {
	ICCID     string `json:"iccid"`
	AlertType string `json:"alertType"`
	Bundle    *struct {
		ID                string `json:"id"`
		Reference         string `json:"reference"`
		Name              string `json:"name"`
		Description       string `json:"description"`
		InitialQuantity   int64  `json:"initialQuantity"`
		RemainingQuantity int64  `json:"remainingQuantity"`
		StartTime         string `json:"startTime"`
		EndTime           string `json:"endTime"`
		Unlimited         bool   `json:"unlimited"`
	} `json:"bundle"`
}

// baselineCallbackHandler is the hand-written handler; key, when set,
// makes it check a hex HMAC-SHA256 signature too.
func baselineCallbackHandler(key []byte, fn func(context.Context, *baselineCallbackEvent) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, DefaultCallbackMaxBytes))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if key != nil {
			m := hmac.New(sha256.New, key)
			m.Write(body)
			got, err := hex.DecodeString(r.Header.Get(DefaultSignatureHeader))
			if err != nil || !hmac.Equal(m.Sum(nil), got) {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		var ev baselineCallbackEvent
		if err := json.Unmarshal(body, &ev); err != nil || ev.ICCID == "" || ev.AlertType == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := fn(r.Context(), &ev); err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "ok\n")
	})
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

// serveCallbacks sends the body to h b.N times and reports requests per
// second.
func serveCallbacks(b *testing.B, h http.Handler, body []byte, signature string) {
	req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, "/travelroam/callback", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(DefaultSignatureHeader, signature)
	}
	w := &discardWriter{header: make(http.Header)}
	rd := bytes.NewReader(body)
	req.ContentLength = int64(len(body))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		req.Body = io.NopCloser(rd)
		clear(w.header)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkCallbackHandler(b *testing.B) {
	body := fixture(b, "callback_v3.json")
	key := []byte(testAPIKey)
	signature := hex.EncodeToString(mac(key, body))
	noop := func(context.Context, *CallbackEvent) error { return nil }
	baselineNoop := func(context.Context, *baselineCallbackEvent) error { return nil }

	// Plain: no authentication, no deduplication.
	b.Run("auth=none/impl=baseline", func(b *testing.B) {
		serveCallbacks(b, baselineCallbackHandler(nil, baselineNoop), body, "")
	})
	b.Run("auth=none/impl=sdk", func(b *testing.B) {
		serveCallbacks(b, NewCallbackHandler(noop, WithCallbackDeduper(nil)), body, "")
	})
	// With an HMAC-SHA256 signature checked.
	b.Run("auth=signature/impl=baseline", func(b *testing.B) {
		serveCallbacks(b, baselineCallbackHandler(key, baselineNoop), body, signature)
	})
	b.Run("auth=signature/impl=sdk", func(b *testing.B) {
		serveCallbacks(b, NewCallbackHandler(noop, WithCallbackDeduper(nil), WithCallbackSignature(key)), body, signature)
	})
}

// BenchmarkCallbackHandlerDedupe is the handler with the in-memory
// deduper on, every event new (4,096 distinct events cycling through a
// deduper that remembers 1,024): no baseline does this work.
func BenchmarkCallbackHandlerDedupe(b *testing.B) {
	template := string(fixture(b, "callback_v3.json"))
	bodies := make([][]byte, 4096)
	for i := range bodies {
		bodies[i] = []byte(strings.Replace(template, `"remainingQuantity": 500000000`,
			`"remainingQuantity": `+strconv.Itoa(500000000-i), 1))
	}
	calls := 0
	h := NewCallbackHandler(func(context.Context, *CallbackEvent) error { calls++; return nil },
		WithCallbackDeduper(NewMemoryDeduper(1024, 0)))
	req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, "/travelroam/callback", nil)
	if err != nil {
		b.Fatal(err)
	}
	w := &discardWriter{header: make(http.Header)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		body := bodies[i%len(bodies)]
		i++
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		clear(w.header)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if calls != b.N {
		b.Fatalf("fn called %d times for %d new events", calls, b.N)
	}
}
