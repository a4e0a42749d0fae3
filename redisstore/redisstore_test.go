package redisstore_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/dropproxy"
	"github.com/roamkit/travelroam/redisstore"
	"github.com/roamkit/travelroam/travelroamtest/storetest"
)

// testClient connects to the Redis that scripts/services.sh starts.
// Without TRAVELROAM_TEST_REDIS_ADDR the test fails in CI (a missing
// server there is a failure, never a skip) and is skipped elsewhere.
func testClient(t testing.TB) *redis.Client {
	t.Helper()
	addr := os.Getenv("TRAVELROAM_TEST_REDIS_ADDR")
	if addr == "" {
		msg := "TRAVELROAM_TEST_REDIS_ADDR is not set: run `scripts/services.sh start` and `eval \"$(scripts/services.sh env)\"` at the repository's root"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis at %s: %v", addr, err)
	}
	return rdb
}

func TestGate(t *testing.T) {
	s := redisstore.New(testClient(t))
	storetest.TestPurchaseGate(t, func(*testing.T) travelroam.PurchaseGate { return s.Gate() })
}

func TestDeduper(t *testing.T) {
	s := redisstore.New(testClient(t))
	storetest.TestDeduper(t, func(*testing.T) travelroam.Deduper { return s.Deduper() })
}

func TestDeduperExpiry(t *testing.T) {
	rdb := testClient(t)
	storetest.TestDeduperExpiry(t, func(t *testing.T, reservation, seen time.Duration) travelroam.Deduper {
		return redisstore.New(rdb, redisstore.WithDedupeTTL(reservation, seen)).Deduper()
	})
}

