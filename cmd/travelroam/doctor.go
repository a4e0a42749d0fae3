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

func runDoctor(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("doctor", true)
	record := f.String("record", "", "write each answer, redacted, as a fixture in `DIR`")
	iccid := f.String("iccid", "", "also check the eSIM routes (details, applied bundles, location) with this eSIM")
	order := f.String("order", "", "also check the assignments route with this order `REFERENCE`")
	countries := f.String("countries", "TR", "countries of the catalogue page checked")
	bundleName := f.String("bundle", "", "bundle checked on /bundle (default: the first of the catalogue page)")
	strict := f.Bool("strict", false, "also fail when fields differ from the contract")
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
	key, secret := c.getenv(envAPIKey), c.getenv(envClientSecret)
	report := doctorJSON{Environment: string(t.env), BaseURL: t.baseURL, Credentials: credentialsJSON{
		APIKeyLength: len(key), ClientSecretLength: len(secret), LooksLikeContract: contractShaped(key) && contractShaped(secret)}}

	do := func(chk *routeCheck, call func() error, benign func(error) string) {
		n := rec.len()
		err := call()
		chk.Called = true
		if ex := rec.since(n); len(ex) > 0 {
			chk.raw = &ex[len(ex)-1]
		}
		c.judge(chk, err, benign)
		if ctx.Err() != nil {
			chk.Error = "interrupted"
			chk.OK = false
		}
	}
	add := func(chk *routeCheck) *routeCheck {
		report.Checks = append(report.Checks, chk)
		return chk
	}

	add(&routeCheck{Name: "organisation", Method: routeMethod(travelroam.OpOrganisation), Route: routePath(travelroam.OpOrganisation), Guessed: true,
		schema: routeSchema{body: organisationSchema, wrappers: []string{"organisations", "data"}}})
	do(report.Checks[0], func() error { _, err := cl.Organisation(ctx); return err }, nil)

	var first string
	cat := add(&routeCheck{Name: "catalogue", Method: routeMethod(travelroam.OpCatalogue), Route: routePath(travelroam.OpCatalogue),
		schema: routeSchema{body: catalogueSchema, wrappers: []string{"data"}}})
	do(cat, func() error {
		p, err := cl.Catalogue(ctx, travelroam.CatalogueOptions{Countries: strings.Split(*countries, ","), PerPage: 5})
		if err == nil && len(p.Bundles) > 0 {
			first = p.Bundles[0].Name
		}
		return err
	}, nil)

	bun := add(&routeCheck{Name: "bundle", Method: routeMethod(travelroam.OpBundle), Route: routePath(travelroam.OpBundle), schema: routeSchema{body: bundleSchema, wrappers: []string{"data", "bundle"}}})
	if *bundleName == "" {
		*bundleName = first
	}
	if *bundleName == "" {
		bun.Skipped = "no bundle name: the catalogue page gave none; give --bundle NAME"
	} else if ctx.Err() == nil {
		do(bun, func() error { _, err := cl.Bundle(ctx, *bundleName); return err }, nil)
	}

	esimChecks := []*routeCheck{
		add(&routeCheck{Name: "esims_details", Method: routeMethod(travelroam.OpESIMDetails), Route: routePath(travelroam.OpESIMDetails), schema: routeSchema{body: esimDetailsSchema, wrappers: []string{"data", "esim"}}}),
		add(&routeCheck{Name: "esims_applied_bundles", Method: routeMethod(travelroam.OpAppliedBundles), Route: routePath(travelroam.OpAppliedBundles), schema: routeSchema{body: appliedBundlesSchema, wrappers: []string{"data"}}}),
		add(&routeCheck{Name: "esims_location", Method: routeMethod(travelroam.OpLocation), Route: routePath(travelroam.OpLocation), schema: routeSchema{body: locationSchema, wrappers: []string{"data"}}}),
	}
	if *iccid == "" {
		for _, chk := range esimChecks {
			chk.Skipped = "give --iccid ICCID to check it"
		}
	} else if ctx.Err() == nil {
		do(esimChecks[0], func() error { _, err := cl.ESIM(ctx, *iccid); return err }, nil)
		do(esimChecks[1], func() error { _, err := cl.AppliedBundles(ctx, *iccid); return err }, nil)
		do(esimChecks[2], func() error { _, err := cl.Location(ctx, *iccid); return err }, func(err error) string {
			var apiErr *travelroam.APIError
			if errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && apiErr.StatusCode != 401 && apiErr.StatusCode != 403 {
				return "no location: the eSIM was probably never seen on a network"
			}
			return ""
		})
	}

	asg := add(&routeCheck{Name: "getesimassignments", Method: routeMethod(travelroam.OpAssignments), Route: routePath(travelroam.OpAssignments),
		schema: routeSchema{body: assignmentsSchema, wrappers: []string{"esims", "data"}, list: true}})
	if *order == "" {
		asg.Skipped = "give --order REFERENCE to check it"
	} else if ctx.Err() == nil {
		do(asg, func() error { _, err := cl.Assignments(ctx, *order); return err }, func(err error) string {
			if errors.Is(err, travelroam.ErrAssignmentsNotReady) {
				return "installation data not ready yet"
			}
			return ""
		})
	}
	add(&routeCheck{Name: "processorders", Method: routeMethod(travelroam.OpProcessOrder), Route: routePath(travelroam.OpProcessOrder), Skipped: "not called: doctor never buys"})
	add(&routeCheck{Name: "esims_revoke", Method: routeMethod(travelroam.OpRevokeESIM), Route: routePath(travelroam.OpRevokeESIM), Guessed: true,
		Skipped: "not called: doctor never revokes (a real revoke is the only test of this guessed route)"})

	for _, chk := range report.Checks {
		if chk.Status == 401 || chk.Status == 403 {
			v := false
			report.Credentials.Accepted = &v
			break
		}
		if chk.Called && chk.Status >= 200 && chk.Status < 300 && report.Credentials.Accepted == nil {
			v := true
			report.Credentials.Accepted = &v
		}
	}
	if *record != "" {
		report.RecordDir = *record
		if err := c.writeFixtures(*record, report.Checks, t); err != nil {
			return err
		}
	}
	report.OK = true
	problems := 0
	for _, chk := range report.Checks {
		if chk.Called && (!chk.OK || (*strict && (len(chk.Unexpected)+len(chk.Missing)+len(chk.Mismatched) > 0))) {
			problems++
		}
	}
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
	fmt.Fprintf(c.out, "Environment:  %s (%s)\n", r.Environment, r.BaseURL)
	cred := "not checked"
	if r.Credentials.Accepted != nil {
		cred = map[bool]string{true: "accepted", false: "REFUSED (401/403)"}[*r.Credentials.Accepted]
	}
	shape := ""
	if !r.Credentials.LooksLikeContract {
		shape = "; not the 60 letters and digits seen at Travel Roam"
	}
	fmt.Fprintf(c.out, "Credentials:  %s (%d characters) and %s (%d characters): %s%s\n\n",
		envAPIKey, r.Credentials.APIKeyLength, envClientSecret, r.Credentials.ClientSecretLength, cred, shape)
	for _, chk := range r.Checks {
		name := chk.Method + " " + chk.Route
		if chk.Guessed {
			name += " (guessed route)"
		}
		fmt.Fprintf(c.out, "%-42s ", name)
		switch {
		case !chk.Called:
			fmt.Fprintf(c.out, "skipped: %s\n", chk.Skipped)
			continue
		case chk.Status == 0:
			fmt.Fprintf(c.out, "FAILED: no answer: %s\n", chk.Error)
			continue
		}
		verdict := "ok"
		if !chk.OK {
			verdict = "FAILED"
		}
		decoded := "decoded"
		if !chk.Decoded {
			decoded = "not decoded"
		}
		if chk.Note != "" {
			decoded = chk.Note
		}
		fmt.Fprintf(c.out, "%s: %d, %s", verdict, chk.Status, decoded)
		switch {
		case chk.Note != "":
		case chk.Status >= 200 && chk.Status < 300 && len(chk.Unexpected)+len(chk.Missing)+len(chk.Mismatched) == 0 && chk.Shape == "":
			fmt.Fprint(c.out, ", fields as the contract says")
		}
		fmt.Fprintln(c.out)
		if !chk.Decoded && chk.Error != "" && chk.Note == "" {
			fmt.Fprintf(c.out, "    error:             %s\n", chk.Error)
		}
		if chk.Shape != "" {
			fmt.Fprintf(c.out, "    shape:             %s\n", chk.Shape)
		}
		if len(chk.Unexpected) > 0 {
			fmt.Fprintf(c.out, "    unexpected fields: %s\n", strings.Join(chk.Unexpected, ", "))
		}
		if len(chk.Missing) > 0 {
			fmt.Fprintf(c.out, "    missing fields:    %s\n", strings.Join(chk.Missing, ", "))
		}
		if len(chk.Mismatched) > 0 {
			fmt.Fprintf(c.out, "    other shapes:      %s\n", strings.Join(chk.Mismatched, ", "))
		}
		if chk.Fixture != "" {
			fmt.Fprintf(c.out, "    fixture:           %s\n", chk.Fixture)
		}
	}
	fmt.Fprintln(c.out)
	if r.OK {
		fmt.Fprintln(c.out, "Every route called answered as the SDK needs.")
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
	r, _ := travelroam.DefaultRoute(op)
	return r.Method
}

func routePath(op travelroam.Operation) string {
	r, _ := travelroam.DefaultRoute(op)
	return r.Path
}
