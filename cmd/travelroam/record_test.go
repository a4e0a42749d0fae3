package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// handedOut is what the fake handed out for the one eSIM of a test, read
// from travelroamtest.Server.Secrets.
type handedOut struct {
	ref, iccid, matchingID, lpa, pin, puk string
	all                                   []string
}

// buyOne buys an eSIM on srv with the SDK (so that the test does not
// depend on the command line's buy) and returns its secrets.
func buyOne(t *testing.T, srv *travelroamtest.Server) handedOut {
	t.Helper()
	cl, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, travelroam.WithBaseURL(srv.URL),
		travelroam.WithHTTPClient(srv.Client()), travelroam.WithPurchaseInterval(0))
	require.NoError(t, err)
	_, err = cl.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	orders := srv.Orders()
	require.Len(t, orders, 1)
	h := handedOut{ref: orders[0].Reference, iccid: orders[0].ICCID, all: srv.Secrets()}
	digits := regexp.MustCompile(`^[0-9]+$`)
	for _, s := range h.all {
		switch {
		case strings.HasPrefix(s, "LPA:1$"):
			h.lpa = s
			h.matchingID = s[strings.LastIndex(s, "$")+1:]
		case digits.MatchString(s) && len(s) == 4:
			h.pin = s
		case digits.MatchString(s) && len(s) == 8:
			h.puk = s
		}
	}
	require.NotEmpty(t, h.matchingID)
	require.NotEmpty(t, h.pin)
	require.NotEmpty(t, h.puk)
	for _, s := range []string{srv.APIKey, srv.ClientSecret, h.iccid, h.matchingID, h.lpa, h.pin, h.puk} {
		require.Contains(t, h.all, s, "Secrets lists every secret handed out")
	}
	require.NoError(t, srv.InstallESIM(h.iccid))
	require.NoError(t, srv.SetLocation(h.iccid, travelroamtest.Location{Country: "TR"}))
	return h
}

// runCLI runs the command line against srv and returns its exit status,
// stdout and stderr.
func runCLI(t *testing.T, srv *travelroamtest.Server, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := map[string]string{
		envAPIKey: srv.APIKey, envClientSecret: srv.ClientSecret,
		envBaseURL: srv.EnvURL(travelroamtest.Sandbox), envLiveBaseURL: srv.EnvURL(travelroamtest.Live),
	}
	code := run(t.Context(), &sys{in: strings.NewReader(""), out: &stdout, err: &stderr, httpClient: srv.Client(),
		getenv: func(k string) string { return env[k] }}, args)
	return code, stdout.String(), stderr.String()
}

// leakForms returns the forms in which a secret could be written: as is,
// JSON-escaped (with and without HTML escaping), URL-escaped (query and
// path) and percent-encoding every byte but letters and digits.
func leakForms(s string) []string {
	forms := []string{s, url.QueryEscape(s), url.PathEscape(s)}
	j, _ := json.Marshal(s)
	forms = append(forms, string(j[1:len(j)-1]))
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	forms = append(forms, strings.TrimSpace(b.String())[1:len(strings.TrimSpace(b.String()))-1])
	var pct strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			pct.WriteByte(c)
		} else {
			fmt.Fprintf(&pct, "%%%02X", c)
		}
	}
	return append(forms, pct.String())
}

// requireNoSecret fails if out holds any of the secrets in any form. A
// secret shorter than 12 characters (a PIN, a PUK) could occur by chance
// inside other digits, so it counts only as a whole token: not next to a
// letter or a digit.
func requireNoSecret(t *testing.T, name string, out []byte, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		for _, form := range leakForms(s) {
			if len(s) >= 12 {
				if bytes.Contains(out, []byte(form)) {
					t.Errorf("%s holds the secret %q (as %q):\n%s", name, s, form, out)
				}
				continue
			}
			re := regexp.MustCompile(`(^|[^0-9A-Za-z])` + regexp.QuoteMeta(form) + `($|[^0-9A-Za-z])`)
			if re.Match(out) {
				t.Errorf("%s holds the short secret %q (as %q):\n%s", name, s, form, out)
			}
		}
	}
}

