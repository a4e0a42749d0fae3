// Command quickstart sells one eSIM from start to finish: it shows the
// wallet balance, finds the cheapest bundle with a data limit for a
// country, buys it, waits for the installation data, prints the activation
// code, the iPhone link and a QR code, shows the data left, shows the
// balance after, and revokes the eSIM.
//
//	go run ./examples/quickstart              # in-process fake server, nothing to set up
//	go run ./examples/quickstart -country JP  # another country
//
// With TRAVELROAM_API_KEY and TRAVELROAM_CLIENT_SECRET set, it talks to the
// Travel Roam sandbox instead (test credit, no real money), and revokes
// the eSIM only with -revoke. The live environment needs -live, and then
// -yes-spend-real-money before anything is bought.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/qr"
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
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// options are the command-line settings.
type options struct {
	country      string // ISO code, e.g. "TR"
	live         bool   // use the live environment (real money)
	confirmSpend bool   // -yes-spend-real-money: allowed to buy on live
	revoke       bool   // revoke on Travel Roam (always done on the fake)
	maxWait      time.Duration
}

// run is the whole program; main only connects it to the process.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	opts, err := parseOptions(args, stdout)
	if err != nil {
		return err
	}
	s, err := connect(opts, stdout)
	if err != nil {
		return err
	}
	defer s.close()
	return advise(s.demo(ctx))
}

func parseOptions(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.country, "country", "TR", "ISO 3166-1 alpha-2 code of the country to buy a bundle for")
	fs.BoolVar(&o.live, "live", false, "use the LIVE environment (real money) instead of the sandbox")
	fs.BoolVar(&o.confirmSpend, "yes-spend-real-money", false, "with -live: really buy the bundle")
	fs.BoolVar(&o.revoke, "revoke", false, "revoke the eSIM at the end (always done on the fake server)")
	fs.DurationVar(&o.maxWait, "max-wait", 10*time.Minute, "how long to wait for the installation data (at most 10m)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q (flags go before them; see -h)", fs.Args())
	}
	o.country = strings.ToUpper(strings.TrimSpace(o.country))
	return o, nil
}

// session is the client the demo talks through, and the fake server when
// no credentials were given.
type session struct {
	client *travelroam.Client
	fake   *travelroamtest.Server // nil against Travel Roam
	opts   options
	out    io.Writer
}

// connect makes a client for the Travel Roam sandbox (or live) when both
// credentials are in the environment, and for an in-process fake server
// otherwise. It says which on the first line of output.
func connect(opts options, out io.Writer) (*session, error) {
	key, secret := os.Getenv("TRAVELROAM_API_KEY"), os.Getenv("TRAVELROAM_CLIENT_SECRET")
	switch {
	case key == "" && secret == "" && opts.live:
		return nil, errors.New("-live needs TRAVELROAM_API_KEY and TRAVELROAM_CLIENT_SECRET in the environment")
	case key == "" && secret == "":
		fmt.Fprintln(out, "No TRAVELROAM_API_KEY/TRAVELROAM_CLIENT_SECRET set: using an in-process FAKE Travel Roam server (nothing is real, no money moves).")
		return fakeSession(travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(time.Second)), opts, out)
	case key == "" || secret == "":
		return nil, errors.New("set both TRAVELROAM_API_KEY and TRAVELROAM_CLIENT_SECRET (or neither, to use the fake server)")
	}
	copts := []travelroam.Option{travelroam.WithUserAgent("travelroam-quickstart")}
	if opts.live {
		copts = append(copts, travelroam.WithBaseURL(travelroam.LiveURL))
		fmt.Fprintln(out, "Using Travel Roam LIVE: purchases spend real money.")
	} else {
		fmt.Fprintln(out, "Using the Travel Roam sandbox (test credit, no real money).")
	}
	c, err := travelroam.NewClient(key, secret, copts...)
	if err != nil {
		return nil, err
	}
	return &session{client: c, opts: opts, out: out}, nil
}

// fakeSession makes a client for srv, a fake server. The session closes
// srv when it is closed.
func fakeSession(srv *travelroamtest.Server, opts options, out io.Writer) (*session, error) {
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret,
		travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()))
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &session{client: c, fake: srv, opts: opts, out: out}, nil
}

func (s *session) close() {
	s.client.CloseIdleConnections()
	if s.fake != nil {
		s.fake.Close()
	}
}

func (s *session) printf(format string, args ...any) { fmt.Fprintf(s.out, format, args...) }

