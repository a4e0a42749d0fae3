package travelroam

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

// pollServer answers the assignments route with answer(n, t): n is the
// request number (1, 2, …) and t the virtual time since the test began.
// It records every request time.
type pollServer struct {
	mu    sync.Mutex
	start time.Time
	times []time.Duration
}

func newPollServer(t *testing.T, mt *httpmock.MockTransport, answer func(n int, at time.Duration) (*http.Response, error)) *pollServer {
	s := &pollServer{start: time.Now()}
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", func(req *http.Request) (*http.Response, error) {
		requireAssignmentsRequest(t, req)
		s.mu.Lock()
		at := time.Since(s.start)
		s.times = append(s.times, at)
		n := len(s.times)
		s.mu.Unlock()
		return answer(n, at)
	})
	return s
}

func (s *pollServer) requests() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.times...)
}

func ready(t *testing.T) (*http.Response, error) {
	return httpmock.NewBytesResponse(200, fixture(t, "assignments_object.json")), nil
}

func notReady(t *testing.T) (*http.Response, error) {
	return httpmock.NewBytesResponse(200, fixture(t, "assignments_not_ready.json")), nil
}

func unavailable(retryAfter string) (*http.Response, error) {
	r := httpmock.NewStringResponse(503, `{"message":"Processing – please come back later"}`)
	if retryAfter != "" {
		r.Header.Set("Retry-After", retryAfter)
	}
	return r, nil
}

// schedule returns the first n request times of the polling schedule.
func schedule(n int) []time.Duration {
	var out []time.Duration
	at := time.Duration(0)
	for i := 1; i <= n; i++ {
		out = append(out, at)
		at += time.Duration(min(2*i, 8)) * time.Second
	}
	return out
}

type progressCall struct {
	attempt int
	next    time.Duration
}

func recordProgress(calls *[]progressCall) CallOption {
	return WithProgress(func(attempt int, next time.Duration) { *calls = append(*calls, progressCall{attempt, next}) })
}

func TestWaitForAssignmentsSchedule(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		srv := newPollServer(t, mt, func(n int, at time.Duration) (*http.Response, error) {
			switch {
			case at >= 30*time.Second:
				return ready(t)
			case n%3 == 0:
				return httpmock.NewStringResponse(404, `{"message":"not found yet"}`), nil
			case n%2 == 0:
				return notReady(t)
			}
			return unavailable("1") // shorter than the schedule: ignored
		})
		var progress []progressCall
		start := time.Now()
		list, err := c.WaitForAssignments(t.Context(), testOrderRef, recordProgress(&progress))
		require.NoError(t, err)
		require.Equal(t, testMatchingI, list[0].MatchingID.Reveal())
		require.Equal(t, 36*time.Second, time.Since(start))
		s := time.Second
		require.Equal(t, []time.Duration{0, 2 * s, 6 * s, 12 * s, 20 * s, 28 * s, 36 * s}, srv.requests())
		require.Equal(t, []progressCall{{1, 2 * s}, {2, 4 * s}, {3, 6 * s}, {4, 8 * s}, {5, 8 * s}, {6, 8 * s}}, progress)
		time.Sleep(time.Hour)
		require.Len(t, srv.requests(), 7, "no request after success")
	})
}

func TestWaitForAssignmentsReadyAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		srv := newPollServer(t, mt, func(int, time.Duration) (*http.Response, error) { return ready(t) })
		called := false
		list, err := c.WaitForAssignments(t.Context(), testOrderRef, WithProgress(func(int, time.Duration) { called = true }))
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, []time.Duration{0}, srv.requests())
		require.False(t, called)
	})
}

// TestWaitForAssignmentsNeverReady: 77 requests in 10 minutes, the last at
// 596 s, then the pending error and nothing more.
func TestWaitForAssignmentsNeverReady(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		srv := newPollServer(t, mt, func(int, time.Duration) (*http.Response, error) { return notReady(t) })
		var progress []progressCall
		start := time.Now()
		_, err := c.WaitForAssignments(t.Context(), testOrderRef, recordProgress(&progress))
		elapsed := time.Since(start)
		require.ErrorAs(t, err, new(*AssignmentsPendingError))
		require.ErrorIs(t, err, ErrAssignmentsNotReady, "Last is reachable")
		var pe *AssignmentsPendingError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, testOrderRef, pe.OrderReference)
		require.Equal(t, 77, pe.Attempts)
		require.Equal(t, 596*time.Second, pe.Elapsed)
		require.Equal(t, 596*time.Second, elapsed)
		require.Equal(t, schedule(77), srv.requests())
		require.Equal(t, 596*time.Second, srv.requests()[76])
		require.Len(t, progress, 77)
		require.Equal(t, progressCall{76, 8 * time.Second}, progress[75])
		require.Equal(t, progressCall{77, 0}, progress[76], "0: no request follows")
		require.NotContains(t, err.Error(), testMatchingI)
		time.Sleep(time.Hour)
		require.Len(t, srv.requests(), 77, "no request after the deadline")
	})
}

