package travelroam_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

func ExampleNewClient() {
	// Sandbox is the default: nothing costs real money there.
	c, err := travelroam.NewClient("my-api-key", "my-client-secret")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.BaseURL())

	live, err := travelroam.NewClient("my-api-key", "my-client-secret",
		travelroam.WithBaseURL(travelroam.LiveURL),
		travelroam.WithUserAgent("myshop/1.0"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(live.BaseURL())
	fmt.Println(live) // the credentials are never printed
	// Output:
	// https://sandbox.travelroam.com/api/whitelabel
	// https://travelroam.com/api/whitelabel
	// travelroam.Client{BaseURL: https://travelroam.com/api/whitelabel, APIKey: [redacted], ClientSecret: [redacted]}
}

func ExampleClient_Catalogue() {
	srv := fakeTravelRoam()
	defer srv.Close()
	c, err := travelroam.NewClient("my-api-key", "my-client-secret", travelroam.WithBaseURL(srv.URL+"/api/whitelabel"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseIdleConnections()

	page, err := c.Catalogue(context.Background(), travelroam.CatalogueOptions{
		Countries: []string{"TR", "GB"},
		PerPage:   2,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range page.Bundles {
		fmt.Printf("%s: %d MB, %d days, %s USD\n", b.Name, b.DataAmountMB, b.DurationDays, b.Price)
	}
	fmt.Println("pages:", page.PageCount)
	// Output:
	// esim_1GB_7D_TR_V2: 1000 MB, 7 days, 1.85 USD
	// esim_3GB_30D_TR_V2: 3000 MB, 30 days, 4.10 USD
	// pages: 2
}

func ExampleClient_CatalogueAll() {
	srv := fakeTravelRoam()
	defer srv.Close()
	c, err := travelroam.NewClient("my-api-key", "my-client-secret", travelroam.WithBaseURL(srv.URL+"/api/whitelabel"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseIdleConnections()

	// Every page, and any number of countries: the SDK splits long lists.
	opts := travelroam.CatalogueOptions{Countries: []string{"TR", "GB"}, PerPage: 2}
	for b, err := range c.CatalogueAll(context.Background(), opts) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(b.Name, b.CountryCodes(), b.Unlimited)
	}
	// Output:
	// esim_1GB_7D_TR_V2 [TR] false
	// esim_3GB_30D_TR_V2 [TR] false
	// esim_UL_1D_GB_V2 [GB] true
}

func ExampleClient_Organisation() {
	srv := fakeTravelRoam()
	defer srv.Close()
	c, err := travelroam.NewClient("my-api-key", "my-client-secret", travelroam.WithBaseURL(srv.URL+"/api/whitelabel"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseIdleConnections()

	org, err := c.Organisation(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(org.Name, org.Balance, org.Currency)

	// Amounts are exact: no float rounding.
	price, _ := travelroam.ParseAmount("1.85")
	left, _ := org.Balance.Sub(price)
	fmt.Println("after one bundle:", left)
	// Output:
	// Acme Travel Ltd 482.37 USD
	// after one bundle: 480.52
}

// fakeTravelRoam serves canned answers for the examples, the way a test
// of your own code could.
func fakeTravelRoam() *httptest.Server {
	bundles := []map[string]any{
		{"name": "esim_1GB_7D_TR_V2", "countries": []map[string]string{{"name": "Turkey", "region": "Europe", "iso": "TR"}},
			"dataAmount": 1000, "duration": 7, "price": 1.85, "unlimited": false},
		{"name": "esim_3GB_30D_TR_V2", "countries": []map[string]string{{"name": "Turkey", "region": "Europe", "iso": "TR"}},
			"dataAmount": 3000, "duration": 30, "price": "4.10", "unlimited": false},
		{"name": "esim_UL_1D_GB_V2", "countries": []map[string]string{{"name": "United Kingdom", "region": "Europe", "iso": "GB"}},
			"dataAmount": -1, "duration": 1, "price": 5, "unlimited": true},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/whitelabel/catalogue", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Page, PerPage int }
		_ = json.NewDecoder(r.Body).Decode(&req)
		page, per := max(req.Page, 1), max(req.PerPage, 1)
		from, to := min((page-1)*per, len(bundles)), min(page*per, len(bundles))
		_ = json.NewEncoder(w).Encode(map[string]any{
			"bundles": bundles[from:to], "pageCount": (len(bundles) + per - 1) / per, "rows": len(bundles),
		})
	})
	mux.HandleFunc("GET /api/whitelabel/organisation", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"organisations":[{"name":"Acme Travel Ltd","currency":"USD","balance":482.37}]}`))
	})
	return httptest.NewServer(mux)
}

// Overriding an operation's route, for when Travel Roam's real route turns
// out to differ from the SDK's guess (the organisation and revoke routes
// are guesses): here GET /organization, the changelog's spelling, which
// the fake server also answers. Only the method and the path change.
func ExampleWithRoute() {
	srv := travelroamtest.NewServer()
	defer srv.Close()
	def, _ := travelroam.OpOrganisation.DefaultRoute()
	fmt.Println("default:", def.Method, def.Path)

	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret,
		travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()),
		travelroam.WithRoute(travelroam.OpOrganisation, travelroam.Route{Method: http.MethodGet, Path: "/organization"}))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Organisation(context.Background()); err != nil {
		log.Fatal(err)
	}
	reqs := srv.Requests()
	last := reqs[len(reqs)-1]
	fmt.Println("sent:", last.Method, last.Route)

	// A route that is not one is refused when the Client is made.
	_, err = travelroam.NewClient(srv.APIKey, srv.ClientSecret,
		travelroam.WithRoute(travelroam.OpOrganisation, travelroam.Route{Method: http.MethodGet, Path: "organization"}))
	var invalid *travelroam.ValidationError
	fmt.Println("refused:", errors.As(err, &invalid))
	// Output:
	// default: GET /organisation
	// sent: GET /organization
	// refused: true
}
