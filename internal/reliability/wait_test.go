package reliability_test

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/stretchr/testify/require"
)

// pollSchedule returns the times, from the start of a wait, at which
// WaitForAssignments polls before limit: at once, then 2 s, 4 s, 6 s and
// every 8 s after each answer (0, 2, 6, 12, 20, 28, …).
func pollSchedule(limit time.Duration) []time.Duration {
	var out []time.Duration
	at := time.Duration(0)
	for i := 1; at < limit; i++ {
		out = append(out, at)
		at += time.Duration(min(2*i, 8)) * time.Second
	}
	return out
}

// TestS9_PollingSchedule proves G8: WaitForAssignments polls on the
// documented schedule and gives up within 10 minutes, saying that the
// order exists.
//
// One purchase whose installation data stays "processing" for an hour,
// and one whose data is ready 30 s after the purchase. Virtual time.
//
// Pass: the first wait polls exactly at 0, 2, 6, 12, 20, 28, …, 588,
// 596 s (77 polls: the SDK also polls at once, so one more than the 76 of
// reliability.md), returns an *AssignmentsPendingError (matching
// *AssignmentsPendingError, Attempts = 77) at 596 s ∈ [596 s, 600 s], and
// polls no more in the minute after; the second returns the assignment
// at the 36 s poll (7 polls) and polls no more after.
func TestS9_PollingSchedule(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S9", "G8", "WaitForAssignments while the order stays processing, and ready at 30 s")
	cases := []struct {
		name  string
		ready time.Duration
		polls int
		end   time.Duration
	}{
		{"never ready", time.Hour, 77, 596 * time.Second},
		{"ready at 30 s", 30 * time.Second, 7, 36 * time.Second},
	}
	for _, tc := range cases {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, rec, rigOptions{Virtual: true, Server: []travelroamtest.Option{travelroamtest.WithAssignmentDelay(tc.ready)}})
			order, err := r.C.ProcessOrder(t.Context(), buy)
			require.NoError(t, err)
			start := time.Now()
			list, err := r.C.WaitForAssignments(t.Context(), order.Reference)
			rec.outcome(err)
			elapsed := time.Since(start)
			at := arrivals(r.Srv, travelroamtest.RouteAssignments, start)
			require.Equal(t, pollSchedule(tc.end+time.Nanosecond), at)
			require.Len(t, at, tc.polls)
			require.Equal(t, tc.end, elapsed)
			if tc.ready > 10*time.Minute {
				var pe *travelroam.AssignmentsPendingError
				require.ErrorAs(t, err, &pe)
				require.ErrorAs(t, err, new(*travelroam.AssignmentsPendingError))
				require.Equal(t, tc.polls, pe.Attempts)
			} else {
				require.NoError(t, err)
				require.Len(t, list, 1)
				require.Equal(t, r.Srv.Orders()[0].ICCID, string(list[0].ICCID))
			}
			time.Sleep(time.Minute)
			require.Equal(t, tc.polls, r.Srv.RequestCount(travelroamtest.RouteAssignments), "no poll after the return")
			rec.addVirtual(time.Since(start))
			rec.note("%s: %d polls, returned at %s", tc.name, len(at), elapsed)
		})
	}
}

// TestS10_PollingThroughFailures proves G8: transient poll failures
// neither end the wait nor reset its schedule.
//
// The installation data is ready 100 s after the purchase, and 30 % of
// the polls fail: 503 before handling, the connection dropped after
// handling, or a 200 with malformed JSON. Virtual time.
//
// Pass: the wait succeeds at the first poll at or after 100 s that was
// not faulted, and polls no more; every request arrives at a time of the
// S9 schedule (a dropped GET may be replayed by net/http at the same
// instant); total requests ≤ 1.3 × scheduled polls + 1.
func TestS10_PollingThroughFailures(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S10", "G8", "WaitForAssignments, ready at 100 s, 30 % of polls failing")
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, rec, rigOptions{Virtual: true, Server: []travelroamtest.Option{travelroamtest.WithAssignmentDelay(100 * time.Second)}})
		order, err := r.C.ProcessOrder(t.Context(), buy)
		require.NoError(t, err)
		queuePollFaults(r.Srv, newRand(10), 100)
		start := time.Now()
		_, err = r.C.WaitForAssignments(t.Context(), order.Reference)
		rec.outcome(err)
		require.NoError(t, err)
		elapsed := time.Since(start)
		polls := requireOnSchedule(t, requestsTo(r.Srv, travelroamtest.RouteAssignments), start, elapsed)
		rec.addVirtual(elapsed)
		rec.note("returned at %s after %d requests for %d scheduled polls", elapsed, r.Srv.RequestCount(travelroamtest.RouteAssignments), polls)
	})
}

// queuePollFaults queues n faults on the assignments route, 30 % of them
// failures.
func queuePollFaults(srv *travelroamtest.Server, rng interface{ Float64() float64 }, n int) {
	failures := []travelroamtest.Fault{
		travelroamtest.Status(503, "Service unavailable"),
		travelroamtest.ResetAfterHandling(),
		travelroamtest.MalformedJSON(),
	}
	for range n {
		f := travelroamtest.Pass()
		if p := rng.Float64(); p < 0.3 {
			f = failures[int(p/0.1)]
		}
		srv.InjectFault(travelroamtest.RouteAssignments, f)
	}
}

// requireOnSchedule checks the polls of one wait that started at start
// and succeeded after elapsed, and returns the number of scheduled polls.
func requireOnSchedule(t *testing.T, reqs []travelroamtest.Request, start time.Time, elapsed time.Duration) int {
	t.Helper()
	schedule := pollSchedule(elapsed + time.Nanosecond)
	for _, r := range reqs {
		require.Contains(t, schedule, r.Time.Sub(start), "%s", r)
	}
	last := reqs[len(reqs)-1]
	require.Equal(t, elapsed, last.Time.Sub(start))
	require.Equal(t, 200, last.Status)
	require.Empty(t, last.Fault)
	require.GreaterOrEqual(t, elapsed, 100*time.Second)
	for _, r := range reqs[:len(reqs)-1] {
		if r.Time.Sub(start) >= 100*time.Second {
			require.NotEmpty(t, r.Fault, "a clean poll after 100 s would have succeeded: %s", r)
		}
	}
	require.LessOrEqual(t, float64(len(reqs)), 1.3*float64(len(schedule))+1)
	require.Equal(t, schedule[len(schedule)-1], elapsed)
	return len(schedule)
}

// pollsByOrder groups the assignment requests by order reference.
func pollsByOrder(srv *travelroamtest.Server) map[string][]travelroamtest.Request {
	out := map[string][]travelroamtest.Request{}
	for _, r := range requestsTo(srv, travelroamtest.RouteAssignments) {
		out[r.RawQuery] = append(out[r.RawQuery], r)
	}
	for _, rs := range out {
		slices.SortStableFunc(rs, func(a, b travelroamtest.Request) int { return a.Seq - b.Seq })
	}
	return out
}
