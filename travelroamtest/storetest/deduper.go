package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
)

// TestDeduper checks that the dedupers returned by newDeduper keep the
// rules of [travelroam.Deduper]: Begin reserves a new key ([travelroam.DedupeNew],
// with a token), answers [travelroam.DedupeInFlight] while it is reserved
// and [travelroam.DedupeSeen] once Done(key, token, true) committed it;
// Done(key, token, false) releases it; keys are independent; of many
// concurrent Begins of one key exactly one gets DedupeNew; and a Done with
// the token of a reservation that was already Done touches neither a newer
// reservation nor, once the key is seen, its mark. newDeduper is called
// once per subtest; it may return the same deduper each time. A durable
// deduper should also pass [TestDeduperExpiry].
func TestDeduper(t *testing.T, newDeduper func(t *testing.T) travelroam.Deduper) {
	t.Run("NewInFlightSeen", func(t *testing.T) { testDeduperStates(t, newDeduper(t)) })
	t.Run("DoneFalseReleases", func(t *testing.T) { testDeduperRelease(t, newDeduper(t)) })
	t.Run("KeysIndependent", func(t *testing.T) { testDeduperKeys(t, newDeduper(t)) })
	t.Run("ConcurrentBegin", func(t *testing.T) { testDeduperConcurrent(t, newDeduper(t)) })
	t.Run("StaleDone", func(t *testing.T) { testDeduperStaleDone(t, newDeduper(t)) })
}

// TestDeduperExpiry checks that a deduper forgets a reservation that is
// never Done after its reservation time to live, and a committed key after
// its time to live, and neither earlier; and that the late Done of a
// reservation that expired, once another delivery reserved the key,
// neither releases nor commits that newer reservation, while the late
// success of a reservation that expired with nobody after it commits the
// key. newDeduper must return a deduper configured with these times to
// live (the suite asks for well under a second and about a second).
func TestDeduperExpiry(t *testing.T, newDeduper func(t *testing.T, reservationTTL, seenTTL time.Duration) travelroam.Deduper) {
	const reservationTTL, seenTTL = 400 * time.Millisecond, 800 * time.Millisecond
	t.Run("ReservationExpires", func(t *testing.T) {
		d := newDeduper(t, reservationTTL, seenTTL)
		conclusive(t, func(run int) bool {
			key := fmt.Sprintf("%sevent-%d", uniquePrefix(t), run)
			started := time.Now()
			mustReserve(t, d, key, travelroam.DedupeNew)
			token := waitUntilNew(t, d, key, travelroam.DedupeInFlight, started, reservationTTL)
			return doneThenSeen(t, d, key, token, seenTTL, "after Done(true)")
		})
	})
	t.Run("LateDone", func(t *testing.T) {
		d := newDeduper(t, reservationTTL, seenTTL)
		conclusive(t, func(run int) bool {
			return lateDone(t, d, fmt.Sprintf("%sevent-%d", uniquePrefix(t), run), reservationTTL, seenTTL)
		})
	})
	t.Run("LateSuccessCommitsFreeKey", func(t *testing.T) {
		d := newDeduper(t, reservationTTL, seenTTL)
		conclusive(t, func(run int) bool {
			key := fmt.Sprintf("%sevent-%d", uniquePrefix(t), run)
			started := time.Now()
			a := mustReserve(t, d, key, travelroam.DedupeNew)
			// Wait until the reservation expired without reserving the key
			// again: a probe key reserved after A expires after it too.
			probe := key + "-probe"
			mustReserve(t, d, probe, travelroam.DedupeNew)
			waitUntilNew(t, d, probe, travelroam.DedupeInFlight, started, reservationTTL)
			// The event was processed, late.
			return doneThenSeen(t, d, key, a, seenTTL, "after a late success on a free key")
		})
	})
	t.Run("SeenExpires", func(t *testing.T) {
		d := newDeduper(t, reservationTTL, seenTTL)
		key := uniquePrefix(t) + "event"
		token := mustReserve(t, d, key, travelroam.DedupeNew)
		committed := time.Now()
		mustDone(t, d, key, token, true)
		token = waitUntilNew(t, d, key, travelroam.DedupeSeen, committed, seenTTL)
		mustDone(t, d, key, token, false)
	})
}

