// Command travelroam-fake runs the travelroamtest fake of the Travel Roam
// API as a standalone server, for trying the SDK or another client by hand:
//
//	go run github.com/roamkit/travelroam/cmd/travelroam-fake -addr 127.0.0.1:8080
//
// It prints the base URL and the credentials to use, and stops on SIGINT
// or SIGTERM. A small admin API (-admin-addr, default 127.0.0.1:8081)
// drives the test hooks: POST /consume {"iccid","bytes"} (which sends the
// usage callbacks to -callback-url), /install {"iccid"}, /location
// {"iccid","mobileNetworkCode","networkName","networkBrandName","country"},
// /expire {"iccid"}, /ready {"orderReference"?}, /balance {"env","cents"},
// and GET /orders.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/roamkit/travelroam/travelroamtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "travelroam-fake:", err)
		os.Exit(1)
	}
}

// flags are the command-line settings.
type flags struct {
	addr, adminAddr, env     string
	callbackURL, callbackKey string
	apiKey, clientSecret     string
	seed                     uint64
	assignmentDelay          time.Duration
}

func parseFlags(args []string, errOut io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("travelroam-fake", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&f.adminAddr, "admin-addr", "127.0.0.1:8081", "address of the admin API that drives the test hooks (POST /consume, /install, /location, /expire, /ready, /balance; GET /orders); empty to disable")
	fs.StringVar(&f.env, "env", "sandbox", "environment served at /api/whitelabel: sandbox or live (the other is at /<env>/api/whitelabel)")
	fs.Uint64Var(&f.seed, "seed", travelroamtest.DefaultSeed, "seed of the catalogue and of generated identifiers")
	fs.DurationVar(&f.assignmentDelay, "assignment-delay", travelroamtest.DefaultAssignmentDelay, "how long installation data stays \"processing\" after an order")
	fs.StringVar(&f.callbackURL, "callback-url", "", "URL that usage callbacks are POSTed to")
	fs.StringVar(&f.callbackKey, "callback-key", "", "key that signs callbacks (X-Signature-SHA256); unsigned when empty")
	fs.StringVar(&f.apiKey, "api-key", travelroamtest.DefaultAPIKey, "API key the server accepts")
	fs.StringVar(&f.clientSecret, "client-secret", travelroamtest.DefaultClientSecret, "client secret the server accepts")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if f.env != string(travelroamtest.Sandbox) && f.env != string(travelroamtest.Live) {
		return f, fmt.Errorf("-env must be sandbox or live, got %q", f.env)
	}
	if f.assignmentDelay < 0 {
		return f, errors.New("-assignment-delay must not be negative")
	}
	if f.apiKey == "" || f.clientSecret == "" {
		return f, errors.New("-api-key and -client-secret must not be empty")
	}
	return f, nil
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, out, errOut io.Writer) error {
	f, err := parseFlags(args, errOut)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	opts := []travelroamtest.Option{
		travelroamtest.WithListener(l),
		travelroamtest.WithEnvironment(travelroamtest.Environment(f.env)),
		travelroamtest.WithSeed(f.seed),
		travelroamtest.WithAssignmentDelay(f.assignmentDelay),
		travelroamtest.WithCredentials(f.apiKey, f.clientSecret),
	}
	if f.callbackURL != "" {
		opts = append(opts, travelroamtest.WithCallbackURL(f.callbackURL))
	}
	if f.callbackKey != "" {
		opts = append(opts, travelroamtest.WithCallbackSigningKey(f.callbackKey))
	}
	srv := travelroamtest.NewServer(opts...)
	defer srv.Close()
	admin, err := startAdmin(f.adminAddr, srv)
	if err != nil {
		return err
	}
	defer admin.close()
	printBanner(out, srv, f.env)
	admin.printBanner(out)
	fmt.Fprintln(out, "Press Ctrl+C to stop.")
	<-ctx.Done()
	fmt.Fprintln(out, "Shutting down.")
	return nil
}

// adminServer serves the admin API, if enabled.
type adminServer struct {
	server *http.Server
	url    string
	served chan struct{}
}

func startAdmin(addr string, srv *travelroamtest.Server) (*adminServer, error) {
	a := &adminServer{}
	if addr == "" {
		return a, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin API: %w", err)
	}
	a.server = &http.Server{Handler: adminHandler(srv), ReadHeaderTimeout: 10 * time.Second}
	a.url = "http://" + l.Addr().String()
	a.served = make(chan struct{})
	go func() {
		defer close(a.served)
		_ = a.server.Serve(l)
	}()
	return a, nil
}

func (a *adminServer) close() {
	if a.server != nil {
		_ = a.server.Close()
		<-a.served
	}
}

func (a *adminServer) printBanner(out io.Writer) {
	if a.server == nil {
		return
	}
	fmt.Fprintf(out, "Admin API (test hooks): %s\n", a.url)
	fmt.Fprintf(out, "  curl -s -X POST %s/consume -d '{\"iccid\":\"<ICCID>\",\"bytes\":500000000}'\n\n", a.url)
}

func printBanner(out io.Writer, srv *travelroamtest.Server, env string) {
	fmt.Fprintf(out, "Travel Roam fake API (%s) is listening.\n\n", env)
	fmt.Fprintf(out, "  Base URL:         %s\n", srv.URL)
	fmt.Fprintf(out, "  Sandbox base URL: %s\n", srv.EnvURL(travelroamtest.Sandbox))
	fmt.Fprintf(out, "  Live base URL:    %s\n", srv.EnvURL(travelroamtest.Live))
	fmt.Fprintf(out, "  X-API-KEY:        %s\n", srv.APIKey)
	fmt.Fprintf(out, "  Clientsecret:     %s\n\n", srv.ClientSecret)
	fmt.Fprintf(out, "Try:\n  curl -s -X POST '%s/catalogue' \\\n", srv.URL)
	fmt.Fprintf(out, "    -H 'X-API-KEY: %s' \\\n    -H 'Clientsecret: %s' \\\n", srv.APIKey, srv.ClientSecret)
	fmt.Fprintf(out, "    -H 'Content-Type: application/json' -H 'Accept: application/json' \\\n")
	fmt.Fprintf(out, "    -d '{\"countries\":\"TR\",\"perPage\":5}'\n\n")
}
