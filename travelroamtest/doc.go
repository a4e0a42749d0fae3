// Package travelroamtest is a faithful, stateful fake of the Travel Roam
// reseller API for tests, used the way net/http/httptest is. It speaks only
// HTTP and JSON (it does not import the SDK), so it also checks the SDK's
// wire format: exact JSON keys ("bundlename" on /bundle, "bundleName" on
// /processorders), both credentials on every call, JSON bodies on POSTs.
//
// It serves every route of the contract under /api/whitelabel (and under
// /api): a seeded catalogue of about 1,000 bundles over 109 countries and
// every region, bundle lookup, purchases and top-ups that draw down a
// wallet per environment to the cent, installation data that is
// "processing" for a while after each order, eSIM details, applied bundles
// and location driven by the server's state, revoke, and the organisation's
// balance. Revoke and organisation also answer on the contract's
// alternative routes ([RouteRevokeESIM], DELETE [RouteRevoke],
// [RouteOrganization], [RouteOrganizationDetails]). Test hooks install
// eSIMs, consume data (sending usage callbacks), send the other
// notifications ([Server.SendCallback], [Server.SendRawCallback]), set
// locations, expire bundles and set balances. Faults can be queued per
// route, and a ledger records every request, order and callback.
//
// Answers follow the shapes of the contract's evidence: most bundles have
// no "roamingEnabled" and allowances have service "ROAMING"; locations
// carry TADIG-style network codes ("FRAF1") and ISO alpha-2 countries;
// applied bundles list ended (expired, depleted, lapsed) assignments too,
// as Travel Roam's real output shows, unless includeUsed is false, and
// list at most 15 (or limit), most recent first; an unknown order
// reference is 400 and a revoked eSIM's order 410. Switches make the
// server misbehave the ways the real one might: [WithCataloguePaging],
// [WithOrderAnswer], [WithOrderValidationFailure],
// [WithOrderInstallationData], [WithAssignmentsFormat],
// [WithPendingStyle], [WithCallbackFormat],
// [WithRateLimit] (and the [RateLimited] fault).
//
// # Usage
//
//	srv := travelroamtest.NewServer()
//	t.Cleanup(srv.Close)
//	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret,
//		travelroam.WithBaseURL(srv.URL),
//		travelroam.WithHTTPClient(srv.Client()),
//		travelroam.WithPurchaseInterval(0))
//	…
//	srv.InjectFault(travelroamtest.RouteProcessOrders,
//		travelroamtest.Status(503, "Service temporarily unavailable").WithRetryAfter("30"))
//	…
//	require.Len(t, srv.Orders(), 1)
//
// # Virtual time
//
// With [WithInMemoryNetwork] the server runs on an in-memory network
// (net.Pipe) instead of a socket, so it works inside testing/synctest:
// create it inside the bubble and reach it only through [Server.Client].
// Every time decision uses the server's clock ([WithClock], time.Now by
// default, which synctest fakes), so a test can wait ten virtual minutes
// for an assignment in no real time:
//
//	synctest.Test(t, func(t *testing.T) {
//		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork(),
//			travelroamtest.WithAssignmentDelay(3*time.Minute))
//		defer srv.Close()
//		c, _ := travelroam.NewClient(srv.APIKey, srv.ClientSecret,
//			travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()))
//		…
//	})
//
// # Decisions where the contract is silent
//
// A bundle's base countries are its "countries" (all covered countries for
// a regional bundle), so countries=TR also lists Europe+ and Global
// bundles. A top-up must have the eSIM's coverage (the country code, or the
// region code of a regional bundle) and provider family ("V2" or "U").
// Unlimited bundles show dataAmount, initialQuantity and remainingQuantity
// as -1. Any non-empty orderType is accepted (and recorded in the ledger).
// An eSIM never seen on a network answers 404 on /esims/location.
// Revoking does not refund. Usage alerts are per bundle: FirstUse at its
// first use (it replaces the 1 % alert), then one Utilisation alert for
// each of 50, 80 and 100 % crossed, in order, even within one
// consumption. New eSIMs' ICCIDs start 8944, 8943 and 8932 in turn (the
// prefixes of the evidence). Every eSIM's details carry eSIM Go v2.5's
// "state" (Active unless [Server.SetESIMState] says otherwise); a
// suspended or deactivated eSIM still answers on every route. Balance
// notifications ([Server.SendBalanceCallback]) use a threshold of 100.00
// and are never sent on their own.
//
// Where a parameter may come in the JSON body or the query string (page,
// perPage, includeUsed, limit), the body wins when both have it, as
// Laravel's $request->input() does. /bundle takes "bundlename" or
// "bundleName" (bundlename wins when both are sent). Applied bundles count
// expired, depleted and lapsed assignments as ended, filter them first and
// apply the limit after. The profile status callback's time key is
// "date", like the event notifications' (the public page does not name
// it), and it carries a device once the eSIM is installed. Event
// notifications and CountryChange change no state.
package travelroamtest
