package travelroam

import (
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

// TestRetryBudget walks the token bucket through sequences of operations:
// "t5"/"t10" take 5 or 10 tokens (want says whether it may), "s0" settles
// a first-try success, "s5"/"s10" a success whose last retry cost 5 or 10.
func TestRetryBudget(t *testing.T) {
	t.Parallel()
	type op struct {
		do   string
		want bool // for takes
	}
	take := func(cost int, ok bool) op { return op{do: map[int]string{5: "t5", 10: "t10"}[cost], want: ok} }
	repeat := func(n int, o op) []op {
		out := make([]op, n)
		for i := range out {
			out[i] = o
		}
		return out
	}
	cat := func(parts ...[]op) []op {
		var out []op
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name  string
		start int // tokens before the ops; 0 means a fresh bucket
		ops   []op
		left  int
	}{
		{"a fresh bucket holds 500", 0, nil, 500},
		{"a retry costs 5", 0, []op{take(5, true)}, 495},
		{"a retry after a timeout costs 10", 0, []op{take(10, true)}, 490},
		{"100 retries empty it, the 101st is refused", 0, cat(repeat(100, take(5, true)), []op{take(5, false)}), 0},
		{"50 timeout retries empty it", 0, cat(repeat(50, take(10, true)), []op{take(10, false), take(5, false)}), 0},
		{"a refused take costs nothing", 7, []op{take(10, false), take(5, true), take(5, false)}, 2},
		{"a first-try success refunds 1", 3, []op{{do: "s0"}, {do: "s0"}, take(5, true)}, 0},
		{"a success after retries gives back its last cost", 0, []op{take(10, true), {do: "s10"}, take(5, true), {do: "s5"}}, 500},
		{"the bucket never exceeds 500", 0, []op{{do: "s0"}, {do: "s10"}}, 500},
		{"an empty bucket refills from successes", 0, cat(repeat(100, take(5, true)), repeat(5, op{do: "s0"}), []op{take(5, true), take(5, false)}), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newRetryBudget()
			if tc.start > 0 {
				b.tokens = tc.start
			}
			for i, o := range tc.ops {
				switch o.do {
				case "t5", "t10":
					cost := map[string]int{"t5": retryCost, "t10": retryTimeoutCost}[o.do]
					require.Equal(t, o.want, b.take(cost), "op %d (%s)", i, o.do)
				case "s0":
					b.settle(&callInfo{})
				case "s5", "s10":
					b.settle(&callInfo{retries: 2, lastCost: map[string]int{"s5": 5, "s10": 10}[o.do]})
				default:
					t.Fatalf("unknown op %q", o.do)
				}
			}
			require.Equal(t, tc.left, b.tokens)
		})
	}
}

// timeoutErr is a network error that says it is a timeout.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestReadPaysRetriesFromTheBudget checks the hook in the read path: what
// each kind of read takes from and gives back to the client's bucket.
func TestReadPaysRetriesFromTheBudget(t *testing.T) {
	t.Parallel()
	ok := func(t *testing.T) httpmock.Responder { return fixtureResponder(t, 200, "organisation_wrapped.json") }
	busy := httpmock.NewStringResponder(503, `{"message":"busy"}`)
	timeout := httpmock.NewErrorResponder(timeoutErr{})
	tests := []struct {
		name     string
		start    int
		answers  func(t *testing.T) []httpmock.Responder // one per attempt; the last repeats
		attempts int
		left     int
		err      error // nil for success
	}{
		{"first-try success refunds 1", 400, func(t *testing.T) []httpmock.Responder { return []httpmock.Responder{ok(t)} }, 1, 401, nil},
		{"two 503s then success give back the last cost", 400, func(t *testing.T) []httpmock.Responder {
			return []httpmock.Responder{busy, busy, ok(t)}
		}, 3, 395, nil},
		{"a timeout retry costs 10", 400, func(t *testing.T) []httpmock.Responder {
			return []httpmock.Responder{timeout, busy}
		}, 4, 380, ErrUnavailable},
		{"503 forever: 3 paid retries, the 4th attempt's wish is free", 400, func(t *testing.T) []httpmock.Responder {
			return []httpmock.Responder{busy}
		}, 4, 385, ErrUnavailable},
		{"an empty bucket means one attempt", 4, func(t *testing.T) []httpmock.Responder { return []httpmock.Responder{busy} }, 1, 4, ErrRetryBudgetExhausted},
		{"the budget stops a read half way", 12, func(t *testing.T) []httpmock.Responder { return []httpmock.Responder{busy} }, 3, 2, ErrRetryBudgetExhausted},
		{"an empty bucket does not hide a transport error", 0, func(t *testing.T) []httpmock.Responder {
			return []httpmock.Responder{timeout}
		}, 1, 0, ErrRetryBudgetExhausted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, mt := newMockClient(t)
				c.budget.tokens = tc.start
				answers := tc.answers(t)
				n := 0
				mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", func(req *http.Request) (*http.Response, error) {
					n++
					return answers[min(n, len(answers))-1](req)
				})
				start := time.Now()
				_, err := c.Organisation(t.Context())
				require.Equal(t, tc.attempts, n)
				require.Equal(t, tc.left, c.budget.tokens)
				if tc.err == nil {
					require.NoError(t, err)
					return
				}
				require.ErrorIs(t, err, tc.err)
				if errors.Is(err, ErrRetryBudgetExhausted) && tc.attempts == 1 {
					require.Zero(t, time.Since(start), "fails fast, without a backoff")
				}
			})
		})
	}
}

// TestBudgetExhaustedKeepsTheAnswer: the wrapped error still carries the
// server's status and message.
func TestBudgetExhaustedKeepsTheAnswer(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	c.budget.tokens = 0
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation",
		httpmock.NewStringResponder(503, `{"message":"down for maintenance"}`).HeaderSet(http.Header{"Retry-After": {"30"}}))
	_, err := c.Organisation(t.Context())
	require.ErrorIs(t, err, ErrRetryBudgetExhausted)
	require.ErrorIs(t, err, ErrUnavailable)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "down for maintenance", ae.Message)
	require.Equal(t, 30*time.Second, ae.RetryAfter)
	require.Equal(t, "travelroam: GET /organisation: 503 Service Unavailable: down for maintenance (retry after 30s) (travelroam: retry budget exhausted)", err.Error())
	require.Equal(t, 1, mt.GetTotalCallCount())
}
