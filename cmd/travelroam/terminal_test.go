package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/stretchr/testify/require"
)

// term is a run of the command line with chosen terminals and input.
type term struct {
	in             string
	inTTY, errTTY  bool
	outTTY         bool
	env            map[string]string
	stdout, stderr bytes.Buffer
	srv            *travelroamtest.Server
	code           int
	state          string // XDG_STATE_HOME: the journal's directory
}

func (tm *term) run(t *testing.T, args ...string) int {
	t.Helper()
	return tm.runCtx(t.Context(), t, args...)
}

func (tm *term) runCtx(ctx context.Context, t *testing.T, args ...string) int {
	t.Helper()
	tm.stdout.Reset()
	tm.stderr.Reset()
	if tm.state == "" {
		tm.state = t.TempDir() // never the real state directory
	}
	in := strings.NewReader(tm.in)
	s := &sys{in: in, out: &tm.stdout, err: &tm.stderr, httpClient: tm.srv.Client()}
	s.isTerminal = func(stream any) bool {
		switch stream {
		case any(in):
			return tm.inTTY
		case any(&tm.stdout):
			return tm.outTTY
		case any(&tm.stderr):
			return tm.errTTY
		}
		return false
	}
	env := map[string]string{
		envAPIKey: tm.srv.APIKey, envClientSecret: tm.srv.ClientSecret,
		envBaseURL: tm.srv.EnvURL(travelroamtest.Sandbox), envLiveBaseURL: tm.srv.EnvURL(travelroamtest.Live),
		envStateHome: tm.state, envPurchaseInterval: "0s",
	}
	for k, v := range tm.env {
		env[k] = v
	}
	s.getenv = func(k string) string { return env[k] }
	tm.code = run(ctx, s, args)
	require.NotContains(t, tm.stdout.String()+tm.stderr.String(), tm.srv.APIKey)
	require.NotContains(t, tm.stdout.String()+tm.stderr.String(), tm.srv.ClientSecret)
	return tm.code
}

func newTerm(t *testing.T, opts ...travelroamtest.Option) *term {
	srv := travelroamtest.NewServer(append([]travelroamtest.Option{travelroamtest.WithAssignmentDelay(0)}, opts...)...)
	t.Cleanup(srv.Close)
	return &term{srv: srv, inTTY: true, errTTY: true, outTTY: true, state: t.TempDir()}
}

func TestBuyAtTerminalAsksForConfirmation(t *testing.T) {
	tm := newTerm(t)
	for _, answer := range []string{"", "n\n", "nope\n", "Buy\n"} {
		tm.in = answer
		require.Equal(t, exitError, tm.run(t, "buy", "esim_1GB_7D_TR_V2"), answer)
		require.Contains(t, tm.stderr.String(), "Price:    2.78 USD\n")
		require.Contains(t, tm.stderr.String(), "Buy it? [y/N] ")
		require.Contains(t, tm.stderr.String(), "nothing bought")
		require.Empty(t, tm.srv.Orders(), "answer %q", answer)
	}
	tm.in = "y\n"
	require.Equal(t, exitOK, tm.run(t, "buy", "esim_1GB_7D_TR_V2"), tm.stderr.String())
	require.Len(t, tm.srv.Orders(), 1)
	require.Regexp(t, `(?m)^Order reference: [0-9a-f-]{36}$`, tm.stdout.String())
	require.Contains(t, tm.stdout.String(), "Activation code: LPA:1$rsp.fake.local$")

	tm.in = "YES\n"
	require.Equal(t, exitOK, tm.run(t, "buy", "esim_1GB_7D_TR_V2", "--no-wait"))
	require.Len(t, tm.srv.Orders(), 2)

	// --yes skips the question, also at a terminal.
	tm.in = ""
	require.Equal(t, exitOK, tm.run(t, "buy", "esim_1GB_7D_TR_V2", "--yes", "--no-wait"))
	require.NotContains(t, tm.stderr.String(), "[y/N]")
	require.Len(t, tm.srv.Orders(), 3)
}

