package replicas

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/roamkit/travelroam/travelroamtest/storetest"
)

// interval is the purchase interval of the scenarios (allowed against a
// host that is not Travel Roam's).
const interval = time.Second

// liveness bounds the waits for what must happen; a guard against a
// hang, far above the expected times, never a measure of speed.
const liveness = 3 * time.Minute

// storeCase is a deployment: where the gate, the journal and the deduper
// live. Redis has no journal: its buyers keep the SDK's in-memory one.
type storeCase struct {
	name                   string
	gate, journal, deduper string
}

var storeCases = []storeCase{
	{"PostgreSQL", "postgres", "postgres", "postgres"},
	{"Redis (in-memory journal)", "redis", "memory", "redis"},
	{"SQLite file", "sqlite", "sqlite", "sqlite"},
}

// newFake starts the fake Travel Roam on loopback, with enough money.
func newFake(t *testing.T) *travelroamtest.Server {
	srv := travelroamtest.NewServer(travelroamtest.WithBalance(travelroamtest.Sandbox, 1_000_000_00))
	t.Cleanup(srv.Close)
	return srv
}

// buyerConfig is the config of a buyer of srv on the stores of sc.
func buyerConfig(t *testing.T, srv *travelroamtest.Server, sc storeCase, writeTimeout time.Duration) childConfig {
	cfg := childConfig{Role: roleBuyer, Gate: sc.gate, Journal: sc.journal,
		BaseURL: srv.URL, APIKey: srv.APIKey, Secret: srv.ClientSecret,
		Interval: interval, WriteTimeout: writeTimeout, Bundle: srv.Bundles()[0].Name}
	storeEnv(t, &cfg)
	return cfg
}

// purchases returns the purchase requests of the fake's ledger, in order
// of arrival.
func purchases(srv *travelroamtest.Server) []travelroamtest.Request {
	var out []travelroamtest.Request
	for _, r := range srv.Requests() {
		if r.Route == travelroamtest.RouteProcessOrders {
			out = append(out, r)
		}
	}
	return out
}

// checkSpacing fails unless every purchase of the ledger arrived after
// the previous one's answer was complete and at least the interval later
// (less the stores' clock resolution); it returns the smallest gap from
// an answer's end to the next arrival and between two arrivals.
func checkSpacing(t *testing.T, ps []travelroamtest.Request) (minGap, minStart time.Duration) {
	t.Helper()
	minGap, minStart = time.Duration(1<<62), time.Duration(1<<62)
	for i := 1; i < len(ps); i++ {
		prev, cur := ps[i-1], ps[i]
		if prev.End.IsZero() || cur.Time.Before(prev.End) {
			t.Errorf("purchase %s arrived while %s was in flight", cur, prev)
			continue
		}
		gap := cur.Time.Sub(prev.End)
		if gap < interval-storetest.ClockResolution {
			t.Errorf("purchase %s arrived %s after the end of %s, want at least %s", cur, gap, prev, interval)
		}
		minGap, minStart = min(minGap, gap), min(minStart, cur.Time.Sub(prev.Time))
	}
	return minGap, minStart
}

