package travelroam

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

func TestOrganisation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixture, name, balance, currency string
	}{
		{"organisation_wrapped.json", "Acme Travel Ltd", "482.37", "USD"},
		{"organisation_flat.json", "Acme Travel Ltd", "1000.10", "USD"},
		{"organisation_data.json", "Acme Travel Ltd", "25", "EUR"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", func(req *http.Request) (*http.Response, error) {
				requireContractHeaders(t, req)
				return fixtureResponder(t, 200, tc.fixture)(req)
			})
			org, err := c.Organisation(t.Context())
			require.NoError(t, err)
			require.Equal(t, tc.name, org.Name)
			require.Equal(t, tc.balance, org.Balance.String())
			require.Equal(t, tc.currency, org.Currency)
			require.Equal(t, 1, mt.GetTotalCallCount())
		})
	}
}

func TestOrganisationAllFields(t *testing.T) {
	t.Parallel()
	org, err := decodeOrganisation(fixture(t, "organisation_data.json"), newDecodeRules())
	require.NoError(t, err)
	require.Equal(t, &Organisation{
		Name:             "Acme Travel Ltd",
		Balance:          mustAmount(t, "25"),
		Currency:         "EUR",
		TestCredit:       mustAmount(t, "10.50"),
		TestCreditExpiry: "2026-12-31",
		Groups:           []string{"Standard Fixed", "Standard Unlimited Lite"},
		Users: []OrganisationUser{{
			FirstName: "Ada", LastName: "Lovelace", Role: "Admin", EmailAddress: "ada@example.com",
			PhoneNumber: "+44 20 7946 0000", TimeZone: "Europe/London",
		}},
	}, org)

	flat, err := decodeOrganisation(fixture(t, "organisation_flat.json"), newDecodeRules())
	require.NoError(t, err)
	require.Equal(t, "1 High Street", flat.Addr1.Reveal())
	require.Equal(t, "London", flat.City)
	require.Equal(t, "GB", flat.Country)
	require.True(t, flat.TestCredit.IsZero())

	wrapped, err := decodeOrganisation(fixture(t, "organisation_wrapped.json"), newDecodeRules())
	require.NoError(t, err)
	require.Equal(t, "https://example.com/hooks/travelroam", wrapped.CallbackURL.Reveal())
	require.Equal(t, []string{"Standard Fixed"}, wrapped.Groups)
	require.Empty(t, wrapped.Users)
}

func TestDecodeOrganisationVariants(t *testing.T) {
	t.Parallel()
	for body, balance := range map[string]string{
		`{"balance": 12.345678}`:                                       "12.345678",
		`{"balance": "0.30", "currency": "USD"}`:                       "0.30",
		`{"balance": 1e2}`:                                             "100",
		`{"balance": null, "name": "x"}`:                               "0",
		`[{"name": "a", "balance": 1}]`:                                "1",
		`{"organisation": {"balance": "7"}}`:                           "7",
		`{"data": {"organisations": [{"balance": 8.5}]}}`:              "8.5",
		`{"data": [{"balance": 9}]}`:                                   "9",
		`{"organisations": [{"balance": 1}, {"balance": 2}]}`:          "1",
		`{"name": "n", "data": "not an object", "balance": "3.00"}`:    "3.00",
		`{"organisations": null, "balance": 4}`:                        "4",
		`{"balance": 99999999999999.99, "apiKey": "must-not-be-kept"}`: "99999999999999.99",
	} {
		org, err := decodeOrganisation([]byte(body), newDecodeRules())
		require.NoError(t, err, body)
		require.Equal(t, balance, org.Balance.String(), body)
	}
	for _, bad := range []string{``, `null`, `{}`, `[]`, `{"organisations": []}`, `{"data": {}}`,
		`{"balance": "lots"}`, `{"balance": true}`, `"x"`, `{"users": []}`} {
		_, err := decodeOrganisation([]byte(bad), newDecodeRules())
		require.Error(t, err, bad)
	}
}

