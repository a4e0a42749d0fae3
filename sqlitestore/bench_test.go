package sqlitestore_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
)

// BenchmarkGate measures one Acquire and Release of a free key (interval
// 0): the gate's cost per purchase, two synced transactions.
func BenchmarkGate(b *testing.B) {
	g := open(b, filepath.Join(b.TempDir(), "bench.db")).Gate()
	ctx := context.Background()
	for b.Loop() {
		p, err := g.Acquire(ctx, "acct", 0, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Release(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJournal measures one Begin and Finish of a new key: the
// journal's cost per purchase.
func BenchmarkJournal(b *testing.B) {
	j := open(b, filepath.Join(b.TempDir(), "bench.db")).Journal()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		key := "order-" + strconv.Itoa(i)
		a := travelroam.PurchaseAttempt{Key: key, ID: key, Account: "sandbox:bench", BundleName: "esim_1GB_7D_GB_V2", Environment: "sandbox"}
		if _, ok, err := j.Begin(ctx, a); err != nil || !ok {
			b.Fatal(ok, err)
		}
		if err := j.Finish(ctx, a, travelroam.OutcomeSucceeded, "ref", time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
