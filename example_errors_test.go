package travelroam_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// exampleClient returns a Client of the fake Travel Roam server srv.
// Purchases are not paced, which only a fake allows (Travel Roam asks for
// 5 s between them).
func exampleClient(srv *travelroamtest.Server, opts ...travelroam.Option) *travelroam.Client {
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, append([]travelroam.Option{
		travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()),
		travelroam.WithPurchaseInterval(0)}, opts...)...)
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// An answer other than a success is an *APIError: its status, the
// server's message (secrets masked), the Retry-After of a 429 or 503, and
// the request id a proxy or the server gave it, for a support ticket.
// errors.Is matches it against the status sentinels (ErrNotFound,
// ErrUnauthorized, ErrRateLimited, ErrUnavailable, ErrGone). Here a proxy
// in front of the fake server tags each answer with X-Request-Id, as API
// gateways and CDNs do.
func ExampleAPIError() {
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
	ctx := context.Background()

	_, err = c.ESIM(ctx, "8944500000000000000") // not one of ours
	var apiErr *travelroam.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Message, apiErr.RequestID())
	}
	fmt.Println("not found:", errors.Is(err, travelroam.ErrNotFound))

	// Reads are retried on a 429; WithCallRetries(0) shows the first
	// answer.
	srv.InjectFault(travelroamtest.RouteOrganisation, travelroamtest.RateLimited())
	_, err = c.Organisation(ctx, travelroam.WithCallRetries(0))
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, "retry after", apiErr.RetryAfter)
	}
	fmt.Println("rate limited:", errors.Is(err, travelroam.ErrRateLimited))
	// Output:
	// 400 ICCID not found req-7f3a
	// not found: true
	// 429 retry after 1s
	// rate limited: true
}

// Input the SDK can tell is wrong is refused before anything is sent,
// with a *ValidationError naming the field and what to do instead.
func ExampleValidationError() {
	srv := travelroamtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv)

	_, err := c.ESIM(context.Background(), "89-44-50")
	var invalid *travelroam.ValidationError
	if errors.As(err, &invalid) {
		fmt.Println(invalid.Op, invalid.Field) // and the Reason: what to send instead
	}
	fmt.Println("requests sent:", len(srv.Requests()))
	// Output:
	// eSIM details ICCID
	// requests sent: 0
}

// A purchase whose answer never came may have bought the eSIM: an
// *OutcomeUnknownError. Do not buy again blindly: the SDK keeps its Key
// in the purchase journal and refuses to send it again until the outcome
// is decided (see Client.ResolvePurchase). Here the fake server creates
// the order, then drops the connection before answering.
func ExampleOutcomeUnknownError() {
	srv := travelroamtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv)
	srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.ResetAfterHandling())

	_, err := c.ProcessOrder(context.Background(), travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2", Key: "order-1001"})
	var unknown *travelroam.OutcomeUnknownError
	if errors.As(err, &unknown) {
		fmt.Println(unknown.Op, unknown.Key, unknown.BundleName, !unknown.SentAt.IsZero())
	}
	fmt.Println("orders the server made:", len(srv.Orders()))
	// Output:
	// process order order-1001 esim_1GB_7D_TR_V2 true
	// orders the server made: 1
}

// A Key is bought at most once: the purchase journal remembers it, and a
// second ProcessOrder with the same Key sends nothing and returns an
// *AlreadyAttemptedError with the earlier attempt (its outcome, and the
// order reference of a success).
func ExampleAlreadyAttemptedError() {
	srv := travelroamtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv)
	ctx := context.Background()
	req := travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2", Key: "order-1001"}

	order, err := c.ProcessOrder(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.ProcessOrder(ctx, req) // a retry of the same customer order
	var again *travelroam.AlreadyAttemptedError
	if errors.As(err, &again) {
		fmt.Println("already bought:", again.Attempt.Outcome == travelroam.OutcomeSucceeded,
			again.Attempt.Reference == order.Reference)
	}
	fmt.Println("orders the server made:", len(srv.Orders()))
	// Output:
	// already bought: true true
	// orders the server made: 1
}

// WaitForAssignments gives up with an *AssignmentsPendingError when the
// installation data is not ready in time. The order exists and is paid
// for: wait again later with the same reference, never buy again.
func ExampleAssignmentsPendingError() {
	srv := travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(time.Hour))
	defer srv.Close()
	c := exampleClient(srv)
	ctx := context.Background()
	order, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	if err != nil {
		log.Fatal(err)
	}

	_, err = c.WaitForAssignments(ctx, order.Reference, travelroam.WithMaxWait(50*time.Millisecond))
	var pending *travelroam.AssignmentsPendingError
	if errors.As(err, &pending) {
		fmt.Println("still pending:", pending.OrderReference == order.Reference, pending.Attempts > 0)
	}
	// Output:
	// still pending: true true
}

// An answer that reports success but cannot be read is a *DecodeError
// (for a read, after its retries). A purchase's unreadable success is an
// *OutcomeUnknownError instead, the DecodeError its cause: the order may
// exist.
func ExampleDecodeError() {
	srv := travelroamtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv)
	srv.InjectFault(travelroamtest.RouteOrganisation, travelroamtest.MalformedJSON())

	_, err := c.Organisation(context.Background(), travelroam.WithCallRetries(0))
	var bad *travelroam.DecodeError
	if errors.As(err, &bad) {
		fmt.Println(bad.Method, bad.Route)
	}
	// Output:
	// GET /organisation
}
