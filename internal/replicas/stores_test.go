package replicas

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/pgstore"
	"github.com/roamkit/travelroam/redisstore"
	"github.com/roamkit/travelroam/sqlitestore"
)

// stores are the gate, journal and deduper of a process, from the stores
// its config names (nil: the SDK's in-memory default).
type stores struct {
	gate    travelroam.PurchaseGate
	journal travelroam.PurchaseJournal
	deduper travelroam.Deduper
	closers []func()
}

func (s *stores) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// openStores connects to the stores cfg names, once each.
func openStores(ctx context.Context, cfg childConfig) (*stores, error) {
	s := &stores{}
	var (
		pg  *pgstore.Store
		rs  *redisstore.Store
		sq  *sqlitestore.Store
		err error
	)
	for _, name := range []string{cfg.Gate, cfg.Journal, cfg.Deduper} {
		switch name {
		case "", "memory":
		case "postgres":
			if pg != nil {
				continue
			}
			pool, perr := pgxpool.New(ctx, cfg.PostgresURL)
			if perr != nil {
				return nil, perr
			}
			s.closers = append(s.closers, pool.Close)
			if pg, err = pgstore.New(ctx, pool); err != nil {
				s.close()
				return nil, err
			}
		case "redis":
			if rs != nil {
				continue
			}
			rdb := redis.NewClient(&redis.Options{Addr: cfg.RedisAddr})
			s.closers = append(s.closers, func() { _ = rdb.Close() })
			rs = redisstore.New(rdb)
		case "sqlite":
			if sq != nil {
				continue
			}
			if sq, err = sqlitestore.Open(cfg.SQLitePath); err != nil {
				s.close()
				return nil, err
			}
			s.closers = append(s.closers, func() { _ = sq.Close() })
		default:
			s.close()
			return nil, fmt.Errorf("unknown store %q", name)
		}
	}
	pick := func(name string) (travelroam.PurchaseGate, travelroam.PurchaseJournal, travelroam.Deduper) {
		switch name {
		// A store that keeps both gives its Ledger as the gate and as the
		// journal: the same value for both makes the Client use it as one
		// PurchaseLedger (two commits per purchase).
		case "postgres":
			return pg.Ledger(), pg.Ledger(), pg.Deduper()
		case "redis":
			return rs.Gate(), nil, rs.Deduper()
		case "sqlite":
			return sq.Ledger(), sq.Ledger(), sq.Deduper()
		}
		return nil, nil, nil
	}
	s.gate, _, _ = pick(cfg.Gate)
	_, s.journal, _ = pick(cfg.Journal)
	_, _, s.deduper = pick(cfg.Deduper)
	if cfg.Journal == "redis" {
		s.close()
		return nil, errors.New("redisstore has no journal")
	}
	return s, nil
}

// storeEnv fills in the addresses of the servers that scripts/services.sh
// starts, for the stores a test uses. Without them the test fails in CI
// (CI set: a missing server is a failure, never a skip) and is skipped
// elsewhere.
func storeEnv(t testing.TB, cfg *childConfig) {
	t.Helper()
	need := func(v string) string {
		val := os.Getenv(v)
		if val == "" {
			msg := v + " is not set: run `scripts/services.sh start` and `eval \"$(scripts/services.sh env)\"` at the repository's root"
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		return val
	}
	names := strings.Join([]string{cfg.Gate, cfg.Journal, cfg.Deduper}, " ")
	if strings.Contains(names, "postgres") {
		cfg.PostgresURL = need("TRAVELROAM_TEST_POSTGRES_URL")
	}
	if strings.Contains(names, "redis") {
		cfg.RedisAddr = need("TRAVELROAM_TEST_REDIS_ADDR")
	}
	if strings.Contains(names, "sqlite") && cfg.SQLitePath == "" {
		cfg.SQLitePath = filepath.Join(t.TempDir(), "travelroam.db")
	}
}

// parentStores opens the stores of cfg in the test process, to read the
// journal the children wrote.
func parentStores(t testing.TB, cfg childConfig) *stores {
	t.Helper()
	s, err := openStores(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s
}

// uniqueKeys returns n purchase Keys that no other run uses.
func uniqueKeys(prefix string, n int) []string {
	run := rand.Text()[:10]
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%s-%02d", prefix, run, i)
	}
	return out
}