// demo is the sale of one eSIM, step by step.
func (s *session) demo(ctx context.Context) error {
	before, err := s.balance(ctx, "Wallet balance")
	if err != nil {
		return err
	}
	bundle, err := s.cheapestBundle(ctx, before.Currency)
	if err != nil {
		return err
	}
	if s.opts.live && !s.opts.confirmSpend {
		return fmt.Errorf("stopping before the purchase: on LIVE, buying %s costs %s %s of real money; re-run with -yes-spend-real-money to buy it",
			bundle.Name, bundle.Price, before.Currency)
	}
	iccid, err := s.buy(ctx, bundle, before.Currency)
	if err != nil {
		return err
	}
	if err := s.showDataLeft(ctx, iccid); err != nil {
		return err
	}
	if err := s.showSpent(ctx, before); err != nil {
		return err
	}
	return s.finish(ctx, iccid)
}

// balance prints and returns the organisation's wallet.
func (s *session) balance(ctx context.Context, label string) (*travelroam.Organisation, error) {
	org, err := s.client.Organisation(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the wallet balance: %w", err)
	}
	s.printf("%s: %s %s (%s)\n", label, org.Balance, org.Currency, org.Name)
	return org, nil
}

// cheapestBundle walks the catalogue for the country and returns the
// cheapest bundle with a data limit. (A real shop stores the catalogue and
// refreshes it rarely, see examples/catalogue-sync.)
func (s *session) cheapestBundle(ctx context.Context, currency string) (travelroam.Bundle, error) {
	var best travelroam.Bundle
	n := 0
	for b, err := range s.client.CatalogueAll(ctx, travelroam.CatalogueOptions{Countries: []string{s.opts.country}}) {
		if err != nil {
			return best, fmt.Errorf("reading the catalogue for %s: %w", s.opts.country, err)
		}
		n++
		if !b.Unlimited && (best.Name == "" || b.Price.Cmp(best.Price) < 0) {
			best = b
		}
	}
	if best.Name == "" {
		return best, fmt.Errorf("none of the %d bundles for %s has a data limit; try another -country", n, s.opts.country)
	}
	s.printf("Catalogue: %d bundles for %s; cheapest with a data limit: %s (%s), %s %s\n",
		n, s.opts.country, best.Name, best.Description, best.Price, currency)
	return best, nil
}

// buy buys a new eSIM with the bundle, waits for its installation data and
// prints it. It returns the eSIM's ICCID.
func (s *session) buy(ctx context.Context, b travelroam.Bundle, currency string) (travelroam.ICCID, error) {
	s.printf("Buying %s for %s %s...\n", b.Name, b.Price, currency)
	order, err := s.client.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: b.Name})
	if err != nil {
		return "", fmt.Errorf("buying %s: %w", b.Name, err)
	}
	s.printf("Order %s: %s, %s %s\n", order.Reference, order.Status, order.Total, order.Currency)

	progress := travelroam.WithProgress(func(attempt int, next time.Duration) {
		if next > 0 {
			s.printf("  installation data not ready yet (request %d); asking again in %s\n", attempt, next)
		}
	})
	if len(order.ReadyAssignments()) > 0 {
		s.printf("The order's answer already carries the installation data: no need to poll.\n")
	}
	// WithOrder: installation data already in the order's answer is used
	// at once; the wait polls only when some is missing.
	assignments, err := s.client.WaitForAssignments(ctx, order.Reference, travelroam.WithOrder(order), progress,
		travelroam.WithMaxWait(s.opts.maxWait))
	if err != nil {
		return "", fmt.Errorf("waiting for the installation data of order %s: %w", order.Reference, err)
	}
	a := assignments[0]
	if err := s.showActivation(a); err != nil {
		return "", err
	}
	return a.ICCID, nil
}

// showActivation prints what the traveller needs to install the eSIM.
//
// The activation code is a secret, like a password: whoever has it can
// install the eSIM. Printing it here is fine (it is your own eSIM, on your
// own terminal), but never write it to logs; hand it to the traveller only.
func (s *session) showActivation(a travelroam.Assignment) error {
	code, err := a.ActivationCode()
	if err != nil {
		return fmt.Errorf("reading the activation code: %w", err)
	}
	picture, err := qr.Terminal(code.LPA())
	if err != nil {
		return err
	}
	s.printf("eSIM ready. ICCID %s (keep it: you need it to check, top up or revoke the eSIM)\n", string(a.ICCID))
	s.printf("Activation code: %s\n", code.LPA())
	s.printf("iPhone (iOS 17.4+) one-tap install: %s\n", code.AppleInstallURL())
	s.printf("Manual entry: SM-DP+ address %s, activation code %s\n", code.SMDPAddress, code.MatchingID.Reveal())
	s.printf("Scan with the phone's camera (Settings > Mobile Service > Add eSIM):\n%s", picture)
	return nil
}

