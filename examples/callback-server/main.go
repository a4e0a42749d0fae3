// Command callback-server receives Travel Roam usage callbacks and prints
// each event (with the ICCID masked).
//
//	export TRAVELROAM_CALLBACK_TOKEN=$(openssl rand -hex 32)
//	go run ./examples/callback-server -addr :8080
//
// Then register https://<your host>/travelroam/callback?token=<token> as
// the callback URL with Travel Roam (behind TLS). Secrets come from the
// environment, never from flags (they would show in the process list):
//
//	TRAVELROAM_CALLBACK_TOKEN  secret expected in the "token" query parameter
//	TRAVELROAM_SIGNING_KEYS    comma-separated HMAC keys (e.g. your API key)
//	                           if your callbacks carry X-Signature-SHA256
//
// Without either, the server accepts unauthenticated callbacks and says
// so: anyone who learns the URL can post fake events.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/roamkit/travelroam"
)

func main() {
	addr := flag.String("addr", envOr("CALLBACK_ADDR", ":8080"), "listen address (env CALLBACK_ADDR)")
	path := flag.String("path", "/travelroam/callback", "path of the callback URL")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*addr, *path, logger); err != nil {
		logger.Error("callback server failed", "error", err)
		os.Exit(1)
	}
}

func run(addr, path string, logger *slog.Logger) error {
	opts := []travelroam.Option{travelroam.WithLogger(logger)}
	if token := os.Getenv("TRAVELROAM_CALLBACK_TOKEN"); token != "" {
		opts = append(opts, travelroam.WithCallbackQueryToken("token", token))
	}
	if keys := os.Getenv("TRAVELROAM_SIGNING_KEYS"); keys != "" {
		for k := range strings.SplitSeq(keys, ",") {
			if k = strings.TrimSpace(k); k != "" {
				opts = append(opts, travelroam.WithCallbackSignature("", []byte(k)))
			}
		}
	}
	if len(opts) == 1 {
		logger.Warn("no TRAVELROAM_CALLBACK_TOKEN or TRAVELROAM_SIGNING_KEYS: accepting unauthenticated callbacks; treat events as hints only")
	}

	mux := http.NewServeMux()
	mux.Handle(path, travelroam.NewCallbackHandler(printEvent, opts...))
	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("listening for Travel Roam callbacks", "addr", addr, "path", path)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// printEvent prints the event. Its ICCID prints its last four digits
// (travelroam.ICCID), and the text the sender filled holds no control
// characters (the SDK escapes them). A real receiver would enqueue it
// durably and re-read the eSIM's state through the API before acting.
func printEvent(_ context.Context, ev *travelroam.CallbackEvent) error {
	now := time.Now().UTC().Format(time.RFC3339)
	if ev.IsAccountEvent() { // LowBalance, InsufficientBalance: no eSIM, no ICCID
		fmt.Printf("%s %s balance=%s threshold=%s\n", now, ev.AlertType, ev.Balance.Balance, ev.Balance.Threshold)
		return nil
	}
	fmt.Printf("%s %s eSIM %s bundle %s used=%.0f%%\n", now, ev.AlertType, ev.ICCID, ev.Bundle.Name, 100*ev.Bundle.UsedFraction())
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
