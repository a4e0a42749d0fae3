package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/roamkit/travelroam"
)

// dryRunBuyJSON is the --json output of buy --dry-run.
type dryRunBuyJSON struct {
	Kind         string             `json:"kind"` // "dryRun"
	Environment  string             `json:"environment"`
	Bundle       string             `json:"bundle"`
	TopUpICCID   string             `json:"topUpIccid,omitempty"`
	Price        travelroam.Amount  `json:"price"`
	Currency     string             `json:"currency"`
	Balance      *travelroam.Amount `json:"balance"`      // null when unknown
	BalanceAfter *travelroam.Amount `json:"balanceAfter"` // null when unknown
	Request      requestJSON        `json:"request"`
}

// requestJSON is a request that would be sent.
type requestJSON struct {
	Method string          `json:"method"`
	URL    string          `json:"url"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// processOrderBody is the body of POST /processorders (the contract:
// {"bundleName", "orderType": "COUNTRY", "iccid"?}).
type processOrderBody struct {
	BundleName string `json:"bundleName"`
	OrderType  string `json:"orderType"`
	ICCID      string `json:"iccid,omitempty"`
}

// dryRunBuy shows the quote, the balance after and the purchase request,
// and sends nothing: no journal, no question, no --yes needed.
func (c *cli) dryRunBuy(ctx context.Context, f *flags, o buyOptions) error {
	cl, t, err := c.client(f.live)
	if err != nil {
		return err
	}
	q, err := c.quote(ctx, cl, t, o)
	if err != nil {
		return err
	}
	body, err := json.Marshal(processOrderBody{BundleName: q.bundle.Name, OrderType: string(travelroam.OrderTypeCountry), ICCID: o.iccid})
	if err != nil {
		return err
	}
	req := requestJSON{Method: "POST", URL: strings.TrimSuffix(t.baseURL, "/") + "/processorders", Body: body}
	c.info("Dry run: nothing was sent, nothing bought.")
	if f.json {
		out := dryRunBuyJSON{Kind: "dryRun", Environment: string(t.env), Bundle: q.bundle.Name, TopUpICCID: o.iccid,
			Price: q.bundle.Price, Currency: q.currency, Balance: q.balanceAmount, BalanceAfter: q.after, Request: req}
		return c.writeJSON(out)
	}
	after := "unknown"
	if q.after != nil {
		after = q.after.String() + " " + safe(q.currency)
	}
	fmt.Fprintf(c.out, "Balance after: %s\n", after)
	fmt.Fprintf(c.out, "Would send:    %s %s\n", req.Method, safe(req.URL))
	fmt.Fprintf(c.out, "Body:          %s\n", safe(string(body)))
	return nil
}

// revokeDryRunJSON is the --json output of revoke --dry-run.
type revokeDryRunJSON struct {
	Kind        string           `json:"kind"` // "dryRun"
	Environment string           `json:"environment"`
	ICCID       string           `json:"iccid"`
	Profile     string           `json:"profileStatus"`
	Bundles     []esimBundleJSON `json:"bundles"`
	Request     requestJSON      `json:"request"`
}
