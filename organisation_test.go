package travelroam

import (
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
