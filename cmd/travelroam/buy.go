package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/qr"
)

// orderJSON is the first line of buy --json, written as soon as the order
// is made.
type orderJSON struct {
	Kind           string            `json:"kind"` // "order"
	Environment    string            `json:"environment"`
	OrderReference string            `json:"orderReference"`
	Bundle         string            `json:"bundle"`
	TopUpICCID     string            `json:"topUpIccid,omitempty"`
	Status         string            `json:"status"`
	Total          travelroam.Amount `json:"total"`
	Currency       string            `json:"currency"`
	ICCIDs         []string          `json:"iccids"`
}

// installationJSON is the output of wait --json and the second line of
// buy --json.
type installationJSON struct {
	Kind           string     `json:"kind"` // "installation"
	OrderReference string     `json:"orderReference"`
	ESIMs          []esimCode `json:"esims"`
}

// esimCode is the installation data of one eSIM.
type esimCode struct {
	ICCID           string `json:"iccid"`
	ProfileStatus   string `json:"profileStatus,omitempty"`
	ActivationCode  string `json:"activationCode"`
	SMDPAddress     string `json:"smdpAddress"`
	MatchingID      string `json:"matchingId"`
	AppleInstallURL string `json:"appleInstallUrl"`
	QRPNG           string `json:"qrPng,omitempty"`
}

// showOptions are the flags that show installation data.
type showOptions struct {
	qr    bool
	qrPNG string
}

func (o *showOptions) register(f *flags) {
	f.BoolVar(&o.qr, "qr", false, "also print the activation code as a QR code in the terminal")
	f.StringVar(&o.qrPNG, "qr-png", "", "also write the QR code as a PNG `file` (mode 0600; -2, -3… before the extension for more eSIMs)")
}

func runBuy(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("buy", true)
	iccid := f.String("iccid", "", "top up this eSIM instead of buying a new one")
	yes := f.Bool("yes", false, "do not ask for confirmation (required when stdin is not a terminal)")
	noWait := f.Bool("no-wait", false, "print the order reference and stop; get the installation data later with wait")
	maxWait := f.Duration("max-wait", 10*time.Minute, "how long to wait for the installation data (at most 10m)")
	var show showOptions
	show.register(f)
	pos, err := f.parse(c, args, 1, 1)
	if err != nil {
		return err
	}
	name := pos[0]
	if !*yes && !c.interactive() {
		return usagef("buy: stdin is not a terminal, so nobody can confirm: add --yes to buy %s", name)
	}
	cl, t, err := c.client(f.live)
	if err != nil {
		return err
	}
	bundle, err := cl.Bundle(ctx, name)
	if err != nil {
		return canceled(ctx, err)
	}
	balance, currency := "unknown", ""
	org, orgErr := cl.Organisation(ctx)
	if orgErr == nil {
		balance, currency = org.Balance.String(), org.Currency
	} else if ctx.Err() != nil {
		return canceled(ctx, orgErr)
	}
	what := "new eSIM"
	if *iccid != "" {
		what = "top-up of eSIM " + *iccid
	}
	c.info("Bundle:   %s (%s)", bundle.Name, bundle.Description)
	c.info("Price:    %s %s", bundle.Price, currency)
	if orgErr != nil {
		c.info("Balance:  unknown (%v)", orgErr)
	} else {
		c.info("Balance:  %s %s (%s wallet)", balance, currency, t.env)
		if org.Balance.Cmp(bundle.Price) < 0 {
			c.info("%s", c.emphasis("The balance is lower than the price: Travel Roam will probably refuse the order."))
		}
	}
	c.info("Order:    %s, %s environment", what, t.env)
	if !*yes {
		if t.env == travelroam.Live {
			c.info("%s", c.emphasis("This is the LIVE environment: real money."))
			answer, err := c.prompt(ctx, fmt.Sprintf("Type the bundle name (%s) to buy it: ", bundle.Name))
			if err != nil {
				return fmt.Errorf("buy: nothing bought: %w", err)
			}
			if answer != bundle.Name {
				return errors.New("buy: the name typed does not match: nothing bought")
			}
		} else {
			answer, err := c.prompt(ctx, "Buy it? [y/N] ")
			if err != nil {
				return fmt.Errorf("buy: nothing bought: %w", err)
			}
			if a := strings.ToLower(answer); a != "y" && a != "yes" {
				return errors.New("buy: not confirmed: nothing bought")
			}
		}
	}
	order, err := cl.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle.Name, ICCID: *iccid})
	if err != nil {
		return buyHint(err, bundle.Name, *iccid, balance, currency)
	}
	if f.json {
		iccids := order.ICCIDs()
		if iccids == nil {
			iccids = []string{}
		}
		if err := c.writeJSON(orderJSON{Kind: "order", Environment: string(t.env), OrderReference: order.Reference,
			Bundle: bundle.Name, TopUpICCID: *iccid, Status: order.Status, Total: order.Total, Currency: order.Currency, ICCIDs: iccids}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.out, "Order reference: %s\n", order.Reference)
		fmt.Fprintf(c.out, "Paid:            %s %s (%s)\n", order.Total, order.Currency, order.Status)
		for _, id := range order.ICCIDs() {
			fmt.Fprintf(c.out, "eSIM:            %s\n", id)
		}
	}
	if *noWait {
		c.info("Get the installation data with: travelroam wait %s%s", order.Reference, liveFlag(t))
		return nil
	}
	return c.waitAndShow(ctx, cl, t, order.Reference, *maxWait, show, f.json, orderWaitOptions(order)...)
}

