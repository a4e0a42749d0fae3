package travelroam

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam/internal/envelope"
)

func TestBundleRequest(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/bundle", func(req *http.Request) (*http.Response, error) {
		requireContractHeaders(t, req)
		require.Empty(t, req.URL.RawQuery)
		requireJSONBody(t, req, map[string]any{"bundlename": "esim_1GB_7D_TR_V2", "bundleName": "esim_1GB_7D_TR_V2"})
		return fixtureResponder(t, 200, "bundle.json")(req)
	})
	b, err := c.Bundle(t.Context(), "esim_1GB_7D_TR_V2")
	require.NoError(t, err)
	require.Equal(t, &Bundle{
		Name:         "esim_1GB_7D_TR_V2",
		Description:  "eSIM, 1GB, 7 Days, Turkey, V2",
		Countries:    []Country{{Name: "Turkey", Region: "Europe", ISO: "TR"}},
		DataAmountMB: 1000,
		DurationDays: 7,
		Speed:        []string{"4G", "5G"},
		Autostart:    true,
		Price:        mustAmount(t, "1.85"),
		BillingType:  "FixedCost",
	}, b)
	require.Equal(t, 1, mt.GetTotalCallCount())
}

func TestBundleShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixture, name, price string
		check                func(t *testing.T, b *Bundle)
	}{
		{"bundle.json", "esim_1GB_7D_TR_V2", "1.85", nil},
		{"bundle_wrapped.json", "esim_UL_7D_TR_V2", "19.90", func(t *testing.T, b *Bundle) {
			require.True(t, b.Unlimited)
			require.Equal(t, []string{"4G"}, b.Speed)
			require.Nil(t, b.RoamingEnabled)
			require.Equal(t, []string{"Standard Unlimited Essential"}, b.Groups)
			require.Equal(t, []Allowance{
				{Type: "DATA", Service: "STANDARD", Description: "Unlimited", Unit: "MB", Unlimited: true},
				{Type: "VOICE", Service: "STANDARD", Description: "30 minutes", Amount: 30, Unit: "MINS"},
			}, b.Allowances)
		}},
		{"bundle_data.json", "esim_2GB_15D_GB_V2", "3.1", func(t *testing.T, b *Bundle) {
			require.False(t, b.Autostart)
			require.Equal(t, []string{"GB"}, b.CountryCodes())
		}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodPost, testBaseURL+"/bundle", fixtureResponder(t, 200, tc.fixture))
			b, err := c.Bundle(t.Context(), tc.name)
			require.NoError(t, err)
			require.Equal(t, tc.name, b.Name)
			require.Equal(t, tc.price, b.Price.String())
			if tc.check != nil {
				tc.check(t, b)
			}
		})
	}
}

func TestDecodeBundleVariants(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`[{"name":"a"}]`: "a",
		`{"bundles":[{"name":"b"},{"name":"x"}]}`: "b",
		`{"data":{"bundle":{"name":"c"}}}`:        "c",
		`{"bundle":{"name":"d"},"name":"outer"}`:  "d",
		`{"name":"e","data":"ignored"}`:           "e",
		`{"name":1}`:                              "1",
	} {
		b, err := decodeBundle([]byte(body))
		require.NoError(t, err, body)
		require.Equal(t, want, b.Name, body)
	}
	for _, bad := range []string{``, `null`, `{}`, `[]`, `{"bundles":[]}`, `{"message":"ok"}`, `{"name":true}`, `"x"`} {
		_, err := decodeBundle([]byte(bad))
		require.Error(t, err, bad)
	}
}

func TestBundleValidation(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "   ", "\t\n"} {
		c, mt := newMockClient(t)
		b, err := c.Bundle(t.Context(), name)
		require.Nil(t, b)
		requireValidation(t, err, "Name", "empty")
		require.Zero(t, mt.GetTotalCallCount())
	}
}

