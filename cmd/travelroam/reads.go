package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/roamkit/travelroam"
)

// balanceJSON is the --json output of balance.
type balanceJSON struct {
	Environment string            `json:"environment"`
	Balance     travelroam.Amount `json:"balance"`
	Currency    string            `json:"currency"`
	TestCredit  travelroam.Amount `json:"testCredit"`
	// Below is set with --below: whether the balance is under it.
	Below *bool `json:"below,omitempty"`
}

func runBalance(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("balance", true)
	belowFlag := f.String("below", "", "exit 8 when the balance is under `AMOUNT` (for monitoring: cron, Nagios-style checks)")
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	var threshold *travelroam.Amount
	if *belowFlag != "" {
		a, err := travelroam.ParseAmount(*belowFlag)
		if err != nil {
			return usagef("balance: --below %s is not an amount (e.g. 50 or 12.50)", safe(*belowFlag))
		}
		threshold = &a
	}
	cl, t, err := c.client(f.live)
	if err != nil {
		return err
	}
	org, err := cl.Organisation(ctx)
	if err != nil {
		return canceled(ctx, err)
	}
	var below error
	out := balanceJSON{Environment: string(t.env), Balance: org.Balance, Currency: org.Currency, TestCredit: org.TestCredit}
	if threshold != nil {
		under := org.Balance.Cmp(*threshold) < 0
		out.Below = &under
		if under {
			below = &belowError{msg: fmt.Sprintf("balance: %s %s is below %s", org.Balance, safe(org.Currency), threshold)}
		}
	}
	if f.json {
		return errors.Join(c.writeJSON(out), below)
	}
	return errors.Join(c.printBalance(t, org), below)
}

// printBalance prints the balance as text.
func (c *cli) printBalance(t target, org *travelroam.Organisation) error {
	c.printf("%s %s (%s wallet)\n", org.Balance, org.Currency, t.env)
	if !org.TestCredit.IsZero() {
		c.printf("including test credit %s %s", org.TestCredit, org.Currency)
		if org.TestCreditExpiry != "" {
			c.printf(" (expires %s)", org.TestCreditExpiry)
		}
		c.println()
	}
	return nil
}

// bundleJSON is a bundle in the --json output of catalogue and bundle.
type bundleJSON struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	DataMB      int64             `json:"dataMB"`
	Unlimited   bool              `json:"unlimited"`
	Days        int               `json:"days"`
	Price       travelroam.Amount `json:"price"`
	Countries   []string          `json:"countries"`
	Roaming     []string          `json:"roamingCountries,omitempty"`
	Speed       []string          `json:"speed,omitempty"`
	Autostart   bool              `json:"autostart"`
	Groups      []string          `json:"groups,omitempty"`
	BillingType string            `json:"billingType,omitempty"`
}

func toBundleJSON(b travelroam.Bundle) bundleJSON {
	out := bundleJSON{
		Name: b.Name, Description: b.Description, DataMB: b.DataAmountMB, Unlimited: b.Unlimited,
		Days: b.DurationDays, Price: b.Price, Countries: b.CountryCodes(), Speed: b.Speed,
		Autostart: b.Autostart, Groups: b.Groups, BillingType: b.BillingType,
	}
	if out.Countries == nil {
		out.Countries = []string{}
	}
	if out.Unlimited {
		out.DataMB = 0
	}
	for _, r := range b.RoamingEnabled {
		out.Roaming = append(out.Roaming, r.ISO)
	}
	return out
}

func runCatalogue(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("catalogue", true)
	countries := f.String("countries", "", "comma-separated ISO country codes, e.g. GB,FR")
	region := f.String("region", "", `a region: Africa, Asia, Europe, Global, "Middle East", "North America", Oceania, "South America"`)
	all := f.Bool("all", false, "walk every page (default: one page)")
	page := f.Int("page", 1, "the page to show (without --all)")
	perPage := f.Int("per-page", 50, "bundles per page (the SDK's default)")
	sortBy := f.String("sort", "", "sort the bundles fetched (one page, or all with --all) by price, data, days or name (default: the server's order)")
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	if (*countries == "") == (*region == "") {
		return usagef("catalogue: give --countries or --region (one of them)")
	}
	less, err := bundleOrder(*sortBy)
	if err != nil {
		return err
	}
	if *page < 1 || *perPage < 1 {
		return usagef("catalogue: --page and --per-page must be at least 1")
	}
	opts := travelroam.CatalogueOptions{Region: travelroam.Region(*region), PerPage: *perPage}
	if *countries != "" {
		opts.Countries = strings.Split(*countries, ",")
	}
	cl, _, err := c.client(f.live)
	if err != nil {
		return err
	}
	bundles, footer, err := readCatalogue(ctx, cl, opts, *all, *page)
	if err != nil {
		return err
	}
	if less != nil {
		slices.SortStableFunc(bundles, less)
	}
	if f.json {
		return c.writeJSON(toBundlesJSON(bundles))
	}
	if err := c.printCatalogue(bundles); err != nil {
		return err
	}
	if footer != "" {
		c.info("%s", footer)
	}
	return nil
}

