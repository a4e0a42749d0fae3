package travelroam

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam/internal/lenient"
)

// TestBundleLenientFields: the odd but readable values the contract's
// evidence shows decode, in the catalogue and in /bundle alike.
func TestBundleLenientFields(t *testing.T) {
	t.Parallel()
	page, err := decodeCatalogue(fixture(t, "catalogue_lenient_scalars.json"))
	require.NoError(t, err)
	require.Len(t, page.Bundles, 2, "one odd bundle no longer fails the page")
	require.Equal(t, CataloguePage{Bundles: page.Bundles, PageCount: 1, Rows: 2, PageSize: 50}, *page)
	b := page.Bundles[1]
	require.Equal(t, Bundle{
		Name:         "esim_UL_7D_TR_V2",
		Description:  "eSIM, Unlimited, 7 Days, Turkey, V2",
		Groups:       []string{"Standard Unlimited Essential"},
		Countries:    []Country{{Name: "Turkey", Region: "Europe", ISO: "TR"}},
		DataAmountMB: 500,
		DurationDays: 7,
		Speed:        []string{"4G"},
		Autostart:    true,
		Unlimited:    true,
		Price:        mustAmount(t, "19.90"),
		BillingType:  "FixedCost",
		Allowances:   []Allowance{{Type: "DATA", Service: "ROAMING", Amount: 500, Unit: "MB", Unlimited: true}},
	}, b)
	for field, body := range map[string]string{
		"unlimited":  `{"name":"x","unlimited":"true"}`,
		"dataAmount": `{"name":"x","dataAmount":500.0}`,
		"duration":   `{"name":"x","duration":"7"}`,
		"groups":     `{"name":"x","groups":"Standard Fixed"}`,
	} {
		one, err := decodeBundle([]byte(body))
		require.NoError(t, err, field)
		require.Equal(t, "x", one.Name, field)
	}
}

// TestBundleOutsideTheRules: a value outside the rules fails with its
// field named and its value unquoted, through either engine.
func TestBundleOutsideTheRules(t *testing.T) {
	t.Parallel()
	for field, body := range map[string]string{
		"duration":   `{"name":"x","duration":"seven"}`,
		"unlimited":  `{"name":"x","unlimited":"yes"}`,
		"dataAmount": `{"name":"x","dataAmount":"1GB"}`,
		"price":      `{"name":"x","price":"1.85 USD"}`,
		"name":       `{"name":{"8944538532012345678":1}}`,
	} {
		_, err := decodeBundle([]byte(body))
		require.Error(t, err, field)
		require.Contains(t, err.Error(), `"`+field+`": want`, body)
		for _, secret := range []string{"seven", "yes", "1GB", "USD", "8944538532012345678"} {
			require.NotContains(t, err.Error(), secret, body)
		}
		var b Bundle
		err = json.Unmarshal([]byte(body), &b)
		require.Error(t, err, "encoding/json refuses it too: %s", body)
		require.NotContains(t, err.Error(), "seven")
	}
}

func TestSpeedsDecoding(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]speeds{
		`["4G","5G"]`:                      {"4G", "5G"},
		` [ "3G" , "LTE" ] `:               {"3G", "LTE"},
		`["4G+","5G SA"]`:                  {"4G+", "5G SA"},
		`["4G\u002b"]`:                     {"4G+"},
		`["é4G"]`:                          {"é4G"},
		`[]`:                               nil,
		`null`:                             nil,
		`"4G"`:                             {"4G"},
		`"3G/4G/5G"`:                       {"3G", "4G", "5G"},
		`"4G, 5G"`:                         {"4G", "5G"},
		`""`:                               nil,
		`{"5G":true,"4G":true,"3G":false}`: {"4G", "5G"},
		`{"max":"5G"}`:                     {"5G"},
		`["4G",{"name":"5G"}]`:             {"4G", "5G"},
		`{"b":"5G","a":["3G",{"x":true}],"b":"4G"}`: {"3G", "x", "4G"},
		`true`: nil,
		`4`:    nil,
	} {
		var s speeds
		require.NoError(t, json.Unmarshal([]byte(in), &s), in)
		require.Equal(t, want, s, in)
		var v2 speeds
		require.NoError(t, lenient.UnmarshalV2([]byte(in), &v2), in)
		require.Equal(t, want, v2, in)
	}
	var s speeds
	require.Error(t, s.UnmarshalJSON([]byte(`["4G"`)))
	require.Error(t, s.UnmarshalJSON([]byte(`[4G]`)))
}

func TestCountryListDecoding(t *testing.T) {
	t.Parallel()
	tr := Country{Name: "Turkey", Region: "Europe", ISO: "TR"}
	for in, want := range map[string]countryList{
		`[{"name":"Turkey","region":"Europe","iso":"TR"}]`:                 {tr},
		` [ { "iso" : "TR" , "region" : "Europe" , "name" : "Turkey" } ] `: {tr},
		`[{"name":"Curaçao","region":"North America","iso":"CW"},{}]`:      {{Name: "Curaçao", Region: "North America", ISO: "CW"}, {}},
		`[{"name":"Turkey","region":"Europe","iso":"TR","extra":1}]`:       {tr},
		`[{"Name":"Turkey","REGION":"Europe","iso":"TR"}]`:                 {tr},
		`[{"name":"T\u00fcrkiye","iso":"TR"}]`:                             {{Name: "Türkiye", ISO: "TR"}},
		`["TR",{"iso":"US"}]`:                                              {{ISO: "TR"}, {ISO: "US"}},
		`[]`:                                                               nil,
		`null`:                                                             nil,
		`false`:                                                            nil,
		`true`:                                                             nil,
		`{"iso":"TR"}`:                                                     nil,
		`[{"iſo":"TR","name":7,"region":null}]`:                            {{Name: "7", ISO: "TR"}},
		`[null,{}]`:                                                        {{}, {}},
	} {
		var l countryList
		require.NoError(t, json.Unmarshal([]byte(in), &l), in)
		require.Equal(t, want, l, in)
		var v2 countryList
		require.NoError(t, lenient.UnmarshalV2([]byte(in), &v2), in)
		require.Equal(t, want, v2, in)
	}
	for _, bad := range []string{`[{"name":true}]`, `[1]`, `[{"name":"x"`, `[{"name":"x"},]`, `{`, `[[]]`} {
		var l countryList
		require.Error(t, l.UnmarshalJSON([]byte(bad)), bad)
	}
}
