package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// balance returns the wallet balance through the SDK.
func (e *e2e) balance(t *testing.T) travelroam.Amount {
	t.Helper()
	org, err := e.c.Organisation(context.Background())
	require.NoError(t, e.Err(err))
	require.Equal(t, "USD", org.Currency)
	return org.Balance
}

// requireSpent checks, with exact decimal arithmetic, that the wallet went
// from before to after by spending exactly cents.
func requireSpent(t *testing.T, before, after travelroam.Amount, cents int64) {
	t.Helper()
	spent, err := before.Sub(after)
	require.NoError(t, err)
	require.Zero(t, spent.Cmp(amountFromCents(cents)), "spent %s, want %d cents", spent, cents)
}

// buy buys a new eSIM with the bundle and waits for its installation
// data; it returns the order and the assignment.
func (e *e2e) buy(t *testing.T, bundle string) (*travelroam.Order, travelroam.Assignment) {
	t.Helper()
	ctx := context.Background()
	order, err := e.c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle})
	require.NoError(t, e.Err(err))
	require.Equal(t, "completed", order.Status)
	list, err := e.c.WaitForAssignments(ctx, order.Reference)
	require.NoError(t, e.Err(err))
	require.Len(t, list, 1)
	e.Secret(list[0].MatchingID.Reveal(), list[0].PIN.Reveal(), list[0].PUK.Reveal())
	return order, list[0]
}

func TestE2EPurchaseLifecycle(t *testing.T) {
	t.Parallel()
	e := newE2E(t, travelroamtest.WithAssignmentDelay(0))
	start := time.Now()
	b, _ := e.srv.Bundle("esim_1GB_7D_TR_V2")

	before := e.balance(t)
	require.Zero(t, before.Cmp(amountFromCents(travelroamtest.DefaultSandboxBalanceCents)))
	order, a := e.buy(t, b.Name)
	require.Zero(t, order.Total.Cmp(amountFromCents(b.PriceCents)))
	require.Equal(t, "USD", order.Currency)
	requireSpent(t, before, e.balance(t), b.PriceCents)

	orders := e.srv.Orders()
	require.Len(t, orders, 1)
	require.Equal(t, orders[0].Reference, order.Reference)
	require.Equal(t, orders[0].ICCID, string(a.ICCID))
	require.Equal(t, []travelroam.ICCID{a.ICCID}, order.ICCIDs())
	require.Equal(t, "COUNTRY", orders[0].OrderType)

	requireActivationCode(t, a)
	e.checkDetails(t, a, start)
	e.checkTopUps(t, a.ICCID)
	e.checkUsage(t, a.ICCID)
	e.checkLocation(t, a.ICCID, start)
	e.checkRevoke(t, a.ICCID)
}

// requireActivationCode checks the code and the iPhone link, and that the
// code parses back to itself.
func requireActivationCode(t *testing.T, a travelroam.Assignment) {
	t.Helper()
	code, err := a.ActivationCode()
	require.NoError(t, err)
	require.Equal(t, "LPA:1$"+travelroamtest.SMDPAddress+"$"+a.MatchingID.Reveal(), code.LPA())
	back, err := travelroam.ParseActivationCode(code.LPA())
	require.NoError(t, err)
	require.Equal(t, code, back)

	const apple = "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata="
	require.True(t, strings.HasPrefix(code.AppleInstallURL(), apple), code.AppleInstallURL())
	link, err := url.Parse(code.AppleInstallURL())
	require.NoError(t, err)
	require.Equal(t, code.LPA(), link.Query().Get("carddata"))
}

// checkDetails reads the eSIM before and after the fake's InstallESIM hook.
func (e *e2e) checkDetails(t *testing.T, a travelroam.Assignment, start time.Time) {
	t.Helper()
	ctx := context.Background()
	d, err := e.c.ESIM(ctx, a.ICCID)
	require.NoError(t, e.Err(err))
	require.Equal(t, travelroam.ProfileStatus("Released"), d.ProfileStatus)
	require.True(t, d.FirstInstalledAt.IsZero())
	require.Equal(t, a.MatchingID, d.MatchingID)
	require.Equal(t, travelroamtest.SMDPAddress, d.SMDPAddress)
	require.NotContains(t, fmt.Sprint(d), string(a.ICCID))
	require.NotContains(t, fmt.Sprint(d), a.MatchingID.Reveal())

	require.NoError(t, e.srv.InstallESIM(string(a.ICCID)))
	d, err = e.c.ESIM(ctx, a.ICCID)
	require.NoError(t, e.Err(err))
	require.Equal(t, travelroam.ProfileStatus("Installed"), d.ProfileStatus)
	require.False(t, d.FirstInstalledAt.Before(start.Truncate(time.Millisecond)), "installed at %s, test began %s", d.FirstInstalledAt, start)
	require.False(t, d.FirstInstalledAt.After(time.Now()))
}

