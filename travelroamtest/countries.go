package travelroamtest

// Country is a country as the catalogue shows it: {"name", "region", "iso"}.
type Country struct {
	// Name is the English short name, e.g. "Turkey".
	Name string `json:"name"`
	// Region is the catalogue region, e.g. "Europe".
	Region string `json:"region"`
	// ISO is the ISO 3166-1 alpha-2 code, e.g. "TR".
	ISO string `json:"iso"`
}

// Regions that the catalogue serves, as accepted by the "region" filter.
// LATAM (discontinued) and Antarctica (not supported) match nothing.
const (
	RegionAfrica       = "Africa"
	RegionAsia         = "Asia"
	RegionEurope       = "Europe"
	RegionGlobal       = "Global"
	RegionMiddleEast   = "Middle East"
	RegionNorthAmerica = "North America"
	RegionOceania      = "Oceania"
	RegionSouthAmerica = "South America"
)

// region describes a regional bundle family: its code in bundle names and
// its display name in descriptions.
type region struct {
	name, code, display string
}

func regions() []region {
	return []region{
		{RegionAfrica, "RAF", "Africa"},
		{RegionAsia, "RAS", "Asia"},
		{RegionEurope, "REUP", "Europe+"},
		{RegionMiddleEast, "RME", "Middle East"},
		{RegionNorthAmerica, "RNA", "North America"},
		{RegionOceania, "ROC", "Oceania"},
		{RegionSouthAmerica, "RSA", "South America"},
		{RegionGlobal, "RGB", "Global"},
	}
}

// countryTable returns the countries with bundles, grouped by region.
// Puerto Rico (PR) and Antarctica (AQ) are deliberately absent: Travel
// Roam does not support them.
func countryTable() []Country {
	byRegion := []struct {
		region string
		list   [][2]string // iso, name
	}{
		{RegionEurope, [][2]string{
			{"GB", "United Kingdom"}, {"FR", "France"}, {"DE", "Germany"}, {"ES", "Spain"}, {"IT", "Italy"},
			{"PT", "Portugal"}, {"NL", "Netherlands"}, {"BE", "Belgium"}, {"LU", "Luxembourg"}, {"IE", "Ireland"},
			{"AT", "Austria"}, {"CH", "Switzerland"}, {"DK", "Denmark"}, {"SE", "Sweden"}, {"NO", "Norway"},
			{"FI", "Finland"}, {"IS", "Iceland"}, {"PL", "Poland"}, {"CZ", "Czech Republic"}, {"SK", "Slovakia"},
			{"HU", "Hungary"}, {"RO", "Romania"}, {"BG", "Bulgaria"}, {"GR", "Greece"}, {"HR", "Croatia"},
			{"SI", "Slovenia"}, {"RS", "Serbia"}, {"EE", "Estonia"}, {"LV", "Latvia"}, {"LT", "Lithuania"},
			{"MT", "Malta"}, {"CY", "Cyprus"}, {"TR", "Turkey"}, {"UA", "Ukraine"}, {"AL", "Albania"},
			{"ME", "Montenegro"}, {"MK", "North Macedonia"}, {"BA", "Bosnia and Herzegovina"}, {"MD", "Moldova"},
			{"GE", "Georgia"},
		}},
		{RegionAsia, [][2]string{
			{"JP", "Japan"}, {"KR", "South Korea"}, {"CN", "China"}, {"HK", "Hong Kong"}, {"MO", "Macau"},
			{"TW", "Taiwan"}, {"SG", "Singapore"}, {"MY", "Malaysia"}, {"TH", "Thailand"}, {"VN", "Vietnam"},
			{"ID", "Indonesia"}, {"PH", "Philippines"}, {"IN", "India"}, {"LK", "Sri Lanka"}, {"NP", "Nepal"},
			{"BD", "Bangladesh"}, {"PK", "Pakistan"}, {"KH", "Cambodia"}, {"LA", "Laos"}, {"UZ", "Uzbekistan"},
			{"KZ", "Kazakhstan"}, {"MN", "Mongolia"},
		}},
		{RegionMiddleEast, [][2]string{
			{"AE", "United Arab Emirates"}, {"SA", "Saudi Arabia"}, {"QA", "Qatar"}, {"KW", "Kuwait"},
			{"BH", "Bahrain"}, {"OM", "Oman"}, {"JO", "Jordan"}, {"IL", "Israel"}, {"IQ", "Iraq"}, {"LB", "Lebanon"},
		}},
		{RegionAfrica, [][2]string{
			{"EG", "Egypt"}, {"MA", "Morocco"}, {"TN", "Tunisia"}, {"ZA", "South Africa"}, {"KE", "Kenya"},
			{"TZ", "Tanzania"}, {"UG", "Uganda"}, {"NG", "Nigeria"}, {"GH", "Ghana"}, {"SN", "Senegal"},
			{"CI", "Ivory Coast"}, {"MU", "Mauritius"}, {"RW", "Rwanda"}, {"ZM", "Zambia"},
		}},
		{RegionNorthAmerica, [][2]string{
			{"US", "United States"}, {"CA", "Canada"}, {"MX", "Mexico"}, {"CR", "Costa Rica"}, {"PA", "Panama"},
			{"GT", "Guatemala"}, {"DO", "Dominican Republic"}, {"JM", "Jamaica"},
		}},
		{RegionSouthAmerica, [][2]string{
			{"BR", "Brazil"}, {"AR", "Argentina"}, {"CL", "Chile"}, {"CO", "Colombia"}, {"PE", "Peru"},
			{"EC", "Ecuador"}, {"BO", "Bolivia"}, {"UY", "Uruguay"}, {"PY", "Paraguay"}, {"VE", "Venezuela"},
		}},
		{RegionOceania, [][2]string{
			{"AU", "Australia"}, {"NZ", "New Zealand"}, {"FJ", "Fiji"}, {"PG", "Papua New Guinea"}, {"WS", "Samoa"},
		}},
	}
	var out []Country
	for _, r := range byRegion {
		for _, c := range r.list {
			out = append(out, Country{Name: c[1], Region: r.region, ISO: c[0]})
		}
	}
	return out
}
