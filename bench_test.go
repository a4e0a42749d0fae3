package travelroam

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The decoding benchmarks compare the SDK's catalogue decoder with what a
// user would write by hand: encoding/json into plain structs with a
// float64 price and a []string speed.

type baselineCountry struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	ISO    string `json:"iso"`
}

type baselineAllowance struct {
	Type        string  `json:"type"`
	Service     string  `json:"service"`
	Description string  `json:"description"`
	Amount      float64 `json:"amount"`
	Unit        string  `json:"unit"`
	Unlimited   bool    `json:"unlimited"`
}

type baselineBundle struct {
	Name           string              `json:"name"`
	Description    string              `json:"description"`
	Groups         []string            `json:"groups"`
	Countries      []baselineCountry   `json:"countries"`
	DataAmount     int64               `json:"dataAmount"`
	Duration       int                 `json:"duration"`
	Speed          []string            `json:"speed"`
	Autostart      bool                `json:"autostart"`
	Unlimited      bool                `json:"unlimited"`
	RoamingEnabled []baselineCountry   `json:"roamingEnabled"`
	ImageURL       string              `json:"imageUrl"`
	Price          float64             `json:"price"`
	BillingType    string              `json:"billingType"`
	Allowances     []baselineAllowance `json:"allowances"`
}

type baselinePage struct {
	Bundles   []baselineBundle `json:"bundles"`
	PageCount int              `json:"pageCount"`
	Rows      int              `json:"rows"`
	PageSize  int              `json:"pageSize"`
}

var benchCountries = []baselineCountry{
	{"Turkey", "Europe", "TR"}, {"United States", "North America", "US"}, {"United Kingdom", "Europe", "GB"},
	{"France", "Europe", "FR"}, {"Germany", "Europe", "DE"}, {"Spain", "Europe", "ES"}, {"Italy", "Europe", "IT"},
	{"Japan", "Asia", "JP"}, {"Thailand", "Asia", "TH"}, {"India", "Asia", "IN"}, {"Brazil", "South America", "BR"},
	{"Mexico", "North America", "MX"}, {"Australia", "Oceania", "AU"}, {"Egypt", "Africa", "EG"},
	{"United Arab Emirates", "Middle East", "AE"}, {"South Africa", "Africa", "ZA"}, {"Canada", "North America", "CA"},
	{"Argentina", "South America", "AR"}, {"Indonesia", "Asia", "ID"}, {"Greece", "Europe", "GR"},
}

// catalogueBenchJSON returns a realistic catalogue page of n bundles:
// mostly single-country bundles, every tenth a regional one with 20
// countries, every seventh unlimited, a few with roaming countries and
// allowances.
func catalogueBenchJSON(n int) []byte {
	bundles := make([]baselineBundle, n)
	sizes := []int{1, 2, 3, 5, 10, 20, 50}
	days := []int{1, 7, 15, 30, 90}
	for i := range bundles {
		c := benchCountries[i%len(benchCountries)]
		gb, d := sizes[i%len(sizes)], days[i%len(days)]
		b := baselineBundle{
			Name:        fmt.Sprintf("esim_%dGB_%dD_%s_V2_%d", gb, d, c.ISO, i),
			Description: fmt.Sprintf("eSIM, %dGB, %d Days, %s, V2", gb, d, c.Name),
			Groups:      []string{"Standard Fixed"},
			Countries:   []baselineCountry{c},
			DataAmount:  int64(gb * 1000),
			Duration:    d,
			Speed:       []string{"3G", "4G", "5G"}[i%2:],
			Autostart:   i%3 != 0,
			ImageURL:    "https://esimgo-cms-images-prod.s3.eu-west-1.amazonaws.com/" + strings.ReplaceAll(c.Name, " ", "") + ".jpg",
			Price:       float64(100+i%4000) / 100,
			BillingType: "FixedCost",
		}
		if i%10 == 0 {
			b.Countries = benchCountries
		}
		if i%7 == 0 {
			b.Unlimited, b.DataAmount = true, -1
			b.Groups = []string{"Standard Unlimited Lite"}
		}
		if i%5 == 0 {
			b.RoamingEnabled = benchCountries[:2]
		} else {
			b.RoamingEnabled = []baselineCountry{}
		}
		if i%4 == 0 {
			b.Allowances = []baselineAllowance{{"DATA", "STANDARD", fmt.Sprintf("%dGB data", gb), float64(gb * 1000), "MB", b.Unlimited}}
		}
		bundles[i] = b
	}
	out, err := json.Marshal(baselinePage{Bundles: bundles, PageCount: 1, Rows: n, PageSize: n})
	if err != nil {
		panic(err)
	}
	return out
}

// BenchmarkDecodeCatalogue decodes a whole catalogue held in memory: the
// SDK's decodeCatalogue against json.Unmarshal into plain structs.
func BenchmarkDecodeCatalogue(b *testing.B) {
	for _, n := range []int{5000, 50000} {
		data := catalogueBenchJSON(n)
		b.Run(fmt.Sprintf("bundles=%d/impl=baseline", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				var page baselinePage
				if err := json.Unmarshal(data, &page); err != nil || len(page.Bundles) != n {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("bundles=%d/impl=sdk", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				page, err := decodeCatalogue(data)
				if err != nil || len(page.Bundles) != n {
					b.Fatal(err)
				}
			}
		})
	}
}
