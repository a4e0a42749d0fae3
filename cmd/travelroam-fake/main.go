// Command travelroam-fake runs the travelroamtest fake of the Travel Roam
// API as a standalone server.
//
// Deprecated: use "travelroam fake" (github.com/roamkit/travelroam/cmd/travelroam),
// which takes the same flags and also prints the environment variables that
// point the travelroam command line at the fake. This wrapper is kept so
// that existing scripts keep working.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/roamkit/travelroam/internal/fakeserver"
)

func main() {
	fmt.Fprintln(os.Stderr, "travelroam-fake is deprecated: use `travelroam fake` (go run github.com/roamkit/travelroam/cmd/travelroam fake).")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := fakeserver.Run(ctx, "travelroam-fake", os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, fakeserver.ErrUsage):
		fmt.Fprintln(os.Stderr, "travelroam-fake:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "travelroam-fake:", err)
		os.Exit(1)
	}
}
