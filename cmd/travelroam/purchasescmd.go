package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roamkit/travelroam"
)

// attemptJSON is a purchase attempt in the --json output of purchases.
type attemptJSON struct {
	Key         string     `json:"key"`
	Account     string     `json:"account"`
	Environment string     `json:"environment"`
	Bundle      string     `json:"bundle"`
	ICCID       string     `json:"iccid,omitempty"`
	StartedAt   *time.Time `json:"startedAt"`
	Outcome     string     `json:"outcome"`
	Reference   string     `json:"reference,omitempty"`
	FinishedAt  *time.Time `json:"finishedAt"`
}

func toAttemptJSON(a travelroam.PurchaseAttempt) attemptJSON {
	return attemptJSON{Key: a.Key, Account: a.Account, Environment: string(a.Environment), Bundle: a.BundleName,
		ICCID: string(a.ICCID), StartedAt: timeOrNil(a.StartedAt), Outcome: string(a.Outcome), Reference: a.Reference,
		FinishedAt: timeOrNil(a.FinishedAt)}
}

// resolvedJSON is the --json output of purchases resolve.
type resolvedJSON struct {
	Key       string `json:"key"`
	Outcome   string `json:"outcome"`
	Reference string `json:"reference,omitempty"`
}

func runPurchases(ctx context.Context, c *cli, args []string) error {
	if len(args) > 0 && args[0] == "resolve" {
		return runResolve(ctx, c, args[1:])
	}
	f := c.newFlags("purchases", true)
	recent := f.Bool("recent", false, fmt.Sprintf("list the %d latest attempts, whatever their outcome, newest first", recentLimit))
	f.BoolVar(recent, "all", false, "the same as --recent")
	journal := f.String("journal", "", "the purchase journal (as buy's --journal)")
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	st, err := c.openJournal(ctx, *journal)
	if err != nil {
		return err
	}
	defer st.Close()
	cl, _, err := c.client(f.live, st.options()...)
	if err != nil {
		return err
	}
	var list []travelroam.PurchaseAttempt
	if *recent {
		list, err = recentAttempts(ctx, st, cl.AccountKey())
	} else {
		list, err = unfinishedAttempts(ctx, cl)
	}
	if err != nil {
		return canceled(ctx, err)
	}
	return c.printAttempts(list, *recent, f.json)
}

