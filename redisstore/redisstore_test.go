package redisstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/roamkit/travelroam"
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
