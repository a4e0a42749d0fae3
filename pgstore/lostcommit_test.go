package pgstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/pgstore"
	"github.com/roamkit/travelroam/travelroamtest"
)

// holdProxy forwards PostgreSQL connections both ways until a client
// sends a COMMIT after a statement containing marker: it keeps that
// COMMIT from the server, cuts the client off (its call fails, the
// COMMIT's fate unknown to it) and sends the COMMIT on only when Deliver
// is called. So the transaction commits after the client gave up and
// cleaned up, as when a context ends, or a connection drops, while the
// COMMIT is on its way; the server's backend holds the transaction's row
// locks meanwhile.
type holdProxy struct {
	ln      net.Listener
	target  string
	marker  []byte
	taken   atomic.Bool
	held    chan struct{} // closed once a COMMIT is held
	deliver chan struct{} // closed by Deliver
	once    sync.Once
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
}

func startHoldProxy(t *testing.T, target, marker string) *holdProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &holdProxy{ln: ln, target: target, marker: []byte(marker), held: make(chan struct{}), deliver: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		p.Deliver()
		_ = ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// Deliver sends the held COMMIT on to the server.
func (p *holdProxy) Deliver() { p.once.Do(func() { close(p.deliver) }) }

func (p *holdProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		replied := make(chan struct{})
		p.wg.Add(2)
		go func() { // server → client; stops (leaving the server open) when the client is gone
			defer p.wg.Done()
			defer close(replied)
			buf := make([]byte, 64<<10)
			for {
				n, err := server.Read(buf)
				if n > 0 {
					if _, werr := client.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					_ = client.Close()
					return
				}
			}
		}()
		go func() { // client → server, holding the COMMIT after the marker
			defer p.wg.Done()
			armed := false
			buf := make([]byte, 64<<10)
			for {
				n, err := client.Read(buf)
				if n > 0 {
					chunk := buf[:n]
					armed = armed || bytes.Contains(chunk, p.marker)
					if armed && bytes.Contains(chunk, []byte("commit\x00")) && p.taken.CompareAndSwap(false, true) {
						_ = client.Close()
						close(p.held)
						<-p.deliver
						_, _ = server.Write(chunk)
						<-replied // the COMMIT's answer came back: it is carried out
						_ = server.Close()
						return
					}
					if _, werr := server.Write(chunk); werr != nil {
						return
					}
				}
				if err != nil {
					_ = server.Close()
					return
				}
			}
		}()
	}
}

// holdingStore returns a store whose connections go through a holdProxy.
func holdingStore(t *testing.T, marker string) (*pgstore.Store, *holdProxy) {
	t.Helper()
	base := testPool(t)
	cc := base.Config().ConnConfig
	proxy := startHoldProxy(t, net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port))), marker)
	cfg := base.Config().Copy()
	host, port, _ := net.SplitHostPort(proxy.ln.Addr().String())
	n, _ := strconv.Atoi(port)
	cfg.ConnConfig.Host, cfg.ConnConfig.Port = host, uint16(n)
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol // the statements' text, and their arguments, on the wire
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s, err := pgstore.New(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return s, proxy
}

