package travelroam_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// exampleServer stands in for Travel Roam in the examples: it answers each
// route with canned JSON.
func exampleServer() *httptest.Server {
	answers := map[string]string{
		"/api/whitelabel/getesimassignments": `{"iccid":"8944538532012345678","matchingId":"K2-1Z8QAB-3XYV7P",
			"smdpAddress":"rsp.truphone.com","profileStatus":"Released"}`,
		"/api/whitelabel/esims/applied/bundles": `{"bundles":[{"name":"esim_1GB_7D_TR_V2",
			"description":"eSIM, 1GB, 7 Days, Turkey, V2","assignments":[
			{"id":"215009266","callTypeGroup":"data","initialQuantity":1000000000,"remainingQuantity":734003200,
			 "startTime":"2025-03-05T08:00:12Z","endTime":"2025-03-12T08:00:12Z","bundleState":"active"},
			{"id":"215009301","callTypeGroup":"data","initialQuantity":1000000000,"remainingQuantity":1000000000,
			 "bundleState":"Queued"}]}]}`,
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := answers[r.URL.Path]
		if !ok {
			http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
}

// After a purchase, wait for the eSIM's installation data, then give the
// traveller the activation code (for a QR code, see package qr) and the
// iPhone one-tap link. The activation code is a secret: show it to its
// buyer only, never log it.
func ExampleClient_WaitForAssignments() {
	srv := exampleServer()
	defer srv.Close()
	c, err := travelroam.NewClient("my-api-key", "my-client-secret", travelroam.WithBaseURL(srv.URL+"/api/whitelabel"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseIdleConnections()

	ctx, cancel := context.WithTimeout(context.Background(), 11*time.Minute)
	defer cancel()
	orderReference := "6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10" // from the purchase
	assignments, err := c.WaitForAssignments(ctx, orderReference,
		travelroam.WithProgress(func(attempt int, next time.Duration) {
			fmt.Printf("not ready after %d attempts, next in %s\n", attempt, next)
		}))
	if err != nil {
		// errors.As(err, new(*travelroam.AssignmentsPendingError)): the order exists;
		// wait again later, never buy again.
		log.Fatal(err)
	}
	for _, a := range assignments {
		code, err := a.ActivationCode()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("eSIM", a.ICCID, a.ProfileStatus)
		fmt.Println(code)       // printed by mistake: the matching ID is masked
		fmt.Println(code.LPA()) // for the QR code, shown to the buyer only
		fmt.Println(code.AppleInstallURL())
	}
	// Output:
	// eSIM …5678 Released
	// {rsp.truphone.com [redacted]  false}
	// LPA:1$rsp.truphone.com$K2-1Z8QAB-3XYV7P
	// https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24rsp.truphone.com%24K2-1Z8QAB-3XYV7P
}

// Show the traveller how much data is left, when they ask (Travel Roam asks
// not to poll this or store it).
func ExampleRemainingDataBytes() {
	srv := exampleServer()
	defer srv.Close()
	c, err := travelroam.NewClient("my-api-key", "my-client-secret", travelroam.WithBaseURL(srv.URL+"/api/whitelabel"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseIdleConnections()

	bundles, err := c.AppliedBundles(context.Background(), "8944538532012345678")
	if err != nil {
		log.Fatal(err)
	}
	now := time.Date(2025, 3, 6, 12, 0, 0, 0, time.UTC) // time.Now() in real code
	for _, b := range bundles {
		for _, a := range b.Assignments {
			fmt.Printf("%s [%s]: %.0f%% used, ended: %t\n", b.Description, a.BundleState, 100*a.UsedFraction(), a.Ended(now))
		}
	}
	remaining, unlimited := travelroam.RemainingDataBytes(bundles, now)
	if unlimited {
		fmt.Println("Data left: unlimited")
	} else {
		fmt.Printf("Data left: %.2f GB\n", float64(remaining)/1e9)
	}
	// Output:
	// eSIM, 1GB, 7 Days, Turkey, V2 [active]: 27% used, ended: false
	// eSIM, 1GB, 7 Days, Turkey, V2 [queued]: 0% used, ended: false
	// Data left: 1.73 GB
}

// Revoking an eSIM: it leaves the account at once, for good, with no
// refund. A revoke whose answer was lost is an *OutcomeUnknownError: the
// eSIM may be gone already, so look it up before revoking again. Here the
// fake server revokes, then drops the connection before answering.
func ExampleClient_RevokeESIM() {
	srv := travelroamtest.NewServer()
	defer srv.Close()
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret,
		travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()),
		travelroam.WithPurchaseInterval(0)) // only against a fake: Travel Roam needs 5 s
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	var iccids []travelroam.ICCID
	for range 2 {
		order, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		if err != nil {
			log.Fatal(err)
		}
		iccids = append(iccids, order.ICCIDs()...)
	}

	if err := c.RevokeESIM(ctx, iccids[0]); err != nil {
		log.Fatal(err)
	}
	_, err = c.ESIM(ctx, iccids[0])
	fmt.Println("revoked, no longer found:", errors.Is(err, travelroam.ErrNotFound))

	srv.InjectFault(travelroamtest.RouteRevoke, travelroamtest.ResetAfterHandling())
	err = c.RevokeESIM(ctx, iccids[1])
	var unknown *travelroam.OutcomeUnknownError
	if errors.As(err, &unknown) {
		_, err := c.ESIM(ctx, iccids[1])
		fmt.Println("outcome unknown; revoked after all:", errors.Is(err, travelroam.ErrNotFound))
	}
	// Output:
	// revoked, no longer found: true
	// outcome unknown; revoked after all: true
}