func TestOrganisationErrors(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation",
		httpmock.NewStringResponder(403, `{"message":"Unauthorised"}`))
	_, err := c.Organisation(t.Context())
	require.ErrorIs(t, err, ErrUnauthorized)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 403, ae.StatusCode)
	require.Equal(t, "Unauthorised", ae.Message)
	require.Equal(t, "/organisation", ae.Route)
	require.Equal(t, 1, mt.GetTotalCallCount(), "403 must not be retried")
}

func FuzzDecodeOrganisation(f *testing.F) {
	rules := newDecodeRules() // one set for every input, as a Client holds
	for _, name := range []string{"organisation_wrapped.json", "organisation_flat.json", "organisation_data.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`[{"balance":"1.5"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		org, err := decodeOrganisation(data, rules)
		if (org == nil) == (err == nil) {
			t.Fatalf("want an organisation or an error, got %v, %v", org, err)
		}
	})
}

// TestOrganisationPeripheralFieldsNeverHideTheBalance: fields sent in a
// form outside the rules (taxLiable false, an address as a list, groups as
// objects) are left empty; the balance and the rest decode. A numeric
// phone number is kept digit for digit.
func TestOrganisationPeripheralFieldsNeverHideTheBalance(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", fixtureResponder(t, 200, "organisation_peripheral_types.json"))
	org, err := c.Organisation(t.Context())
	require.NoError(t, err)
	require.Equal(t, &Organisation{
		Name: "Acme Travel Ltd", Currency: "USD", Balance: mustAmount(t, "482.37"), City: "London", Postcode: "12345",
		Users: []OrganisationUser{{FirstName: "Ada", LastName: "Lovelace", Role: "Admin", EmailAddress: "ada@example.com",
			PhoneNumber: "442079460000", TimeZone: "Europe/London"}},
	}, org)
	for body, want := range map[string]string{
		`{"balance":"12.50","taxLiable":false}`:         "12.50",
		`{"balance":1,"taxLiable":"false","users":{}}`:  "1",
		`{"BALANCE":2,"name":{"first":"x"}}`:            "2",
		`{"balance":3,"users":[{"phoneNumber":true}]}`:  "3",
		`{"balance":3,"balance":4,"currency":["USD"]}`:  "4",
		`{"currency":"USD","testCredit":"10 dollars"}`:  "0",
		`{"name":"n","groups":"Standard Fixed"}`:        "0",
		`{"organisation":{"balance":5,"groups":[1,2]}}`: "5",
	} {
		o, err := decodeOrganisation([]byte(body), newDecodeRules())
		require.NoError(t, err, body)
		require.Equal(t, want, o.Balance.String(), body)
	}
	o, err := decodeOrganisation([]byte(`{"name":"n","groups":"Standard Fixed","taxLiable":"yes"}`), newDecodeRules())
	require.NoError(t, err)
	require.Equal(t, []string{"Standard Fixed"}, o.Groups)
	require.Equal(t, "yes", o.TaxLiable)
	_, err = decodeOrganisation([]byte(`{"name":"n","balance":"4,100.00 USD"}`), newDecodeRules())
	require.EqualError(t, err, `"balance": want a number`, "the balance is never guessed, and its value is not quoted")
}

func TestOrganisationUserWithEncodingJSON(t *testing.T) {
	t.Parallel()
	var u OrganisationUser
	require.NoError(t, json.Unmarshal([]byte(`{"firstName":"Ada","phoneNumber":442079460000}`), &u))
	require.Equal(t, OrganisationUser{FirstName: "Ada", PhoneNumber: "442079460000"}, u)
	require.ErrorContains(t, json.Unmarshal([]byte(`{"role":["admin"]}`), &u), `"role": want a string`)
}

// TestOrganisationEvidenceFixture: taxLiable false and a numeric phone
// number do not hide the balance.
func TestOrganisationEvidenceFixture(t *testing.T) {
	t.Parallel()
	o, err := decodeOrganisation(fixture(t, "organisation_odd_fields.json"), newDecodeRules())
	require.NoError(t, err)
	require.Equal(t, "482.37", o.Balance.String())
	require.Equal(t, "442079460000", o.Users[0].PhoneNumber.Reveal())
}
