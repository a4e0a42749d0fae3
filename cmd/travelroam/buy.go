package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// buyOptions are the flags of buy.
type buyOptions struct {
	name    string // the bundle
	iccid   string
	key     string
	journal string
	yes     bool
	noWait  bool
	dryRun  bool
	maxWait time.Duration
	show    showOptions
}

func (o *buyOptions) register(f *flags) {
	f.StringVar(&o.iccid, "iccid", "", "top up this eSIM instead of buying a new one")
	f.StringVar(&o.key, "key", "", "the purchase's `key` (your own id for it): a second buy with the same key is refused; default: a new random key, printed")
	f.StringVar(&o.journal, "journal", "", "the purchase journal: a SQLite `file` or a postgres:// connection string (default: $TRAVELROAM_JOURNAL, else journal.db in the state directory)")
	f.BoolVar(&o.yes, "yes", false, "do not ask for confirmation (required when stdin is not a terminal)")
	f.BoolVar(&o.noWait, "no-wait", false, "print the order reference and stop; get the installation data later with wait")
	f.BoolVar(&o.dryRun, "dry-run", false, "show the quote, the balance after and the request that would be sent; send nothing")
	f.DurationVar(&o.maxWait, "max-wait", 10*time.Minute, "how long to wait for the installation data (at most 10m)")
	o.show.register(f)
}

// quote is what buy shows before it buys.
type quote struct {
	bundle   *travelroam.Bundle
	balance  string // "unknown" when the organisation could not be read
	currency string
	// balanceAmount and after (the balance after the purchase) are nil
	// when unknown.
	balanceAmount, after *travelroam.Amount
}

func runBuy(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("buy", true)
	var o buyOptions
	o.register(f)
	pos, err := f.parse(c, args, 1, 1)
	if err != nil {
		return err
	}
	o.name = pos[0]
	if o.dryRun {
		return c.dryRunBuy(ctx, f, o)
	}
	if !o.yes && !c.interactive() {
		return usagef("buy: stdin is not a terminal, so nobody can confirm: add --yes to buy %s", safe(o.name))
	}
	st, err := c.openJournal(ctx, o.journal)
	if err != nil {
		return err
	}
	defer st.Close()
	cl, t, err := c.client(f.live, st.options()...)
	if err != nil {
		return err
	}
	if o.key == "" {
		o.key = "cli-" + rand.Text()
		c.info("Purchase key: %s (to retry this purchase, pass --key %s: it is never bought twice)", o.key, o.key)
	}
	if err := c.refuseAttempted(ctx, st, cl, o.key); err != nil {
		return err
	}
	q, err := c.quote(ctx, cl, t, o)
	if err != nil {
		return err
	}
	if !o.yes {
		if err := c.confirmBuy(ctx, t, q); err != nil {
			return err
		}
	}
	return c.placeOrder(ctx, cl, t, q, o, f.json)
}

// placeOrder buys, then prints the order and waits for its installation
// data. Once the order exists, every failure is an orderExistsError.
func (c *cli) placeOrder(ctx context.Context, cl *travelroam.Client, t target, q quote, o buyOptions, asJSON bool) error {
	order, err := cl.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: q.bundle.Name, ICCID: travelroam.ICCID(o.iccid), Key: o.key})
	switch {
	case err != nil && order != nil && order.Reference != "":
		return orderExists(err, order.Reference, t) // never today; if ever, the order exists
	case err != nil:
		return buyHint(err, o, q)
	}
	return orderExists(c.afterOrder(ctx, cl, t, order, o, asJSON), order.Reference, t)
}

// refuseAttempted refuses to buy under a key the journal already holds
// with an outcome that may have bought: nothing is sent (exit 5). The
// SDK would refuse too; this refuses before the quote and the question.
func (c *cli) refuseAttempted(ctx context.Context, st *journalStore, cl *travelroam.Client, key string) error {
	a, ok, err := earlierAttempt(ctx, st, cl, key)
	if err != nil || !ok || !a.Outcome.MayHaveBought() {
		return err
	}
	return attemptedHint(&travelroam.AlreadyAttemptedError{Attempt: a})
}

// attemptedHint says what to do about a purchase already attempted.
func attemptedHint(err *travelroam.AlreadyAttemptedError) error {
	a := err.Attempt
	if a.Outcome == travelroam.OutcomeSucceeded && a.Reference != "" {
		return withHint(err, "It was bought: do not buy again; get its installation data with travelroam wait %s.", a.Reference)
	}
	return withHint(err, "Nothing was sent. Check whether it bought (travelroam purchases), then record what you found: "+
		"travelroam purchases resolve %s --bought REFERENCE, or --not-bought (after which the same key may be bought again).", a.Key)
}

