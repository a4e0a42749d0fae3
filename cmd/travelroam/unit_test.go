package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestExitCode(t *testing.T) {
	api := func(status int) error { return &travelroam.APIError{StatusCode: status, Method: "GET", Route: "/x"} }
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{context.Canceled, 1},
		{usagef("bad"), 2},
		{&travelroam.ValidationError{Op: "catalogue", Field: "Countries", Reason: "no"}, 2},
		{api(400), 3},
		{api(401), 3},
		{api(403), 3},
		{api(404), 3},
		{fmt.Errorf("wrapped: %w", api(422)), 3},
		{api(500), 1},
		{&travelroam.OutcomeUnknownError{Op: "process order", Err: api(500)}, 5},
		{&travelroam.OutcomeUnknownError{Op: "revoke eSIM", Err: context.DeadlineExceeded}, 5},
		{withHint(&travelroam.OutcomeUnknownError{Op: "process order", Err: api(502)}, "check"), 5},
		{&travelroam.AssignmentsPendingError{OrderReference: "r", Last: api(503)}, 6},
		{&travelroam.AssignmentsPendingError{OrderReference: "r", Last: api(404)}, 6},
		{api(503), 7},
		{api(429), 7},
		{api(410), 3},
		{&travelroam.AlreadyAttemptedError{Attempt: travelroam.PurchaseAttempt{Key: "k", Outcome: travelroam.OutcomeUnknown}}, 5},
		{fmt.Errorf("travelroam: process order: %w: %w", travelroam.ErrNotSent, errors.New("dial tcp: connection refused")), 7},
		{fmt.Errorf("travelroam: process order: %w: %w", travelroam.ErrNotSent, context.Canceled), 1},
		{fmt.Errorf("travelroam: catalogue: %w", travelroam.ErrPaginationIgnored), 1},
		{withHint(api(503), "later"), 7},
	} {
		require.Equal(t, tc.want, exitCode(tc.err), "%v", tc.err)
	}
}

func TestParseAllowsFlagsAfterArguments(t *testing.T) {
	c := &cli{sys: sys{out: &bytes.Buffer{}, err: &bytes.Buffer{}}}
	f := c.newFlags("buy", true)
	yes := f.Bool("yes", false, "")
	pos, err := f.parse(c, []string{"NAME", "--yes", "--live"}, 1, 1)
	require.NoError(t, err)
	require.Equal(t, []string{"NAME"}, pos)
	require.True(t, *yes)
	require.True(t, f.live)

	f = c.newFlags("buy", true)
	pos, err = f.parse(c, []string{"--", "--yes"}, 1, 1)
	require.NoError(t, err)
	require.Equal(t, []string{"--yes"}, pos, "after --, everything is an argument")

	f = c.newFlags("buy", true)
	_, err = f.parse(c, []string{"a", "b"}, 1, 1)
	require.Equal(t, exitUsage, exitCode(err))

	f = c.newFlags("buy", true)
	_, err = f.parse(c, []string{"a", "-h"}, 1, 1)
	require.ErrorIs(t, err, flag.ErrHelp)
}

func TestTarget(t *testing.T) {
	for _, tc := range []struct {
		sandbox, live string
		useLive       bool
		want          string
		wantEnv       string
		err           string
	}{
		{"", "", false, sandboxURL, sandboxEnv, ""},
		{"", "", true, travelroam.LiveURL, liveEnv, ""},
		{"http://127.0.0.1:1/api", "", false, "http://127.0.0.1:1/api", sandboxEnv, ""},
		{"http://127.0.0.1:1/api", "http://127.0.0.1:1/live", true, "http://127.0.0.1:1/live", liveEnv, ""},
		{"", "http://127.0.0.1:1/live", true, "http://127.0.0.1:1/live", liveEnv, ""},
		{"https://sandbox.travelroam.com/api", "", false, "https://sandbox.travelroam.com/api", sandboxEnv, ""},
		{"https://travelroam.com/api/whitelabel", "", false, "", "", "add --live"},
		{"https://API.TravelRoam.com./x", "", false, "", "", "add --live"},
		{"http://127.0.0.1:1/api", "", true, "", "", "TRAVELROAM_LIVE_BASE_URL is not"},
		{"ftp://x", "", false, "", "", "absolute http or https URL"},
		{"", "/relative", true, "", "", "absolute http or https URL"},
	} {
		env := map[string]string{envBaseURL: tc.sandbox, envLiveBaseURL: tc.live}
		c := &cli{sys: sys{getenv: func(k string) string { return env[k] }}}
		got, err := c.target(tc.useLive)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, "%+v", tc)
			require.Equal(t, exitUsage, exitCode(err))
			continue
		}
		require.NoError(t, err, "%+v", tc)
		require.Equal(t, tc.want, got.baseURL)
		require.Equal(t, tc.wantEnv, got.env)
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1 kB", 1_500_000: "1.5 MB", 734_003_200: "734 MB",
		1_000_000_000: "1 GB", 1_234_567_890: "1.23 GB", 20_000_000_000: "20 GB", -2_000_000: "-2 MB"} {
		require.Equal(t, want, formatBytes(in), "%d", in)
	}
	require.Equal(t, "unlimited", formatMB(-1, true))
	require.Equal(t, "500 MB", formatMB(500, false))
	require.Equal(t, "10m", formatDuration(10*time.Minute))
	require.Equal(t, "1m12s", formatDuration(72*time.Second+300*time.Millisecond))
	require.Equal(t, "never", formatTime(time.Time{}))
	require.Equal(t, "qr.png", pngPath("qr.png", 0))
	require.Equal(t, "qr-2.png", pngPath("qr.png", 1))
	require.Equal(t, "dir.x/qr-3", pngPath("dir.x/qr", 2))
}

func TestContractShaped(t *testing.T) {
	require.True(t, contractShaped("abcdefghij0123456789ABCDEFGHIJabcdefghij0123456789ABCDEFGHIJ"))
	require.False(t, contractShaped("abcdefghij0123456789ABCDEFGHIJabcdefghij0123456789ABCDEFGHI-"))
	require.False(t, contractShaped("short"))
}

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, é and ✓":            "plain text, é and ✓",
		"USD\x1b[2K\rPrice:    2.78 USD": `USD\x1b[2K\x0dPrice:    2.78 USD`,
		"a\nb\tc\x00d\x7fe":              `a\x0ab\x09c\x00d\x7fe`,
		"csi\u009b2J nel\u0085":          `csi\u009b2J nel\u0085`,
		"bad \xff\xfe utf-8":             `bad \xff\xfe utf-8`,
		"osc52 \x1b]52;c;ZXZpbA==\x07":   `osc52 \x1b]52;c;ZXZpbA==\x07`,
	} {
		require.Equal(t, want, safe(in), "%q", in)
		require.Equal(t, want, safe(safe(in)), "safe is idempotent")
	}
}

func TestSafeWriterAndJSON(t *testing.T) {
	var b strings.Builder
	_, err := safeWriter{&b}.Write([]byte("ok\tline\n\x1b[31mred\u009b\r\n"))
	require.NoError(t, err)
	require.Equal(t, "ok\tline\n\\x1b[31mred\\u009b\\x0d\n", b.String())
	// JSON keeps the value exact, with DEL and C1 escaped.
	require.Equal(t, `{"a":"x\u001b\u007f\u009b"}`+"\n", escapeJSONControls("{\"a\":\"x\\u001b\x7f\u009b\"}\n"))
}
