package travelroam

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The fuzz targets check that the decoders never panic and always return
// either a value or an error. Seeds are the testdata fixtures; run one
// with e.g. go test -fuzz=FuzzDecodeCatalogue -fuzztime=10s.

var catalogueSeeds = []string{
	"catalogue_wrapped.json", "catalogue_array.json", "catalogue_data.json",
	"bundle.json", "bundle_wrapped.json", "bundle_data.json",
}

func FuzzDecodeCatalogue(f *testing.F) {
	for _, name := range catalogueSeeds {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"bundles":[{"speed":"4G","roamingEnabled":false,"price":"1.00"}],"pageCount":"2"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		page, err := decodeCatalogue(data)
		if (page == nil) == (err == nil) {
			t.Fatalf("want a page or an error, got %v, %v", page, err)
		}
		if err != nil {
			return
		}
		// What was decoded can be stored and read back.
		b, err := json.Marshal(page.Bundles)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var again []Bundle
		if err := json.Unmarshal(b, &again); err != nil || len(again) != len(page.Bundles) {
			t.Fatalf("round trip: %v (%d vs %d bundles)", err, len(again), len(page.Bundles))
		}
	})
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

// FuzzFastPaths checks that the fast decoders of catalogues, bundles,
// speeds and countries agree with the full ones (encoding/json) whenever
// they accept the input.
func FuzzFastPaths(f *testing.F) {
	for _, name := range catalogueSeeds {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`["4G","5G"]`))
	f.Add([]byte(`[{"name":"Turkey","region":"Europe","iso":"TR"}, {}, "GB", null]`))
	f.Add([]byte(`{"name":"x","groups":["a",null],"allowances":[null,{"amount":1e2}],"dataAmount":-0}`))
	f.Add([]byte(`["\ud83d\ude00 \u00e9\/"]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		assertFastMatchesFull(t, data)
	})
}

func FuzzDecodeOrganisation(f *testing.F) {
	for _, name := range []string{"organisation_wrapped.json", "organisation_flat.json", "organisation_data.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`[{"balance":"1.5"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		org, err := decodeOrganisation(data)
		if (org == nil) == (err == nil) {
			t.Fatalf("want an organisation or an error, got %v, %v", org, err)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"7", "0", "-1", "3600", "99999999999999999999", "soon", " 12 ",
		now.Add(time.Minute).Format(http.TimeFormat), now.Add(-time.Minute).Format(http.TimeFormat), "Sun Mar  1 12:00:05 2026"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		if d < 0 {
			t.Fatalf("%q: negative %v", s, d)
		}
		if !ok && d != 0 {
			t.Fatalf("%q: not ok but %v", s, d)
		}
		if d > 365*24*time.Hour+time.Second && !isHTTPDate(s) {
			t.Fatalf("%q: %v exceeds the cap", s, d)
		}
	})
}

func isHTTPDate(s string) bool {
	_, err := http.ParseTime(s)
	return err == nil
}

func FuzzAmount(f *testing.F) {
	for _, s := range []string{"1.85", "0.10", "-3", "1.5e2", "1e-2", "", "abc", "123456789012345678", "0.000000000000000001", "+.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			if !a.IsZero() {
				t.Fatalf("%q: error with a value %v", s, a)
			}
			return
		}
		// The text form parses back to the same amount, digits included.
		text := a.String()
		b, err := ParseAmount(text)
		if err != nil || b.String() != text || b.Cmp(a) != 0 {
			t.Fatalf("%q: %q parses back as %v, %v", s, text, b, err)
		}
		// JSON number and JSON string agree.
		var fromNumber, fromString Amount
		js, _ := a.MarshalJSON()
		if err := json.Unmarshal(js, &fromNumber); err != nil || fromNumber.Cmp(a) != 0 {
			t.Fatalf("%q: JSON number %s: %v, %v", s, js, fromNumber, err)
		}
		if err := json.Unmarshal([]byte(strconv.Quote(text)), &fromString); err != nil || fromString.String() != text {
			t.Fatalf("%q: JSON string: %v, %v", s, fromString, err)
		}
		if sum, err := a.Add(Amount{}); err != nil || sum.Cmp(a) != 0 {
			t.Fatalf("%q: a+0 = %v, %v", s, sum, err)
		}
		if diff, err := a.Sub(a); err == nil && !diff.IsZero() {
			t.Fatalf("%q: a-a = %v", s, diff)
		}
	})
}
