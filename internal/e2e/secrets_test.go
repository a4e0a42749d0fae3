package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/testrig"
	"github.com/roamkit/travelroam/travelroamtest"
)

// printer writes every value it is given in every way a program might
// print or log it: fmt's %v, %+v, %#v and %s, slog's JSON and text
// handlers, and encoding/json.
type printer struct {
	out  testrig.Buffer
	json *slog.Logger
	text *slog.Logger
}

func newPrinter() *printer {
	p := &printer{}
	p.json = slog.New(slog.NewJSONHandler(&p.out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p.text = slog.New(slog.NewTextHandler(&p.out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return p
}

// print prints each value (and, for a pointer, what it points to is
// printed by fmt and slog through the pointer anyway), alone and inside a
// struct and a map, as an application's own log record would hold it,
// and behind a pointer in a slice and a struct. A pointer in a container
// is printed with %s and %q (fmt's error path, which calls no Format of
// the fields, and which go vet reports) only for a value with its own
// Format (the errors); the others with the verbs fmt takes for pointers.
func (p *printer) print(values ...any) {
	for _, v := range values {
		fmt.Fprintf(&p.out, "%v\n%+v\n%#v\n%s\n%q\n%x\n%X\n", v, v, v, v, v, v, v)
		if v != nil && reflect.TypeOf(v).Kind() == reflect.Struct { // fmt's error path prints a pointer to anything else raw
			ptr := reflect.New(reflect.TypeOf(v))
			ptr.Elem().Set(reflect.ValueOf(v))
			in := []any{[]any{ptr.Interface()}, struct{ P any }{ptr.Interface()}}
			if _, ok := v.(fmt.Formatter); ok {
				fmt.Fprintf(&p.out, "%s\n%q\n", in...)
			}
			fmt.Fprintf(&p.out, "%v\n%+v\n%#v\n%x\n", in[0], in[1], in[0], in[1])
		}
		p.json.Info("value", "v", v, "list", []any{v})
		p.text.Info("value", "v", v, "list", []any{v})
		held := struct{ Held any }{v}
		fmt.Fprintf(&p.out, "%v\n%+v\n%#v\n", held, held, held)
		for _, w := range []any{v, held, map[string]any{"k": v}} {
			if b, err := json.Marshal(w); err == nil {
				fmt.Fprintf(&p.out, "%s\n", b)
			}
		}
		p.printCauses(v)
	}
}

// printCauses prints every error an error wraps, as errors.As hands it
// to a program (an *APIError inside an *OutcomeUnknownError...).
func (p *printer) printCauses(v any) {
	switch err := v.(type) {
	case interface{ Unwrap() error }:
		if inner := err.Unwrap(); inner != nil {
			p.print(inner)
		}
	case interface{ Unwrap() []error }:
		for _, inner := range err.Unwrap() {
			p.print(inner)
		}
	}
}

// TestE2ENoSecretInAnyOutput is the SDK's side of the fake's property
// test: the main flows run against the fake with a logger capturing
// everything at debug level, every value and error they return is
// printed every way (printer), so is every callback event the SDK's
// handler delivers or refuses, and none of the secrets the fake handed
// out (travelroamtest.Server.Secrets: credentials, ICCIDs, matching IDs,
// activation codes, PINs, PUKs) appears in any of it, in any form. Some
// answers are faults whose bodies echo those secrets.
func TestE2ENoSecretInAnyOutput(t *testing.T) {
	const signingKey = "SIGNINGKEY-0123456789abcdef"
	var logs testrig.Buffer
	debug := &slog.HandlerOptions{Level: slog.LevelDebug}
	logger := slog.New(slog.NewMultiHandler(slog.NewJSONHandler(&logs, debug), slog.NewTextHandler(&logs, debug)))
	p := newPrinter()
	// Callbacks: the fake needs the receiver's URL, the receiver the
	// logger; listen first.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	callbackURL := "http://" + l.Addr().String() + "/travelroam/callback"
	recv := httptest.NewUnstartedServer(travelroam.NewCallbackHandler(func(_ context.Context, ev *travelroam.CallbackEvent) error {
		p.print(ev, *ev)
		return nil
	}, travelroam.WithCallbackSignature("", []byte(signingKey)), travelroam.WithLogger(logger)))
	require.NoError(t, recv.Listener.Close())
	recv.Listener = l
	recv.Start()
	t.Cleanup(recv.Close)
	srv := travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(0), travelroamtest.WithCallbackSigningKey(signingKey),
		travelroamtest.WithCallbackURL(callbackURL))
	t.Cleanup(srv.Close)
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()),
		travelroam.WithPurchaseInterval(0), travelroam.WithMaxRetries(0),
		travelroam.WithLogger(logger))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	ctx := t.Context()
	p.print(c)

	org, err := c.Organisation(ctx)
	p.print(org, err)
	page, err := c.Catalogue(ctx, travelroam.CatalogueOptions{Countries: []string{"TR"}, PerPage: 2})
	require.NoError(t, err)
	p.print(page, err)
	b, err := c.Bundle(ctx, page.Bundles[0].Name)
	p.print(b, err)

	req := travelroam.OrderRequest{BundleName: page.Bundles[0].Name, Key: "order-1"}
	order, err := c.ProcessOrder(ctx, req)
	require.NoError(t, err)
	p.print(req, order, err, order.ICCIDs(), order.ReadyAssignments())
	if order != nil {
		p.print(*order)
		for _, l := range order.Lines {
			p.print(l)
			for _, e := range l.ESIMs {
				p.print(e)
			}
		}
	}
	iccid := srv.Orders()[0].ICCID
	assignments, err := c.WaitForAssignments(ctx, order.Reference)
	require.NoError(t, err)
	p.print(assignments, err)
	for _, a := range assignments {
		code, err := a.ActivationCode()
		p.print(a, code, err)
	}
	list, err := c.Assignments(ctx, order.Reference)
	p.print(list, err)

	require.NoError(t, srv.InstallESIM(iccid))
	esim, err := c.ESIM(ctx, travelroam.ICCID(iccid))
	require.NoError(t, err)
	p.print(esim, *esim, err)
	applied, err := c.AppliedBundles(ctx, travelroam.ICCID(iccid))
	p.print(applied, err)
	loc, err := c.Location(ctx, travelroam.ICCID(iccid))
	p.print(loc, err) // 404: never seen on a network
	require.NoError(t, srv.SetLocation(iccid, travelroamtest.Location{Country: "TR"}))
	loc, err = c.Location(ctx, travelroam.ICCID(iccid))
	p.print(loc, err)
	topUp, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: page.Bundles[0].Name, ICCID: travelroam.ICCID(iccid), Key: "order-2"})
	p.print(topUp, err)
	attempts, err := c.UnfinishedPurchases(ctx)
	p.print(attempts, err)

	// Callbacks, delivered and refused.
	for _, n := range []int64{100_000_000, 500_000_000} {
		require.NoError(t, srv.ConsumeData(ctx, iccid, n))
	}
	for _, kind := range []travelroamtest.CallbackKind{travelroamtest.CallbackFirstAttachment, travelroamtest.CallbackCountryChange,
		travelroamtest.CallbackProfileStatusChange, travelroamtest.CallbackDeletionScheduled} {
		require.NoError(t, srv.SendCallback(ctx, iccid, kind))
	}
	for _, cb := range srv.Callbacks() {
		require.Equal(t, http.StatusOK, cb.Status, "%s", cb.Body)
		p.print(cb.Status)
	}

	// Answers that echo what the fake handed out.
	secrets := srv.Secrets()
	var mid, pin, puk string
	for _, s := range secrets {
		switch {
		case strings.HasPrefix(s, "LPA:1$"):
			mid = s[strings.LastIndex(s, "$")+1:]
		case regexp.MustCompile(`^\d{4}$`).MatchString(s):
			pin = s
		case regexp.MustCompile(`^\d{8}$`).MatchString(s):
			puk = s
		}
	}
	require.NotEmpty(t, mid+pin+puk)
	echo := fmt.Sprintf("ICCID %s, matching ID %s, LPA:1$rsp.fake.local$%s, PIN: %s, puk=%s, key %s, secret %s",
		iccid, mid, mid, pin, puk, srv.APIKey, srv.ClientSecret)
	srv.InjectFault(travelroamtest.RouteESIMDetails, travelroamtest.Status(400, echo))
	_, err = c.ESIM(ctx, travelroam.ICCID(iccid))
	p.print(err)
	srv.InjectFault(travelroamtest.RouteAssignments, travelroamtest.Status(200, "").WithBody("application/json", `{"iccid":"`+iccid+`","matchingId":"`+mid+` $","smdpAddress":"x"}`))
	_, err = c.Assignments(ctx, order.Reference)
	p.print(err)
	srv.InjectFault(travelroamtest.RouteAssignments, travelroamtest.MalformedJSON())
	_, err = c.Assignments(ctx, order.Reference)
	p.print(err)
	srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(500, echo).AfterHandling())
	lost, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: page.Bundles[0].Name, Key: "order-3"})
	p.print(lost, err)
	_, err = c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: page.Bundles[0].Name, Key: "order-3"})
	p.print(err) // already attempted
	attempts, err = c.UnfinishedPurchases(ctx)
	p.print(attempts, err)
	require.NotEmpty(t, attempts)
	for _, a := range attempts {
		p.print(c.ResolvePurchase(ctx, a, travelroam.Outcome("bogus"), ""))  // refused before the journal
		p.print(c.ResolvePurchase(ctx, a, travelroam.OutcomeNotSent, "ref")) // a reference without success
		p.print(c.ResolvePurchase(ctx, a, travelroam.OutcomeNotSent, ""))
		p.print(c.ResolvePurchase(ctx, a, travelroam.OutcomeNotSent, "")) // no longer unfinished
	}
	attempts, err = c.UnfinishedPurchases(ctx)
	p.print(attempts, err)

	for _, body := range []string{`{"alertType":"Utilisation","iccid":"` + iccid + `","note":"` + echo + `"`, `{"iccid":` + iccid + `,"matchingId":"` + mid + `"}`} {
		resp, err := recv.Client().Post(callbackURL, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "unsigned")
		req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
		req.Header.Set("X-Signature-SHA256", travelroamtest.Sign([]byte(signingKey), []byte(body)))
		ev, err := travelroam.ParseCallback(req, travelroam.WithCallbackSignature("", []byte(signingKey)))
		p.print(ev, err)
	}

	require.NoError(t, c.RevokeESIM(ctx, travelroam.ICCID(iccid)))
	_, err = c.ESIM(ctx, travelroam.ICCID(iccid))
	p.print(err)
	_, err = c.Assignments(ctx, order.Reference)
	p.print(err)
	_, err = c.ESIM(ctx, travelroam.ICCID("8944 5385 "+iccid[8:])) // written in groups
	p.print(err)

	secrets = srv.Secrets()
	require.GreaterOrEqual(t, len(secrets), 2+2*5, "two eSIMs' secrets and the credentials")
	require.Contains(t, logs.String(), "travelroam: request", "the SDK logged: the check proves something")
	require.Contains(t, logs.String(), "travelroam: callback rejected", "so did the callback handler")
	require.Contains(t, p.out.String(), "FirstAttachment", "events were printed")
	requireNoSecretIn(t, "the SDK's logs", logs.String(), secrets)
	requireNoSecretIn(t, "printed values and errors", p.out.String(), secrets)
}

// requireNoSecretIn fails if out holds a secret as is, JSON- or
// URL-escaped; a secret under 12 characters (a PIN, a PUK) only counts as
// a whole token, not next to a letter or a digit.
func requireNoSecretIn(t *testing.T, name, out string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		j, _ := json.Marshal(s)
		for _, form := range []string{s, string(j[1 : len(j)-1]), url.QueryEscape(s), url.PathEscape(s), fmt.Sprintf("%x", s), fmt.Sprintf("%X", s)} {
			if len(s) >= 12 {
				if strings.Contains(out, form) {
					t.Errorf("%s hold the secret %q (as %q)", name, s, form)
				}
				continue
			}
			if regexp.MustCompile(`(^|[^0-9A-Za-z])` + regexp.QuoteMeta(form) + `($|[^0-9A-Za-z])`).MatchString(out) {
				t.Errorf("%s hold the short secret %q (as %q)", name, s, form)
			}
		}
	}
	if t.Failed() {
		t.Logf("%s:\n%s", name, out)
	}
}