// buyHint says what to do after a failed purchase.
func buyHint(err error, bundle, iccid, balance, currency string) error {
	switch {
	case errors.Is(err, travelroam.ErrOutcomeUnknown):
		check := fmt.Sprintf("run `travelroam balance` and compare with the balance before (%s %s); if it went down, the order exists: ask Travel Roam support for its reference (bundle %s, time above)", balance, currency, bundle)
		if iccid != "" {
			check = fmt.Sprintf("run `travelroam esim %s` and look for a new %s assignment", iccid, bundle)
		}
		return withHint(err, "The order may or may not exist. Do NOT buy again before checking: %s.", check)
	case errors.Is(err, travelroam.ErrUnavailable), errors.Is(err, travelroam.ErrRateLimited):
		return withHint(err, "Nothing was bought. Try again later.")
	}
	return err
}

func liveFlag(t target) string {
	if t.env == travelroam.Live {
		return " --live"
	}
	return ""
}

func runWait(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("wait", true)
	maxWait := f.Duration("max-wait", 10*time.Minute, "how long to wait (at most 10m)")
	var show showOptions
	show.register(f)
	pos, err := f.parse(c, args, 1, 1)
	if err != nil {
		return err
	}
	cl, t, err := c.client(f.live)
	if err != nil {
		return err
	}
	return c.waitAndShow(ctx, cl, t, pos[0], *maxWait, show, f.json)
}

