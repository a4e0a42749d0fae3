package travelroamtest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Bundle is a bundle of the fake's catalogue, as tests see it (the wire
// shape is the contract's: see [Server.Bundles]).
type Bundle struct {
	// Name is the case-sensitive bundle code, e.g. "esim_1GB_7D_TR_V2".
	Name string
	// Description is the display name, e.g. "eSIM, 1GB, 7 Days, Turkey, V2".
	Description string
	// Groups are the bundle groups, e.g. "Standard Fixed".
	Groups []string
	// Countries are the base countries: one for a country bundle, all
	// covered ones for a regional or global bundle.
	Countries []Country
	// DataAmountMB is the data in decimal megabytes (1 GB = 1000 MB); -1
	// for an unlimited bundle.
	DataAmountMB int64
	// DurationDays is the validity in days.
	DurationDays int
	// Speed lists the radio technologies, e.g. "4G", "5G".
	Speed []string
	// Unlimited is true for an unlimited bundle.
	Unlimited bool
	// ImageURL is the country or region picture.
	ImageURL string
	// PriceCents is the price in US cents, taken from the wallet on purchase.
	PriceCents int64
	// BillingType is "FixedCost".
	BillingType string
	// RoamingEnabled lists extra countries where the bundle also works. Like
	// eSIM Go's real catalogue, most bundles have none and their answer
	// leaves the key out (nil); bundles of provider "U" send an empty list.
	RoamingEnabled []Country
	// Region is the catalogue region that the "region" filter matches:
	// the country's region, or the region of a regional bundle ("Global"
	// for global ones).
	Region string
	// Coverage is the ISO code of a country bundle or the code of a
	// regional one (e.g. "REUP"). A top-up must have the eSIM's coverage.
	Coverage string
	// Provider is the network provider family ("V2" or "U"). A top-up must
	// come from the eSIM's provider.
	Provider string
}

// DataBytes is the bundle's data in bytes (decimal: 1 GB = 10^9 bytes), or
// -1 when unlimited.
func (b Bundle) DataBytes() int64 {
	if b.Unlimited {
		return -1
	}
	return b.DataAmountMB * 1_000_000
}

type plan struct{ gb, days int }

const imageBase = "https://images.fake.local/esim/"

// newCatalogue builds the deterministic catalogue for seed: country bundles
// (limited "V2" ones everywhere, unlimited ones and a second provider "U"
// in some countries), then regional and global bundles.
func newCatalogue(seed uint64) []Bundle {
	rng := rand.New(rand.NewPCG(seed, 0x7261766c))
	countries := countryTable()
	var out []Bundle
	for _, c := range countries {
		out = append(out, countryBundles(rng, c)...)
	}
	for _, r := range regions() {
		out = append(out, regionalBundles(rng, r, countries)...)
	}
	return out
}

func countryBundles(rng *rand.Rand, c Country) []Bundle {
	perGB := 60 + rng.Int64N(240) // cents per GB
	base := 40 + rng.Int64N(80)   // fixed part in cents
	speeds := [][]string{{"3G", "4G"}, {"3G", "4G", "5G"}, {"4G", "5G"}, {"2G", "3G", "4G"}}
	speed := speeds[rng.IntN(len(speeds))]
	// These make the contract's well-known examples exist whatever the seed.
	alwaysUnlimited := []string{"TR", "US", "GB", "FR", "ES", "IT", "JP"}
	alwaysU := []string{"TR", "IN"}
	countries := []Country{c}
	image := imageBase + c.ISO + ".jpg"
	var out []Bundle
	for _, p := range []plan{{1, 7}, {2, 15}, {3, 30}, {5, 30}, {10, 30}, {20, 30}, {50, 30}} {
		out = append(out, limited(c.ISO, c.Name, c.Region, "V2", p, base+perGB*int64(p.gb), speed, countries, image))
	}
	if slices.Contains(alwaysUnlimited, c.ISO) || rng.IntN(100) < 40 {
		perDay := 150 + rng.Int64N(350)
		for _, d := range []int{1, 3, 5, 7, 10, 15, 30} {
			price := perDay * int64(d) * int64(100-2*min(d, 20)) / 100
			out = append(out, unlimited(c.ISO, c.Name, c.Region, d, price, speed, countries, image))
		}
	}
	if slices.Contains(alwaysU, c.ISO) || rng.IntN(100) < 20 {
		uPerGB := perGB + 10 + rng.Int64N(60)
		for _, p := range []plan{{1, 7}, {3, 30}, {10, 30}} {
			out = append(out, limited(c.ISO, c.Name, c.Region, "U", p, base+uPerGB*int64(p.gb), []string{"4G", "5G"}, countries, image))
		}
	}
	return out
}

