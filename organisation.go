package travelroam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/roamkit/travelroam/internal/envelope"
	"github.com/roamkit/travelroam/internal/lenient"
)

// Organisation is your reseller account at Travel Roam, with its wallet
// balance in the environment the [Client] talks to (the sandbox and live
// wallets are separate).
//
// Every field but Balance is peripheral: one sent in a form outside the
// SDK's lenient rules (say "taxLiable": false where a string is expected)
// is left empty rather than hiding the balance.
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
	// CallbackURL is where usage callbacks are sent, if configured. It
	// may carry a token, so it is held as a [Secret].
	CallbackURL Secret `json:"callbackUrl"`
	// Groups are the bundle groups available to you, e.g. "Standard Fixed".
	Groups []string `json:"groups"`
	// TaxLiable, Addr1, Addr2, City, Country, Postcode, Notes,
	// BusinessType, Website and ProductDescription are the account's
	// details as registered; the street address and postcode are held as
	// a [Secret].
	TaxLiable          string `json:"taxLiable"`
	Addr1              Secret `json:"addr1"`
	Addr2              Secret `json:"addr2"`
	City               string `json:"city"`
	Country            string `json:"country"`
	Postcode           Secret `json:"postcode"`
	Notes              string `json:"notes"`
	BusinessType       string `json:"businessType"`
	Website            string `json:"website"`
	ProductDescription string `json:"productDescription"`
	// Users are the people with access to the account.
	Users []OrganisationUser `json:"users"`
}

// OrganisationUser is a person with access to the organisation's account.
// The person's name and contact details are personal data, held as a
// [Secret]: printing or logging a user shows its role and time zone.
type OrganisationUser struct {
	// FirstName and LastName are the person's name.
	FirstName Secret `json:"firstName"`
	LastName  Secret `json:"lastName"`
	// Role is the person's role in the account, as sent.
	Role string `json:"role"`
	// EmailAddress and PhoneNumber are the person's contact details.
	EmailAddress Secret `json:"emailAddress"`
	PhoneNumber  Secret `json:"phoneNumber"`
	// TimeZone is the person's time zone, as sent.
	TimeZone string `json:"timeZone"`
}

// Organisation returns your organisation's details and wallet balance.
// Fetch it when you need it (Travel Roam asks not to poll). The route is
// the contract's best guess, GET /organisation; change it with
// [WithRoute] and [OpOrganisation] (GET /organization, the changelog's
// spelling, is as plausible).
func (c *Client) Organisation(ctx context.Context, opts ...CallOption) (*Organisation, error) {
	r := c.newRequest(OpOrganisation, nil)
	ctx, cancel, err := prepareCall(ctx, &r, OpOrganisation.label(), kindsRead, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	return readInPlace(ctx, c, r, decodeOrganisation)
}

// decodeOrganisation accepts {"organisations": [{…}]}, {"organisation":
// {…}}, {"data": …} around any of these, a bare list and a flat object.
// A body with no organisation in it is an error, not an empty value; so
// is a balance outside the rules. Any other field outside the rules is
// left at zero.
func decodeOrganisation(b []byte, rules jsonv2.Options) (*Organisation, error) {
	var org *Organisation
	err := envelope.Descend(b, func(v []byte) (inner []byte, err error) {
		org, inner, err = decodeOrganisationLevel(v, rules)
		return inner, err
	})
	if err != nil {
		return nil, err
	}
	return org, nil
}

// decodeOrganisationLevel decodes one level of an organisation answer:
// the organisation, or the value that wraps it (the first element of a
// list; else the first of "organisations", "organisation" and "data"
// that is an object or an array).
func decodeOrganisationLevel(b []byte, rules jsonv2.Options) (*Organisation, []byte, error) {
	b = bytes.TrimSpace(b)
	if envelope.IsArray(b) {
		var list []json.RawMessage
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, nil, err
		}
		if len(list) == 0 {
			return nil, nil, errors.New("empty organisations list")
		}
		return nil, list[0], nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, nil, err
	}
	for _, k := range [...]string{"organisations", "organisation", "data"} {
		if raw := keys[k]; envelope.IsObject(raw) || envelope.IsArray(raw) {
			return nil, raw, nil
		}
	}
	if keys["name"] == nil && keys["balance"] == nil && keys["currency"] == nil {
		return nil, nil, errors.New("response has no organisation details")
	}
	var w wireOrganisation
	if err := lenient.Fields(b, &w, rules); err != nil {
		return nil, nil, err
	}
	return w.organisation(), nil, nil
}

// wireOrganisation is an organisation under the SDK's lenient rules,
// decoded member by member (lenient.Fields): a peripheral field outside
// the rules is left at zero; the balance must be read.
type wireOrganisation struct {
	Name               lenient.String                 `json:"name"`
	Balance            Amount                         `json:"balance" lenient:"strict"`
	Currency           lenient.String                 `json:"currency"`
	TestCredit         Amount                         `json:"testCredit"`
	TestCreditExpiry   lenient.String                 `json:"testCreditExpiry"`
	CallbackURL        lenient.String                 `json:"callbackUrl"`
	Groups             lenient.Strings                `json:"groups"`
	TaxLiable          lenient.String                 `json:"taxLiable"`
	Addr1              lenient.String                 `json:"addr1"`
	Addr2              lenient.String                 `json:"addr2"`
	City               lenient.String                 `json:"city"`
	Country            lenient.String                 `json:"country"`
	Postcode           lenient.String                 `json:"postcode"`
	Notes              lenient.String                 `json:"notes"`
	BusinessType       lenient.String                 `json:"businessType"`
	Website            lenient.String                 `json:"website"`
	ProductDescription lenient.String                 `json:"productDescription"`
	Users              lenient.List[OrganisationUser] `json:"users"`
}

func (w *wireOrganisation) organisation() *Organisation {
	return &Organisation{
		Name: string(w.Name), Balance: w.Balance, Currency: string(w.Currency), TestCredit: w.TestCredit,
		TestCreditExpiry: string(w.TestCreditExpiry), CallbackURL: Secret(w.CallbackURL), Groups: w.Groups,
		TaxLiable: string(w.TaxLiable), Addr1: Secret(w.Addr1), Addr2: Secret(w.Addr2), City: string(w.City),
		Country: string(w.Country), Postcode: Secret(w.Postcode), Notes: string(w.Notes),
		BusinessType: string(w.BusinessType), Website: string(w.Website),
		ProductDescription: string(w.ProductDescription), Users: w.Users,
	}
}

// organisationUserFields is OrganisationUser without its methods, for
// the JSON v2 engine to decode field by field.
type organisationUserFields OrganisationUser

// UnmarshalJSON decodes a user under the SDK's lenient rules.
func (u *OrganisationUser) UnmarshalJSON(b []byte) error { return lenient.UnmarshalFrom(b, u) }

// UnmarshalJSONFrom is UnmarshalJSON for the JSON v2 engine.
func (u *OrganisationUser) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*u = OrganisationUser{}
	return unmarshalIn(dec, (*organisationUserFields)(u))
}