// showDataLeft prints the data left on the eSIM. On the fake server it
// first pretends that the phone used 40 % of it.
func (s *session) showDataLeft(ctx context.Context, iccid travelroam.ICCID) error {
	bundles, err := s.client.AppliedBundles(ctx, iccid)
	if err != nil {
		return fmt.Errorf("reading the eSIM's bundles: %w", err)
	}
	total, _ := travelroam.RemainingDataBytes(bundles, time.Now())
	note := "(not used yet)"
	if s.fake != nil {
		if err := s.fake.ConsumeData(ctx, string(iccid), total*4/10); err != nil {
			return fmt.Errorf("simulating data use: %w", err)
		}
		if bundles, err = s.client.AppliedBundles(ctx, iccid); err != nil {
			return fmt.Errorf("reading the eSIM's bundles: %w", err)
		}
		note = "(SIMULATED: the fake server pretended the phone used 40 %)"
	}
	left, unlimited := travelroam.RemainingDataBytes(bundles, time.Now())
	if unlimited {
		s.printf("Data left: unlimited\n")
		return nil
	}
	s.printf("Data left: %s of %s %s\n", megabytes(left), megabytes(total), note)
	for _, b := range bundles {
		for _, as := range b.Assignments {
			s.printf("  %s: %s, %s left\n", b.Name, as.BundleState, megabytes(as.RemainingQuantity))
		}
	}
	return nil
}

// showSpent prints the balance after the purchase and the difference,
// computed exactly (Amount is a decimal, never a float).
func (s *session) showSpent(ctx context.Context, before *travelroam.Organisation) error {
	after, err := s.balance(ctx, "Wallet balance after")
	if err != nil {
		return err
	}
	if spent, err := before.Balance.Sub(after.Balance); err == nil {
		s.printf("Spent: %s %s\n", spent, after.Currency)
	}
	return nil
}

// finish revokes the eSIM (always on the fake, with -revoke on Travel
// Roam) and, on the fake, prints what the server's ledger recorded.
func (s *session) finish(ctx context.Context, iccid travelroam.ICCID) error {
	if s.fake == nil && !s.opts.revoke {
		s.printf("The eSIM stays on your account (run with -revoke to revoke it at the end).\n")
		return nil
	}
	if err := s.client.RevokeESIM(ctx, iccid); err != nil {
		return fmt.Errorf("revoking the eSIM: %w", err)
	}
	s.printf("Revoked eSIM %s: it can no longer be installed or topped up.\n", iccid)
	if s.fake != nil {
		s.printf("Fake server ledger: %d order(s), %d revoke(s), %d requests in all.\n",
			len(s.fake.Orders()), s.fake.RequestCount(travelroamtest.RouteRevoke), len(s.fake.Requests()))
	}
	return nil
}

// megabytes formats a byte count in decimal megabytes, as Travel Roam
// counts data (1 GB = 1000 MB).
func megabytes(n int64) string {
	return fmt.Sprintf("%d MB", n/1_000_000)
}

// advise adds to err what the user should do about it, for every error
// the SDK documents.
func advise(err error) error {
	if err == nil {
		return nil
	}
	var apiErr *travelroam.APIError
	var hint string
	switch {
	case errors.As(err, new(*travelroam.OutcomeUnknownError)): // before the context errors it may wrap
		hint = "The purchase may or may not have gone through. Do NOT buy again: compare the wallet balance with the one printed above, and ask Travel Roam support with the bundle name and time in the error."
	case errors.As(err, new(*travelroam.AssignmentsPendingError)):
		hint = "The order exists and is paid for; its installation data is not ready yet. Wait a few minutes and fetch it again with the order reference (Client.WaitForAssignments). Do NOT buy again."
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		hint = "Interrupted. If an order reference was printed above, the order exists: fetch its data with that reference, do not buy again."
	case errors.Is(err, travelroam.ErrUnauthorized):
		hint = "Travel Roam refused the credentials: check TRAVELROAM_API_KEY and TRAVELROAM_CLIENT_SECRET."
	case errors.Is(err, travelroam.ErrRateLimited):
		hint = "Travel Roam asks you to slow down; the request was not processed. Try again later."
	case errors.Is(err, travelroam.ErrUnavailable):
		hint = "Travel Roam is temporarily unavailable; the request was not processed (nothing was bought). Try again in a minute."
	case errors.As(err, new(*travelroam.ValidationError)):
		hint = "Check the flags, e.g. -country takes a two-letter ISO code such as TR."
	case errors.As(err, &apiErr) && strings.Contains(strings.ToLower(apiErr.Message), "balance"):
		hint = "Nothing was bought: top up the wallet of this environment first."
	case errors.As(err, &apiErr):
		hint = fmt.Sprintf("Travel Roam refused the request (HTTP %d); nothing was done.", apiErr.StatusCode)
	default:
		return err
	}
	return fmt.Errorf("%w\n%s", err, hint)
}