// waitUntilNew calls Begin(key) every few tens of milliseconds until it
// answers DedupeNew, which must come at least ttl after since; until then
// every answer must be meanwhile. It returns the new reservation's token.
func waitUntilNew(t *testing.T, d travelroam.Deduper, key string, meanwhile travelroam.DedupeState, since time.Time, ttl time.Duration) string {
	t.Helper()
	ctx := liveCtx(t)
	for {
		st, token, err := d.Begin(ctx, key)
		if err != nil {
			t.Fatalf("Begin(%q): %v", key, err)
		}
		if st == travelroam.DedupeNew {
			atLeast(t, "time before the key was forgotten", since, time.Now(), ttl)
			if token == "" {
				t.Fatalf("Begin(%q) = DedupeNew with an empty token", key)
			}
			return token
		}
		if st != meanwhile {
			t.Fatalf("Begin(%q) = %s, want %s until the key is forgotten", key, stateName(st), stateName(meanwhile))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func stateName(s travelroam.DedupeState) string {
	switch s {
	case travelroam.DedupeNew:
		return "DedupeNew"
	case travelroam.DedupeInFlight:
		return "DedupeInFlight"
	case travelroam.DedupeSeen:
		return "DedupeSeen"
	}
	return fmt.Sprintf("DedupeState(%d)", int(s))
}

// mustReserve calls Begin(key), fails the test unless it answers want, and
// returns the reservation's token (non-empty with DedupeNew).
func mustReserve(t *testing.T, d travelroam.Deduper, key string, want travelroam.DedupeState) string {
	t.Helper()
	got, token, err := d.Begin(liveCtx(t), key)
	if err != nil {
		t.Fatalf("Begin(%q): %v", key, err)
	}
	if got != want {
		t.Fatalf("Begin(%q) = %s, want %s", key, stateName(got), stateName(want))
	}
	if got == travelroam.DedupeNew && token == "" {
		t.Fatalf("Begin(%q) = DedupeNew with an empty token", key)
	}
	return token
}

func mustDone(t *testing.T, d travelroam.Deduper, key, token string, success bool) {
	t.Helper()
	if err := d.Done(liveCtx(t), key, token, success); err != nil {
		t.Fatalf("Done(%q, %v): %v", key, success, err)
	}
}

func testDeduperStates(t *testing.T, d travelroam.Deduper) {
	key := uniquePrefix(t) + "event"
	token := mustReserve(t, d, key, travelroam.DedupeNew)
	mustReserve(t, d, key, travelroam.DedupeInFlight)
	mustDone(t, d, key, token, true)
	mustReserve(t, d, key, travelroam.DedupeSeen)
	mustReserve(t, d, key, travelroam.DedupeSeen)
}

func testDeduperRelease(t *testing.T, d travelroam.Deduper) {
	key := uniquePrefix(t) + "event"
	token := mustReserve(t, d, key, travelroam.DedupeNew)
	mustDone(t, d, key, token, false)
	token = mustReserve(t, d, key, travelroam.DedupeNew)
	mustDone(t, d, key, token, true)
	mustReserve(t, d, key, travelroam.DedupeSeen)
}

func testDeduperKeys(t *testing.T, d travelroam.Deduper) {
	prefix := uniquePrefix(t)
	a := mustReserve(t, d, prefix+"a", travelroam.DedupeNew)
	b := mustReserve(t, d, prefix+"b", travelroam.DedupeNew)
	mustDone(t, d, prefix+"a", a, true)
	mustReserve(t, d, prefix+"b", travelroam.DedupeInFlight)
	mustDone(t, d, prefix+"b", b, false)
	mustReserve(t, d, prefix+"a", travelroam.DedupeSeen)
	b = mustReserve(t, d, prefix+"b", travelroam.DedupeNew)
	mustDone(t, d, prefix+"b", b, true)
}

// testDeduperStaleDone: delivery A's Done comes again (a retry of the
// call, or a bug) after A released the key and delivery B reserved it.
func testDeduperStaleDone(t *testing.T, d travelroam.Deduper) {
	key := uniquePrefix(t) + "event"
	a := mustReserve(t, d, key, travelroam.DedupeNew)
	mustDone(t, d, key, a, false)
	b := mustReserve(t, d, key, travelroam.DedupeNew)
	if a == b {
		t.Fatalf("two reservations of %q got the same token", key)
	}
	mustDone(t, d, key, a, false) // must not release B's reservation
	mustReserve(t, d, key, travelroam.DedupeInFlight)
	mustDone(t, d, key, a, true) // must not commit it either
	mustReserve(t, d, key, travelroam.DedupeInFlight)
	mustDone(t, d, key, b, true)
	mustReserve(t, d, key, travelroam.DedupeSeen)
	mustDone(t, d, key, a, false) // nor release the seen mark
	mustDone(t, d, key, b, false)
	mustReserve(t, d, key, travelroam.DedupeSeen)
}

func testDeduperConcurrent(t *testing.T, d travelroam.Deduper) {
	const workers = 16
	key := uniquePrefix(t) + "event"
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		states = map[travelroam.DedupeState]int{}
		token  string
		start  = make(chan struct{})
	)
	ctx := liveCtx(t)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			st, tok, err := d.Begin(ctx, key)
			if err != nil {
				t.Errorf("Begin: %v", err)
				return
			}
			mu.Lock()
			states[st]++
			if st == travelroam.DedupeNew {
				token = tok
			}
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if states[travelroam.DedupeNew] != 1 || states[travelroam.DedupeInFlight] != workers-1 {
		t.Fatalf("%d concurrent Begins of one key: %d DedupeNew, %d DedupeInFlight, %d DedupeSeen; want 1, %d, 0",
			workers, states[travelroam.DedupeNew], states[travelroam.DedupeInFlight], states[travelroam.DedupeSeen], workers-1)
	}
	mustDone(t, d, key, token, true)
	mustReserve(t, d, key, travelroam.DedupeSeen)
}

// conclusive runs a scenario whose assertions hold only while the
// reservations it makes have not expired (time to live well under a
// second), until one run is conclusive: a run returns false when the
// machine was too slow for its checks to mean anything (a busy CI
// machine can spend longer than a time to live between two calls), and
// fails the test itself when a check fails in time. Five inconclusive
// runs in a row fail: the machine cannot test expiry at all.
func conclusive(t *testing.T, run func(n int) bool) {
	t.Helper()
	for n := 1; n <= 5; n++ {
		if run(n) {
			return
		}
		t.Logf("run %d inconclusive: the machine was slower than the time to live; trying again", n)
	}
	t.Fatal("five runs in a row were slower than the time to live")
}

// begin reserves key and returns the state, failing only on an error.
func begin(t *testing.T, d travelroam.Deduper, key string) travelroam.DedupeState {
	t.Helper()
	st, _, err := d.Begin(liveCtx(t), key)
	if err != nil {
		t.Fatalf("Begin(%q): %v", key, err)
	}
	return st
}

// lateDone is the LateDone scenario: delivery A outlives its reservation,
// the redelivery B reserves the key, and A's late Done (a failure, then a
// success) neither releases nor commits B's reservation; B's own Done
// decides. It returns false when B's reservation may have expired before
// the checks that need it ran.
func lateDone(t *testing.T, d travelroam.Deduper, key string, reservationTTL, seenTTL time.Duration) bool {
	t.Helper()
	started := time.Now()
	a := mustReserve(t, d, key, travelroam.DedupeNew)
	var b string
	var reservedB time.Time // at or before B's reservation
	for {
		reservedB = time.Now()
		st, token, err := d.Begin(liveCtx(t), key)
		if err != nil {
			t.Fatalf("Begin(%q): %v", key, err)
		}
		if st == travelroam.DedupeNew {
			atLeast(t, "time before the key was forgotten", started, time.Now(), reservationTTL)
			b = token
			break
		}
		if st != travelroam.DedupeInFlight {
			t.Fatalf("Begin(%q) = %s, want DedupeInFlight until the key is forgotten", key, stateName(st))
		}
		time.Sleep(20 * time.Millisecond)
	}
	mustDone(t, d, key, a, false) // A fails while B is processed…
	afterFailure := begin(t, d, key)
	mustDone(t, d, key, a, true) // …or A's late success arrives
	afterSuccess := begin(t, d, key)
	if time.Since(reservedB) >= reservationTTL {
		mustDone(t, d, key, b, false)
		return false
	}
	if afterFailure != travelroam.DedupeInFlight || afterSuccess != travelroam.DedupeInFlight {
		t.Fatalf("after A's late Done (false, then true), Begin = %s, %s; want DedupeInFlight: B keeps the key",
			stateName(afterFailure), stateName(afterSuccess))
	}
	mustDone(t, d, key, b, false)
	c := mustReserve(t, d, key, travelroam.DedupeNew)
	return doneThenSeen(t, d, key, c, seenTTL, "after B's failure and C's success")
}

// doneThenSeen commits the reservation token with Done(true) and checks
// that the next Begin answers DedupeSeen. It returns false (inconclusive)
// when seenTTL may have passed since the mark was made: the clock starts
// before Done, at or before the mark's own time.
func doneThenSeen(t *testing.T, d travelroam.Deduper, key, token string, seenTTL time.Duration, after string) bool {
	t.Helper()
	committed := time.Now()
	mustDone(t, d, key, token, true)
	st := begin(t, d, key)
	if time.Since(committed) >= seenTTL {
		return false
	}
	if st != travelroam.DedupeSeen {
		t.Fatalf("Begin(%q) %s = %s, want DedupeSeen", key, after, stateName(st))
	}
	return true
}
