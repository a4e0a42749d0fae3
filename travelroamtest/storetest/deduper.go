package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
)

// TestDeduper checks that the dedupers returned by newDeduper keep the
// rules of [travelroam.Deduper]: Begin reserves a new key ([travelroam.DedupeNew]),
// answers [travelroam.DedupeInFlight] while it is reserved and
// [travelroam.DedupeSeen] once Done(key, true) committed it; Done(key,
// false) releases it; keys are independent; of many concurrent Begins of
// one key exactly one gets DedupeNew. newDeduper is called once per
// subtest; it may return the same deduper each time. A durable deduper
// should also pass [TestDeduperExpiry].
func TestDeduper(t *testing.T, newDeduper func(t *testing.T) travelroam.Deduper) {
	t.Run("NewInFlightSeen", func(t *testing.T) { testDeduperStates(t, newDeduper(t)) })
	t.Run("DoneFalseReleases", func(t *testing.T) { testDeduperRelease(t, newDeduper(t)) })
	t.Run("KeysIndependent", func(t *testing.T) { testDeduperKeys(t, newDeduper(t)) })
	t.Run("ConcurrentBegin", func(t *testing.T) { testDeduperConcurrent(t, newDeduper(t)) })
}

// TestDeduperExpiry checks that a deduper forgets a reservation that is
// never Done after its reservation time to live, and a committed key after
// its time to live, and neither earlier. newDeduper must return a deduper
// configured with these times to live (the suite asks for well under a
// second and about a second).
func TestDeduperExpiry(t *testing.T, newDeduper func(t *testing.T, reservationTTL, seenTTL time.Duration) travelroam.Deduper) {
	const reservationTTL, seenTTL = 400 * time.Millisecond, 800 * time.Millisecond
	t.Run("ReservationExpires", func(t *testing.T) {
		d := newDeduper(t, reservationTTL, seenTTL)
		key := uniquePrefix(t) + "event"
		started := time.Now()
		mustDedupe(t, d, key, travelroam.DedupeNew)
		waitUntilNew(t, d, key, travelroam.DedupeInFlight, started, reservationTTL)
		mustDone(t, d, key, true)
		mustDedupe(t, d, key, travelroam.DedupeSeen)
	})
	t.Run("SeenExpires", func(t *testing.T) {
		d := newDeduper(t, reservationTTL, seenTTL)
		key := uniquePrefix(t) + "event"
		mustDedupe(t, d, key, travelroam.DedupeNew)
		committed := time.Now()
		mustDone(t, d, key, true)
		waitUntilNew(t, d, key, travelroam.DedupeSeen, committed, seenTTL)
		mustDone(t, d, key, false)
	})
}

// waitUntilNew calls Begin(key) every few tens of milliseconds until it
// answers DedupeNew, which must come at least ttl after since; until then
// every answer must be meanwhile.
func waitUntilNew(t *testing.T, d travelroam.Deduper, key string, meanwhile travelroam.DedupeState, since time.Time, ttl time.Duration) {
	t.Helper()
	ctx := liveCtx(t)
	for {
		st, err := d.Begin(ctx, key)
		if err != nil {
			t.Fatalf("Begin(%q): %v", key, err)
		}
		if st == travelroam.DedupeNew {
			atLeast(t, "time before the key was forgotten", since, time.Now(), ttl)
			return
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

func mustDedupe(t *testing.T, d travelroam.Deduper, key string, want travelroam.DedupeState) {
	t.Helper()
	got, err := d.Begin(liveCtx(t), key)
	if err != nil {
		t.Fatalf("Begin(%q): %v", key, err)
	}
	if got != want {
		t.Fatalf("Begin(%q) = %s, want %s", key, stateName(got), stateName(want))
	}
}

func mustDone(t *testing.T, d travelroam.Deduper, key string, success bool) {
	t.Helper()
	if err := d.Done(liveCtx(t), key, success); err != nil {
		t.Fatalf("Done(%q, %v): %v", key, success, err)
	}
}

func testDeduperStates(t *testing.T, d travelroam.Deduper) {
	key := uniquePrefix(t) + "event"
	mustDedupe(t, d, key, travelroam.DedupeNew)
	mustDedupe(t, d, key, travelroam.DedupeInFlight)
	mustDone(t, d, key, true)
	mustDedupe(t, d, key, travelroam.DedupeSeen)
	mustDedupe(t, d, key, travelroam.DedupeSeen)
}

func testDeduperRelease(t *testing.T, d travelroam.Deduper) {
	key := uniquePrefix(t) + "event"
	mustDedupe(t, d, key, travelroam.DedupeNew)
	mustDone(t, d, key, false)
	mustDedupe(t, d, key, travelroam.DedupeNew)
	mustDone(t, d, key, true)
	mustDedupe(t, d, key, travelroam.DedupeSeen)
}

func testDeduperKeys(t *testing.T, d travelroam.Deduper) {
	prefix := uniquePrefix(t)
	mustDedupe(t, d, prefix+"a", travelroam.DedupeNew)
	mustDedupe(t, d, prefix+"b", travelroam.DedupeNew)
	mustDone(t, d, prefix+"a", true)
	mustDedupe(t, d, prefix+"b", travelroam.DedupeInFlight)
	mustDone(t, d, prefix+"b", false)
	mustDedupe(t, d, prefix+"a", travelroam.DedupeSeen)
	mustDedupe(t, d, prefix+"b", travelroam.DedupeNew)
	mustDone(t, d, prefix+"b", true)
}

func testDeduperConcurrent(t *testing.T, d travelroam.Deduper) {
	const workers = 16
	key := uniquePrefix(t) + "event"
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		states = map[travelroam.DedupeState]int{}
		start  = make(chan struct{})
	)
	ctx := liveCtx(t)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			st, err := d.Begin(ctx, key)
			if err != nil {
				t.Errorf("Begin: %v", err)
				return
			}
			mu.Lock()
			states[st]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if states[travelroam.DedupeNew] != 1 || states[travelroam.DedupeInFlight] != workers-1 {
		t.Fatalf("%d concurrent Begins of one key: %d DedupeNew, %d DedupeInFlight, %d DedupeSeen; want 1, %d, 0",
			workers, states[travelroam.DedupeNew], states[travelroam.DedupeInFlight], states[travelroam.DedupeSeen], workers-1)
	}
	mustDone(t, d, key, true)
	mustDedupe(t, d, key, travelroam.DedupeSeen)
}
