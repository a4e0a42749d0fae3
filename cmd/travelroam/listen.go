package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/roamkit/travelroam"
)

// callbackJSON is one line of listen --json.
type callbackJSON struct {
	ReceivedAt     time.Time          `json:"receivedAt"`
	ICCID          string             `json:"iccid"`
	AlertType      string             `json:"alertType"`
	Bundle         callbackBundleJSON `json:"bundle"`
	RemainingBytes *int64             `json:"remainingBytes"`
	UsedFraction   float64            `json:"usedFraction"`
}

// callbackBundleJSON is the bundle of a callback event.
type callbackBundleJSON struct {
	Name              string     `json:"name"`
	Description       string     `json:"description"`
	ID                string     `json:"id"`
	Reference         string     `json:"reference"`
	InitialQuantity   int64      `json:"initialQuantity"`
	RemainingQuantity int64      `json:"remainingQuantity"`
	Unit              string     `json:"unit"`
	Unlimited         bool       `json:"unlimited"`
	StartTime         *time.Time `json:"startTime"`
	EndTime           *time.Time `json:"endTime"`
}

// minTokenLen is the shortest token the SDK's handler accepts.
const minTokenLen = 16

func runListen(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("listen", false)
	addr := f.String("addr", "127.0.0.1:8090", "address to listen on; expose it with a tunnel to receive real callbacks")
	token := f.String("token", "", "require ?token=`T` in the callback URL (at least 16 characters)")
	keyEnv := f.String("signing-key-env", "", "require an X-Signature-SHA256 HMAC of the body made with the key in environment variable `VAR`")
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	opts, auth, err := c.listenAuth(*token, *keyEnv)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	h := travelroam.NewCallbackHandler(func(_ context.Context, ev *travelroam.CallbackEvent) error {
		mu.Lock()
		defer mu.Unlock()
		return c.printEvent(time.Now(), ev, f.json)
	}, opts...)
	return c.serve(ctx, *addr, auth, h)
}

// listenAuth returns the handler's options for --token and
// --signing-key-env, and how it authenticates (for the person); the
// token and the key are scrubbed from every output from then on.
func (c *cli) listenAuth(token, keyEnv string) ([]travelroam.Option, string, error) {
	var opts []travelroam.Option
	auth := "none: anyone who can reach it can post events"
	if token != "" {
		if len(token) < minTokenLen {
			return nil, "", usagef("listen: --token must have at least %d characters", minTokenLen)
		}
		opts = append(opts, travelroam.WithCallbackQueryToken("token", token))
		auth = "?token=<your token>"
		c.out = newScrubber(c.out, token)
		c.err = newScrubber(c.err, token)
	}
	if keyEnv == "" {
		return opts, auth, nil
	}
	key := c.getenv(keyEnv)
	if key == "" {
		return nil, "", usagef("listen: environment variable %s (--signing-key-env) is empty", keyEnv)
	}
	opts = append(opts, travelroam.WithCallbackSignature("", []byte(key)))
	if token != "" {
		auth += " and "
	} else {
		auth = ""
	}
	auth += "X-Signature-SHA256 signature"
	c.out = newScrubber(c.out, key)
	c.err = newScrubber(c.err, key)
	return opts, auth, nil
}

// serve serves h on addr until ctx is done (Ctrl+C); auth says how it
// authenticates.
func (c *cli) serve(ctx context.Context, addr, auth string, h http.Handler) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 15 * time.Second, IdleTimeout: 60 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	c.info("Listening for Travel Roam usage callbacks on http://%s/ (authentication: %s). Ctrl+C to stop.", l.Addr(), auth)
	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("listen: %w", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	<-served
	c.info("Stopped.")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return nil
}

// printEvent writes one callback event as a line of text or JSON.
func (c *cli) printEvent(at time.Time, ev *travelroam.CallbackEvent, asJSON bool) error {
	if ev.IsAccountEvent() {
		return c.printAccountEvent(at, ev, asJSON)
	}
	b := ev.Bundle
	if asJSON {
		out := callbackJSON{ReceivedAt: at.UTC(), ICCID: string(ev.ICCID), AlertType: string(ev.AlertType), UsedFraction: b.UsedFraction(),
			Bundle: callbackBundleJSON{Name: b.Name, Description: b.Description, ID: b.ID, Reference: b.Reference,
				InitialQuantity: b.InitialQuantity, RemainingQuantity: b.RemainingQuantity, Unit: b.Unit, Unlimited: b.Unlimited,
				StartTime: timeOrNil(b.StartTime), EndTime: timeOrNil(b.EndTime)}}
		if n, ok := b.RemainingBytes(); ok {
			out.RemainingBytes = &n
		}
		return c.writeJSON(out)
	}
	var usage string
	switch n, ok := b.RemainingBytes(); {
	case b.Unlimited:
		usage = "unlimited"
	case ok:
		usage = fmt.Sprintf("%s left of %s (%.0f %% used)", formatBytes(n), formatBytes(b.InitialQuantity), 100*b.UsedFraction())
	default:
		usage = fmt.Sprintf("%d %s left of %d", b.RemainingQuantity, b.Unit, b.InitialQuantity)
	}
	fields := []string{at.UTC().Format(time.RFC3339), string(ev.AlertType), string(ev.ICCID), b.Name, usage}
	return c.println(strings.Join(safeAll(fields), "  "))
}
