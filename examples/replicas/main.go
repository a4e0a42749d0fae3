// Command replicas shows a shop's backend running as several replicas
// with one Travel Roam account, sharing PostgreSQL through
// github.com/roamkit/travelroam/pgstore: two buyers (two pods of the same
// service) take purchase jobs from an at-least-once queue that hands some
// jobs to both, and one callback receiver processes usage events that the
// provider delivers twice.
//
//	# at the repository's root: a PostgreSQL on 127.0.0.1:54329
//	scripts/services.sh start && eval "$(scripts/services.sh env)"
//	cd examples/replicas && go run .            # reads TRAVELROAM_TEST_POSTGRES_URL
//	go run . -postgres 'postgres://user@db.internal/shop' -orders 6
//
// What it shows, with the figures of the run:
//   - the purchase gate spaces the purchases of both replicas (1 s here,
//     against the fake; 5 s against Travel Roam, which the SDK enforces);
//   - the purchase journal makes a job delivered to both replicas buy
//     once: the second replica gets an *AlreadyAttemptedError and sends nothing;
//   - the shared deduper makes each usage event reach the callback
//     function once, however many times and to whichever receiver it is
//     delivered;
//   - a recovery job, run at start-up, lists the purchases that never
//     finished (after a crash or a deploy) and resolves what it can prove.
//
// It buys from an in-process FAKE Travel Roam server (travelroamtest), so
// it spends nothing. In production each replica runs the code of
// newReplica, receiver and recoverPurchases with your credentials.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "replicas:", err)
		os.Exit(1)
	}
}

// options are the command-line settings.
type options struct {
	postgres string
	orders   int
	interval time.Duration
}

func parseOptions(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("replicas", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.postgres, "postgres", os.Getenv("TRAVELROAM_TEST_POSTGRES_URL"),
		"PostgreSQL connection string (default $TRAVELROAM_TEST_POSTGRES_URL)")
	fs.IntVar(&o.orders, "orders", 4, "shop orders to buy (1 to 50)")
	fs.DurationVar(&o.interval, "interval", time.Second, "purchase interval (the fake allows less than Travel Roam's 5 s)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q (see -h)", fs.Args())
	case o.postgres == "":
		return o, errors.New("no PostgreSQL: pass -postgres or set TRAVELROAM_TEST_POSTGRES_URL (scripts/services.sh starts one)")
	case o.orders < 1 || o.orders > 50:
		return o, fmt.Errorf("-orders %d: want 1 to 50", o.orders)
	case o.interval < 0:
		return o, fmt.Errorf("-interval %s: must not be negative", o.interval)
	}
	return o, nil
}