// checkTopUps tops the eSIM up with a compatible bundle, and checks that
// incompatible ones are refused as plain API errors that cost nothing.
func (e *e2e) checkTopUps(t *testing.T, iccid travelroam.ICCID) {
	t.Helper()
	ctx := context.Background()
	b, _ := e.srv.Bundle("esim_2GB_15D_TR_V2")
	before := e.balance(t)
	order, err := e.c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: b.Name, ICCID: iccid})
	require.NoError(t, e.Err(err))
	requireSpent(t, before, e.balance(t), b.PriceCents)
	orders := e.srv.Orders()
	require.Len(t, orders, 2)
	require.True(t, orders[1].TopUp)
	require.Equal(t, string(iccid), orders[1].ICCID)
	_, err = e.c.WaitForAssignments(ctx, order.Reference)
	require.NoError(t, e.Err(err))

	for _, other := range []string{"esim_1GB_7D_US_V2", "esim_1GB_7D_TR_U", "esim_1GB_7D_REUP_V2"} {
		_, err := e.c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: other, ICCID: iccid})
		var apiErr *travelroam.APIError
		require.ErrorAs(t, e.Err(err), &apiErr, other)
		require.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
		require.Contains(t, apiErr.Message, "not compatible")
		require.NotErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
	}
	require.Len(t, e.srv.Orders(), 2, "refused top-ups create no order")
	requireSpent(t, before, e.balance(t), b.PriceCents)
}

// checkUsage consumes data through the fake and checks the bytes left.
func (e *e2e) checkUsage(t *testing.T, iccid travelroam.ICCID) {
	t.Helper()
	ctx := context.Background()
	bundles, err := e.c.AppliedBundles(ctx, iccid)
	require.NoError(t, e.Err(err))
	left, unlimited := travelroam.RemainingDataBytes(bundles, time.Now())
	require.False(t, unlimited)
	require.Equal(t, int64(3_000_000_000), left, "1 GB + 2 GB, both queued")

	require.NoError(t, e.srv.ConsumeData(ctx, string(iccid), 1_250_000_001))
	bundles, err = e.c.AppliedBundles(ctx, iccid)
	require.NoError(t, e.Err(err))
	left, _ = travelroam.RemainingDataBytes(bundles, time.Now())
	require.Equal(t, int64(1_749_999_999), left)
	require.Len(t, bundles, 2, "the depleted 1 GB bundle is listed too, as Travel Roam's real output lists ended ones")
	require.Equal(t, travelroam.BundleState("depleted"), bundles[1].Assignments[0].BundleState)
	require.True(t, bundles[1].Assignments[0].Ended(time.Now()))
	second := bundles[0].Assignments[0]
	require.Equal(t, travelroam.BundleState("active"), second.BundleState)
	require.Equal(t, int64(1_749_999_999), second.RemainingQuantity)
	require.Equal(t, int64(250_000_001), second.UsedBytes())
	require.WithinDuration(t, second.StartTime.Add(15*24*time.Hour), second.EndTime, time.Hour, "15 days from first use")
}

// checkLocation reads the location before and after the fake's hook.
func (e *e2e) checkLocation(t *testing.T, iccid travelroam.ICCID, start time.Time) {
	t.Helper()
	ctx := context.Background()
	_, err := e.c.Location(ctx, iccid)
	require.ErrorIs(t, e.Err(err), travelroam.ErrNotFound, "never seen on a network")

	require.NoError(t, e.srv.SetLocation(string(iccid), travelroamtest.Location{
		MobileNetworkCode: "TURTS", NetworkName: "Turkcell Iletisim Hizmetleri", NetworkBrandName: "Turkcell", Country: "TR",
	}))
	loc, err := e.c.Location(ctx, iccid)
	require.NoError(t, e.Err(err))
	require.Equal(t, "TURTS", loc.MobileNetworkCode, "a TADIG code, kept as sent")
	require.Equal(t, "Turkcell Iletisim Hizmetleri", loc.NetworkName)
	require.Equal(t, "Turkcell", loc.NetworkBrandName)
	require.Equal(t, "TR", loc.Country)
	require.False(t, loc.LastSeen.Before(start))
	require.False(t, loc.LastSeen.After(time.Now()))
}

