package travelroamtest

import "strings"

// knownNetworks are real operators with their TADIG codes, one per
// country, for [KnownNetwork]. TURTS and FRAF1 are the codes of the
// contract's examples.
var knownNetworks = []Location{
	{MobileNetworkCode: "TURTS", NetworkName: "Turkcell Iletisim Hizmetleri A.S.", NetworkBrandName: "Turkcell", Country: "TR"},
	{MobileNetworkCode: "FRAF1", NetworkName: "Orange France", NetworkBrandName: "Orange", Country: "FR"},
	{MobileNetworkCode: "GBRVF", NetworkName: "Vodafone Limited", NetworkBrandName: "Vodafone UK", Country: "GB"},
	{MobileNetworkCode: "DEUD1", NetworkName: "Telekom Deutschland GmbH", NetworkBrandName: "Telekom", Country: "DE"},
	{MobileNetworkCode: "ESPTE", NetworkName: "Telefonica Moviles Espana", NetworkBrandName: "Movistar", Country: "ES"},
	{MobileNetworkCode: "NORTM", NetworkName: "Telenor Norge AS", NetworkBrandName: "Telenor", Country: "NO"},
	{MobileNetworkCode: "USACG", NetworkName: "AT&T Mobility", NetworkBrandName: "AT&T", Country: "US"},
	{MobileNetworkCode: "JPNDO", NetworkName: "NTT DOCOMO, INC.", NetworkBrandName: "docomo", Country: "JP"},
}

// KnownNetwork returns a real operator of the country (ISO alpha-2, e.g.
// "FR"), with its TADIG-style code, e.g. {"FRAF1", "Orange France",
// "Orange", "FR"}; found is false for a country the fake knows no operator
// of. [Server.SetLocation] uses it to fill a location given only its
// country.
func KnownNetwork(country string) (loc Location, found bool) {
	for _, n := range knownNetworks {
		if n.Country == strings.ToUpper(country) {
			return n, true
		}
	}
	return Location{}, false
}

// countryName is the English name of an ISO code for CountryChange
// callbacks, or the code itself when the catalogue has no such country.
func countryName(iso string) string {
	for _, c := range countryTable() {
		if c.ISO == iso {
			return c.Name
		}
	}
	return iso
}

// isISOAlpha2 reports whether s is two upper-case ASCII letters.
func isISOAlpha2(s string) bool {
	return len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}