// toBundlesJSON is the --json output of catalogue.
func toBundlesJSON(bundles []travelroam.Bundle) []bundleJSON {
	out := make([]bundleJSON, 0, len(bundles))
	for _, b := range bundles {
		out = append(out, toBundleJSON(b))
	}
	return out
}

// readCatalogue reads one page of the catalogue, or every page with all;
// footer says how to see more.
func readCatalogue(ctx context.Context, cl *travelroam.Client, opts travelroam.CatalogueOptions, all bool, page int) (bundles []travelroam.Bundle, footer string, err error) {
	if all {
		for b, err := range cl.CatalogueAll(ctx, opts) {
			if err != nil {
				return nil, "", canceled(ctx, err)
			}
			bundles = append(bundles, b)
		}
		return bundles, "", nil
	}
	opts.Page = page
	p, err := cl.Catalogue(ctx, opts)
	if err != nil {
		return nil, "", canceled(ctx, err)
	}
	if p.PageCount > page {
		footer = fmt.Sprintf("Page %d of %d (%d bundles): --page %d for the next, --all for every page.", page, p.PageCount, p.Rows, page+1)
	}
	return p.Bundles, footer, nil
}

// printCatalogue writes the bundles as a table: aligned, with data in
// MB/GB, at a terminal; tab-separated, data in MB, otherwise.
func (c *cli) printCatalogue(bundles []travelroam.Bundle) error {
	rows := make([][]string, 0, len(bundles))
	for _, b := range bundles {
		data := strconv.FormatInt(b.DataAmountMB, 10)
		if c.outTTY {
			data = formatMB(b.DataAmountMB, b.Unlimited)
		} else if b.Unlimited {
			data = "0"
		}
		rows = append(rows, []string{b.Name, data, strconv.Itoa(b.DurationDays), b.Price.String(), strconv.FormatBool(b.Unlimited)})
	}
	header := []string{"NAME", "DATA", "DAYS", "PRICE", "UNLIMITED"}
	if !c.outTTY {
		header = []string{"name", "data_mb", "days", "price", "unlimited"}
	}
	return c.table(header, rows)
}

// bundleOrder returns the comparison of --sort, nil for the server's order.
func bundleOrder(by string) (func(a, b travelroam.Bundle) int, error) {
	switch by {
	case "":
		return nil, nil
	case "price":
		return func(a, b travelroam.Bundle) int { return a.Price.Cmp(b.Price) }, nil
	case "data":
		return func(a, b travelroam.Bundle) int {
			return cmp.Or(cmp.Compare(boolInt(a.Unlimited), boolInt(b.Unlimited)), cmp.Compare(a.DataAmountMB, b.DataAmountMB))
		}, nil
	case "days":
		return func(a, b travelroam.Bundle) int { return cmp.Compare(a.DurationDays, b.DurationDays) }, nil
	case "name":
		return func(a, b travelroam.Bundle) int { return strings.Compare(a.Name, b.Name) }, nil
	}
	return nil, usagef("catalogue: --sort must be price, data, days or name, not %q", by)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func runBundle(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("bundle", true)
	pos, err := f.parse(c, args, 1, 1)
	if err != nil {
		return err
	}
	cl, _, err := c.client(f.live)
	if err != nil {
		return err
	}
	b, err := cl.Bundle(ctx, pos[0])
	if err != nil {
		return canceled(ctx, err)
	}
	if f.json {
		return c.writeJSON(toBundleJSON(*b))
	}
	j := toBundleJSON(*b)
	lines := [][2]string{
		{"Name", b.Name},
		{"Description", b.Description},
		{"Data", formatMB(b.DataAmountMB, b.Unlimited)},
		{"Days", strconv.Itoa(b.DurationDays)},
		{"Price", b.Price.String()},
		{"Countries", strings.Join(j.Countries, ", ")},
	}
	if len(j.Roaming) > 0 {
		lines = append(lines, [2]string{"Also works in", strings.Join(j.Roaming, ", ")})
	}
	if len(b.Speed) > 0 {
		lines = append(lines, [2]string{"Speed", strings.Join(b.Speed, ", ")})
	}
	lines = append(lines, [2]string{"Autostart", strconv.FormatBool(b.Autostart)})
	if len(b.Groups) > 0 {
		lines = append(lines, [2]string{"Groups", strings.Join(b.Groups, ", ")})
	}
	for _, l := range lines {
		c.printf("%-14s %s\n", l[0]+":", l[1])
	}
	return nil
}