// oddShape is a fake whose answers take one of the shapes the fake can
// produce, or that the test makes it send (faults with a body built from
// the secrets the fake handed out).
type oddShape struct {
	name   string
	opts   []travelroamtest.Option
	faults func(srv *travelroamtest.Server, h handedOut)
}

func answer(contentType, body string) travelroamtest.Fault {
	return travelroamtest.Status(200, "").WithBody(contentType, body)
}

func oddShapes() []oddShape {
	const js, csv = "application/json", "text/csv"
	return []oddShape{
		{name: "json"},
		{name: "csv assignments", opts: []travelroamtest.Option{travelroamtest.WithAssignmentsFormat(travelroamtest.AssignmentsCSV)}},
		{name: "assignments by Accept", opts: []travelroamtest.Option{travelroamtest.WithAssignmentsFormat(travelroamtest.AssignmentsByAccept)}},
		{name: "numeric order reference", opts: []travelroamtest.Option{travelroamtest.WithOrderAnswer(travelroamtest.OrderAnswerNumericReference)}},
		{name: "numeric ICCIDs", opts: []travelroamtest.Option{travelroamtest.WithOrderAnswer(travelroamtest.OrderAnswerNumericICCID)}},
		{name: "pending as an empty 200", opts: []travelroamtest.Option{
			travelroamtest.WithPendingStyle(travelroamtest.PendingEmpty200), travelroamtest.WithAssignmentDelay(1 << 40)}},
		{name: "malformed JSON", faults: func(srv *travelroamtest.Server, h handedOut) {
			for _, r := range []travelroamtest.Route{travelroamtest.RouteESIMDetails, travelroamtest.RouteAssignments, travelroamtest.RouteAppliedBundles} {
				srv.InjectFault(r, travelroamtest.MalformedJSON())
			}
		}},
		{name: "truncated csv", opts: []travelroamtest.Option{travelroamtest.WithAssignmentsFormat(travelroamtest.AssignmentsCSV)},
			faults: func(srv *travelroamtest.Server, h handedOut) {
				srv.InjectFault(travelroamtest.RouteAssignments, travelroamtest.TruncatedBody())
				srv.InjectFault(travelroamtest.RouteESIMDetails, travelroamtest.TruncatedBody())
			}},
		{name: "unknown key spellings", faults: func(srv *travelroamtest.Server, h handedOut) {
			srv.InjectFault(travelroamtest.RouteESIMDetails, answer(js, fmt.Sprintf(
				`{"ICCID_NUMBER":%q,"matching_id":%q,"Activation-Code":%q,"activation_code":%q,"PIN Code":%q,"puk_1":%q,"esimPin":%s,"sm-dp+ address":"rsp.fake.local"}`,
				h.iccid, h.matchingID, h.matchingID, h.lpa, h.pin, h.puk, h.pin)))
			srv.InjectFault(travelroamtest.RouteAssignments, answer(js, fmt.Sprintf(
				`{"data":[{"Iccid":%s,"MatchingID":%q,"qr_code":%q,"LPA":%q}]}`, h.iccid, h.matchingID, h.lpa, h.lpa)))
		}},
		{name: "secrets as member names", faults: func(srv *travelroamtest.Server, h handedOut) {
			srv.InjectFault(travelroamtest.RouteESIMDetails, answer(js, fmt.Sprintf(
				`{"esims":{%q:{"code":%q,%q:true}}}`, h.iccid, h.matchingID, h.matchingID)))
			srv.InjectFault(travelroamtest.RouteAppliedBundles, answer(js, fmt.Sprintf(
				`{"bundles":[{"name":%q,"description":%q,"assignments":[{"id":%s,"assignmentReference":%q}]}],%q:{%q:%q}}`,
				h.matchingID, h.lpa, h.iccid, h.iccid, h.lpa, h.iccid, h.matchingID)))
		}},
		{name: "secrets by shape under any key", faults: func(srv *travelroamtest.Server, h handedOut) {
			escaped := fmt.Sprintf(`\u%04x`, h.matchingID[0]) + h.matchingID[1:]
			srv.InjectFault(travelroamtest.RouteLocation, answer(js, fmt.Sprintf(
				`{"lastSeen":"2026-12-07T10:00:00Z","note":"eSIM %s, matching ID %s, PIN %s, PUK: %s","x":"%s","list":[{"key":"ref","value":%q}],"deep":[[[%s]]]}`,
				h.iccid, h.matchingID, h.pin, h.puk, escaped, h.matchingID, h.iccid)))
			srv.InjectFault(travelroamtest.RouteOrganisation, answer(js, fmt.Sprintf(
				`{"balance":1,"currency":"USD","apiKey":%q,"X-API-KEY":%q,"client_secret":%q,"message":"bad key %s","link":"https://x.example/?iccid=%s&matching_id=%s&carddata=%s"}`,
				srv.APIKey, srv.APIKey, srv.ClientSecret, srv.APIKey, h.iccid, h.matchingID, url.QueryEscape(h.lpa))))
		}},
		{name: "error answers", opts: []travelroamtest.Option{travelroamtest.WithICCIDNotFoundStatus(404)},
			faults: func(srv *travelroamtest.Server, h handedOut) {
				srv.InjectFault(travelroamtest.RouteOrganisation, travelroamtest.HTMLBadGateway())
				srv.InjectFault(travelroamtest.RouteCatalogue, travelroamtest.RateLimited())
				srv.InjectFault(travelroamtest.RouteBundle, travelroamtest.Status(400, "Bundle for "+h.iccid+" ("+h.lpa+") not found"))
				srv.InjectFault(travelroamtest.RouteLocation, travelroamtest.GzipBomb(1<<20))
			}},
		{name: "revoked eSIM", faults: func(srv *travelroamtest.Server, h handedOut) {
			// Called before each run: the second revoke is refused.
			cl, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()))
			if err == nil {
				_ = cl.RevokeESIM(context.Background(), travelroam.ICCID(h.iccid))
			}
			if !errors.Is(srv.InstallESIM(h.iccid), travelroamtest.ErrUnknownICCID) {
				panic("the eSIM is still there")
			}
		}},
		{name: "json cut short", faults: func(srv *travelroamtest.Server, h handedOut) {
			srv.InjectFault(travelroamtest.RouteESIMDetails, answer(js, fmt.Sprintf(
				`{"esim":{"esimPin":"%s","simPUK":%s,"Iccid":%s,"matching_id":"%s","activation_code":"%s`, h.pin, h.puk, h.iccid, h.matchingID, h.lpa)))
		}},
		{name: "odd csv", faults: func(srv *travelroamtest.Server, h handedOut) {
			srv.InjectFault(travelroamtest.RouteAssignments, answer(csv, fmt.Sprintf(
				"iccid,matching_id,Activation Code,Pin,PUK,Note\r\n%s,%s,%s,%s,%s,\"code %s, pin: %s\"\r\n",
				h.iccid, h.matchingID, h.lpa, h.pin, h.puk, h.matchingID, h.pin)))
			// No header: the first row is data, found by its shape.
			srv.InjectFault(travelroamtest.RouteESIMDetails, answer(csv, fmt.Sprintf(
				"%q,%q,%q\n%q,%q,%q\n", h.iccid, h.matchingID, "x", h.lpa, h.matchingID+" ", h.iccid)))
		}},
		{name: "csv without a csv content type", faults: func(srv *travelroamtest.Server, h handedOut) {
			srv.InjectFault(travelroamtest.RouteAssignments, answer("text/plain", fmt.Sprintf(
				"\"ICCID\",\"Matching ID\",\"RSP URL\",\"Bundle\"\n\"%s\",\"%s\",\"%s\",\"esim_1GB_7D_TR_V2\"\n", h.iccid, h.matchingID, h.lpa)))
		}},
		{name: "html and text", faults: func(srv *travelroamtest.Server, h handedOut) {
			srv.InjectFault(travelroamtest.RouteESIMDetails, answer("text/html", fmt.Sprintf(
				`<html><p>ICCID %s</p><p>matching id: %s</p><p>pin=%s puk=%s</p><a href="LPA:1$rsp.fake.local$%s">install</a></html>`,
				h.iccid, h.matchingID, h.pin, h.puk, h.matchingID)))
			srv.InjectFault(travelroamtest.RouteAssignments, answer("text/plain", fmt.Sprintf(
				"iccid: %s\nmatchingId = %s\nactivation_code: %s\n", h.iccid, h.matchingID, h.lpa)))
		}},
	}
}

