package travelroam_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// The purchase journal and its recovery. The SDK records each purchase in
// the journal before sending it, under the OrderRequest's Key (your order
// number); a purchase whose answer never came stays unfinished there, and
// ProcessOrder refuses to send its Key again until someone decides what
// happened. A recovery job lists the unfinished attempts, checks each
// (the eSIM's applied bundles for a top-up; the wallet balance or Travel
// Roam's support for a new eSIM) and records the outcome.
//
// In production the journal is a store that every process shares
// (pgstore, sqlitestore, redisstore); here it is in memory, and the fake
// server's ledger plays Travel Roam's support, who finds the order.
func ExampleClient_ResolvePurchase() {
	srv := travelroamtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv, travelroam.WithPurchaseJournal(travelroam.NewMemoryPurchaseLedger()))
	ctx := context.Background()
	req := travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2", Key: "order-1001"}

	// The server makes the order, then the connection drops.
	srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.ResetAfterHandling())
	_, err := c.ProcessOrder(ctx, req)
	var unknown *travelroam.OutcomeUnknownError
	fmt.Println("outcome unknown:", errors.As(err, &unknown))

	// The recovery job.
	unfinished, err := c.UnfinishedPurchases(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range unfinished {
		fmt.Println("unfinished:", a.Key, a.BundleName, a.Outcome == travelroam.OutcomeUnknown)
		reference := srv.Orders()[0].Reference // what support found
		if err := c.ResolvePurchase(ctx, a, travelroam.OutcomeSucceeded, reference); err != nil {
			log.Fatal(err)
		}
	}

	// The customer's retry buys nothing twice: the Key is known as bought,
	// with its order reference.
	_, err = c.ProcessOrder(ctx, req)
	var again *travelroam.AlreadyAttemptedError
	if errors.As(err, &again) {
		fmt.Println("bought once:", again.Attempt.Outcome == travelroam.OutcomeSucceeded,
			again.Attempt.Reference == srv.Orders()[0].Reference)
	}
	unfinished, err = c.UnfinishedPurchases(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("orders the server made:", len(srv.Orders()), "unfinished:", len(unfinished))
	// Output:
	// outcome unknown: true
	// unfinished: order-1001 esim_1GB_7D_TR_V2 true
	// bought once: true true
	// orders the server made: 1 unfinished: 0
}

// A purchase found not to have been made is resolved as not sent (or
// refused): the next ProcessOrder with its Key is sent. Here the server
// answers 500 without making an order.
func ExampleClient_ResolvePurchase_notSent() {
	srv := travelroamtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv, travelroam.WithPurchaseJournal(travelroam.NewMemoryPurchaseLedger()))
	ctx := context.Background()
	req := travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2", Key: "order-1002"}

	srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(500, "Internal Server Error"))
	_, err := c.ProcessOrder(ctx, req)
	var unknown *travelroam.OutcomeUnknownError
	fmt.Println("outcome unknown:", errors.As(err, &unknown))

	unfinished, err := c.UnfinishedPurchases(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range unfinished {
		if len(srv.Orders()) == 0 { // nothing bought: the check came back empty
			if err := c.ResolvePurchase(ctx, a, travelroam.OutcomeNotSent, ""); err != nil {
				log.Fatal(err)
			}
		}
	}

	order, err := c.ProcessOrder(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("bought:", order.Status, "orders the server made:", len(srv.Orders()))
	// Output:
	// outcome unknown: true
	// bought: completed orders the server made: 1
}