func TestBuyLiveAtTerminalNeedsTheBundleName(t *testing.T) {
	tm := newTerm(t)
	for _, answer := range []string{"y\n", "yes\n", "esim_1gb_7d_tr_v2\n", ""} {
		tm.in = answer
		require.Equal(t, exitError, tm.run(t, "buy", "esim_1GB_7D_TR_V2", "--live", "--no-wait"), answer)
		require.Contains(t, tm.stderr.String(), "LIVE environment: real money")
		require.Contains(t, tm.stderr.String(), "Type the bundle name (esim_1GB_7D_TR_V2) to buy it: ")
		require.Empty(t, tm.srv.Orders())
	}
	tm.in = "esim_1GB_7D_TR_V2\n"
	require.Equal(t, exitOK, tm.run(t, "buy", "esim_1GB_7D_TR_V2", "--live", "--no-wait"), tm.stderr.String())
	require.Len(t, tm.srv.Orders(), 1)
	require.Equal(t, travelroamtest.Live, tm.srv.Orders()[0].Environment)
	require.Equal(t, travelroamtest.DefaultLiveBalanceCents-278, tm.srv.Balance(travelroamtest.Live))
	require.Equal(t, travelroamtest.DefaultSandboxBalanceCents, tm.srv.Balance(travelroamtest.Sandbox))
}

func TestRevokeAtTerminalNeedsTheLastDigits(t *testing.T) {
	tm := newTerm(t)
	tm.in = "y\n"
	require.Equal(t, exitOK, tm.run(t, "buy", "esim_1GB_7D_TR_V2", "--no-wait"))
	iccid := tm.srv.Orders()[0].ICCID
	for _, answer := range []string{"y\n", iccid + "\n", iccid[len(iccid)-3:] + "\n", ""} {
		tm.in = answer
		require.Equal(t, exitError, tm.run(t, "revoke", iccid), answer)
		require.Contains(t, tm.stderr.String(), "Revoking is irreversible")
		require.Contains(t, tm.stderr.String(), "Type the last 4 digits of the ICCID to revoke it: ")
		require.Contains(t, tm.stderr.String(), "nothing revoked")
		require.Equal(t, exitOK, tm.run(t, "esim", iccid), "still there after %q", answer)
	}
	tm.in = iccid[len(iccid)-4:] + "\n"
	require.Equal(t, exitOK, tm.run(t, "revoke", iccid))
	require.Equal(t, "Revoked eSIM "+iccid+".\n", tm.stdout.String())
	require.Equal(t, exitRefused, tm.run(t, "esim", iccid))
}

// TestWaitProgressLine runs in virtual time: the fake makes the data
// ready after 15 s, so the wait polls at 0, 2, 6, 12 and 20 s.
func TestWaitProgressLine(t *testing.T) {
	for _, tc := range []struct {
		name     string
		errTTY   bool
		noColor  string
		progress bool
	}{
		{"terminal", true, "", true},
		{"NO_COLOR", true, "1", false},
		{"TERM=dumb", true, "", false},
		{"not a terminal", false, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork(), travelroamtest.WithAssignmentDelay(15*time.Second))
				defer srv.Close()
				tm := &term{srv: srv, errTTY: tc.errTTY, env: map[string]string{envNoColor: tc.noColor}}
				if tc.name == "TERM=dumb" {
					tm.env["TERM"] = "dumb"
				}
				require.Equal(t, exitOK, tm.run(t, "buy", "esim_1GB_7D_TR_V2", "--yes"), tm.stderr.String())
				stderr := tm.stderr.String()
				if !tc.progress {
					require.NotContains(t, stderr, "\r")
					require.NotContains(t, stderr, "\x1b")
					require.NotContains(t, stderr, "attempt")
					return
				}
				var lines []string
				for _, l := range strings.Split(stderr, "\r")[1:] {
					lines = append(lines, strings.TrimRight(l, " \n"))
				}
				require.Equal(t, []string{
					"  attempt 1, 0s elapsed, next poll in 2s",
					"  attempt 2, 2s elapsed, next poll in 4s",
					"  attempt 3, 6s elapsed, next poll in 6s",
					"  attempt 4, 12s elapsed, next poll in 8s",
				}, lines)
				require.True(t, strings.HasSuffix(stderr, "next poll in 8s"+strings.Repeat(" ", 60-len("  attempt 4, 12s elapsed, next poll in 8s"))+"\n"), "the progress line ends with a newline")
				require.Contains(t, tm.stdout.String(), "Activation code: LPA:1$rsp.fake.local$")
			})
		})
	}
}

func TestPendingProgressEndsWithNoTimeLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork(), travelroamtest.WithAssignmentDelay(time.Hour))
		defer srv.Close()
		tm := &term{srv: srv, errTTY: true}
		require.Equal(t, exitOK, tm.run(t, "buy", "esim_1GB_7D_TR_V2", "--yes", "--no-wait"))
		ref := srv.Orders()[0].Reference
		require.Equal(t, exitPending, tm.run(t, "wait", ref, "--max-wait", "10s"))
		require.Contains(t, tm.stderr.String(), "\r  attempt 3, 6s elapsed, no time left")
		require.Contains(t, tm.stderr.String(), "\x1b[1;31mthe order exists and is paid: do not buy again; travelroam wait "+ref+"\x1b[0m\n")
	})
}