// TestR1_ThreeProcessesOneAccount: 3 OS processes share one store and one
// account and buy 5 bundles each against one fake over loopback, with a
// 1 s purchase interval. With a journal (PostgreSQL, SQLite) each process
// also tries the 5 Keys of its neighbour, interleaved with its own, so
// every Key is contested by two processes.
//
// Pass: the fake's ledger has 15 purchases, none arriving less than 1 s
// after the previous one's answer ended (nor while it was in flight), and
// 15 orders, one per Key: each Key has exactly one successful call, whose
// reference is an order of the ledger, and its contested twin got
// *AlreadyAttemptedError without sending; the shared journal holds each Key
// as succeeded with that reference.
func TestR1_ThreeProcessesOneAccount(t *testing.T) {
	for _, sc := range storeCases {
		t.Run(sc.gate, func(t *testing.T) {
			t.Parallel()
			srv := newFake(t)
			cfg := buyerConfig(t, srv, sc, 30*time.Second)
			contest := sc.journal != "memory"
			title := "3 processes buy 5 bundles each, 1 s interval, one account"
			if contest {
				title += "; each also tries its neighbour's 5 Keys"
			}
			rec := newRecord(t, "R1", title, storeLabel(sc), 3)
			keys := uniqueKeys("r1-"+sc.gate, 15)
			own := func(i int) []string { return keys[5*i : 5*i+5] }
			start := time.Now()
			var children []*child
			for i := range 3 {
				c := cfg
				c.Keys = own(i)
				if contest {
					c.Keys = nil
					for j, k := range own(i) {
						c.Keys = append(c.Keys, k, own((i + 1) % 3)[j])
					}
				}
				children = append(children, startChild(t, fmt.Sprintf("buyer %d", i+1), c))
			}
			results := map[string][]childEvent{}
			for _, ch := range children {
				for _, ev := range ch.wait(t) {
					if ev.Kind == "result" {
						results[ev.Key] = append(results[ev.Key], ev)
						rec.count(ev.Class)
					}
				}
			}
			elapsed := time.Since(start)

			refs := map[string]string{} // order reference → Key
			refused := 0
			for _, key := range keys {
				oks := 0
				for _, ev := range results[key] {
					switch {
					case ev.Class == "ok":
						oks++
						refs[ev.Reference] = key
					case ev.Class == "already_attempted" && contest && (ev.Earlier == "pending" || ev.Earlier == "succeeded"):
						refused++
					default:
						t.Errorf("%s: unexpected result %+v", key, ev)
					}
				}
				if oks != 1 {
					t.Errorf("Key %s bought %d times, want once", key, oks)
				}
			}
			orders := srv.Orders()
			if len(orders) != len(keys) {
				t.Errorf("%d orders in the ledger for %d Keys", len(orders), len(keys))
			}
			for _, o := range orders {
				if _, ok := refs[o.Reference]; !ok {
					t.Errorf("order %s of the ledger was not reported by any process", o.Reference)
				}
			}
			ps := purchases(srv)
			if len(ps) != len(keys) {
				t.Fatalf("%d purchases at the fake, want %d", len(ps), len(keys))
			}
			minGap, minStart := checkSpacing(t, ps)
			if contest {
				j := parentStores(t, cfg).journal
				for ref, key := range refs {
					a, ok, err := j.Get(context.Background(), accountOf(t, cfg), key)
					if err != nil || !ok || a.Outcome != travelroam.OutcomeSucceeded || a.Reference != ref {
						t.Errorf("journal holds %s as %v (present %v, err %v), want succeeded with %s", key, a, ok, err, ref)
					}
				}
			}
			rec.server(len(ps), len(orders))
			rec.note("min gap from an answer's end to the next purchase %s, min between arrivals %s; %d purchases in %s",
				minGap.Round(time.Millisecond), minStart.Round(time.Millisecond), len(ps), elapsed.Round(100*time.Millisecond))
			if contest {
				rec.note("%d contested calls refused by the journal without sending", refused)
			}
		})
	}
}

// storeLabel names the stores of a case for the report.
func storeLabel(sc storeCase) string {
	switch {
	case sc.gate == "redis" && sc.journal == "postgres":
		return "Redis gate, PostgreSQL journal"
	case sc.gate == "redis":
		return "Redis gate, in-memory journals"
	}
	return sc.name
}