func TestWaitForAssignmentsRetryAfter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		srv := newPollServer(t, mt, func(n int, _ time.Duration) (*http.Response, error) {
			switch n {
			case 1:
				return unavailable("20") // replaces 2 s
			case 2:
				r := httpmock.NewStringResponse(429, `{}`)
				r.Header.Set("Retry-After", "3") // shorter than 4 s: ignored
				return r, nil
			}
			return ready(t)
		})
		var progress []progressCall
		_, err := c.WaitForAssignments(t.Context(), testOrderRef, recordProgress(&progress))
		require.NoError(t, err)
		s := time.Second
		require.Equal(t, []time.Duration{0, 20 * s, 24 * s}, srv.requests())
		require.Equal(t, []progressCall{{1, 20 * s}, {2, 4 * s}}, progress)
	})
}

// TestWaitForAssignmentsRetryAfterBeyondTimeLeft: a Retry-After that would
// end after the time left ends the wait at once.
func TestWaitForAssignmentsRetryAfterBeyondTimeLeft(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		srv := newPollServer(t, mt, func(n int, _ time.Duration) (*http.Response, error) {
			if n == 1 {
				return unavailable("")
			}
			return unavailable("120")
		})
		start := time.Now()
		_, err := c.WaitForAssignments(t.Context(), testOrderRef, WithMaxWait(time.Minute))
		require.ErrorAs(t, err, new(*AssignmentsPendingError))
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, 2*time.Minute, ae.RetryAfter)
		require.Equal(t, []time.Duration{0, 2 * time.Second}, srv.requests())
		require.Equal(t, 2*time.Second, time.Since(start))
	})
}

// TestWaitForAssignmentsTransientFailures: 30 % of the polls fail in
// various transient ways; the schedule is not reset, and the first good
// answer at or after 100 s ends the wait.
func TestWaitForAssignmentsTransientFailures(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		failures := []func() (*http.Response, error){
			func() (*http.Response, error) { return httpmock.NewStringResponse(500, `{"message":"oops"}`), nil },
			func() (*http.Response, error) { return nil, errors.New("read tcp: connection reset by peer") },
			func() (*http.Response, error) { return httpmock.NewStringResponse(200, `{"iccid":`), nil },
			func() (*http.Response, error) {
				return httpmock.NewStringResponse(502, `<html>Bad gateway</html>`), nil
			},
			func() (*http.Response, error) { return httpmock.NewStringResponse(429, `{}`), nil },
		}
		failed := 0
		srv := newPollServer(t, mt, func(n int, at time.Duration) (*http.Response, error) {
			if n%3 == 0 || at == 100*time.Second {
				failed++
				return failures[(failed-1)%len(failures)]()
			}
			if at >= 100*time.Second {
				return ready(t)
			}
			return unavailable("")
		})
		list, err := c.WaitForAssignments(t.Context(), testOrderRef)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, schedule(16), srv.requests())
		require.Equal(t, 108*time.Second, srv.requests()[15])
		require.Equal(t, 5, failed, "5 of 16 polls failed, each kind once")
	})
}

// TestWaitForAssignmentsPreSendFailure: a poll that provably never left
// is re-sent once after a short pause; a second such failure counts as
// not ready.
func TestWaitForAssignmentsPreSendFailure(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
		srv := newPollServer(t, mt, func(n int, _ time.Duration) (*http.Response, error) {
			if n <= 3 {
				return nil, dialErr
			}
			return ready(t)
		})
		var progress []progressCall
		_, err := c.WaitForAssignments(t.Context(), testOrderRef, recordProgress(&progress))
		require.NoError(t, err)
		ms := time.Millisecond
		// Poll 1: 0 and its re-send at 250 ms; poll 2: 2.25 s, re-sent at 2.5 s.
		require.Equal(t, []time.Duration{0, 250 * ms, 2250 * ms, 2500 * ms}, srv.requests())
		require.Equal(t, []progressCall{{1, 2 * time.Second}}, progress)
	})
}

func TestWaitForAssignmentsTerminalErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		is     error
	}{
		{403, ErrUnauthorized},
		{401, ErrUnauthorized},
		{400, nil},
		{422, nil},
	} {
		synctest.Test(t, func(t *testing.T) {
			c, mt := newMockClient(t)
			srv := newPollServer(t, mt, func(n int, _ time.Duration) (*http.Response, error) {
				if n == 1 {
					return unavailable("")
				}
				return httpmock.NewStringResponse(tc.status, `{"message":"Unauthorised"}`), nil
			})
			start := time.Now()
			_, err := c.WaitForAssignments(t.Context(), testOrderRef)
			require.NotErrorAs(t, err, new(*AssignmentsPendingError))
			require.NotErrorIs(t, err, ErrAssignmentsNotReady)
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, tc.status, ae.StatusCode)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			require.Equal(t, 2*time.Second, time.Since(start))
			time.Sleep(time.Hour)
			require.Len(t, srv.requests(), 2)
		})
	}
}

func TestWaitForAssignmentsCancel(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		srv := newPollServer(t, mt, func(int, time.Duration) (*http.Response, error) { return unavailable("") })
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(5*time.Second, cancel)
		start := time.Now()
		_, err := c.WaitForAssignments(ctx, testOrderRef)
		require.ErrorIs(t, err, context.Canceled)
		require.NotErrorAs(t, err, new(*AssignmentsPendingError))
		require.Contains(t, err.Error(), testOrderRef)
		require.Equal(t, 5*time.Second, time.Since(start))
		time.Sleep(time.Hour)
		require.Equal(t, []time.Duration{0, 2 * time.Second}, srv.requests(), "nothing sent after cancel")
	})
}

func TestWaitForAssignmentsCancelDuringRequest(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", func(req *http.Request) (*http.Response, error) {
			<-req.Context().Done() // a server that never answers
			return nil, req.Context().Err()
		})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(3*time.Second, cancel)
		start := time.Now()
		_, err := c.WaitForAssignments(ctx, testOrderRef)
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, 3*time.Second, time.Since(start))
		require.Equal(t, 1, mt.GetTotalCallCount())
	})
}

func TestWaitForAssignmentsContextDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		srv := newPollServer(t, mt, func(int, time.Duration) (*http.Response, error) { return notReady(t) })
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.WaitForAssignments(ctx, testOrderRef)
		// The deadline ends the schedule like WithMaxWait does: the next
		// poll (at 20 s) would come after it, so the wait ends at 12 s
		// with the pending error and its figures.
		require.ErrorAs(t, err, new(*AssignmentsPendingError))
		var pe *AssignmentsPendingError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, 4, pe.Attempts)
		require.Equal(t, 12*time.Second, time.Since(start))
		require.Equal(t, schedule(4), srv.requests())
	})
}

// TestWaitForAssignmentsCancelMidDelay: a wait cancelled between two
// polls returns at the instant of the cancel and polls no more.
func TestWaitForAssignmentsCancelMidDelay(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", httpmock.NewStringResponder(503, `{}`))
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.WaitForAssignments(ctx, testOrderRef)
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, 20*time.Millisecond, time.Since(start))
		time.Sleep(time.Minute)
		require.Equal(t, 1, mt.GetTotalCallCount())
	})
}

func TestWaitForAssignmentsMaxWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		srv := newPollServer(t, mt, func(int, time.Duration) (*http.Response, error) { return unavailable("") })
		_, err := c.WaitForAssignments(t.Context(), testOrderRef, WithMaxWait(30*time.Second), nil)
		var pe *AssignmentsPendingError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, 6, pe.Attempts)
		require.Equal(t, 28*time.Second, pe.Elapsed)
		require.ErrorIs(t, err, ErrUnavailable)
		require.Equal(t, schedule(6), srv.requests())
	})
}

// TestWaitForAssignmentsHungServer: a request still out at the deadline is
// cut there, so the wait never lasts longer than allowed.
func TestWaitForAssignmentsHungServer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		var calls int
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", func(req *http.Request) (*http.Response, error) {
			if calls++; calls == 1 {
				return notReady(t)
			}
			<-req.Context().Done() // the server does not answer
			return nil, req.Context().Err()
		})
		var progress []progressCall
		start := time.Now()
		_, err := c.WaitForAssignments(t.Context(), testOrderRef, WithMaxWait(20*time.Second), recordProgress(&progress))
		var pe *AssignmentsPendingError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, 2, pe.Attempts)
		require.Equal(t, 20*time.Second, pe.Elapsed)
		require.Equal(t, 20*time.Second, time.Since(start))
		require.Equal(t, []progressCall{{1, 2 * time.Second}, {2, 0}}, progress)
		require.ErrorIs(t, err, context.DeadlineExceeded, "Last tells why")
		time.Sleep(time.Hour)
		require.Equal(t, 2, mt.GetTotalCallCount())
	})
}