// quote reads the bundle and the balance and shows them on stderr.
func (c *cli) quote(ctx context.Context, cl *travelroam.Client, t target, o buyOptions) (quote, error) {
	bundle, err := cl.Bundle(ctx, o.name)
	if err != nil {
		return quote{}, canceled(ctx, err)
	}
	q := quote{bundle: bundle, balance: "unknown"}
	org, orgErr := cl.Organisation(ctx)
	if orgErr != nil && ctx.Err() != nil {
		return quote{}, canceled(ctx, orgErr)
	}
	what := "new eSIM"
	if o.iccid != "" {
		what = "top-up of eSIM " + safe(o.iccid)
	}
	c.info("Bundle:   %s (%s)", safe(bundle.Name), safe(bundle.Description))
	if orgErr != nil {
		c.info("Price:    %s", bundle.Price)
		c.info("Balance:  unknown (%s)", safe(orgErr.Error()))
	} else {
		q.balance, q.currency, q.balanceAmount = org.Balance.String(), org.Currency, &org.Balance
		c.info("Price:    %s %s", bundle.Price, safe(org.Currency))
		c.info("Balance:  %s %s (%s wallet)", org.Balance, safe(org.Currency), t.env)
		if after, err := org.Balance.Sub(bundle.Price); err == nil {
			q.after = &after
		}
		if org.Balance.Cmp(bundle.Price) < 0 {
			c.emphasize("The balance is lower than the price: Travel Roam will probably refuse the order.")
		}
	}
	c.info("Order:    %s, %s environment", what, t.env)
	return q, nil
}

// confirmBuy asks at the terminal (in the live environment: type the
// bundle name). It returns nil when confirmed.
func (c *cli) confirmBuy(ctx context.Context, t target, q quote) error {
	name := q.bundle.Name
	question, want := "Buy it? [y/N] ", []string{"y", "yes"}
	if t.env == liveEnv {
		c.emphasize("This is the LIVE environment: real money.")
		question, want = fmt.Sprintf("Type the bundle name (%s) to buy it: ", safe(name)), []string{name}
	}
	answer, err := c.prompt(ctx, question)
	if err != nil {
		return fmt.Errorf("buy: nothing bought: %w", err)
	}
	if t.env != liveEnv {
		answer = strings.ToLower(answer)
	}
	if !slices.Contains(want, answer) {
		if t.env == liveEnv {
			return errors.New("buy: the name typed does not match: nothing bought")
		}
		return errors.New("buy: not confirmed: nothing bought")
	}
	return nil
}

// afterOrder prints the order, then waits for its installation data
// unless --no-wait. Whatever it returns, the order exists.
func (c *cli) afterOrder(ctx context.Context, cl *travelroam.Client, t target, order *travelroam.Order, o buyOptions, asJSON bool) error {
	if err := c.printOrder(t, order, o, asJSON); err != nil {
		return err
	}
	if o.noWait {
		c.info("Get the installation data with: travelroam wait %s%s", safe(order.Reference), liveFlag(t))
		return nil
	}
	return c.waitAndShow(ctx, cl, t, order.Reference, o.maxWait, o.show, asJSON, orderWaitOptions(order)...)
}

// printOrder prints the order just made: reference, price paid, eSIMs.
func (c *cli) printOrder(t target, order *travelroam.Order, o buyOptions, asJSON bool) error {
	if asJSON {
		iccids := []string{}
		for _, id := range order.ICCIDs() {
			iccids = append(iccids, string(id))
		}
		return c.writeJSON(orderJSON{Kind: "order", Environment: string(t.env), OrderReference: order.Reference,
			Bundle: o.name, TopUpICCID: o.iccid, Status: order.Status, Total: order.Total, Currency: order.Currency, ICCIDs: iccids})
	}
	c.printf("Order reference: %s\n", safe(order.Reference))
	c.printf("Paid:            %s %s (%s)\n", order.Total, safe(order.Currency), safe(order.Status))
	for _, id := range order.ICCIDs() {
		c.printf("eSIM:            %s\n", safe(string(id)))
	}
	return nil
}