// waitBlockedOrDone waits until done is closed (false) or a backend
// waits for a lock held by the transaction whose last statement names
// account, the one whose COMMIT is held (true).
func waitBlockedOrDone(t *testing.T, pool *pgxpool.Pool, account string, done <-chan struct{}) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		select {
		case <-done:
			return false
		case <-ctx.Done():
			t.Fatal("neither a lock wait nor an answer")
		default:
		}
		var blocked bool
		err := pool.QueryRow(ctx, `SELECT EXISTS (
			SELECT 1 FROM pg_stat_activity w, pg_stat_activity z
			WHERE w.wait_event_type = 'Lock' AND z.pid = ANY (pg_blocking_pids(w.pid))
			AND z.state = 'idle in transaction' AND strpos(z.query, $1) > 0)`, account).Scan(&blocked)
		if err != nil {
			t.Fatal(err)
		}
		if blocked {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLedgerBeginAcquireCommitAfterCleanup: BeginAcquire's COMMIT is
// still on its way when its connection fails (a context ending during
// the COMMIT, a connection cut), and reaches the server only after
// BeginAcquire has begun cleaning up. The claim and the record are then
// committed after the give-back by token was tried: that give-back must
// wait for the transaction to end rather than judge the row by its
// version before it, or the account stays held for the whole lease (10
// min here) although BeginAcquire said nothing is held. The attempt must
// also be visible once BeginAcquire returns, so that the SDK's record of
// it as not sent finds it instead of leaving it pending.
func TestLedgerBeginAcquireCommitAfterCleanup(t *testing.T) {
	ctx := context.Background()
	other := testStore(t).Ledger()
	s, proxy := holdingStore(t, "INSERT INTO travelroam_purchase_journal AS j")
	account := fmt.Sprintf("commit-after-cleanup-%d", time.Now().UnixNano())
	a := travelroam.PurchaseAttempt{Account: account, Key: "order 1", ID: "held", BundleName: "b"}
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		var p travelroam.LedgerPermit
		_, p, err = s.Ledger().BeginAcquire(ctx, a, 0, 10*time.Minute)
		if p != nil {
			_ = p.ReleaseFinish(ctx, travelroam.OutcomeNotSent, "")
		}
	}()
	<-proxy.held
	forgetBegin := func() { // the SDK's clean-up once BeginAcquire failed: the attempt, as not sent
		pending := a
		pending.Outcome = travelroam.OutcomePending
		if err := other.Finish(ctx, pending, travelroam.OutcomeNotSent, "", time.Time{}); err != nil {
			t.Errorf("recording the attempt as not sent once BeginAcquire returned: %v (it stays pending)", err)
		}
	}
	if waitBlockedOrDone(t, testPool(t), account, done) {
		proxy.Deliver() // the clean-up waits for the transaction: let it end
		<-done
		forgetBegin()
	} else {
		<-done // returned with the COMMIT still on its way
		forgetBegin()
		proxy.Deliver()
	}
	if err == nil {
		t.Fatal("BeginAcquire succeeded although its connection was cut before the COMMIT's answer")
	}
	t.Logf("BeginAcquire whose COMMIT was held: %v", err)
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	b := travelroam.PurchaseAttempt{Account: account, Key: "order 2", ID: "next", BundleName: "b"}
	_, q, err := other.BeginAcquire(waitCtx, b, 0, 10*time.Minute)
	if err != nil || q == nil {
		t.Fatalf("the next BeginAcquire, with a deadline well below the lost claim's lease: %v, %v (a ghost hold)", q, err)
	}
	if err := q.ReleaseFinish(ctx, travelroam.OutcomeRefused, ""); err != nil {
		t.Fatal(err)
	}
}

// TestGateCommitAfterCleanup: as TestLedgerBeginAcquireCommitAfterCleanup
// for the gate alone: an Acquire whose claim's COMMIT reaches the server
// only after Acquire failed and began giving the claim back holds
// nothing once it has returned.
func TestGateCommitAfterCleanup(t *testing.T) {
	ctx := context.Background()
	other := testStore(t).Gate()
	s, proxy := holdingStore(t, "UPDATE travelroam_purchase_gate\nSET token =")
	key := fmt.Sprintf("commit-after-cleanup-%d", time.Now().UnixNano())
	first, err := other.Acquire(ctx, key, 0, time.Minute) // the key's row exists: the next claim is one UPDATE
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Release(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var p travelroam.Permit
		p, err = s.Gate().Acquire(ctx, key, 0, 10*time.Minute)
		if p != nil {
			_ = p.Release(ctx)
		}
	}()
	<-proxy.held
	if waitBlockedOrDone(t, testPool(t), key, done) {
		proxy.Deliver()
	}
	<-done
	proxy.Deliver()
	if err == nil {
		t.Fatal("Acquire succeeded although its connection was cut before the COMMIT's answer")
	}
	t.Logf("Acquire whose COMMIT was held: %v", err)
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	q, err := other.Acquire(waitCtx, key, 0, 10*time.Minute)
	if err != nil {
		t.Fatalf("the next Acquire, with a deadline well below the lost claim's lease: %v (a ghost hold)", err)
	}
	if err := q.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestJournalBeginCommitAfterCleanup: as
// TestLedgerBeginAcquireCommitAfterCleanup for the journal alone (a
// journal beside a gate kept elsewhere): a Begin whose COMMIT reaches the
// server only after Begin failed returns once that transaction has ended,
// so that the SDK's record of the attempt as not sent finds it rather
// than leaving it pending (its Key refused until a person resolves it).
func TestJournalBeginCommitAfterCleanup(t *testing.T) {
	ctx := context.Background()
	other := testStore(t).Journal()
	s, proxy := holdingStore(t, "INSERT INTO travelroam_purchase_journal AS j")
	account := fmt.Sprintf("commit-after-cleanup-%d", time.Now().UnixNano())
	a := travelroam.PurchaseAttempt{Account: account, Key: "order 1", ID: "held", BundleName: "b"}
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		_, _, err = s.Journal().Begin(ctx, a)
	}()
	<-proxy.held
	forgetBegin := func() {
		pending := a
		pending.Outcome = travelroam.OutcomePending
		if err := other.Finish(ctx, pending, travelroam.OutcomeNotSent, "", time.Time{}); err != nil {
			t.Errorf("recording the attempt as not sent once Begin returned: %v (it stays pending)", err)
		}
	}
	if waitBlockedOrDone(t, testPool(t), account, done) {
		proxy.Deliver()
		<-done
		forgetBegin()
	} else {
		<-done
		forgetBegin()
		proxy.Deliver()
	}
	if err == nil {
		t.Fatal("Begin succeeded although its connection was cut before the COMMIT's answer")
	}
	t.Logf("Begin whose COMMIT was held: %v", err)
	got, ok, err := other.Get(ctx, account, a.Key)
	if err != nil || !ok || got.Outcome != travelroam.OutcomeNotSent {
		t.Errorf("the attempt once all is over: %v, %v, %v; want it not sent", got, ok, err)
	}
}

