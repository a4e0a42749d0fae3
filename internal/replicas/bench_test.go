package replicas

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// BenchmarkProcessOrder measures a whole ProcessOrder (the attempt
// recorded and the account claimed, the purchase against the fake on its
// in-memory network, the account freed and the outcome recorded) with the
// stores of each deployment, beside the in-memory defaults: the
// difference is what the shared stores cost per purchase. PostgreSQL and
// SQLite run as a ledger (two commits) and, "-apart", as a journal and a
// gate kept apart (four). Pacing is off (interval 0), each purchase has a new Key.
//
//	go test -run='^$' -bench=ProcessOrder -count=10 . | tee bench.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /store bench.txt
func BenchmarkProcessOrder(b *testing.B) {
	for _, sc := range []storeCase{
		{"memory", "memory", "memory", ""},
		{"postgres", "postgres", "postgres", ""},
		{"postgres-apart", "postgres", "postgres", ""},
		{"redis", "redis", "memory", ""},
		{"sqlite", "sqlite", "sqlite", ""},
		{"sqlite-apart", "sqlite", "sqlite", ""},
	} {
		b.Run("store="+sc.name, func(b *testing.B) {
			cfg := childConfig{Gate: sc.gate, Journal: sc.journal, SQLitePath: filepath.Join(b.TempDir(), "travelroam.db")}
			storeEnv(b, &cfg)
			st := parentStores(b, cfg)
			srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork(), travelroamtest.WithBalance(travelroamtest.Sandbox, 1<<50))
			b.Cleanup(srv.Close)
			opts := []travelroam.Option{travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()), travelroam.WithPurchaseInterval(0)}
			gate := st.gate
			if strings.HasSuffix(sc.name, "-apart") {
				// The store's ledger as a gate that is not the journal: the
				// Client keeps them apart (four commits per purchase).
				gate = struct{ travelroam.PurchaseGate }{st.gate}
			}
			if gate != nil {
				opts = append(opts, travelroam.WithPurchaseGate(gate))
			}
			if st.journal != nil {
				opts = append(opts, travelroam.WithPurchaseJournal(st.journal))
			}
			c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, opts...)
			if err != nil {
				b.Fatal(err)
			}
			bundle := srv.Bundles()[0].Name
			prefix := uniqueKeys("bench-"+sc.name, 1)[0] + "-"
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i++
				if _, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle, Key: prefix + strconv.Itoa(i)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
