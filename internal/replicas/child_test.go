package replicas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/roamkit/travelroam"
)

// runChild runs the role of a child process and returns its exit status.
func runChild(raw string) int {
	var cfg childConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "child config:", err)
		return 2
	}
	ctx := context.Background()
	st, err := openStores(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open stores:", err)
		return 1
	}
	defer st.close()
	out := &emitter{enc: json.NewEncoder(os.Stdout)}
	switch cfg.Role {
	case roleBuyer:
		err = buy(ctx, cfg, st, out)
	case roleRecover:
		err = recoverAndBuy(ctx, cfg, st, out)
	case roleReceiver:
		err = receive(cfg, st, out)
	default:
		err = fmt.Errorf("unknown role %q", cfg.Role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, cfg.Role+":", err)
		return 1
	}
	return 0
}

// emitter writes events as JSON lines, one at a time.
type emitter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (e *emitter) emit(ev childEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	_ = e.enc.Encode(ev)
}

// newBuyer returns a Client for the fake with the child's stores.
func newBuyer(cfg childConfig, st *stores) (*travelroam.Client, error) {
	opts := []travelroam.Option{
		travelroam.WithBaseURL(cfg.BaseURL),
		travelroam.WithPurchaseInterval(cfg.Interval),
		travelroam.WithHTTPClient(&http.Client{Timeout: cfg.WriteTimeout}),
	}
	if st.gate != nil {
		opts = append(opts, travelroam.WithPurchaseGate(st.gate))
	}
	if st.journal != nil {
		opts = append(opts, travelroam.WithPurchaseJournal(st.journal))
	}
	return travelroam.NewClient(cfg.APIKey, cfg.Secret, opts...)
}

// buy buys cfg.Keys one after another and reports each result.
func buy(ctx context.Context, cfg childConfig, st *stores, out *emitter) error {
	c, err := newBuyer(cfg, st)
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()
	for _, key := range cfg.Keys {
		order, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: cfg.Bundle, Key: key})
		out.emit(resultEvent(key, order, err))
	}
	return nil
}

// recoverAndBuy is what a restarted replica does: it lists the attempts
// that never finished, then buys cfg.Keys.
func recoverAndBuy(ctx context.Context, cfg childConfig, st *stores, out *emitter) error {
	c, err := newBuyer(cfg, st)
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()
	un, err := c.UnfinishedPurchases(ctx)
	if err != nil {
		return err
	}
	for _, a := range un {
		out.emit(childEvent{Kind: "unfinished", Key: a.Key, Outcome: string(a.Outcome)})
	}
	return buy(ctx, cfg, st, out)
}

// resultEvent describes the result of a ProcessOrder.
func resultEvent(key string, order *travelroam.Order, err error) childEvent {
	ev := childEvent{Kind: "result", Key: key, Class: classOf(err)}
	if order != nil {
		ev.Reference = order.Reference
	}
	var ae *travelroam.AlreadyAttemptedError
	if errors.As(err, &ae) {
		ev.Earlier = string(ae.Attempt.Outcome)
	}
	if err != nil {
		ev.Err = err.Error()
	}
	return ev
}

// classOf classifies a ProcessOrder error.
func classOf(err error) string {
	var ae *travelroam.APIError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, new(*travelroam.AlreadyAttemptedError)):
		return "already_attempted"
	case errors.As(err, new(*travelroam.OutcomeUnknownError)):
		return "unknown"
	case errors.Is(err, travelroam.ErrNotSent):
		return "not_sent"
	case errors.As(err, &ae):
		return "refused"
	case errors.As(err, new(*travelroam.ValidationError)):
		return "invalid"
	}
	return "other"
}

// receive serves signed callbacks on a loopback port with the child's
// deduper until stdin closes. The callback function takes cfg.Work and
// reports each run.
func receive(cfg childConfig, st *stores, out *emitter) error {
	opts := []travelroam.Option{travelroam.WithCallbackSignature("", []byte(cfg.APIKey))}
	if st.deduper != nil {
		opts = append(opts, travelroam.WithCallbackDeduper(st.deduper))
	}
	h := travelroam.NewCallbackHandler(func(_ context.Context, ev *travelroam.CallbackEvent) error {
		time.Sleep(cfg.Work)
		out.emit(childEvent{Kind: "ran", Event: ev.DedupeKey()})
		return nil
	}, opts...)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	out.emit(childEvent{Kind: "listening", Addr: l.Addr().String()})
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
