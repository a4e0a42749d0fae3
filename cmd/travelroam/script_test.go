package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/rogpeppe/go-internal/testscript"
	"go.uber.org/goleak"
)

// Credentials of the per-script fake: 60 letters and digits like Travel
// Roam's, and not the fake's defaults, so that "travelroam fake" (which
// prints its own) cannot hide a leak. Every command run with "tr" is
// checked for them.
const (
	testAPIKey    = "SCRIPTKEYaaaa1111bbbb2222cccc3333dddd4444eeee5555ffff6666ggg"
	testSecret    = "SCRIPTSECRETzzzz9999yyyy8888xxxx7777wwww6666vvvv5555uuuu4444"
	callbackToken = "cb-token-0123456789abcdef"
)

// leakCheck runs the tests, then checks for leaked goroutines, as
// goleak.VerifyTestMain does (testscript.Main needs the *testing.M).
type leakCheck struct{ m *testing.M }

func (l leakCheck) Run() int {
	code := l.m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			return 1
		}
	}
	return code
}

func TestMain(m *testing.M) {
	testscript.Main(leakCheck{m}, map[string]func(){"travelroam": main})
}

// TestScripts runs testdata/script/*.txtar: every command against an
// in-process fake started per script (see setupScript for the variables
// and scriptCommands for the commands scripts can use).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		Setup:               setupScript,
		Cmds:                scriptCommands(),
		Condition:           scriptCondition,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
	})
}

type fakeKey struct{}

// scriptFake holds a script's fake, which fake-new replaces.
type scriptFake struct{ srv *travelroamtest.Server }

// setupScript starts the script's fake and exports TRAVELROAM_API_KEY,
// TRAVELROAM_CLIENT_SECRET, TRAVELROAM_BASE_URL, TRAVELROAM_LIVE_BASE_URL,
// LISTEN_ADDR (a free port whose callbacks the fake sends to, with
// ?token=$CALLBACK_TOKEN) and NO_COLOR unset.
func setupScript(env *testscript.Env) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	env.Setenv("LISTEN_ADDR", addr)
	// The purchase journal goes to $WORK/state/travelroam/journal.db, and
	// purchases through one fake are not paced (the SDK allows it off
	// Travel Roam's hosts).
	env.Setenv(envStateHome, env.WorkDir+"/state")
	env.Setenv(envPurchaseInterval, "0s")
	env.Setenv("CALLBACK_TOKEN", callbackToken)
	env.Setenv("API_KEY", testAPIKey)
	env.Setenv("CLIENT_SECRET", testSecret)
	h := &scriptFake{srv: newScriptFake(addr, nil)}
	env.Values[fakeKey{}] = h
	env.Defer(func() { h.srv.Close() })
	for k, v := range fakeEnviron(h.srv) {
		env.Setenv(k, v)
	}
	return nil
}

func newScriptFake(listenAddr string, opts []travelroamtest.Option) *travelroamtest.Server {
	return travelroamtest.NewServer(append([]travelroamtest.Option{
		travelroamtest.WithCredentials(testAPIKey, testSecret),
		travelroamtest.WithAssignmentDelay(0),
		travelroamtest.WithCallbackURL("http://" + listenAddr + "/travelroam?token=" + callbackToken),
	}, opts...)...)
}

func fakeEnviron(srv *travelroamtest.Server) map[string]string {
	return map[string]string{
		envAPIKey:       srv.APIKey,
		envClientSecret: srv.ClientSecret,
		envBaseURL:      srv.EnvURL(travelroamtest.Sandbox),
		envLiveBaseURL:  srv.EnvURL(travelroamtest.Live),
	}
}

// freeAddr returns a loopback address with a port that was free.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func fake(ts *testscript.TestScript) *travelroamtest.Server {
	return ts.Value(fakeKey{}).(*scriptFake).srv
}

// scriptCommands are the commands scripts use beside testscript's own:
//
//	tr [-code N] ARGS...      run travelroam ARGS, expect exit status N (default 0),
//	                          and fail if stdout or stderr holds the API key or secret
//	capture NAME REGEXP       set NAME to the first submatch of REGEXP in the last stdout
//	no-secrets                the same check on the last stdout and stderr
//	fake-new [-assignment-delay D] [-pending 503|404|empty]   replace the fake
//	fake-fault ROUTE STATUS [CONTENT-TYPE BODY]               queue a fault
//	fake-last-order           set ORDER and ICCID from the fake's last order
//	fake-orders N             the fake's ledger holds N orders
//	fake-balance ENV          set BALANCE to the cents of ENV's wallet
//	fake-ready                make every order's installation data ready
//	fake-install ICCID        mark the eSIM installed
//	fake-location ICCID       set its location (Turkcell, TR)
//	fake-consume [-delivered] ICCID BYTES
//	                          use data; the callbacks go to LISTEN_ADDR and, with
//	                          -delivered, must be received
//	wait-listening ADDR       wait until something accepts connections at ADDR
//	perm MODE PATH            PATH (not followed if a link) is a regular file or
//	                          directory with permission bits MODE (octal)
//	journal-pending KEY BUNDLE  record in the default journal a pending attempt of
//	                          the fake's sandbox account (a buy killed mid-way)
//	fake-requests ROUTE N     the fake received N requests on ROUTE
//	tr-signal [-code N] INT|KILL ROUTE ARGS...
//	                          run travelroam ARGS, send it the signal once the fake
//	                          has its request on ROUTE (hold it with a Latency
//	                          fault: fake-hang), expect exit status N (KILL: -1);
//	                          its output goes to $WORK/signal.stdout and .stderr
//	fake-hang ROUTE           the next request on ROUTE waits an hour for its answer
//	fake-callback BODY        the fake posts BODY to the callback URL (LISTEN_ADDR)
//	pg-journal                PG_JOURNAL: a postgres:// journal in a schema of its own
//	                          (skips the script without TRAVELROAM_TEST_POSTGRES_URL)
func scriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := journalCommands()
	for k, v := range baseCommands() {
		cmds[k] = v
	}
	return cmds
}

func baseCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"tr":              cmdTr,
		"capture":         cmdCapture,
		"no-secrets":      func(ts *testscript.TestScript, neg bool, args []string) { checkNoSecrets(ts) },
		"fake-new":        cmdFakeNew,
		"fake-fault":      cmdFakeFault,
		"fake-last-order": cmdFakeLastOrder,
		"fake-orders": func(ts *testscript.TestScript, neg bool, args []string) {
			n, err := strconv.Atoi(args[0])
			ts.Check(err)
			if got := len(fake(ts).Orders()); got != n {
				ts.Fatalf("the fake has %d orders, want %d", got, n)
			}
		},
		"fake-balance": func(ts *testscript.TestScript, neg bool, args []string) {
			ts.Setenv("BALANCE", strconv.FormatInt(fake(ts).Balance(travelroamtest.Environment(args[0])), 10))
		},
		"fake-ready":   func(ts *testscript.TestScript, neg bool, args []string) { fake(ts).MakeAssignmentsReady() },
		"fake-install": func(ts *testscript.TestScript, neg bool, args []string) { ts.Check(fake(ts).InstallESIM(args[0])) },
		"fake-location": func(ts *testscript.TestScript, neg bool, args []string) {
			ts.Check(fake(ts).SetLocation(args[0], travelroamtest.Location{MobileNetworkCode: "TURTS",
				NetworkName: "Turkcell Iletisim Hizmetleri A.S.", NetworkBrandName: "Turkcell", Country: "TR"}))
		},
		"fake-consume":   cmdFakeConsume,
		"wait-listening": cmdWaitListening,
	}
}

// checkNoSecrets fails the script if the last stdout or stderr holds the
// API key or the client secret.
func checkNoSecrets(ts *testscript.TestScript) {
	for _, f := range []string{"stdout", "stderr"} {
		out := ts.ReadFile(f)
		for _, s := range []string{testAPIKey, testSecret} {
			if strings.Contains(out, s) {
				ts.Fatalf("%s holds a credential", f)
			}
		}
	}
}

func cmdTr(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("use tr -code N instead of ! tr")
	}
	want := 0
	if len(args) >= 2 && args[0] == "-code" {
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		want, args = n, args[2:]
	}
	err := ts.Exec("travelroam", args...)
	got := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		got = exitErr.ExitCode()
	} else if err != nil {
		ts.Fatalf("travelroam: %v", err)
	}
	checkNoSecrets(ts)
	if got != want {
		ts.Fatalf("travelroam %s: exit status %d, want %d", strings.Join(args, " "), got, want)
	}
}

func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: capture NAME REGEXP")
	}
	m := regexp.MustCompile(args[1]).FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("capture: %q does not match stdout", args[1])
	}
	ts.Setenv(args[0], m[1])
}

func cmdFakeNew(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("fake-new", flag.ContinueOnError)
	delay := fs.Duration("assignment-delay", 0, "")
	pending := fs.String("pending", "503", "")
	ts.Check(fs.Parse(args))
	opts := []travelroamtest.Option{travelroamtest.WithAssignmentDelay(*delay)}
	switch *pending {
	case "404":
		opts = append(opts, travelroamtest.WithPendingStyle(travelroamtest.Pending404))
	case "empty":
		opts = append(opts, travelroamtest.WithPendingStyle(travelroamtest.PendingEmpty200))
	}
	h := ts.Value(fakeKey{}).(*scriptFake)
	h.srv.Close()
	h.srv = newScriptFake(ts.Getenv("LISTEN_ADDR"), opts)
	for k, v := range fakeEnviron(h.srv) {
		ts.Setenv(k, v)
	}
}

func cmdFakeFault(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 && len(args) != 4 {
		ts.Fatalf("usage: fake-fault ROUTE STATUS [CONTENT-TYPE BODY]")
	}
	status, err := strconv.Atoi(args[1])
	ts.Check(err)
	f := travelroamtest.Status(status, "injected")
	if len(args) == 4 {
		f = f.WithBody(args[2], args[3])
	}
	fake(ts).InjectFault(travelroamtest.Route(args[0]), f)
}

func cmdFakeLastOrder(ts *testscript.TestScript, neg bool, args []string) {
	orders := fake(ts).Orders()
	if len(orders) == 0 {
		ts.Fatalf("the fake has no order")
	}
	o := orders[len(orders)-1]
	ts.Setenv("ORDER", o.Reference)
	ts.Setenv("ICCID", o.ICCID)
	ts.Setenv("ICCID_LAST4", o.ICCID[len(o.ICCID)-4:])
}

func cmdFakeConsume(ts *testscript.TestScript, neg bool, args []string) {
	delivered := len(args) == 3 && args[0] == "-delivered"
	if delivered {
		args = args[1:]
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = fake(ts).ConsumeData(ctx, args[0], n)
	if delivered || errors.Is(err, travelroamtest.ErrUnknownICCID) || errors.Is(err, travelroamtest.ErrNoData) {
		ts.Check(err)
	}
}

func cmdWaitListening(ts *testscript.TestScript, neg bool, args []string) {
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", args[0], time.Second)
		if err == nil {
			c.Close()
			return
		}
		if i == 200 {
			ts.Fatalf("nothing listens at %s: %v", args[0], err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
