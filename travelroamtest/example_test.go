package travelroamtest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/roamkit/travelroam/travelroamtest"
)

// The fake answers like the real API; tests usually reach it through the
// SDK with travelroam.WithBaseURL(srv.URL) and
// travelroam.WithHTTPClient(srv.Client()). Here plain net/http shows the
// wire.
func ExampleNewServer() {
	srv := travelroamtest.NewServer()
	defer srv.Close()
	srv.InjectFault(travelroamtest.RouteBundle,
		travelroamtest.Status(503, "Service temporarily unavailable").WithRetryAfter("30"))

	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/bundle", strings.NewReader(`{"bundlename":"esim_1GB_7D_TR_V2"}`))
		req.Header.Set("X-API-KEY", srv.APIKey)
		req.Header.Set("Clientsecret", srv.ClientSecret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"), string(body[:40]))
	}
	fmt.Println(srv.RequestCount(travelroamtest.RouteBundle), "requests")
	// Output:
	// 503 30 {"message":"Service temporarily unavaila
	// 200  {"name":"esim_1GB_7D_TR_V2","description
	// 2 requests
}

// Test hooks move an eSIM through its life: install it, use data (which
// starts the bundle and sends usage callbacks when configured), expire it.
func ExampleServer_ConsumeData() {
	srv := travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(0))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/processorders",
		strings.NewReader(`{"bundleName":"esim_1GB_7D_TR_V2","orderType":"COUNTRY"}`))
	req.Header.Set("X-API-KEY", srv.APIKey)
	req.Header.Set("Clientsecret", srv.ClientSecret)
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()

	iccid := srv.Orders()[0].ICCID
	fmt.Println(srv.InstallESIM(iccid))
	fmt.Println(srv.ConsumeData(req.Context(), iccid, 400_000_000))
	fmt.Println(srv.ConsumeData(req.Context(), iccid, 700_000_000))
	// Output:
	// <nil>
	// <nil>
	// travelroamtest: no data left on the eSIM: 100000000 of 700000000 bytes not consumed
}
