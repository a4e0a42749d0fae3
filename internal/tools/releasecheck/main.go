//go:build ignore

// The program scripts/release-check.sh builds in an empty module outside
// the repository, against the modules as they will be released (the
// build tag keeps it out of the repository's own builds; the script drops
// that line). It buys one eSIM from the in-process fake with the SDK as a
// user gets it, with every store and the OpenTelemetry adapter compiled in
// (their constructors referenced in a branch never taken, so no database is
// needed), and prints what it did.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/pgstore"
	"github.com/roamkit/travelroam/redisstore"
	"github.com/roamkit/travelroam/sqlitestore"
	"github.com/roamkit/travelroam/travelroamotel"
	"github.com/roamkit/travelroam/travelroamtest"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "never" {
		// Compiled in, never run: the stores and the adapter resolve and build.
		fmt.Println(pgstore.New, redisstore.New, sqlitestore.Open, travelroamotel.NewObserver)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "release check:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	srv := travelroamtest.NewServer()
	defer srv.Close()
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret,
		travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()))
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()
	page, err := c.Catalogue(ctx, travelroam.CatalogueOptions{Countries: []string{"JP"}})
	if err != nil {
		return fmt.Errorf("catalogue: %w", err)
	}
	if len(page.Bundles) == 0 {
		return fmt.Errorf("the fake offers no bundle for JP")
	}
	order, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: page.Bundles[0].Name})
	if err != nil {
		return fmt.Errorf("buying %s: %w", page.Bundles[0].Name, err)
	}
	esims, err := c.WaitForAssignments(ctx, order.Reference)
	if err != nil {
		return fmt.Errorf("waiting for order %s: %w", order.Reference, err)
	}
	fmt.Printf("travelroam-go %s: bought %s, order %s, %d eSIM(s); the fake recorded %d order(s)\n",
		travelroam.Version, page.Bundles[0].Name, order.Reference, len(esims), len(srv.Orders()))
	return nil
}
