package travelroam

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
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
		Countries:    CountryList{{Name: "Turkey", Region: "Europe", ISO: "TR"}},
		DataAmountMB: 1000,
		DurationDays: 7,
		Speed:        Speeds{"4G", "5G"},
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
			require.Equal(t, Speeds{"4G"}, b.Speed)
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
	} {
		b, err := decodeBundle([]byte(body))
		require.NoError(t, err, body)
		require.Equal(t, want, b.Name, body)
	}
	for _, bad := range []string{``, `null`, `{}`, `[]`, `{"bundles":[]}`, `{"message":"ok"}`, `{"name":1}`, `"x"`} {
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
}

func TestSpeedsDecoding(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Speeds{
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
		`true`:                             nil,
		`4`:                                nil,
	} {
		var s Speeds
		require.NoError(t, json.Unmarshal([]byte(in), &s), in)
		require.Equal(t, want, s, in)
	}
	var s Speeds
	require.Error(t, s.UnmarshalJSON([]byte(`["4G"`)))
	require.Error(t, s.UnmarshalJSON([]byte(`[4G]`)))
}

func TestCountryListDecoding(t *testing.T) {
	t.Parallel()
	tr := Country{Name: "Turkey", Region: "Europe", ISO: "TR"}
	for in, want := range map[string]CountryList{
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
	} {
		var l CountryList
		require.NoError(t, json.Unmarshal([]byte(in), &l), in)
		require.Equal(t, want, l, in)
	}
	for _, bad := range []string{`[{"name":1}]`, `[1]`, `[{"name":"x"`, `[{"name":"x"},]`, `{`} {
		var l CountryList
		require.Error(t, l.UnmarshalJSON([]byte(bad)), bad)
	}
}

// TestFastPathsMatchFullPaths checks that the fast paths give exactly
// what the full decoding gives, on inputs chosen to be awkward.
func TestFastPathsMatchFullPaths(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`["4G","5G"]`, `[ "a" ,"b"]`, `["\u00e9"]`, `["x\"y"]`, `["tab\there"]`, "[\"\xff\"]", `[]`, `null`,
		`["\ud83d\ude00"]`, `["\ud83d"]`, `["\ud83dx"]`, `["\udc00\ud83d"]`, `["\/\b\f\n\r\t"]`, `["a",]`, `["a"`,
		`[{"name":"Åland","region":"Europe","iso":"AX"}]`, `[{"iso":"TR","iso":"US"}]`, `[{"name":"a\nb"}]`,
		`[{"name":null}]`, `[{"region":"Europe"},{"region":"Asia"}]`, `["TR",null,{}]`, `[{"ISO":"TR"}]`,
		`[{"iſo":"TR"}]`, `[{"x":[1,{"y":null}]}]`, `true`, `false`, `[1]`, `[{"name":1}]`, ` [ ] `,
		`{"name":"a","Name":"b"}`, `{"name":"a","name":"b"}`, `{"groups":["a"],"groups":[null]}`,
		`{"bundles":[{"name":"a","groups":["x"]}],"bundles":[{"groups":[null]}]}`, `{"dataAmount":1.0}`,
		`{"duration":99999999999999999999}`, `{"price":"1.5"}`, `{"price":"x"}`, `{"price":null,"unlimited":null}`,
		`{"speed":"4G/5G","roamingEnabled":false}`, `{"allowances":[{"amount":"1"}]}`, `{"allowances":[null,{}]}`,
		`{"name":"\u0000","description":"\ud800\udc00"}`, `[{"name":"a"},null]`, `{"bundles":null,"data":[{"name":"d"}]}`,
		`{"bundles":[],"pageCount":"3","rows":{},"pageSize":[1]}`, `{"data":{"data":{"bundles":[{"name":"b"}]}},"rows":5}`,
	} {
		assertFastMatchesFull(t, []byte(in))
	}
	deep := `{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`
	assertFastMatchesFull(t, []byte(deep))
	_, _, ok := fastCatalogue([]byte(deep))
	require.False(t, ok, "nesting beyond encoding/json's limit is left to it")
	for _, dup := range []string{`{"name":"a","name":"b"}`, `{"Name":"b"}`, `{"nAME":"b"}`, `{"ſpeed":[]}`} {
		r := &fastReader{b: []byte(dup)}
		require.False(t, r.bundle(&Bundle{}, 0), dup)
	}
	for _, name := range catalogueSeeds {
		assertFastMatchesFull(t, fixture(t, name))
	}
	assertFastMatchesFull(t, catalogueBenchJSON(50))
}

// assertFastMatchesFull decodes data with each fast path and with the
// full path it stands for, and fails on any difference.
func assertFastMatchesFull(t testing.TB, data []byte) {
	t.Helper()
	if got, ok := fastSpeeds(data); ok {
		want, err := decodeSpeeds(data)
		if err != nil || !reflect.DeepEqual([]string(got), want) {
			t.Fatalf("speeds %q: fast %#v, full %#v, %v", data, got, want, err)
		}
	}
	if got, ok := fastCountries(data); ok {
		want, err := decodeCountries(data)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("countries %q: fast %#v, full %#v, %v", data, got, want, err)
		}
	}
	if page, rest, ok := fastCatalogue(data); ok {
		page.Bundles = nonEmpty(page.Bundles)
		got, gotErr := withData(page, rest, 0)
		want, wantErr := decodeCatalogueStd(data)
		if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("catalogue %q: fast %#v, %v; full %#v, %v", data, got, gotErr, want, wantErr)
		}
	}
	r := &fastReader{b: data}
	var got Bundle
	if r.bundle(&got, 0) && r.end() {
		var want Bundle
		if err := json.Unmarshal(data, &want); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("bundle %q: fast %#v, full %#v, %v", data, got, want, err)
		}
	}
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

