package travelroam_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/qr"
	"github.com/roamkit/travelroam/travelroamtest"
)

// Buying an eSIM and showing its installation data: the activation code
// (for a QR code), the iPhone link and a QR code as PNG. The example runs
// against the fake Travel Roam server; with real credentials only
// NewClient changes.
func ExampleClient_ProcessOrder() {
	srv := travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(0))
	defer srv.Close()
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret,
		travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	order, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	switch {
	case errors.As(err, new(*travelroam.OutcomeUnknownError)):
		log.Fatal("the order may exist: check the balance before buying again: ", err)
	case errors.Is(err, travelroam.ErrUnavailable), errors.Is(err, travelroam.ErrRateLimited):
		log.Fatal("not processed; try again later: ", err)
	case err != nil:
		log.Fatal(err) // refused: unknown bundle, insufficient balance…
	}
	fmt.Println(order.Status, order.Total, order.Currency)

	esims, err := c.WaitForAssignments(ctx, order.Reference)
	if err != nil {
		log.Fatal(err) // *AssignmentsPendingError: the order exists, wait again later
	}
	code, err := esims[0].ActivationCode()
	if err != nil {
		log.Fatal(err)
	}
	// The code is a secret: hand it to the traveller, never log it.
	fmt.Println(strings.HasPrefix(code.LPA(), "LPA:1$rsp.fake.local$"))
	fmt.Println(strings.HasPrefix(code.AppleInstallURL(), "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24"))
	png, err := qr.PNG(code.LPA(), 256)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(http.DetectContentType(png))
	// Output:
	// completed 2.78 USD
	// true
	// true
	// image/png
}

// Topping up an eSIM: the same call with the eSIM's ICCID. The bundle must
// come from the same country and network provider as the eSIM; otherwise
// Travel Roam refuses it (an *APIError, nothing bought).
func ExampleClient_ProcessOrder_topUp() {
	srv := travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(0))
	defer srv.Close()
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret,
		travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()),
		travelroam.WithPurchaseInterval(0)) // only against a fake: Travel Roam needs 5 s
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	first, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	if err != nil {
		log.Fatal(err)
	}
	esims, err := c.WaitForAssignments(ctx, first.Reference)
	if err != nil {
		log.Fatal(err)
	}
	iccid := esims[0].ICCID // store it with your customer: top-ups need it

	topUp, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_3GB_30D_TR_V2", ICCID: iccid})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("top-up:", topUp.Status, topUp.Total, topUp.Currency)

	// A bundle of another provider does not fit this eSIM.
	_, err = c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_U", ICCID: iccid})
	var apiErr *travelroam.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("refused:", apiErr.StatusCode, apiErr.Message)
	}

	bundles, err := c.AppliedBundles(ctx, iccid)
	if err != nil {
		log.Fatal(err)
	}
	left, _ := travelroam.RemainingDataBytes(bundles, time.Now())
	fmt.Println("bundles:", len(bundles), "data left:", left/1_000_000, "MB")
	// Output:
	// top-up: completed 6.46 USD
	// refused: 400 Bundle is not compatible with this eSIM
	// bundles: 2 data left: 4000 MB
}