// waitAndShow waits for the installation data of an order and prints it.
func (c *cli) waitAndShow(ctx context.Context, cl *travelroam.Client, t target, ref string, maxWait time.Duration, show showOptions, asJSON bool, extra ...travelroam.WaitOption) error {
	again := fmt.Sprintf("The order exists and is paid for: run `travelroam wait %s%s` again later. Do not buy again.", ref, liveFlag(t))
	c.info("Waiting for the installation data of order %s…", ref)
	c.info("(polls at once, then 2s, 4s and 6s later, then every 8s, for up to %s)", formatDuration(maxWait))
	start := time.Now()
	progress := c.fancy()
	shown := false
	opts := append([]travelroam.WaitOption{travelroam.WithMaxWait(maxWait)}, extra...)
	if progress {
		opts = append(opts, travelroam.WithProgress(func(attempt int, next time.Duration) {
			line := fmt.Sprintf("  attempt %d, %s elapsed, next poll in %s", attempt, formatDuration(time.Since(start)), formatDuration(next))
			if next == 0 {
				line = fmt.Sprintf("  attempt %d, %s elapsed, no time left", attempt, formatDuration(time.Since(start)))
			}
			fmt.Fprintf(c.err, "\r%-60s", line)
			shown = true
		}))
	}
	esims, err := cl.WaitForAssignments(ctx, ref, opts...)
	if shown {
		fmt.Fprintln(c.err)
	}
	if err != nil {
		if errors.Is(err, travelroam.ErrAssignmentsPending) || ctx.Err() != nil {
			return withHint(canceled(ctx, err), "%s", again)
		}
		return err
	}
	codes := make([]esimCode, 0, len(esims))
	for _, a := range esims {
		code, err := a.ActivationCode()
		if err != nil {
			return fmt.Errorf("wait: eSIM %s: %w", travelroam.RedactICCID(a.ICCID), err)
		}
		codes = append(codes, esimCode{ICCID: a.ICCID, ProfileStatus: string(a.ProfileStatus), ActivationCode: code.LPA(),
			SMDPAddress: code.SMDPAddress, MatchingID: code.MatchingID, AppleInstallURL: code.AppleInstallURL()})
	}
	return c.showCodes(ref, codes, show, asJSON)
}

// showCodes prints installation data, and writes or prints QR codes.
func (c *cli) showCodes(ref string, codes []esimCode, show showOptions, asJSON bool) error {
	if err := c.writeQRFiles(codes, show); err != nil {
		return err
	}
	if asJSON {
		return c.writeJSON(installationJSON{Kind: "installation", OrderReference: ref, ESIMs: codes})
	}
	for i, e := range codes {
		if len(codes) > 1 {
			fmt.Fprintf(c.out, "eSIM %d of %d\n", i+1, len(codes))
		}
		fmt.Fprintf(c.out, "ICCID:           %s\n", e.ICCID)
		if e.ProfileStatus != "" {
			fmt.Fprintf(c.out, "Profile status:  %s\n", e.ProfileStatus)
		}
		fmt.Fprintf(c.out, "Activation code: %s\n", e.ActivationCode)
		fmt.Fprintf(c.out, "SM-DP+ address:  %s\n", e.SMDPAddress)
		fmt.Fprintf(c.out, "Matching ID:     %s\n", e.MatchingID)
		fmt.Fprintf(c.out, "iPhone link:     %s\n", e.AppleInstallURL)
		if e.QRPNG != "" {
			fmt.Fprintf(c.out, "QR code PNG:     %s\n", e.QRPNG)
		}
		if show.qr {
			text, err := qr.Terminal(e.ActivationCode)
			if err != nil {
				return err
			}
			fmt.Fprint(c.out, text)
		}
	}
	return nil
}

// writeQRFiles writes the QR code PNGs of --qr-png and records their paths.
func (c *cli) writeQRFiles(codes []esimCode, show showOptions) error {
	if show.qrPNG == "" {
		return nil
	}
	for i := range codes {
		path := pngPath(show.qrPNG, i)
		png, err := qr.PNG(codes[i].ActivationCode, 0)
		if err != nil {
			return err
		}
		// 0600: whoever reads the file can install the eSIM.
		if err := os.WriteFile(path, png, 0o600); err != nil {
			return err
		}
		codes[i].QRPNG = path
	}
	return nil
}

// pngPath is the file of the i-th QR code: path itself for the first,
// then "name-2.png", "name-3.png"….
func pngPath(path string, i int) string {
	if i == 0 {
		return path
	}
	ext := ""
	if dot := strings.LastIndexByte(path, '.'); dot > strings.LastIndexAny(path, `/\`) {
		path, ext = path[:dot], path[dot:]
	}
	return fmt.Sprintf("%s-%d%s", path, i+1, ext)
}