// printAttempts prints a listing of purchases.
func (c *cli) printAttempts(list []travelroam.PurchaseAttempt, recent, asJSON bool) error {
	if asJSON {
		out := make([]attemptJSON, 0, len(list))
		for _, a := range list {
			out = append(out, toAttemptJSON(a))
		}
		return c.writeJSON(out)
	}
	if len(list) == 0 {
		if recent {
			c.info("No purchase recorded in this journal for this account.")
		} else {
			c.info("No unfinished purchase: every attempt recorded has an outcome.")
		}
		return nil
	}
	rows := make([][]string, 0, len(list))
	for _, a := range list {
		rows = append(rows, []string{a.Key, string(a.Outcome), a.BundleName, orDash(string(a.ICCID)), formatTime(a.StartedAt), orDash(a.Reference)})
	}
	if err := c.table([]string{"KEY", "OUTCOME", "BUNDLE", "TOP-UP OF", "STARTED", "REFERENCE"}, rows); err != nil {
		return err
	}
	if !recent {
		c.info("Check each (travelroam esim ICCID for a top-up, travelroam balance for a new eSIM), then: travelroam purchases resolve KEY --bought REFERENCE | --not-bought")
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runResolve(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("purchases", true)
	bought := f.String("bought", "", "the purchase was made: its order `reference`")
	notBought := f.Bool("not-bought", false, "nothing was bought: the key may be bought again")
	yes := f.Bool("yes", false, "do not ask for confirmation (required when stdin is not a terminal)")
	journal := f.String("journal", "", "the purchase journal (as buy's --journal)")
	pos, err := f.parse(c, args, 1, 1)
	if err != nil {
		return err
	}
	if (*bought == "") == !*notBought {
		return usagef("purchases resolve: give --bought REFERENCE or --not-bought (one of them)")
	}
	if !*yes && !c.interactive() {
		return usagef("purchases resolve: stdin is not a terminal, so nobody can confirm: add --yes")
	}
	st, err := c.openJournal(ctx, *journal)
	if err != nil {
		return err
	}
	defer st.Close()
	cl, _, err := c.client(f.live, st.options()...)
	if err != nil {
		return err
	}
	a, outcome, err := c.examine(ctx, st, cl, pos[0], *bought, *yes)
	if err != nil {
		return err
	}
	if err := resolveAttempt(ctx, cl, a, outcome, *bought); err != nil {
		return canceled(ctx, err)
	}
	if f.json {
		return c.writeJSON(resolvedJSON{Key: a.Key, Outcome: string(outcome), Reference: *bought})
	}
	c.printf("Recorded: %s %s\n", safe(a.Key), outcome)
	return nil
}

// examine finds the attempt of key, shows it and what will be recorded
// (bought: the order reference; "": not bought), and asks unless yes.
func (c *cli) examine(ctx context.Context, st *journalStore, cl *travelroam.Client, key, bought string, yes bool) (travelroam.PurchaseAttempt, travelroam.Outcome, error) {
	a, ok, err := earlierAttempt(ctx, st, cl, key)
	if err != nil {
		return a, "", err
	}
	if !ok || a.Account != cl.AccountKey() {
		return a, "", fmt.Errorf("purchases resolve: %w (key %s, this account)", travelroam.ErrNoAttempt, safe(key))
	}
	outcome, verb := travelroam.OutcomeSucceeded, "bought, order reference "+bought
	if bought == "" {
		outcome, verb = travelroam.OutcomeNotSent, "not bought (the key may then be bought again)"
	}
	c.info("Attempt:  %s", describeAttempt(a))
	c.info("Record:   %s", verb)
	if !yes {
		if err := c.confirm(ctx, "Record it? [y/N] "); err != nil {
			return a, "", fmt.Errorf("purchases resolve: nothing recorded: %w", err)
		}
	}
	return a, outcome, nil
}

// confirm asks a yes/no question at the terminal; nil when answered yes.
func (c *cli) confirm(ctx context.Context, question string) error {
	answer, err := c.prompt(ctx, question)
	if err != nil {
		return err
	}
	if a := answer; a != "y" && a != "yes" && a != "Y" && a != "YES" {
		return errors.New("not confirmed")
	}
	return nil
}

// describeAttempt is the attempt on one line, its ICCID shortened to the
// last four digits (as the SDK's ICCID prints).
func describeAttempt(a travelroam.PurchaseAttempt) string {
	var b strings.Builder
	fmt.Fprintf(&b, "purchase %q", a.Key)
	if a.ID != "" {
		b.WriteString(" attempt " + a.ID)
	}
	if a.Account != "" {
		b.WriteString(" account " + a.Account)
	}
	if a.Environment != "" {
		b.WriteString(" (" + string(a.Environment) + ")")
	}
	if a.BundleName != "" {
		b.WriteString(" bundle " + a.BundleName)
	}
	if a.ICCID != "" {
		b.WriteString(" on eSIM " + a.ICCID.String())
	}
	if !a.StartedAt.IsZero() {
		b.WriteString(" started " + a.StartedAt.UTC().Format(time.RFC3339Nano))
	}
	b.WriteString(": " + cmp.Or(string(a.Outcome), "no outcome"))
	if a.Reference != "" {
		b.WriteString(", order reference " + a.Reference)
	}
	if !a.FinishedAt.IsZero() {
		b.WriteString(", finished " + a.FinishedAt.UTC().Format(time.RFC3339Nano))
	}
	return safe(b.String())
}