// checkRevoke revokes the eSIM; afterwards nothing about it is found.
func (e *e2e) checkRevoke(t *testing.T, iccid travelroam.ICCID) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, e.Err(e.c.RevokeESIM(ctx, iccid)))
	_, err := e.c.ESIM(ctx, iccid)
	require.ErrorIs(t, e.Err(err), travelroam.ErrNotFound)
	_, err = e.c.AppliedBundles(ctx, iccid)
	require.ErrorIs(t, e.Err(err), travelroam.ErrNotFound)
	_, err = e.c.Location(ctx, iccid)
	require.ErrorIs(t, e.Err(err), travelroam.ErrNotFound)
	err = e.c.RevokeESIM(ctx, iccid)
	require.ErrorIs(t, e.Err(err), travelroam.ErrNotFound, "a second revoke is refused, not unknown")
	require.NotErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
	_, err = e.c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2", ICCID: iccid})
	require.ErrorIs(t, e.Err(err), travelroam.ErrNotFound)
	require.Len(t, e.srv.Orders(), 2)
}

func TestE2EInsufficientBalance(t *testing.T) {
	t.Parallel()
	e := newE2E(t, travelroamtest.WithAssignmentDelay(0))
	b, _ := e.srv.Bundle("esim_1GB_7D_TR_V2")
	e.srv.SetBalance(travelroamtest.Sandbox, b.PriceCents-1)

	_, err := e.c.ProcessOrder(context.Background(), travelroam.OrderRequest{BundleName: b.Name})
	var apiErr *travelroam.APIError
	require.ErrorAs(t, e.Err(err), &apiErr)
	require.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	require.Equal(t, "Insufficient balance", apiErr.Message)
	require.NotErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
	require.Empty(t, e.srv.Orders())
	require.Zero(t, e.balance(t).Cmp(amountFromCents(b.PriceCents-1)))

	e.srv.SetBalance(travelroamtest.Sandbox, b.PriceCents) // exactly enough
	e.buy(t, b.Name)
	require.True(t, e.balance(t).IsZero())
}

func TestE2EWrongCredentials(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	const wrongKey, wrongSecret = "WRONGKEY-0123456789abcdefghij", "WRONGSECRET-0123456789abcdefgh"
	e.Secret(wrongKey, wrongSecret)
	ctx := context.Background()
	for _, c := range []*travelroam.Client{
		e.client(t, wrongKey, wrongSecret),
		e.client(t, e.srv.APIKey, wrongSecret),
		e.client(t, wrongKey, e.srv.ClientSecret),
	} {
		_, err := c.Organisation(ctx)
		require.ErrorIs(t, e.Err(err), travelroam.ErrUnauthorized)
		_, err = c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		require.ErrorIs(t, e.Err(err), travelroam.ErrUnauthorized)
		require.NotErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
		for b, err := range c.CatalogueAll(ctx, travelroam.CatalogueOptions{Region: travelroam.RegionEurope}) {
			require.ErrorIs(t, e.Err(err), travelroam.ErrUnauthorized, "no bundle %s", b.Name)
		}
	}
	require.Empty(t, e.srv.Orders())
	require.Equal(t, 9, len(e.srv.Requests()), "a 403 is not retried")
}

func TestE2EPurchaseFaults(t *testing.T) {
	t.Parallel()
	t.Run("503 before handling: not processed", func(t *testing.T) {
		t.Parallel()
		e := newE2E(t)
		e.srv.InjectFault(travelroamtest.RouteProcessOrders,
			travelroamtest.Status(http.StatusServiceUnavailable, "Service temporarily unavailable").WithRetryAfter("30"))
		_, err := e.c.ProcessOrder(context.Background(), travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		require.ErrorIs(t, e.Err(err), travelroam.ErrUnavailable)
		require.NotErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
		var apiErr *travelroam.APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, 30*time.Second, apiErr.RetryAfter)
		require.Equal(t, "Service temporarily unavailable", apiErr.Message)
		require.Empty(t, e.srv.Orders())
		require.Equal(t, 1, e.srv.RequestCount(travelroamtest.RouteProcessOrders), "never re-sent")
		require.Zero(t, e.balance(t).Cmp(amountFromCents(travelroamtest.DefaultSandboxBalanceCents)))
	})
	t.Run("reset after handling: outcome unknown", func(t *testing.T) {
		t.Parallel()
		e := newE2E(t)
		b, _ := e.srv.Bundle("esim_1GB_7D_TR_V2")
		before := e.balance(t)
		e.srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.ResetAfterHandling())
		sent := time.Now()
		_, err := e.c.ProcessOrder(context.Background(), travelroam.OrderRequest{BundleName: b.Name})
		require.ErrorAs(t, e.Err(err), new(*travelroam.OutcomeUnknownError))
		var unknown *travelroam.OutcomeUnknownError
		require.ErrorAs(t, err, &unknown)
		require.Equal(t, b.Name, unknown.BundleName)
		require.False(t, unknown.SentAt.Before(sent))
		require.Len(t, e.srv.Orders(), 1, "the order was made")
		require.Equal(t, 1, e.srv.RequestCount(travelroamtest.RouteProcessOrders), "and never re-sent")
		// The documented check: the balance tells that the order went through.
		requireSpent(t, before, e.balance(t), b.PriceCents)
	})
	t.Run("revoke reset after handling: outcome unknown", func(t *testing.T) {
		t.Parallel()
		e := newE2E(t, travelroamtest.WithAssignmentDelay(0))
		_, a := e.buy(t, "esim_1GB_7D_TR_V2")
		e.srv.InjectFault(travelroamtest.RouteRevoke, travelroamtest.ResetAfterHandling())
		err := e.c.RevokeESIM(context.Background(), a.ICCID)
		require.ErrorAs(t, e.Err(err), new(*travelroam.OutcomeUnknownError))
		require.Equal(t, 1, e.srv.RequestCount(travelroamtest.RouteRevoke))
		_, err = e.c.ESIM(context.Background(), a.ICCID)
		require.ErrorIs(t, e.Err(err), travelroam.ErrNotFound, "the documented check shows it was revoked")
	})
}

