package main

import (
	"context"
	"encoding/json"
	"strings"
	"time"

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
	body, err := json.Marshal(processOrderBody{BundleName: q.bundle.Name, OrderType: "COUNTRY", ICCID: o.iccid})
	if err != nil {
		return err
	}
	req := routeRequest(t, travelroam.OpProcessOrder, body)
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
	c.printf("Balance after: %s\n", after)
	c.printf("Would send:    %s %s\n", req.Method, safe(req.URL))
	c.printf("Body:          %s\n", safe(string(body)))
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

// dryRunRevoke shows the eSIM's state and bundles and the revoke request,
// and sends nothing.
func (c *cli) dryRunRevoke(ctx context.Context, f *flags, iccid string) error {
	cl, t, err := c.client(f.live)
	if err != nil {
		return err
	}
	e, err := cl.ESIM(ctx, travelroam.ICCID(iccid))
	if err != nil {
		return canceled(ctx, err)
	}
	applied, err := cl.AppliedBundles(ctx, travelroam.ICCID(iccid))
	if err != nil {
		return canceled(ctx, err)
	}
	bundles := bundleRows(applied, time.Now())
	body, err := json.Marshal(map[string]string{"iccid": iccid})
	if err != nil {
		return err
	}
	req := routeRequest(t, travelroam.OpRevokeESIM, body)
	c.info("Dry run: nothing was sent, nothing revoked.")
	if f.json {
		return c.writeJSON(revokeDryRunJSON{Kind: "dryRun", Environment: string(t.env), ICCID: iccid,
			Profile: string(e.ProfileStatus), Bundles: bundles, Request: req})
	}
	c.printf("eSIM:          %s (%s environment)\n", safe(iccid), t.env)
	c.printf("Profile:       %s\n", safe(string(e.ProfileStatus)))
	if err := c.printBundles(bundles); err != nil {
		return err
	}
	c.printf("Would send:    %s %s\n", req.Method, safe(req.URL))
	c.printf("Body:          %s\n", safe(string(body)))
	return nil
}

// routeRequest is the request of op with body, at the SDK's default route.
func routeRequest(t target, op travelroam.Operation, body []byte) requestJSON {
	r, _ := op.DefaultRoute()
	return requestJSON{Method: r.Method, URL: strings.TrimSuffix(t.baseURL, "/") + r.Path, Body: body}
}