// TestRecordHoldsNoSecret is the property test of doctor --record: in
// every answer format the fake can produce, and in odd shapes built from
// what it handed out, no secret the fake knows (ICCID, matching ID,
// activation code, PIN, PUK, credentials) appears in any recorded file, in
// any form, nor in doctor's output; every file is 0600.
func TestRecordHoldsNoSecret(t *testing.T) {
	for _, shape := range oddShapes() {
		t.Run(shape.name, func(t *testing.T) {
			srv := travelroamtest.NewServer(append([]travelroamtest.Option{travelroamtest.WithAssignmentDelay(0)}, shape.opts...)...)
			t.Cleanup(srv.Close)
			h := buyOne(t, srv)
			if shape.faults != nil {
				shape.faults(srv, h)
			}
			dir := filepath.Join(t.TempDir(), "rec")
			_, stdout, stderr := runCLI(t, srv, "doctor", "--iccid", h.iccid, "--order", h.ref, "--record", dir)
			secrets := srv.Secrets()
			requireNoSecret(t, "stdout", []byte(stdout), secrets)
			requireNoSecret(t, "stderr", []byte(stderr), secrets)
			if shape.faults != nil {
				shape.faults(srv, h)
			}
			_, jsonOut, jsonErr := runCLI(t, srv, "doctor", "--iccid", h.iccid, "--order", h.ref, "--json")
			requireNoSecret(t, "stdout of --json", []byte(jsonOut), secrets)
			requireNoSecret(t, "stderr of --json", []byte(jsonErr), secrets)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err, stderr)
			require.Greater(t, len(entries), 5, "a fixture per route called and index.json")
			st, err := os.Stat(dir)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o700), st.Mode().Perm(), "the directory doctor made")
			for _, e := range entries {
				data, err := os.ReadFile(filepath.Join(dir, e.Name()))
				require.NoError(t, err)
				requireNoSecret(t, e.Name(), data, secrets)
				info, err := e.Info()
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), e.Name())
			}
		})
	}
}