// TestWaitForAssignmentsNoPollAtDeadline: a poll that would fall exactly
// on the deadline is not made.
func TestWaitForAssignmentsNoPollAtDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		srv := newPollServer(t, mt, func(int, time.Duration) (*http.Response, error) { return notReady(t) })
		_, err := c.WaitForAssignments(t.Context(), testOrderRef, WithMaxWait(20*time.Second))
		require.ErrorAs(t, err, new(*AssignmentsPendingError))
		require.Equal(t, schedule(4), srv.requests(), "no poll at 20 s")
	})
}

func TestWaitForAssignmentsInvalidMaxWait(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", httpmock.NewStringResponder(200, `{}`))
	for _, d := range []time.Duration{0, -time.Second, 10*time.Minute + 1} {
		_, err := c.WaitForAssignments(t.Context(), testOrderRef, WithMaxWait(d))
		require.ErrorAs(t, err, new(*ValidationError), "%s", d)
	}
	require.Zero(t, mt.GetTotalCallCount())
}

// TestWaitForAssignmentsDeadlineMidRequest: ctx's deadline falling while a
// poll is out ends the wait with the pending error, as WithMaxWait does.
func TestWaitForAssignmentsDeadlineMidRequest(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		var polls int
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/getesimassignments", func(req *http.Request) (*http.Response, error) {
			if polls++; polls == 2 {
				<-req.Context().Done() // the second poll hangs past the deadline
				return nil, req.Context().Err()
			}
			return notReady(t)
		})
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.WaitForAssignments(ctx, testOrderRef)
		require.ErrorAs(t, err, new(*AssignmentsPendingError))
		var pe *AssignmentsPendingError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, 2, pe.Attempts)
		require.Equal(t, 5*time.Second, time.Since(start))
	})
}

// TestWaitNotFoundGrace: right after a purchase, "not found" (a 404, or a
// 400 whose message says so) means "not known yet" during the first
// minute of the wait; after that the wait ends with the *APIError instead
// of polling for ten minutes. A 410 (deactivated) ends it at once.
func TestWaitNotFoundGrace(t *testing.T) {
	t.Parallel()
	notFound := func(status int) (*http.Response, error) {
		return httpmock.NewStringResponse(status, `{"message":"Order not found"}`), nil
	}
	t.Run("ready within the minute", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c, mt := newMockClient(t)
			srv := newPollServer(t, mt, func(n int, at time.Duration) (*http.Response, error) {
				if at < 30*time.Second {
					return notFound(400)
				}
				return ready(t)
			})
			list, err := c.WaitForAssignments(t.Context(), testOrderRef)
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.Equal(t, schedule(7), srv.requests(), "0, 2, 6, 12, 20, 28, then 36 s: ready")
		})
	})
	for _, status := range []int{404, 400} {
		t.Run(fmt.Sprintf("%d for good", status), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, mt := newMockClient(t)
				srv := newPollServer(t, mt, func(int, time.Duration) (*http.Response, error) { return notFound(status) })
				_, err := c.WaitForAssignments(t.Context(), testOrderRef)
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				require.Equal(t, status, ae.StatusCode)
				require.ErrorIs(t, err, ErrNotFound)
				require.NotErrorAs(t, err, new(*AssignmentsPendingError), "a wrong reference is not a pending order")
				require.Equal(t, schedule(10), srv.requests(), "the first poll at or after one minute ends it (at 60 s)")
			})
		})
	}
	t.Run("410 at once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c, mt := newMockClient(t)
			srv := newPollServer(t, mt, func(int, time.Duration) (*http.Response, error) {
				return httpmock.NewStringResponse(410, `{"message":"eSIM has been deactivated"}`), nil
			})
			_, err := c.WaitForAssignments(t.Context(), testOrderRef)
			require.ErrorIs(t, err, ErrGone)
			require.ErrorIs(t, err, ErrNotFound)
			require.Len(t, srv.requests(), 1)
		})
	})
	t.Run("other 400 at once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c, mt := newMockClient(t)
			srv := newPollServer(t, mt, func(int, time.Duration) (*http.Response, error) {
				return httpmock.NewStringResponse(400, `{"message":"orderReference is malformed"}`), nil
			})
			_, err := c.WaitForAssignments(t.Context(), testOrderRef)
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			require.Len(t, srv.requests(), 1)
		})
	})
}
