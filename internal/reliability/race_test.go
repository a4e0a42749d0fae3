package reliability_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/stretchr/testify/require"
)

// TestS17_SharedClientUnderLoad proves that G1, G4 and G8 hold when many
// goroutines share one Client (run under -race: 0 data races).
//
// Purchases: S1 with 50 goroutines making 4 purchases each (200) through
// one Client, 30 % 503 before handling, 10 % of dials refused. Waits:
// S10 with 50 goroutines each waiting for its own order (ready at 100 s)
// through one Client, 30 % of all polls failing. Virtual time.
//
// Pass: as S1 (orders == successes with matching references, POSTs ==
// successes + 503s, failures only ErrUnavailable or not-sent dial errors,
// 0 OutcomeUnknown, purchases never closer than 5 s nor overlapping) and
// as S10 for each of the 50 waits (success at the first clean poll at or
// after 100 s, every poll on the schedule), with total poll requests ≤
// 1.3 × scheduled polls + 50.
func TestS17_SharedClientUnderLoad(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S17", "G1, G4, G8", "S1 and S10 with 50 goroutines sharing one Client")
	t.Run("purchases", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) { sharedPurchases(t, rec) })
	})
	t.Run("waits", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) { sharedWaits(t, rec) })
	})
}

func sharedPurchases(t *testing.T, rec *record) {
	start := time.Now()
	r := newRig(t, rec, rigOptions{Virtual: true, NoKeepAlive: true, Refuse: refuseRandomly(17, 0.1)})
	faults := newRand(17)
	for range 200 {
		f := travelroamtest.Pass()
		if faults.Float64() < 0.3 {
			f = travelroamtest.Status(503, "Service temporarily unavailable")
		}
		r.Srv.InjectFault(travelroamtest.RouteProcessOrders, f)
	}
	var (
		wg          sync.WaitGroup
		mu          sync.Mutex
		refs        []string
		unavailable int
	)
	for range 50 {
		wg.Go(func() {
			for range 4 {
				order, err := r.C.ProcessOrder(context.Background(), buy)
				rec.outcome(err)
				mu.Lock()
				switch {
				case err == nil:
					refs = append(refs, order.Reference)
				case errors.Is(err, travelroam.ErrUnavailable) && !errors.As(err, new(*travelroam.OutcomeUnknownError)):
					unavailable++
				case isDialRefused(err):
				default:
					t.Errorf("unexpected error: %v", err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(refs)
	require.Equal(t, refs, orderRefs(r.Srv))
	ps := purchases(r.Srv)
	require.Len(t, ps, len(refs)+unavailable, "one POST per call that was sent")
	for i, p := range ps {
		require.False(t, p.TooSoon, "%s", p)
		if i > 0 {
			require.False(t, p.Time.Before(ps[i-1].End), "never two purchases in flight")
		}
	}
	requireNoIdempotencyHeaders(t, r.Srv)
	rec.addVirtual(time.Since(start))
	rec.note("purchases: %d ok, %d 503, %d dials refused", len(refs), unavailable, r.Net.Refused.Load())
}

func sharedWaits(t *testing.T, rec *record) {
	r := newRig(t, rec, rigOptions{
		Virtual: true,
		Server:  []travelroamtest.Option{travelroamtest.WithAssignmentDelay(100 * time.Second)},
		Client:  []travelroam.Option{travelroam.WithPurchaseInterval(0)},
	})
	refs := make([]string, 50)
	for i := range refs {
		order, err := r.C.ProcessOrder(t.Context(), buy)
		require.NoError(t, err)
		refs[i] = order.Reference
	}
	queuePollFaults(r.Srv, newRand(170), 50*25)
	start := time.Now()
	var wg sync.WaitGroup
	elapsed := make([]time.Duration, len(refs))
	for i, ref := range refs {
		wg.Go(func() {
			_, err := r.C.WaitForAssignments(context.Background(), ref)
			rec.outcome(err)
			require.NoError(t, err)
			elapsed[i] = time.Since(start)
		})
	}
	wg.Wait()
	scheduled := 0
	byOrder := pollsByOrder(r.Srv)
	require.Len(t, byOrder, len(refs))
	for i, ref := range refs {
		scheduled += requireOnScheduleLoose(t, byOrder["orderReference="+ref], start, elapsed[i])
	}
	total := r.Srv.RequestCount(travelroamtest.RouteAssignments)
	require.LessOrEqual(t, float64(total), 1.3*float64(scheduled)+50)
	rec.addVirtual(time.Since(start))
	rec.note("waits: %d poll requests for %d scheduled polls, last return at %s", total, scheduled, slices.Max(elapsed))
}

// requireOnScheduleLoose is requireOnSchedule without the per-wait bound
// on requests (S17 bounds their sum).
func requireOnScheduleLoose(t *testing.T, reqs []travelroamtest.Request, start time.Time, elapsed time.Duration) int {
	t.Helper()
	schedule := pollSchedule(elapsed + time.Nanosecond)
	for _, r := range reqs {
		require.Contains(t, schedule, r.Time.Sub(start), "%s", r)
	}
	last := reqs[len(reqs)-1]
	require.Equal(t, 200, last.Status, "%s", last)
	require.Empty(t, last.Fault)
	require.Equal(t, elapsed, last.Time.Sub(start))
	require.GreaterOrEqual(t, elapsed, 100*time.Second)
	return len(schedule)
}

// TestS19_LostSuccessRace proves G2 for the race of reliability.md 1.7:
// the answer to a purchase arrives just as its context ends.
//
// 4 × 100 purchases through a RoundTripper that gets the fake's 200 and
// then cancels the call's context before returning it, returns it while
// another goroutine cancels, or cancels at the first read of its body,
// which the fake sends whole or one byte every 10 ms. Virtual time (real
// goroutine interleavings).
//
// Pass: every call returns the order or an OutcomeUnknownError (with
// context.Canceled reachable); never a plain context error; for each way,
// orders in the ledger == 100 == successes + unknowns; the slow body
// gives 100 unknowns.
func TestS19_LostSuccessRace(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S19", "G2", "200 answers racing the context's end, 4 ways × 100")
	modes := []string{"cancel, then return", "return while cancelling", "cancel on the first body read", "cancel on the first read of a slow body"}
	for _, mode := range modes {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			lost := &lostAnswer{mode: mode}
			r := newRig(t, rec, rigOptions{
				Virtual: true,
				Client:  []travelroam.Option{travelroam.WithPurchaseInterval(0)},
				Wrap:    func(rt http.RoundTripper) http.RoundTripper { lost.base = rt; return lost },
			})
			ok, unknown := 0, 0
			for range 100 {
				ctx, cancel := context.WithCancel(t.Context())
				lost.arm(cancel)
				if strings.Contains(mode, "slow") {
					r.Srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Trickle(10*time.Millisecond))
				}
				order, err := r.C.ProcessOrder(ctx, buy)
				cancel()
				rec.outcome(err)
				switch {
				case err == nil:
					require.NotEmpty(t, order.Reference)
					ok++
				case errors.As(err, new(*travelroam.OutcomeUnknownError)):
					require.ErrorIs(t, err, context.Canceled)
					unknown++
				default:
					t.Fatalf("%s: a purchase that reached the fake returned %v", mode, err)
				}
			}
			synctest.Wait()
			require.Len(t, r.Srv.Orders(), 100)
			require.Equal(t, 100, ok+unknown)
			if strings.Contains(mode, "slow") {
				require.Equal(t, 100, unknown)
			}
			rec.addVirtual(time.Since(start))
			rec.note("%s: %d ok, %d unknown", mode, ok, unknown)
		})
	}
}

// lostAnswer is a RoundTripper that ends the context of a purchase at the
// moment its 200 comes back, in one of three ways.
type lostAnswer struct {
	base http.RoundTripper
	mode string

	mu     sync.Mutex
	cancel context.CancelFunc
}

func (l *lostAnswer) arm(cancel context.CancelFunc) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cancel = cancel
}

func (l *lostAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, string(travelroamtest.RouteProcessOrders)) {
		return resp, err
	}
	l.mu.Lock()
	cancel := l.cancel
	l.mu.Unlock()
	switch l.mode {
	case "cancel, then return":
		cancel()
	case "return while cancelling":
		go cancel()
	default:
		resp.Body = &cancelOnRead{ReadCloser: resp.Body, cancel: cancel}
	}
	return resp, nil
}

func (l *lostAnswer) CloseIdleConnections() {
	if ci, ok := l.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

type cancelOnRead struct {
	io.ReadCloser
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelOnRead) Read(p []byte) (int, error) {
	c.once.Do(c.cancel)
	return c.ReadCloser.Read(p)
}