// TestFastDecodeRandomDocuments builds thousands of catalogue pages from
// awkward pieces (escapes, nulls, wrong types, odd keys, duplicates,
// white space) and checks the fast path against encoding/json on each.
func TestFastDecodeRandomDocuments(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(options ...string) string { return options[rng.IntN(len(options))] }
	str := func() string {
		return pick(`"plain"`, `""`, `"é ü 東京"`, `"esc \" \\ \/ \n \t"`, `"\u00e9\u0000"`, `"\ud83d\ude00"`, `"\ud83d"`,
			"\"bad \xff utf8\"", `null`, `1`, `true`, `[]`, `{}`)
	}
	values := map[string]func() string{
		"name": str, "description": str, "imageUrl": str, "billingType": str,
		"groups": func() string {
			return pick(`["Standard Fixed"]`, `[]`, `null`, `["a",null,"b"]`, `[1]`, `"x"`, `["\u0041"]`)
		},
		"countries": func() string {
			return pick(`[{"name":"Turkey","region":"Europe","iso":"TR"}]`, `[]`, `null`, `["TR"]`, `false`, `[{"NAME":"x"}]`, `[{"iso":"T\u0052","extra":[1,{}]}]`, `[1]`, `{}`)
		},
		"dataAmount": func() string {
			return pick(`1000`, `-1`, `0`, `1.5`, `1e3`, `"1000"`, `null`, `99999999999999999999`, `-0`)
		},
		"duration": func() string { return pick(`7`, `30`, `0`, `7.0`, `"7"`, `null`, `true`) },
		"speed": func() string {
			return pick(`["4G","5G"]`, `"4G/5G"`, `{"5G":true}`, `[]`, `null`, `["4\u0047"]`, `[1]`, `7`)
		},
		"autostart": func() string { return pick(`true`, `false`, `null`, `1`, `"true"`) },
		"unlimited": func() string { return pick(`true`, `false`, `null`, `0`) },
		"roamingEnabled": func() string {
			return pick(`[]`, `false`, `null`, `[{"name":"Jersey","region":"Europe","iso":"JE"}]`, `["GG",null]`, `true`, `"x"`, `[[]]`)
		},
		"price": func() string {
			return pick(`1.85`, `"4.10"`, `3`, `null`, `""`, `"abc"`, `1e400`, `-0.5`, `true`, `"1\u002e5"`)
		},
		"allowances": func() string {
			return pick(`[{"type":"DATA","service":"STANDARD","description":"d","amount":1000,"unit":"MB","unlimited":false}]`,
				`[]`, `null`, `[null,{}]`, `[{"amount":"1"}]`, `[{"amount":1e400}]`, `[{"Amount":2}]`, `[{"extra":{"x":[null]}}]`, `{}`)
		},
	}
	keys := slices.Sorted(maps.Keys(values))
	ws := func() string { return pick("", "", " ", "\n\t ") }
	bundle := func() string {
		if rng.IntN(40) == 0 {
			return pick(`null`, `1`, `"x"`, `[]`)
		}
		var parts []string
		for _, k := range keys {
			if rng.IntN(6) == 0 {
				continue
			}
			key := k
			switch rng.IntN(60) {
			case 0:
				key = strings.ToUpper(k[:1]) + k[1:]
			case 1:
				parts = append(parts, `"`+k+`":`+values[k]()) // a duplicate
			case 2:
				key = "unknown_" + k
			}
			parts = append(parts, ws()+`"`+key+`"`+ws()+":"+ws()+values[k]()+ws())
		}
		rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		return "{" + strings.Join(parts, ",") + "}"
	}
	accepted := 0
	const docs = 3000
	for range docs {
		list := make([]string, rng.IntN(4))
		for i := range list {
			list[i] = bundle()
		}
		arr := "[" + strings.Join(list, ","+ws()) + "]"
		doc := pick(
			`{"bundles":`+arr+`,"pageCount":`+pick(`2`, `"3"`, `null`, `{}`)+`,"rows":5}`,
			arr,
			`{"data":{"bundles":`+arr+`},"pageSize":`+pick(`1`, `"2"`)+`}`,
			`{"extra":[1,2,{"a":null}],"bundles":`+arr+`}`,
		)
		assertFastMatchesFull(t, []byte(doc))
		if _, _, ok := fastCatalogue([]byte(doc)); ok {
			accepted++
		}
	}
	require.Greater(t, accepted, docs/10, "the fast path must be exercised")
	t.Logf("fast path accepted %d of %d documents", accepted, docs)
}

// TestDecodersBoundWrapperNesting: deeply nested {"data": …} wrappers are
// refused quickly instead of costing quadratic time.
func TestDecodersBoundWrapperNesting(t *testing.T) {
	t.Parallel()
	nest := func(inner string, n int) []byte {
		return []byte(strings.Repeat(`{"data":`, n) + inner + strings.Repeat(`}`, n))
	}
	deep := 9000
	_, err := decodeOrganisation(nest(`{"name":"x"}`, deep))
	require.ErrorIs(t, err, errWrappersTooDeep)
	_, err = decodeBundle(nest(`{"name":"x"}`, deep))
	require.ErrorIs(t, err, errWrappersTooDeep)
	_, err = decodeCatalogue(nest(`{"bundles":[{"name":"x"}]}`, deep))
	require.ErrorIs(t, err, errWrappersTooDeep)
	// A few levels are still fine.
	o, err := decodeOrganisation(nest(`{"name":"x"}`, 2))
	require.NoError(t, err)
	require.Equal(t, "x", o.Name)
	p, err := decodeCatalogue(nest(`{"bundles":[{"name":"x"}]}`, 2))
	require.NoError(t, err)
	require.Len(t, p.Bundles, 1)
}