// TestDeduperBeginCommitAfterCleanup: as
// TestLedgerBeginAcquireCommitAfterCleanup for the callback deduper: a
// reservation whose COMMIT reaches the server only after Begin failed is
// given back, so the next delivery of the event is processed at once
// rather than answered "in flight" for the reservation's time to live.
func TestDeduperBeginCommitAfterCleanup(t *testing.T) {
	ctx := context.Background()
	other := testStore(t).Deduper()
	s, proxy := holdingStore(t, "INSERT INTO travelroam_callback_dedupe AS d")
	key := fmt.Sprintf("commit-after-cleanup-%d", time.Now().UnixNano())
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		_, _, err = s.Deduper().Begin(ctx, key)
	}()
	<-proxy.held
	if waitBlockedOrDone(t, testPool(t), key, done) {
		proxy.Deliver()
	}
	<-done
	proxy.Deliver()
	if err == nil {
		t.Fatal("Begin succeeded although its connection was cut before the COMMIT's answer")
	}
	t.Logf("Begin whose COMMIT was held: %v", err)
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		st, token, err := other.Begin(waitCtx, key)
		if err != nil {
			t.Fatalf("the next delivery's Begin: %v; want DedupeNew (the lost reservation given back) before this deadline, far below its time to live", err)
		}
		if st == travelroam.DedupeNew {
			if err := other.Done(ctx, key, token, true); err != nil {
				t.Fatal(err)
			}
			return
		}
		// The held COMMIT may land after this Begin looked: look again,
		// until the reservation is given back or this test's deadline,
		// far below the reservation's time to live (5 min).
		if waitCtx.Err() != nil {
			t.Fatalf("the next delivery's Begin: %v until the deadline; want DedupeNew (the lost reservation given back)", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestProcessOrderLedgerCommitAfterCleanup: the ledger's claim and
// record of a purchase commit after its BeginAcquire failed (the COMMIT
// on its way). Through a Client: ProcessOrder returns ErrNotSent (nothing
// was sent), and, as that error says, the same Key is bought on the next
// call, by another replica, at once: no attempt left pending, no account
// held for the lease.
func TestProcessOrderLedgerCommitAfterCleanup(t *testing.T) {
	ctx := context.Background()
	srv := travelroamtest.NewServer()
	defer srv.Close()
	s, proxy := holdingStore(t, "INSERT INTO travelroam_purchase_journal AS j")
	client := func(l travelroam.PurchaseLedger) *travelroam.Client {
		c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, travelroam.WithBaseURL(srv.URL),
			travelroam.WithHTTPClient(srv.Client()), travelroam.WithPurchaseInterval(0), travelroam.WithPurchaseLedger(l))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	held, next := client(s.Ledger()), client(testStore(t).Ledger())
	req := travelroam.OrderRequest{BundleName: srv.Bundles()[0].Name, Key: fmt.Sprintf("commit-after-cleanup-%d", time.Now().UnixNano())}
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		_, err = held.ProcessOrder(ctx, req)
	}()
	<-proxy.held
	if waitBlockedOrDone(t, testPool(t), held.AccountKey(), done) {
		proxy.Deliver()
	}
	<-done
	proxy.Deliver()
	if !errors.Is(err, travelroam.ErrNotSent) {
		t.Fatalf("ProcessOrder whose BeginAcquire's COMMIT was held: %v, want ErrNotSent", err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second) // far below the lease (2 min)
	defer cancel()
	order, err := next.ProcessOrder(waitCtx, req)
	if err != nil {
		t.Fatalf("the same Key again, as ErrNotSent allows: %v", err)
	}
	if n := len(srv.Orders()); n != 1 {
		t.Errorf("%d orders at the fake, want 1 (order %s)", n, order.Reference)
	}
}
