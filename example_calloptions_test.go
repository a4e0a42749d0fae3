package travelroam_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// Per-call options: one more header and a shorter timeout for one call,
// a field the SDK does not know yet in a revoke's body, and a purchase
// that refuses a field not meant for it.
func ExampleCallOption() {
	srv := travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(0))
	defer srv.Close()
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret,
		travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	_, err = c.Organisation(ctx,
		travelroam.WithHeader("X-Proxy-Tenant", "shop-1"),
		travelroam.WithTimeout(5*time.Second),
		travelroam.WithCallRetries(1))
	if err != nil {
		log.Fatal(err)
	}
	reqs := srv.Requests()
	fmt.Println("header sent:", reqs[len(reqs)-1].Header.Get("X-Proxy-Tenant"))

	order, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	if err != nil {
		log.Fatal(err)
	}
	if err := c.RevokeESIM(ctx, order.ICCIDs()[0], travelroam.WithExtraField("reason", "lost phone")); err != nil {
		log.Fatal(err)
	}
	reqs = srv.Requests()
	fmt.Println("revoke body:", strings.ReplaceAll(string(reqs[len(reqs)-1].Body), string(order.ICCIDs()[0]), "<iccid>"))

	// A purchase takes only WithOrderField: nothing is sent.
	_, err = c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"},
		travelroam.WithExtraField("promo", "WINTER"))
	fmt.Println(errors.As(err, new(*travelroam.ValidationError)))
	// Output:
	// header sent: shop-1
	// revoke body: {"iccid":"<iccid>","reason":"lost phone"}
	// true
}

// Getting the status, header and request id of a successful call, for a
// support ticket. Here a proxy in front of the fake server tags each
// answer with X-Request-Id, as API gateways and CDNs do.
func ExampleWithResponseInto() {
	srv := travelroamtest.NewServer()
	defer srv.Close()
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-7f3a")
		srv.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, travelroam.WithBaseURL(proxy.URL+u.Path))
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseIdleConnections()

	var meta travelroam.Response
	if _, err := c.Organisation(context.Background(), travelroam.WithResponseInto(&meta)); err != nil {
		log.Fatal(err)
	}
	fmt.Println(meta.StatusCode, meta.RequestID(), meta.Attempts)
	// Output:
	// 200 req-7f3a 1
}