func TestE2EReadsRetryTransientFaults(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	e.srv.InjectFault(travelroamtest.RouteOrganisation, travelroamtest.HTMLBadGateway(), travelroamtest.TruncatedBody())
	e.srv.InjectFault(travelroamtest.RouteBundle, travelroamtest.ResetBeforeBody())
	require.Zero(t, e.balance(t).Cmp(amountFromCents(travelroamtest.DefaultSandboxBalanceCents)))
	require.Equal(t, 3, e.srv.RequestCount(travelroamtest.RouteOrganisation))
	_, err := e.c.Bundle(context.Background(), "esim_1GB_7D_TR_V2")
	require.NoError(t, e.Err(err))
	require.Equal(t, 2, e.srv.RequestCount(travelroamtest.RouteBundle))

	e.srv.InjectFault(travelroamtest.RouteOrganisation, travelroamtest.Status(http.StatusTooManyRequests, "Too many requests").WithRetryAfter("3600"))
	_, err = e.c.Organisation(context.Background())
	require.ErrorIs(t, e.Err(err), travelroam.ErrRateLimited)
	var apiErr *travelroam.APIError
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, time.Hour, apiErr.RetryAfter, "a long Retry-After is returned, not slept")
}

func TestE2EEnvironmentsAndAccountsAreSeparate(t *testing.T) {
	t.Parallel()
	const otherKey, otherSecret = "OTHERKEY-0123456789abcdefghij", "OTHERSECRET-0123456789abcdefgh"
	e := newE2E(t, travelroamtest.WithAssignmentDelay(0), travelroamtest.WithAccount(otherKey, otherSecret))
	e.Secret(otherKey, otherSecret)
	ctx := context.Background()
	live := e.client(t, e.srv.APIKey, e.srv.ClientSecret, travelroam.WithBaseURL(e.srv.EnvURL(travelroamtest.Live)))
	other := e.client(t, otherKey, otherSecret)
	b, _ := e.srv.Bundle("esim_1GB_7D_TR_V2")

	order, err := live.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: b.Name})
	require.NoError(t, e.Err(err))
	list, err := live.WaitForAssignments(ctx, order.Reference)
	require.NoError(t, e.Err(err))
	iccid := list[0].ICCID
	e.Secret(list[0].MatchingID.Reveal())
	require.Equal(t, travelroamtest.Live, e.srv.Orders()[0].Environment)

	org, err := live.Organisation(ctx)
	require.NoError(t, e.Err(err))
	requireSpent(t, amountFromCents(travelroamtest.DefaultLiveBalanceCents), org.Balance, b.PriceCents)
	require.Zero(t, e.balance(t).Cmp(amountFromCents(travelroamtest.DefaultSandboxBalanceCents)), "the sandbox wallet is untouched")

	_, err = live.ESIM(ctx, iccid)
	require.NoError(t, e.Err(err))
	for _, c := range []*travelroam.Client{e.c, other} { // the sandbox, and another account
		_, err = c.ESIM(ctx, iccid)
		require.ErrorIs(t, e.Err(err), travelroam.ErrNotFound)
		_, err = c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: b.Name, ICCID: iccid})
		require.ErrorIs(t, e.Err(err), travelroam.ErrNotFound)
		err = c.RevokeESIM(ctx, iccid)
		require.ErrorIs(t, e.Err(err), travelroam.ErrNotFound)
	}
	require.Len(t, e.srv.Orders(), 1)
	for _, c := range []*travelroam.Client{e.c, live, other} {
		require.NotContains(t, fmt.Sprintf("%v %+v %#v %s", c, c, c, c), e.srv.ClientSecret)
	}
}