func TestColourOnlyAtATerminalWithoutNoColor(t *testing.T) {
	tm := newTerm(t)
	tm.srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(500, "lost"))
	require.Equal(t, exitOutcomeUnknown, tm.run(t, "buy", "esim_1GB_7D_TR_V2", "--yes"))
	require.Contains(t, tm.stderr.String(), "\x1b[1;31mThe order may or may not exist.")

	tm.env = map[string]string{envNoColor: "1"}
	tm.srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(500, "lost"))
	require.Equal(t, exitOutcomeUnknown, tm.run(t, "buy", "esim_1GB_7D_TR_V2", "--yes"))
	require.NotContains(t, tm.stderr.String(), "\x1b")
	require.Contains(t, tm.stderr.String(), "The order may or may not exist.")

	tm.env = map[string]string{"TERM": "dumb"}
	tm.srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(500, "lost"))
	require.Equal(t, exitOutcomeUnknown, tm.run(t, "buy", "esim_1GB_7D_TR_V2", "--yes"))
	require.NotContains(t, tm.stderr.String(), "\x1b")
}

// TestInterruptedExits130 cancels the command's context (what Ctrl+C
// does) while a read hangs: 130, and 6 once the order exists.
func TestInterruptedExits130(t *testing.T) {
	tm := newTerm(t)
	ctx, cancel := context.WithCancel(t.Context())
	tm.srv.InjectFault(travelroamtest.RouteBundle, travelroamtest.Latency(time.Hour))
	go func() {
		for tm.srv.RequestCount(travelroamtest.RouteBundle) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	require.Equal(t, exitInterrupted, tm.runCtx(ctx, t, "buy", "esim_1GB_7D_TR_V2", "--yes"), tm.stderr.String())
	require.Empty(t, tm.srv.Orders())
}

func TestCatalogueTableAtATerminal(t *testing.T) {
	tm := newTerm(t)
	require.Equal(t, exitOK, tm.run(t, "catalogue", "--countries", "TR", "--per-page", "2"))
	require.Equal(t, "NAME                DATA  DAYS  PRICE  UNLIMITED\n"+
		"esim_1GB_7D_TR_V2   1 GB  7     2.78   false\n"+
		"esim_2GB_15D_TR_V2  2 GB  15    4.62   false\n", tm.stdout.String())
}

func TestFakeCommand(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		ctx, cancel := context.WithCancel(t.Context())
		out := &syncBuffer{}
		done := make(chan int, 1)
		args := []string{"fake", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"}
		if asJSON {
			args = append(args, "--json")
		}
		env := map[string]string{envAPIKey: travelroamtest.DefaultAPIKey}
		go func() {
			done <- run(ctx, &sys{in: strings.NewReader(""), out: out, err: out, getenv: func(k string) string { return env[k] }}, args)
		}()
		require.Eventually(t, func() bool { return strings.Contains(out.String(), "TRAVELROAM_LIVE_BASE_URL") }, time.Minute, 5*time.Millisecond)
		if asJSON {
			require.Regexp(t, `^\{"environment":"sandbox","baseURL":"http://127\.0\.0\.1:\d+/api/whitelabel","sandboxBaseURL":"http://127\.0\.0\.1:\d+/sandbox/api/whitelabel","liveBaseURL":"http://127\.0\.0\.1:\d+/live/api/whitelabel","adminURL":"http://127\.0\.0\.1:\d+","env":\{"TRAVELROAM_API_KEY":"`+travelroamtest.DefaultAPIKey+`","TRAVELROAM_BASE_URL":"[^"]+","TRAVELROAM_CLIENT_SECRET":"`+travelroamtest.DefaultClientSecret+`","TRAVELROAM_LIVE_BASE_URL":"[^"]+"\}\}\n`, out.String())
		} else {
			// The fake's own test credentials are printed even when the
			// environment holds the same key.
			require.Contains(t, out.String(), "  export TRAVELROAM_API_KEY="+travelroamtest.DefaultAPIKey+"\n")
			require.Regexp(t, `  export TRAVELROAM_BASE_URL=http://127\.0\.0\.1:\d+/sandbox/api/whitelabel\n`, out.String())
		}
		cancel()
		require.Equal(t, exitOK, <-done)
		require.Contains(t, out.String(), "Shutting down.")
	}
}