// buyHint says what to do after a failed purchase.
func buyHint(err error, o buyOptions, q quote) error {
	var attempted *travelroam.AlreadyAttemptedError
	switch {
	case errors.As(err, &attempted):
		return attemptedHint(attempted)
	case errors.As(err, new(*travelroam.OutcomeUnknownError)):
		check := fmt.Sprintf("run `travelroam balance` and compare with the balance before (%s %s); if it went down, the order exists: ask Travel Roam support for its reference (bundle %s, time above)", q.balance, safe(q.currency), safe(o.name))
		if o.iccid != "" {
			check = fmt.Sprintf("run `travelroam esim %s` and look for a new %s assignment", safe(o.iccid), safe(o.name))
		}
		return withHint(err, "The order may or may not exist. Do NOT buy again before checking: %s. Then record what you found: travelroam purchases resolve %s --bought REFERENCE, or --not-bought.", check, o.key)
	case errors.Is(err, travelroam.ErrUnavailable), errors.Is(err, travelroam.ErrRateLimited):
		return withHint(err, "Nothing was bought. Try again later.")
	}
	return err
}

func liveFlag(t target) string {
	if t.env == liveEnv {
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
	err = c.waitAndShow(ctx, cl, t, pos[0], *maxWait, show, f.json)
	if errors.As(err, new(*travelroam.AssignmentsPendingError)) || ctx.Err() != nil {
		// The order exists (or the person thinks so): 6, never 130.
		return orderExists(err, pos[0], t)
	}
	return err
}

// waitAndShow waits for the installation data of an order and prints it.
func (c *cli) waitAndShow(ctx context.Context, cl *travelroam.Client, t target, ref string, maxWait time.Duration, show showOptions, asJSON bool, extra ...travelroam.CallOption) error {
	c.info("Waiting for the installation data of order %s…", safe(ref))
	c.info("(polls at once, then 2s, 4s and 6s later, then every 8s, for up to %s)", formatDuration(maxWait))
	start := time.Now()
	progress := c.fancy()
	shown := false
	opts := append([]travelroam.CallOption{travelroam.WithMaxWait(maxWait)}, extra...)
	if progress {
		opts = append(opts, travelroam.WithProgress(func(attempt int, next time.Duration) {
			line := fmt.Sprintf("  attempt %d, %s elapsed, next poll in %s", attempt, formatDuration(time.Since(start)), formatDuration(next))
			if next == 0 {
				line = fmt.Sprintf("  attempt %d, %s elapsed, no time left", attempt, formatDuration(time.Since(start)))
			}
			fmt.Fprintf(c.rawErr, "\r%-60s", line)
			shown = true
		}))
	}
	esims, err := cl.WaitForAssignments(ctx, ref, opts...)
	if shown {
		fmt.Fprintln(c.err)
	}
	if err != nil {
		return canceled(ctx, err)
	}
	codes := make([]esimCode, 0, len(esims))
	for _, a := range esims {
		code, err := a.ActivationCode()
		if err != nil {
			return fmt.Errorf("wait: eSIM %s: %w", a.ICCID, err)
		}
		codes = append(codes, esimCode{ICCID: string(a.ICCID), ProfileStatus: string(a.ProfileStatus), ActivationCode: code.LPA(),
			SMDPAddress: code.SMDPAddress, MatchingID: code.MatchingID.Reveal(), AppleInstallURL: code.AppleInstallURL()})
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
			c.printf("eSIM %d of %d\n", i+1, len(codes))
		}
		c.printf("ICCID:           %s\n", e.ICCID)
		if e.ProfileStatus != "" {
			c.printf("Profile status:  %s\n", e.ProfileStatus)
		}
		c.printf("Activation code: %s\n", e.ActivationCode)
		c.printf("SM-DP+ address:  %s\n", e.SMDPAddress)
		c.printf("Matching ID:     %s\n", e.MatchingID)
		c.printf("iPhone link:     %s\n", e.AppleInstallURL)
		if e.QRPNG != "" {
			c.printf("QR code PNG:     %s\n", e.QRPNG)
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
		if err := writePrivateFile(path, png); err != nil {
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

// writePrivateFile writes data to path with mode 0600 (whoever reads a QR
// code can install the eSIM): into a new temporary file in the same
// directory (created with O_EXCL and mode 0600, so no existing file or
// planted symlink is opened), then renamed over path. An existing file or
// a symbolic link at path is replaced, never written through, and the
// result is 0600 whatever the umask or the old file's mode.
func writePrivateFile(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}