// TestPrefix: keys carry the configured prefix, so two stores with
// different prefixes do not share a gate.
func TestPrefix(t *testing.T) {
	rdb := testClient(t)
	ctx := context.Background()
	key := "prefix-test-" + time.Now().Format(time.RFC3339Nano)
	a := redisstore.New(rdb, redisstore.WithPrefix("travelroam-test-a:"))
	b := redisstore.New(rdb, redisstore.WithPrefix("travelroam-test-b:"))
	pa, err := a.Gate().Acquire(ctx, key, 0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.Gate().Acquire(ctx, key, 0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := rdb.Exists(ctx, "travelroam-test-a:gate:"+key, "travelroam-test-b:gate:"+key).Result(); err != nil || n != 2 {
		t.Errorf("keys with the two prefixes: %d (err %v), want 2", n, err)
	}
	_ = pa.Release(ctx)
	_ = pb.Release(ctx)
	rdb.Del(ctx, "travelroam-test-a:gate:"+key, "travelroam-test-b:gate:"+key)
}

// TestGateLostReply: the acquire script runs but its answer is lost (the
// proxy lets Redis answer, then cuts the connection, as a network cut or a
// failover would). With go-redis's own retries (the default), the client
// runs the script again with the same token: that second run must see the
// claim as its own. Without retries, the failed Acquire must give the
// claim back. Either way, another process's Acquire of the account
// succeeds once the interval has passed, with a deadline far below the
// lost claim's lease (10 min), so it cannot have waited for the lease.
func TestGateLostReply(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxRetries int
	}{{"GoRedisRetries", 0}, {"NoRetries", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			direct := testClient(t)
			ctx := context.Background()
			key := fmt.Sprintf("lost-reply-%d", time.Now().UnixNano())
			proxy, err := dropproxy.Start(direct.Options().Addr,
				func(b []byte) bool { return bytes.Contains(b, []byte("travelroam:gate:"+key+"\r\n")) })
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = proxy.Close() })
			rdb := redis.NewClient(&redis.Options{Addr: proxy.Addr(), MaxRetries: tc.maxRetries})
			t.Cleanup(func() { _ = rdb.Close() })
			g := redisstore.New(rdb).Gate()
			// Load the scripts first, so that the reply lost is the
			// claim's, not a NOSCRIPT.
			warm, err := g.Acquire(ctx, key+"-warm-up", 0, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			_ = warm.Release(ctx)

			const interval, lease = 100 * time.Millisecond, 10 * time.Minute
			firstCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			permit, err := g.Acquire(firstCtx, key, interval, lease)
			select {
			case <-proxy.Dropped():
			default:
				t.Fatalf("the proxy dropped no reply (Acquire: %v)", err)
			}
			switch {
			case err == nil:
				// go-redis ran the script again and it took the claim as
				// its own: an ordinary permit.
				t.Log("Acquire whose answer was lost: retried by go-redis, permit held")
				if err := permit.Release(ctx); err != nil {
					t.Fatal(err)
				}
			case tc.maxRetries == 0:
				t.Fatalf("Acquire, its answer lost and the script run again by go-redis: %v", err)
			default:
				t.Logf("Acquire whose answer was lost: %v", err)
			}

			waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			asked := time.Now()
			next, err := redisstore.New(direct).Gate().Acquire(waitCtx, key, interval, lease)
			if err != nil {
				t.Fatalf("the next Acquire, with a deadline well below the lost claim's lease of %v: %v (a ghost hold)", lease, err)
			}
			t.Logf("the next Acquire (interval %v, lease %v) got the account after %v", interval, lease, time.Since(asked).Round(time.Millisecond))
			if err := next.Release(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDeduperLostReply: a reservation is made but Redis's answer is lost.
// With go-redis's retries, the script runs again with the same token and
// must take the reservation as its own (DedupeNew, not "in flight");
// without retries, the failed Begin gives it back, so the next delivery
// is processed at once instead of being answered "in flight" until the
// reservation's time to live (5 min) runs out.
func TestDeduperLostReply(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxRetries int
	}{{"GoRedisRetries", 0}, {"NoRetries", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			direct := testClient(t)
			ctx := context.Background()
			key := fmt.Sprintf("lost-reply-%d", time.Now().UnixNano())
			proxy, err := dropproxy.Start(direct.Options().Addr,
				func(b []byte) bool { return bytes.Contains(b, []byte("travelroam:dedupe:"+key+"\r\n")) })
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = proxy.Close() })
			rdb := redis.NewClient(&redis.Options{Addr: proxy.Addr(), MaxRetries: tc.maxRetries})
			t.Cleanup(func() { _ = rdb.Close() })
			d := redisstore.New(rdb).Deduper()
			// Load the script first, so that the reply lost is the
			// reservation's, not a NOSCRIPT.
			if _, token, err := d.Begin(ctx, key+"-warm-up"); err != nil {
				t.Fatal(err)
			} else if err := d.Done(ctx, key+"-warm-up", token, false); err != nil {
				t.Fatal(err)
			}

			st, token, err := d.Begin(ctx, key)
			select {
			case <-proxy.Dropped():
			default:
				t.Fatalf("the proxy dropped no reply (Begin: %v)", err)
			}
			switch {
			case err == nil && st == travelroam.DedupeNew:
				t.Log("Begin whose answer was lost: retried by go-redis, reserved")
				if err := d.Done(ctx, key, token, false); err != nil {
					t.Fatal(err)
				}
			case tc.maxRetries == 0:
				t.Fatalf("Begin, its answer lost and the script run again by go-redis: %v, %v; want DedupeNew", st, err)
			case err == nil:
				t.Fatalf("Begin answered %v although its answer was lost and nothing retried it", st)
			default:
				t.Logf("Begin whose answer was lost: %v", err)
			}
			st, token, err = redisstore.New(direct).Deduper().Begin(ctx, key)
			if err != nil || st != travelroam.DedupeNew {
				t.Fatalf("the next delivery's Begin: %v, %v; want DedupeNew (the lost reservation given back)", st, err)
			}
			if err := redisstore.New(direct).Deduper().Done(ctx, key, token, true); err != nil {
				t.Fatal(err)
			}
		})
	}
}
