package main

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/redact"
)

// doctorJSON is the --json output of doctor.
type doctorJSON struct {
	Environment string          `json:"environment"`
	BaseURL     string          `json:"baseURL"`
	Credentials credentialsJSON `json:"credentials"`
	Checks      []*routeCheck   `json:"checks"`
	RecordDir   string          `json:"recordDir,omitempty"`
	OK          bool            `json:"ok"`
}

// credentialsJSON describes the credentials without showing them.
type credentialsJSON struct {
	APIKeyLength       int `json:"apiKeyLength"`
	ClientSecretLength int `json:"clientSecretLength"`
	// LooksLikeContract is true when both are 60 alphanumeric characters,
	// like the values observed at Travel Roam.
	LooksLikeContract bool `json:"looksLikeContract"`
	// Accepted is true when a route answered 2xx, false when one answered
	// 401 or 403, null when no route said.
	Accepted *bool `json:"accepted"`
}

// routeCheck is doctor's verdict on one route.
type routeCheck struct {
	Name    string `json:"name"`
	Method  string `json:"method"`
	Route   string `json:"route"`
	Guessed bool   `json:"guessed"` // the route is the contract's guess
	Called  bool   `json:"called"`
	// Skipped says why a route was not called.
	Skipped     string `json:"skipped,omitempty"`
	Status      int    `json:"status,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	// Decoded is true when the SDK decoded the answer; Error is the SDK's
	// error otherwise (or the network error).
	Decoded bool   `json:"decoded"`
	Error   string `json:"error,omitempty"`
	// Note explains an answer that is not a failure (no location yet,
	// installation data not ready).
	Note       string   `json:"note,omitempty"`
	Shape      string   `json:"shape,omitempty"`
	Unexpected []string `json:"unexpectedFields"`
	Missing    []string `json:"missingFields"`
	Mismatched []string `json:"mismatchedFields,omitempty"`
	Fixture    string   `json:"fixture,omitempty"`
	// OK is true when the route answered as the SDK needs.
	OK bool `json:"ok"`

	schema routeSchema
	raw    *exchange
}

// doctorOptions are doctor's flags, and what one check leaves for the
// next (the catalogue's first bundle for /bundle).
type doctorOptions struct {
	record, iccid, order, countries, bundle string
	strict                                  bool
}

// doctorCheck is one row of doctor's table of checks: a route, the SDK
// call that exercises it, and when it is skipped. One loop (runChecks)
// runs them in order.
type doctorCheck struct {
	name    string
	op      travelroam.Operation
	guessed bool
	schema  routeSchema
	// skip says why the check is not run ("": run it).
	skip func(o *doctorOptions) string
	// call makes the SDK call.
	call func(ctx context.Context, cl *travelroam.Client, o *doctorOptions) error
	// benign names an error that is not a failure ("" when it is one).
	benign func(error) string
}

// doctorChecks is the table of doctor's checks, in the order they run.
func doctorChecks() []doctorCheck {
	needICCID := func(o *doctorOptions) string { return when(o.iccid == "", "give --iccid ICCID to check it") }
	return []doctorCheck{
		{name: "organisation", op: travelroam.OpOrganisation, guessed: true,
			schema: routeSchema{body: organisationSchema, wrappers: []string{"organisations", "data"}},
			call: func(ctx context.Context, cl *travelroam.Client, _ *doctorOptions) error {
				_, err := cl.Organisation(ctx)
				return err
			}},
		{name: "catalogue", op: travelroam.OpCatalogue, schema: routeSchema{body: catalogueSchema, wrappers: []string{"data"}},
			call: callCatalogue},
		{name: "bundle", op: travelroam.OpBundle, schema: routeSchema{body: bundleSchema, wrappers: []string{"data", "bundle"}},
			skip: func(o *doctorOptions) string {
				return when(o.bundle == "", "no bundle name: the catalogue page gave none; give --bundle NAME")
			},
			call: func(ctx context.Context, cl *travelroam.Client, o *doctorOptions) error {
				_, err := cl.Bundle(ctx, o.bundle)
				return err
			}},
		{name: "esims_details", op: travelroam.OpESIMDetails, schema: routeSchema{body: esimDetailsSchema, wrappers: []string{"data", "esim"}},
			skip: needICCID, call: func(ctx context.Context, cl *travelroam.Client, o *doctorOptions) error {
				_, err := cl.ESIM(ctx, travelroam.ICCID(o.iccid))
				return err
			}},
		{name: "esims_applied_bundles", op: travelroam.OpAppliedBundles, schema: routeSchema{body: appliedBundlesSchema, wrappers: []string{"data"}},
			skip: needICCID, call: func(ctx context.Context, cl *travelroam.Client, o *doctorOptions) error {
				_, err := cl.AppliedBundles(ctx, travelroam.ICCID(o.iccid))
				return err
			}},
		{name: "esims_location", op: travelroam.OpLocation, schema: routeSchema{body: locationSchema, wrappers: []string{"data"}},
			skip: needICCID, call: func(ctx context.Context, cl *travelroam.Client, o *doctorOptions) error {
				_, err := cl.Location(ctx, travelroam.ICCID(o.iccid))
				return err
			}, benign: noLocationYet},
		{name: "getesimassignments", op: travelroam.OpAssignments,
			schema: routeSchema{body: assignmentsSchema, wrappers: []string{"esims", "data"}, list: true},
			skip:   func(o *doctorOptions) string { return when(o.order == "", "give --order REFERENCE to check it") },
			call: func(ctx context.Context, cl *travelroam.Client, o *doctorOptions) error {
				_, err := cl.Assignments(ctx, o.order)
				return err
			}, benign: func(err error) string {
				return when(errors.Is(err, travelroam.ErrAssignmentsNotReady), "installation data not ready yet")
			}},
		{name: "processorders", op: travelroam.OpProcessOrder, skip: never("not called: doctor never buys")},
		{name: "esims_revoke", op: travelroam.OpRevokeESIM, guessed: true,
			skip: never("not called: doctor never revokes (a real revoke is the only test of this guessed route)")},
	}
}

// never is the skip of a route doctor never calls.
func never(why string) func(*doctorOptions) string {
	return func(*doctorOptions) string { return why }
}

// when is msg if cond, else "".
func when(cond bool, msg string) string {
	if cond {
		return msg
	}
	return ""
}

// callCatalogue reads a catalogue page and keeps its first bundle for
// the /bundle check (unless --bundle named one).
func callCatalogue(ctx context.Context, cl *travelroam.Client, o *doctorOptions) error {
	p, err := cl.Catalogue(ctx, travelroam.CatalogueOptions{Countries: strings.Split(o.countries, ","), PerPage: 5})
	if err == nil && len(p.Bundles) > 0 && o.bundle == "" {
		o.bundle = p.Bundles[0].Name
	}
	return err
}

// noLocationYet: a 4xx (but 401/403) location is an eSIM never seen on a
// network, not a failure.
func noLocationYet(err error) string {
	var apiErr *travelroam.APIError
	ok := errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && apiErr.StatusCode != 401 && apiErr.StatusCode != 403
	return when(ok, "no location: the eSIM was probably never seen on a network")
}

func runDoctor(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("doctor", true)
	var o doctorOptions
	f.StringVar(&o.record, "record", "", "write each answer, redacted, as a fixture in `DIR`")
	f.StringVar(&o.iccid, "iccid", "", "also check the eSIM routes (details, applied bundles, location) with this eSIM")
	f.StringVar(&o.order, "order", "", "also check the assignments route with this order `REFERENCE`")
	f.StringVar(&o.countries, "countries", "TR", "countries of the catalogue page checked")
	f.StringVar(&o.bundle, "bundle", "", "bundle checked on /bundle (default: the first of the catalogue page)")
	f.BoolVar(&o.strict, "strict", false, "also fail when fields differ from the contract")
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	base := http.DefaultTransport
	if c.httpClient != nil && c.httpClient.Transport != nil {
		base = c.httpClient.Transport
	}
	rec := &recorder{base: base}
	// One request per route: doctor reports what the server said, so the
	// SDK must not retry it away.
	cl, t, err := c.client(f.live, travelroam.WithHTTPClient(&http.Client{Transport: rec}), travelroam.WithMaxRetries(0))
	if err != nil {
		return err
	}
	report := doctorJSON{Environment: string(t.env), BaseURL: t.baseURL, Credentials: c.credentialsShape()}
	report.Checks = c.runChecks(ctx, cl, rec, &o)
	report.Credentials.Accepted = credentialsAccepted(report.Checks)
	if o.record != "" {
		report.RecordDir = o.record
		if err := c.writeFixtures(o.record, report.Checks, t); err != nil {
			return err
		}
	}
	problems := countProblems(report.Checks, o.strict)
	report.OK = problems == 0
	if f.json {
		if err := c.writeJSON(report); err != nil {
			return err
		}
	} else {
		c.printDoctor(report)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("doctor: interrupted: %w", err)
	}
	if problems > 0 {
		return fmt.Errorf("doctor: %d route(s) did not answer as the SDK needs", problems)
	}
	return nil
}

// credentialsShape describes the credentials without showing them.
func (c *cli) credentialsShape() credentialsJSON {
	key, secret := c.getenv(envAPIKey), c.getenv(envClientSecret)
	return credentialsJSON{APIKeyLength: len(key), ClientSecretLength: len(secret),
		LooksLikeContract: contractShaped(key) && contractShaped(secret)}
}

// runChecks runs doctor's table of checks, in order, and judges each
// from the SDK's error and the raw answer the recorder kept.
func (c *cli) runChecks(ctx context.Context, cl *travelroam.Client, rec *recorder, o *doctorOptions) []*routeCheck {
	var checks []*routeCheck
	for _, d := range doctorChecks() {
		chk := &routeCheck{Name: d.name, Method: routeMethod(d.op), Route: routePath(d.op), Guessed: d.guessed, schema: d.schema}
		checks = append(checks, chk)
		if d.skip != nil {
			chk.Skipped = d.skip(o)
		}
		if chk.Skipped != "" || d.call == nil || ctx.Err() != nil {
			continue
		}
		n := rec.len()
		err := d.call(ctx, cl, o)
		chk.Called = true
		if ex := rec.since(n); len(ex) > 0 {
			chk.raw = &ex[len(ex)-1]
		}
		c.judge(chk, err, d.benign)
		if ctx.Err() != nil {
			chk.Error, chk.OK = "interrupted", false
		}
	}
	return checks
}

// credentialsAccepted is false when a route answered 401 or 403, true
// when one answered 2xx (and none 401/403), nil when none said.
func credentialsAccepted(checks []*routeCheck) *bool {
	var accepted *bool
	for _, chk := range checks {
		if chk.Status == 401 || chk.Status == 403 {
			v := false
			return &v
		}
		if chk.Called && chk.Status >= 200 && chk.Status < 300 && accepted == nil {
			v := true
			accepted = &v
		}
	}
	return accepted
}

// countProblems counts the checks called that failed (or, strict, whose
// fields differ from the contract).
func countProblems(checks []*routeCheck, strict bool) int {
	problems := 0
	for _, chk := range checks {
		if chk.Called && (!chk.OK || (strict && (len(chk.Unexpected)+len(chk.Missing)+len(chk.Mismatched) > 0))) {
			problems++
		}
	}
	return problems
}

// judge fills a check from the SDK's error and the raw answer.
func (c *cli) judge(chk *routeCheck, err error, benign func(error) string) {
	chk.Unexpected, chk.Missing = []string{}, []string{}
	if ex := chk.raw; ex != nil {
		chk.Status = ex.status
		chk.ContentType = redact.Text(ex.contentType)
		if ex.err != nil && err == nil {
			err = ex.err
		}
	}
	switch {
	case err == nil:
		chk.Decoded, chk.OK = true, true
	case benign != nil && benign(err) != "":
		chk.Note, chk.OK = benign(err), true
		chk.Error = err.Error()
	default:
		chk.Error = err.Error()
	}
	judgeShape(chk)
}

// judgeShape compares the fields of a 2xx JSON answer with the contract.
func judgeShape(chk *routeCheck) {
	ex := chk.raw
	if ex == nil || ex.err != nil || ex.status < 200 || ex.status >= 300 {
		return
	}
	if !ex.complete {
		chk.Shape = "the answer broke off or was too large to check"
		return
	}
	mt, _, _ := mime.ParseMediaType(ex.contentType)
	if mt == "text/csv" || (chk.Name == "getesimassignments" && isCSV(ex.body)) {
		chk.Shape = "CSV"
		return
	}
	fr, perr := checkFields(chk.schema, ex.body)
	if perr != nil {
		chk.Shape = perr.Error()
		return
	}
	chk.Shape = fr.Shape
	chk.Unexpected, chk.Missing, chk.Mismatched = redactPaths(nonNil(fr.Unexpected)), nonNil(fr.Missing), redactPaths(fr.Mismatched)
}

func isCSV(b []byte) bool {
	s := strings.TrimSpace(string(b))
	return strings.HasPrefix(s, "ICCID") || strings.HasPrefix(s, `"ICCID"`)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// contractShaped reports whether a credential looks like the ones observed
// at Travel Roam: 60 ASCII letters and digits.
func contractShaped(s string) bool {
	if len(s) != 60 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// printDoctor writes the report for a person.
func (c *cli) printDoctor(r doctorJSON) {
	c.printf("Environment:  %s (%s)\n", r.Environment, r.BaseURL)
	cred := "not checked"
	if r.Credentials.Accepted != nil {
		cred = map[bool]string{true: "accepted", false: "REFUSED (401/403)"}[*r.Credentials.Accepted]
	}
	shape := ""
	if !r.Credentials.LooksLikeContract {
		shape = "; not the 60 letters and digits seen at Travel Roam"
	}
	c.printf("Credentials:  %s (%d characters) and %s (%d characters): %s%s\n\n",
		envAPIKey, r.Credentials.APIKeyLength, envClientSecret, r.Credentials.ClientSecretLength, cred, shape)
	for _, chk := range r.Checks {
		c.printCheck(chk)
	}
	c.println()
	if r.OK {
		c.println("Every route called answered as the SDK needs.")
	}
}

// printCheck writes one check's line, then its details.
func (c *cli) printCheck(chk *routeCheck) {
	name := chk.Method + " " + chk.Route
	if chk.Guessed {
		name += " (guessed route)"
	}
	c.printf("%-42s ", name)
	switch {
	case !chk.Called:
		c.printf("skipped: %s\n", chk.Skipped)
		return
	case chk.Status == 0:
		c.printf("FAILED: no answer: %s\n", chk.Error)
		return
	}
	verdict := map[bool]string{true: "ok", false: "FAILED"}[chk.OK]
	decoded := map[bool]string{true: "decoded", false: "not decoded"}[chk.Decoded]
	if chk.Note != "" {
		decoded = chk.Note
	}
	c.printf("%s: %d, %s", verdict, chk.Status, decoded)
	if chk.Note == "" && chk.Status >= 200 && chk.Status < 300 && len(chk.Unexpected)+len(chk.Missing)+len(chk.Mismatched) == 0 && chk.Shape == "" {
		c.printf(", fields as the contract says")
	}
	c.println()
	details := [][2]string{{"shape", chk.Shape}, {"unexpected fields", strings.Join(chk.Unexpected, ", ")},
		{"missing fields", strings.Join(chk.Missing, ", ")}, {"other shapes", strings.Join(chk.Mismatched, ", ")}, {"fixture", chk.Fixture}}
	if !chk.Decoded && chk.Error != "" && chk.Note == "" {
		details = append([][2]string{{"error", chk.Error}}, details...)
	}
	for _, d := range details {
		if d[1] != "" {
			c.printf("    %-18s %s\n", d[0]+":", d[1])
		}
	}
}

// fixtureIndex is index.json of a --record directory.
type fixtureIndex struct {
	Environment string         `json:"environment"`
	SDKVersion  string         `json:"sdkVersion"`
	Fixtures    []fixtureEntry `json:"fixtures"`
}

type fixtureEntry struct {
	Name        string `json:"name"`
	Method      string `json:"method"`
	Route       string `json:"route"`
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	File        string `json:"file"`
	Complete    bool   `json:"complete"`
}

// writeFixtures writes each recorded answer, redacted, into dir, with an
// index.json describing them.
func (c *cli) writeFixtures(dir string, checks []*routeCheck, t target) error {
	if err := makeRecordDir(dir); err != nil {
		return err
	}
	r := redact.NewRedactor(c.getenv(envAPIKey), c.getenv(envClientSecret))
	idx := fixtureIndex{Environment: string(t.env), SDKVersion: sdkVersion, Fixtures: []fixtureEntry{}}
	for _, chk := range checks {
		ex := chk.raw
		if ex == nil || ex.err != nil {
			continue
		}
		data, file := fixture(r, chk)
		path, err := writeFixture(dir, file, data)
		if err != nil {
			return err
		}
		chk.Fixture = path
		idx.Fixtures = append(idx.Fixtures, fixtureEntry{Name: chk.Name, Method: ex.method, Route: chk.Route, Status: ex.status,
			ContentType: r.Text(ex.contentType), File: file, Complete: ex.complete})
	}
	var b strings.Builder
	enc := jsonEncoder(&b)
	if err := enc.Encode(idx); err != nil {
		return err
	}
	_, err := writeFixture(dir, "index.json", []byte(b.String()))
	return err
}

// routeMethod and routePath are the SDK's route of op (its default: the
// CLI sets no WithRoute), so that the report names what was called.
func routeMethod(op travelroam.Operation) string {
	r, _ := op.DefaultRoute()
	return r.Method
}

func routePath(op travelroam.Operation) string {
	r, _ := op.DefaultRoute()
	return r.Path
}