func regionalBundles(rng *rand.Rand, r region, all []Country) []Bundle {
	var countries []Country
	for _, c := range all {
		if r.name == RegionGlobal || c.Region == r.name {
			countries = append(countries, c)
		}
	}
	perGB := 200 + rng.Int64N(300)
	image := imageBase + r.code + ".jpg"
	speed := []string{"3G", "4G", "5G"}
	var out []Bundle
	for _, p := range []plan{{1, 7}, {3, 30}, {5, 30}, {10, 30}, {20, 30}} {
		out = append(out, limited(r.code, r.display, r.name, "V2", p, 100+perGB*int64(p.gb), speed, countries, image))
	}
	if r.name == RegionEurope || r.name == RegionGlobal {
		out = append(out, unlimited(r.code, r.display, r.name, 7, 2500+rng.Int64N(2000), speed, countries, image))
	}
	return out
}

func limited(code, place, region, provider string, p plan, price int64, speed []string, countries []Country, image string) Bundle {
	name := fmt.Sprintf("esim_%dGB_%dD_%s_%s", p.gb, p.days, code, provider)
	var roaming []Country
	if provider == "U" {
		roaming = []Country{}
	}
	return Bundle{
		RoamingEnabled: roaming,
		Name:           name,
		Description:    fmt.Sprintf("eSIM, %dGB, %s, %s, %s", p.gb, days(p.days), place, provider),
		Groups:         []string{"Standard Fixed"},
		Countries:      countries,
		DataAmountMB:   int64(p.gb) * 1000,
		DurationDays:   p.days,
		Speed:          speed,
		ImageURL:       image,
		PriceCents:     price,
		BillingType:    "FixedCost",
		Region:         region,
		Coverage:       code,
		Provider:       provider,
	}
}

func unlimited(code, place, region string, d int, price int64, speed []string, countries []Country, image string) Bundle {
	return Bundle{
		Name:         fmt.Sprintf("esim_UL_%dD_%s_V2", d, code),
		Description:  fmt.Sprintf("eSIM, Unlimited, %s, %s, V2", days(d), place),
		Groups:       []string{"Standard Unlimited Essential"},
		Countries:    countries,
		DataAmountMB: -1,
		DurationDays: d,
		Speed:        speed,
		Unlimited:    true,
		ImageURL:     image,
		PriceCents:   price,
		BillingType:  "FixedCost",
		Region:       region,
		Coverage:     code,
		Provider:     "V2",
	}
}

func days(d int) string {
	if d == 1 {
		return "1 Day"
	}
	return fmt.Sprintf("%d Days", d)
}

// matchesCountries reports whether one of the bundle's base countries is
// in set.
func (b *Bundle) matchesCountries(set map[string]bool) bool {
	for _, c := range b.Countries {
		if set[c.ISO] {
			return true
		}
	}
	return false
}

// matchesDescription is the catalogue's wildcard search: case-insensitive,
// "*" and "%" match any run of characters, and a pattern without them
// matches anywhere in the description.
func (b *Bundle) matchesDescription(pattern string) bool {
	desc := strings.ToLower(b.Description)
	parts := strings.FieldsFunc(strings.ToLower(pattern), func(r rune) bool { return r == '*' || r == '%' })
	for _, p := range parts {
		i := strings.Index(desc, p)
		if i < 0 {
			return false
		}
		desc = desc[i+len(p):]
	}
	return true
}
