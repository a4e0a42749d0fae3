package pgstore_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
)

// BenchmarkGate measures one Acquire and Release of a free key (interval
// 0): the gate's cost per purchase, two statements on the database.
func BenchmarkGate(b *testing.B) {
	g := testStore(b).Gate()
	ctx := context.Background()
	key := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	for b.Loop() {
		p, err := g.Acquire(ctx, key, 0, time.Minute)
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
	j := testStore(b).Journal()
	ctx := context.Background()
	prefix := fmt.Sprintf("bench-%d-", time.Now().UnixNano())
	i := 0
	for b.Loop() {
		i++
		key := prefix + strconv.Itoa(i)
		a := travelroam.PurchaseAttempt{Key: key, ID: key, Account: "sandbox:bench", BundleName: "esim_1GB_7D_GB_V2", Environment: "sandbox"}
		if _, ok, err := j.Begin(ctx, a); err != nil || !ok {
			b.Fatal(ok, err)
		}
		if err := j.Finish(ctx, a, travelroam.OutcomeSucceeded, "ref", time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
