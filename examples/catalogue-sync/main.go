// Command catalogue-sync keeps a full copy of the Travel Roam catalogue in
// a SQLite database, as Travel Roam asks integrators to do: read the list
// rarely (e.g. once a day from cron), serve your shop from your own copy.
//
//	cd examples/catalogue-sync && go run .                  # in-process fake server
//	go run . -db catalogue.db                              # keep the copy here
//	go run . -countries all                                # by country (>58: split by the SDK)
//	go run . -countries TR,GR,BG                           # only these countries' bundles
//
// Each run walks the catalogue with CatalogueAll (every region by default),
// then, in one transaction, inserts new bundles, updates changed ones and
// deletes those that disappeared. A run that fails half-way changes
// nothing, and running it twice in a row changes nothing the second time.
//
// With TRAVELROAM_API_KEY and TRAVELROAM_CLIENT_SECRET set it reads the
// Travel Roam sandbox catalogue (-live for the live one; reading the
// catalogue costs nothing). Without them it starts the fake server
// in-process and says so.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "catalogue-sync:", err)
		os.Exit(1)
	}
}

// options are the command-line settings.
type options struct {
	db        string
	countries []string // nil: every region
	live      bool
}

// run is the whole program; main only connects it to the process.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	opts, err := parseOptions(args, stdout)
	if err != nil {
		return err
	}
	client, closeClient, err := connect(opts, stdout)
	if err != nil {
		return err
	}
	defer closeClient()
	st, err := openStore(ctx, opts.db)
	if err != nil {
		return err
	}
	defer st.close()

	start := time.Now()
	stats, err := syncCatalogue(ctx, client, st, opts.countries)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Synced %d bundles into %s in %s: %d inserted, %d updated, %d deleted, %d unchanged.\n",
		stats.Fetched, opts.db, time.Since(start).Round(time.Millisecond), stats.Inserted, stats.Updated, stats.Deleted, stats.Unchanged)
	return nil
}

func parseOptions(args []string, out io.Writer) (options, error) {
	var o options
	var countries string
	fs := flag.NewFlagSet("catalogue-sync", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.db, "db", filepath.Join(os.TempDir(), "travelroam-catalogue.db"), "SQLite database file")
	fs.StringVar(&countries, "countries", "", `comma-separated ISO codes, or "all" for every country; empty: every region`)
	fs.BoolVar(&o.live, "live", false, "read the LIVE catalogue instead of the sandbox one (needs credentials)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q (see -h)", fs.Args())
	}
	switch countries = strings.TrimSpace(countries); {
	case strings.EqualFold(countries, "all"):
		o.countries = strings.Fields(allCountries)
	case countries != "":
		o.countries = strings.Split(countries, ",")
	}
	return o, nil
}

// connect makes a client for Travel Roam when both credentials are in the
// environment, and for an in-process fake server otherwise; the returned
// function releases it.
func connect(opts options, out io.Writer) (*travelroam.Client, func(), error) {
	key, secret := os.Getenv("TRAVELROAM_API_KEY"), os.Getenv("TRAVELROAM_CLIENT_SECRET")
	if key != "" && secret != "" {
		env, copts := "sandbox", []travelroam.Option{travelroam.WithUserAgent("travelroam-catalogue-sync")}
		if opts.live {
			env, copts = "live", append(copts, travelroam.WithBaseURL(travelroam.LiveURL))
		}
		fmt.Fprintf(out, "Reading the Travel Roam %s catalogue.\n", env)
		c, err := travelroam.NewClient(key, secret, copts...)
		if err != nil {
			return nil, nil, err
		}
		return c, c.CloseIdleConnections, nil
	}
	if key != "" || secret != "" || opts.live {
		return nil, nil, errors.New("set both TRAVELROAM_API_KEY and TRAVELROAM_CLIENT_SECRET (or neither, to use the fake server)")
	}
	fmt.Fprintln(out, "No TRAVELROAM_API_KEY/TRAVELROAM_CLIENT_SECRET set: reading the catalogue of an in-process FAKE Travel Roam server.")
	srv := travelroamtest.NewServer()
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret,
		travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()))
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	return c, func() { c.CloseIdleConnections(); srv.Close() }, nil
}

// allCountries are the ISO 3166-1 alpha-2 codes, less Puerto Rico (PR)
// and Antarctica (AQ), which Travel Roam does not support. There are more
// than 58: CatalogueAll splits them into several requests.
const allCountries = `
AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM
FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS
IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN
PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH
TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW`
