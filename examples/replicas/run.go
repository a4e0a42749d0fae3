package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/pgstore"
	"github.com/roamkit/travelroam/travelroamtest"
)

// signingKey signs the fake's callbacks; the receiver checks it.
const signingKey = "example-callback-signing-key"

// run is the whole program; main only connects it to the process.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	opts, err := parseOptions(args, stdout)
	if err != nil {
		return err
	}
	out := &printer{w: stdout}

	// One store for every replica. pgstore.New creates its tables if they
	// are missing.
	pool, err := pgxpool.New(ctx, opts.postgres)
	if err != nil {
		return err
	}
	defer pool.Close()
	store, err := pgstore.New(ctx, pool)
	if err != nil {
		return err
	}

	// The callback receiver. Any number of them may run: the deduper is
	// shared.
	processed := new(eventLog)
	stopReceiver, receiverURL, err := receiver(store.Deduper(), processed)
	if err != nil {
		return err
	}
	defer stopReceiver()

	// The fake Travel Roam, with a random seed: its ICCIDs and order
	// references differ from one run to the next, as the journal and the
	// deduper in PostgreSQL outlive the run.
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	fake := travelroamtest.NewServer(travelroamtest.WithSeed(binary.LittleEndian.Uint64(seed[:])), travelroamtest.WithAssignmentDelay(0),
		travelroamtest.WithCallbackURL(receiverURL), travelroamtest.WithCallbackSigningKey(signingKey))
	defer fake.Close()
	out.printf("FAKE Travel Roam at %s; store: PostgreSQL (pgstore).\n", fake.URL)

	// Two replicas of the backend: two Clients, as two pods would have.
	replicaA, err := newReplica(fake, store, opts.interval)
	if err != nil {
		return err
	}
	defer replicaA.CloseIdleConnections()
	replicaB, err := newReplica(fake, store, opts.interval)
	if err != nil {
		return err
	}
	defer replicaB.CloseIdleConnections()
	out.printf("Both replicas pace the account %s through the shared gate.\n", replicaA.AccountKey())

	// At start-up, one replica runs the recovery job.
	resolved, left, err := recoverPurchases(ctx, replicaA, 10*time.Minute, out)
	if err != nil {
		return err
	}
	out.printf("Recovery: %d unfinished purchase(s) resolved, %d left for a person.\n", resolved, left)

	// The job queue delivers every shop order to replica A, and delivers
	// the even ones again to replica B (a redelivery after a timeout).
	bundle := pickBundle(fake)
	run := rand.Text()[:8]
	var jobsA, jobsB []string
	for i := 1; i <= opts.orders; i++ {
		key := fmt.Sprintf("shop-order-%s-%d", run, i)
		jobsA = append(jobsA, key)
		if i%2 == 0 {
			jobsB = append(jobsB, key)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { buyJobs(ctx, "A", replicaA, bundle, jobsA, out) })
	wg.Go(func() { buyJobs(ctx, "B", replicaB, bundle, jobsB, out) })
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}

	// The first eSIM uses 600 MB of its 1 GB: Travel Roam sends FirstUse
	// and Utilisation (50 %) to the receiver. Then it delivers both again.
	orders := fake.Orders()
	if len(orders) == 0 {
		return errors.New("nothing was bought")
	}
	if err := fake.ConsumeData(ctx, orders[0].ICCID, 600_000_000); err != nil {
		return fmt.Errorf("usage callbacks: %w", err)
	}
	for _, cb := range fake.Callbacks() {
		if err := fake.SendRawCallback(ctx, cb.Body); err != nil {
			return fmt.Errorf("callback redelivery: %w", err)
		}
	}

	minGap := time.Duration(-1)
	var prev time.Time
	for _, r := range fake.Requests() {
		if r.Route != travelroamtest.RouteProcessOrders {
			continue
		}
		if !prev.IsZero() && (minGap < 0 || r.Time.Sub(prev) < minGap) {
			minGap = r.Time.Sub(prev)
		}
		prev = r.End
	}
	out.printf("Fake Travel Roam ledger: %d orders for %d shop orders; %d purchase requests, at least %s apart.\n",
		len(orders), opts.orders, fake.RequestCount(travelroamtest.RouteProcessOrders), max(minGap, 0).Round(time.Millisecond))
	out.printf("Callbacks: %d deliveries, %d events processed.\n", len(fake.Callbacks()), processed.len())
	return nil
}

// newReplica returns the Client of one replica: every replica passes the
// same shared gate and journal, as one ledger.
func newReplica(fake *travelroamtest.Server, store *pgstore.Store, interval time.Duration) (*travelroam.Client, error) {
	return travelroam.NewClient(fake.APIKey, fake.ClientSecret,
		travelroam.WithBaseURL(fake.URL), travelroam.WithHTTPClient(fake.Client()),
		travelroam.WithPurchaseInterval(interval),
		travelroam.WithPurchaseLedger(store.Ledger()), // the gate and the journal: two commits per purchase
	)
}

// buyJobs is a replica's job worker: one purchase per shop order, with
// the shop order's id as the purchase Key.
func buyJobs(ctx context.Context, replica string, c *travelroam.Client, bundle string, keys []string, out *printer) {
	for _, key := range keys {
		order, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle, Key: key})
		var already *travelroam.AlreadyAttemptedError
		switch {
		case err == nil:
			out.printf("replica %s: %s: bought, order reference %s\n", replica, key, order.Reference)
		case errors.As(err, &already) && already.Attempt.Outcome == travelroam.OutcomeSucceeded:
			out.printf("replica %s: %s: not sent again: already bought (order reference %s)\n", replica, key, already.Attempt.Reference)
		case errors.As(err, &already):
			out.printf("replica %s: %s: not sent again: already attempted (%s)\n", replica, key, already.Attempt.Outcome)
		case errors.Is(err, travelroam.ErrNotSent):
			out.printf("replica %s: %s: nothing sent, retry later: %v\n", replica, key, err)
		default:
			// Refused, unknown (never retried blindly: see the recovery
			// job), or the context ended.
			out.printf("replica %s: %s: %v\n", replica, key, err)
		}
	}
}

// receiver starts a callback endpoint on loopback whose callback function
// records each event; duplicates are dropped by the shared deduper.
func receiver(d travelroam.Deduper, log *eventLog) (stop func(), url string, err error) {
	h := travelroam.NewCallbackHandler(func(_ context.Context, ev *travelroam.CallbackEvent) error {
		log.add(ev.DedupeKey()) // in production: enqueue the event, re-read the eSIM through the API
		return nil
	}, travelroam.WithCallbackSignature("", []byte(signingKey)), travelroam.WithCallbackDeduper(d))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, "http://" + l.Addr().String() + "/travelroam", nil
}

// pickBundle returns a 1 GB bundle of the fake's catalogue.
func pickBundle(fake *travelroamtest.Server) string {
	for _, b := range fake.Bundles() {
		if b.DataAmountMB == 1000 {
			return b.Name
		}
	}
	return fake.Bundles()[0].Name
}

// eventLog counts the events the callback function processed.
type eventLog struct {
	mu   sync.Mutex
	keys []string
}

func (l *eventLog) add(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, key)
}

func (l *eventLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// printer writes lines from several goroutines, one at a time.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}
