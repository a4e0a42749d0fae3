package travelroam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// Organisation is your reseller account at Travel Roam, with its wallet
// balance in the environment the [Client] talks to (the sandbox and live
// wallets are separate).
type Organisation struct {
	// Name is the organisation's name.
	Name string `json:"name"`
	// Balance is the wallet balance (including any test credit), exact.
	Balance Amount `json:"balance"`
	// Currency is the ISO 4217 code of the balance and of all prices,
	// e.g. "USD".
	Currency string `json:"currency"`
	// TestCredit is the test credit included in Balance, if any.
	TestCredit Amount `json:"testCredit"`
	// TestCreditExpiry is when the test credit expires, as sent.
	TestCreditExpiry string `json:"testCreditExpiry"`
	// CallbackURL is where usage callbacks are sent, if configured.
	CallbackURL string `json:"callbackUrl"`
	// Groups are the bundle groups available to you, e.g. "Standard Fixed".
	Groups []string `json:"groups"`
	// TaxLiable, Addr1, Addr2, City, Country, Postcode, Notes,
	// BusinessType, Website and ProductDescription are the account's
	// details as registered.
	TaxLiable          string `json:"taxLiable"`
	Addr1              string `json:"addr1"`
	Addr2              string `json:"addr2"`
	City               string `json:"city"`
	Country            string `json:"country"`
	Postcode           string `json:"postcode"`
	Notes              string `json:"notes"`
	BusinessType       string `json:"businessType"`
	Website            string `json:"website"`
	ProductDescription string `json:"productDescription"`
	// Users are the people with access to the account.
	Users []OrganisationUser `json:"users"`
}

// OrganisationUser is a person with access to the organisation's account.
type OrganisationUser struct {
	FirstName    string `json:"firstName"`
	LastName     string `json:"lastName"`
	Role         string `json:"role"`
	EmailAddress string `json:"emailAddress"`
	PhoneNumber  string `json:"phoneNumber"`
	TimeZone     string `json:"timeZone"`
}

// Organisation returns your organisation's details and wallet balance.
// Fetch it when you need it (Travel Roam asks not to poll). The route is
// the contract's best guess, GET /organisation.
func (c *Client) Organisation(ctx context.Context) (*Organisation, error) {
	return read(ctx, c, request{method: http.MethodGet, route: routeOrganisation}, decodeOrganisation)
}

// decodeOrganisation accepts {"organisations":[{…}]}, {"data":{…}} and a
// flat object.
func decodeOrganisation(b []byte) (*Organisation, error) {
	var w struct {
		Organisations []Organisation  `json:"organisations"`
		Data          json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, err
	}
	if len(w.Organisations) > 0 {
		return &w.Organisations[0], nil
	}
	if d := bytes.TrimSpace(w.Data); len(d) > 0 && d[0] == '{' {
		return decodeOrganisation(d)
	}
	var o Organisation
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, err
	}
	if o.Name == "" && o.Currency == "" && o.Balance.IsZero() && bytes.Contains(b, []byte(`"organisations"`)) {
		return nil, errors.New("empty organisations list")
	}
	return &o, nil
}
