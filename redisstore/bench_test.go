package redisstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/roamkit/travelroam/redisstore"
)

// BenchmarkGate measures one Acquire and Release of a free key (interval
// 0): the gate's cost per purchase, two scripts on Redis.
func BenchmarkGate(b *testing.B) {
	g := redisstore.New(testClient(b)).Gate()
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
