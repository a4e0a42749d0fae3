package sqlitestore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"modernc.org/sqlite"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/sqlitestore"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/roamkit/travelroam/travelroamtest/storetest"
)

func TestLedger(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "travelroam.db"))
	storetest.TestPurchaseLedger(t, func(*testing.T) travelroam.PurchaseLedger { return s.Ledger() })
}

// TestLedgerCommitsPerPurchase counts, with SQLite's commit hook, the
// transactions committed (each one synced to disk) for one purchase
// through a Client against the fake API: at most two with the ledger
// (record and claim together, release and finish together), where the
// journal and the gate apart commit four (Begin, Acquire, Release,
// Finish). Each case buys twice and counts the second purchase.
func TestLedgerCommitsPerPurchase(t *testing.T) {
	dir := t.TempDir()
	var commits atomic.Int64
	// The hook is the driver's, for every connection the test binary
	// opens after it: count only the connections to this test's files.
	sqlite.RegisterConnectionHook(func(conn sqlite.ExecQuerierContext, dsn string) error {
		if h, ok := conn.(sqlite.HookRegisterer); ok && strings.HasPrefix(dsn, dir) {
			h.RegisterCommitHook(func() int32 { commits.Add(1); return 0 })
		}
		return nil
	})
	for _, tc := range []struct {
		name string
		opts func(s *sqlitestore.Store) []travelroam.Option
		max  int64
	}{
		{"ledger", func(s *sqlitestore.Store) []travelroam.Option {
			return []travelroam.Option{travelroam.WithPurchaseLedger(s.Ledger())}
		}, 2},
		{"journal and gate apart", func(s *sqlitestore.Store) []travelroam.Option {
			return []travelroam.Option{travelroam.WithPurchaseJournal(s.Journal()), travelroam.WithPurchaseGate(s.Gate())}
		}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".db"))
			srv := travelroamtest.NewServer()
			defer srv.Close()
			c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, append([]travelroam.Option{travelroam.WithBaseURL(srv.URL),
				travelroam.WithHTTPClient(srv.Client()), travelroam.WithPurchaseInterval(0)}, tc.opts(s)...)...)
			if err != nil {
				t.Fatal(err)
			}
			var per []int64
			for i := range 2 {
				before := commits.Load()
				if _, err := c.ProcessOrder(context.Background(), travelroam.OrderRequest{
					BundleName: srv.Bundles()[0].Name, Key: fmt.Sprintf("commits-%d", i)}); err != nil {
					t.Fatal(err)
				}
				per = append(per, commits.Load()-before)
			}
			t.Logf("%s: %d commits for the first purchase, %d for the next", tc.name, per[0], per[1])
			if per[1] == 0 {
				t.Fatal("no commit counted: the hook is not installed")
			}
			if per[1] > tc.max {
				t.Errorf("%s: %d commits per purchase, want at most %d", tc.name, per[1], tc.max)
			}
		})
	}
}