func TestBundleNotFound(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 404} {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodPost, testBaseURL+"/bundle", fixtureResponder(t, status, "error_message.json"))
		_, err := c.Bundle(t.Context(), "esim_nope")
		require.ErrorIs(t, err, ErrNotFound)
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, "Bundle not found", ae.Message)
		require.Equal(t, "/bundle", ae.Route)
		require.Equal(t, 1, mt.GetTotalCallCount())
	}
}

func TestBundleDecodeErrorIsRetriedThenTyped(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t, WithMaxRetries(0))
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/bundle", httpmock.NewStringResponder(200, `{"name": "x", "price": "one euro"}`))
	_, err := c.Bundle(t.Context(), "x")
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "/bundle", de.Route)
	require.Contains(t, err.Error(), "decoding response")
	require.Contains(t, err.Error(), `"price": want a number`, "the field is named")
	require.NotContains(t, err.Error(), "one euro", "the value is not quoted")
}

func FuzzDecodeBundle(f *testing.F) {
	for _, name := range catalogueSeeds {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"bundle":{"name":"x","speed":{"5G":true}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := decodeBundle(data)
		if (b == nil) == (err == nil) {
			t.Fatalf("want a bundle or an error, got %v, %v", b, err)
		}
		if err == nil && b.Name == "" {
			t.Fatal("a decoded bundle has a name")
		}
	})
}

func TestBundleJSONRoundTrip(t *testing.T) {
	t.Parallel()
	page, err := decodeCatalogue(fixture(t, "catalogue_wrapped.json"))
	require.NoError(t, err)
	b, err := json.Marshal(page.Bundles)
	require.NoError(t, err)
	require.Contains(t, string(b), `"price":4.10`, "the exact price is written back")
	require.Contains(t, string(b), `"dataAmount":1000`)
	var again []Bundle
	require.NoError(t, json.Unmarshal(b, &again))
	require.Equal(t, page.Bundles, again)
}

// TestDecodersBoundWrapperNesting: deeply nested {"data": …} wrappers are
// refused quickly instead of costing quadratic time.
func TestDecodersBoundWrapperNesting(t *testing.T) {
	t.Parallel()
	nest := func(inner string, n int) []byte {
		return []byte(strings.Repeat(`{"data":`, n) + inner + strings.Repeat(`}`, n))
	}
	deep := 9000
	_, err := decodeOrganisation(nest(`{"name":"x"}`, deep), newDecodeRules())
	require.ErrorIs(t, err, envelope.ErrTooDeep)
	_, err = decodeBundle(nest(`{"name":"x"}`, deep))
	require.ErrorIs(t, err, envelope.ErrTooDeep)
	_, err = decodeCatalogue(nest(`{"bundles":[{"name":"x"}]}`, deep))
	require.ErrorIs(t, err, envelope.ErrTooDeep)
	// A few levels are still fine.
	o, err := decodeOrganisation(nest(`{"name":"x"}`, 2), newDecodeRules())
	require.NoError(t, err)
	require.Equal(t, "x", o.Name)
	p, err := decodeCatalogue(nest(`{"bundles":[{"name":"x"}]}`, 2))
	require.NoError(t, err)
	require.Len(t, p.Bundles, 1)
}

// BenchmarkRoundTripBundle looks one bundle up.
func BenchmarkRoundTripBundle(b *testing.B) {
	var page baselinePage
	if err := json.Unmarshal(catalogueBenchJSON(11), &page); err != nil {
		b.Fatal(err)
	}
	one, err := json.Marshal(page.Bundles[10]) // a regional bundle of 20 countries
	if err != nil {
		b.Fatal(err)
	}
	name := page.Bundles[10].Name
	roundTrip(b, "/api/whitelabel/bundle", one, false,
		func(hc *http.Client, url string) error {
			in := struct {
				Name string `json:"bundlename"`
			}{name}
			var got baselineBundle
			if err := baselineCall(hc, url, in, &got); err != nil || got.Name != name {
				return fmt.Errorf("%q, %v", got.Name, err)
			}
			return nil
		},
		func(c *Client) error {
			got, err := c.Bundle(b.Context(), name)
			if err != nil || got.Name != name {
				return fmt.Errorf("%v, %v", got, err)
			}
			return nil
		})
}