// TestR2_KilledWhileBuying: a process is killed with SIGKILL while its
// purchase is at the fake (which holds the answer for an hour), then a
// new process starts on the same store. Write timeout 5 s: lease 10 s.
// Redis has no journal, so its case keeps the journal in PostgreSQL.
//
// Pass: the killed process died of SIGKILL with its request in flight,
// and the fake created no order. The new process lists the attempt as
// pending among UnfinishedPurchases; ProcessOrder with the same Key
// returns *AlreadyAttemptedError (earlier outcome pending) and sends nothing;
// its purchase of a new Key reaches the fake no earlier than lease +
// interval after the killed process was started (its gate claim came
// later), and, a generous bound explained below, within lease + interval
// + 60 s of the kill. Order of events: first request, kill, end of the
// first request at the fake, the listing, the refusal, the second
// request; 2 purchases in the ledger in all, 1 order.
func TestR2_KilledWhileBuying(t *testing.T) {
	const writeTimeout = 5 * time.Second
	const lease = 2 * writeTimeout // the SDK's lease: W + min(W, 30 s)
	cases := []storeCase{storeCases[0], {"Redis gate, PostgreSQL journal", "redis", "postgres", ""}, storeCases[2]}
	for _, sc := range cases {
		t.Run(sc.gate, func(t *testing.T) {
			t.Parallel()
			srv := newFake(t)
			srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Latency(time.Hour))
			cfg := buyerConfig(t, srv, sc, writeTimeout)
			rec := newRecord(t, "R2", "SIGKILL while the purchase is at the fake, then a restart", storeLabel(sc), 2)
			keys := uniqueKeys("r2-"+sc.gate, 2)
			crashed, next := keys[0], keys[1]

			t0 := time.Now() // the killed process's gate claim comes later
			a := cfg
			a.Keys = []string{crashed}
			first := startChild(t, "buyer", a)
			waitFor(t, func() bool { return len(purchases(srv)) == 1 })
			killedAt := first.kill(t)
			rec.count("killed with the purchase in flight")
			waitFor(t, func() bool { return !purchases(srv)[0].End.IsZero() })

			b := cfg
			b.Role, b.Keys = roleRecover, []string{crashed, next}
			restarted := startChild(t, "restarted buyer", b)
			events := restarted.wait(t)

			var listed, refusedAt, boughtAt time.Time
			var listedOutcome string
			for _, ev := range events {
				switch {
				case ev.Kind == "unfinished" && ev.Key == crashed:
					listed, listedOutcome = ev.At, ev.Outcome
				case ev.Kind == "result" && ev.Key == crashed:
					rec.count(ev.Class)
					if ev.Class != "already_attempted" || ev.Earlier != "pending" {
						t.Errorf("the crashed Key again: %+v, want already_attempted with the earlier attempt pending", ev)
					}
					refusedAt = ev.At
				case ev.Kind == "result" && ev.Key == next:
					rec.count(ev.Class)
					if ev.Class != "ok" {
						t.Errorf("the next purchase: %+v", ev)
					}
					boughtAt = ev.At
				}
			}
			if listed.IsZero() || listedOutcome != "pending" {
				t.Fatalf("UnfinishedPurchases after the restart did not list %s as pending (outcome %q)", crashed, listedOutcome)
			}
			ps := purchases(srv)
			if len(ps) != 2 || len(srv.Orders()) != 1 {
				t.Fatalf("%d purchases and %d orders at the fake, want 2 and 1: the crashed Key was sent again or the next never was", len(ps), len(srv.Orders()))
			}
			if ps[0].Status != 0 {
				t.Errorf("the killed process's purchase was answered %d", ps[0].Status)
			}
			// Order of events (the children's clocks are the machine's).
			for _, step := range []struct {
				what       string
				before, at time.Time
			}{
				{"first request before the kill", ps[0].Time, killedAt},
				{"kill before the end of the first request", killedAt, ps[0].End},
				{"end of the first request before the listing", ps[0].End, listed},
				{"listing before the refusal", listed, refusedAt},
				{"refusal before the second request", refusedAt, ps[1].Time},
				{"second request before its result", ps[1].Time, boughtAt},
			} {
				if step.at.Before(step.before) {
					t.Errorf("order of events: %s: %s, then %s", step.what, step.before.Format(time.StampMicro), step.at.Format(time.StampMicro))
				}
			}
			// Not before the dead holder's lease + interval.
			if wait := ps[1].Time.Sub(t0); wait < lease+interval-storetest.ClockResolution {
				t.Errorf("the next purchase arrived %s after the killed process started, want at least lease %s + interval %s", wait, lease, interval)
			}
			// A generous upper bound: the account is free again. A gate
			// that kept it blocked, or used the default lease (2 min),
			// fails it; 60 s of slack leave room for the gate's polling
			// (at most 1 s) and a machine loaded by other jobs.
			if wait := ps[1].Time.Sub(killedAt); wait > lease+interval+time.Minute {
				t.Errorf("the next purchase arrived %s after the kill: the account stayed blocked far beyond lease + interval", wait)
			}
			if sc.journal != "memory" {
				j := parentStores(t, cfg).journal
				if a, ok, err := j.Get(context.Background(), accountOf(t, cfg), crashed); err != nil || !ok || a.Outcome != travelroam.OutcomePending {
					t.Errorf("journal holds the crashed Key as %v (present %v, err %v), want pending", a, ok, err)
				}
			}
			rec.server(len(ps), len(srv.Orders()))
			rec.note("lease %s + interval %s; next purchase %s after the first one's arrival, %s after the kill; crashed Key listed as %s and refused without sending",
				lease, interval, ps[1].Time.Sub(ps[0].Time).Round(time.Millisecond), ps[1].Time.Sub(killedAt).Round(time.Millisecond), listedOutcome)
		})
	}
}

// waitFor polls cond every 5 ms until it holds (at most liveness) and
// returns the time it first held.
func waitFor(t *testing.T, cond func() bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(liveness)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s (liveness guard)", liveness)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Now()
}

// accountOf returns the account key under which the buyers of cfg
// journal their purchases.
func accountOf(t *testing.T, cfg childConfig) string {
	t.Helper()
	c, err := newBuyer(cfg, &stores{})
	if err != nil {
		t.Fatal(err)
	}
	return c.AccountKey()
}