// TestRecordReplacesFiles: recording again over an existing directory
// leaves every fixture 0600, whatever the mode of the file it replaces,
// replaces a planted symbolic link instead of writing through it, and
// removes the same answer recorded in another format.
func TestRecordReplacesFiles(t *testing.T) {
	srv := travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(0))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "catalogue.json"), []byte("old"), 0o644))
	target := filepath.Join(t.TempDir(), "elsewhere")
	require.NoError(t, os.WriteFile(target, []byte("untouched"), 0o644))
	require.NoError(t, os.Symlink(target, filepath.Join(dir, "organisation.json")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bundle.txt"), []byte("an earlier run's"), 0o644))
	code, _, stderr := runCLI(t, srv, "doctor", "--record", dir)
	require.Equal(t, exitOK, code, stderr)
	for _, name := range []string{"catalogue.json", "organisation.json", "index.json"} {
		info, err := os.Lstat(filepath.Join(dir, name))
		require.NoError(t, err)
		require.True(t, info.Mode().IsRegular(), name)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), name)
	}
	require.NoFileExists(t, filepath.Join(dir, "bundle.txt"), "the bundle's answer is bundle.json now")
	got, err := os.ReadFile(target)
	require.NoError(t, err)
	require.Equal(t, "untouched", string(got), "the link's target is not written")
}
