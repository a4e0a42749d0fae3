package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/sqlitestore"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/rogpeppe/go-internal/testscript"
)

// journalCommands are the script commands about the journal, files and
// signals (see scriptCommands).
func journalCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"perm":            cmdPerm,
		"journal-pending": cmdJournalPending,
		"fake-requests": func(ts *testscript.TestScript, neg bool, args []string) {
			n, err := strconv.Atoi(args[1])
			ts.Check(err)
			if got := fake(ts).RequestCount(travelroamtest.Route(args[0])); got != n {
				ts.Fatalf("the fake received %d requests on %s, want %d", got, args[0], n)
			}
		},
		"fake-hang": func(ts *testscript.TestScript, neg bool, args []string) {
			fake(ts).InjectFault(travelroamtest.Route(args[0]), travelroamtest.Latency(time.Hour))
		},
		"tr-signal":  cmdSignal,
		"pg-journal": cmdPGJournal,
		"fake-callback": func(ts *testscript.TestScript, neg bool, args []string) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ts.Check(fake(ts).SendRawCallback(ctx, []byte(args[0])))
		},
	}
}

func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: perm MODE PATH")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	st, err := os.Lstat(ts.MkAbs(args[1]))
	ts.Check(err)
	if st.Mode()&fs.ModeSymlink != 0 {
		ts.Fatalf("%s is a symbolic link", args[1])
	}
	if got := st.Mode().Perm(); uint64(got) != want {
		ts.Fatalf("%s has mode %#o, want %#o", args[1], got, want)
	}
}

// cmdJournalPending records a pending attempt, as a buy killed after
// Begin leaves it, in the default journal of the script.
func cmdJournalPending(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: journal-pending KEY BUNDLE")
	}
	cl, err := travelroam.NewClient(ts.Getenv(envAPIKey), ts.Getenv(envClientSecret), travelroam.WithBaseURL(ts.Getenv(envBaseURL)))
	ts.Check(err)
	dir := filepath.Join(ts.Getenv(envStateHome), "travelroam")
	ts.Check(os.MkdirAll(dir, 0o700))
	st, err := sqlitestore.Open(filepath.Join(dir, journalFileName))
	ts.Check(err)
	defer st.Close()
	_, ok, err := st.Journal().Begin(context.Background(), travelroam.PurchaseAttempt{Key: args[0], ID: "killed-run", Account: cl.AccountKey(),
		BundleName: args[1], Environment: "sandbox", StartedAt: time.Now().Add(-time.Hour)})
	ts.Check(err)
	if !ok {
		ts.Fatalf("the journal already holds %s", args[0])
	}
}

// cmdSignal runs travelroam in the background, signals it once the fake
// holds its request on a route, and checks its exit status.
func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	want := 0
	if len(args) >= 2 && args[0] == "-code" {
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		want, args = n, args[2:]
	}
	if len(args) < 3 {
		ts.Fatalf("usage: tr-signal [-code N] INT|KILL ROUTE ARGS...")
	}
	sig := map[string]os.Signal{"INT": os.Interrupt, "KILL": os.Kill, "TERM": syscall.SIGTERM}[args[0]]
	if sig == nil {
		ts.Fatalf("unknown signal %s", args[0])
	}
	stdout, stderr, err := signalled(ts, sig, travelroamtest.Route(args[1]), args[2:])
	got := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		got = exitErr.ExitCode()
	} else if err != nil {
		ts.Fatalf("travelroam: %v", err)
	}
	for _, s := range []string{testAPIKey, testSecret} {
		if strings.Contains(stdout+stderr, s) {
			ts.Fatalf("the output holds a credential")
		}
	}
	if got != want {
		ts.Fatalf("travelroam %s after SIG%s: exit status %d, want %d\n%s", strings.Join(args[2:], " "), args[0], got, want, stderr)
	}
}

// signalled runs travelroam args and sends it sig once the fake has its
// request on route; it returns its output (also written to
// $WORK/signal.stdout and .stderr) and its Wait error.
func signalled(ts *testscript.TestScript, sig os.Signal, route travelroamtest.Route, args []string) (string, string, error) {
	before := fake(ts).RequestCount(route)
	bin, err := exec.LookPath("travelroam")
	ts.Check(err)
	cmd := exec.Command(bin, args...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = scriptEnv(ts)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ts.Check(cmd.Start())
	for i := 0; fake(ts).RequestCount(route) == before; i++ {
		if i == 600 {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			ts.Fatalf("travelroam sent nothing on %s: %s", route, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Check(cmd.Process.Signal(sig))
	err = cmd.Wait()
	ts.Check(os.WriteFile(ts.MkAbs("signal.stdout"), []byte(stdout.String()), 0o600))
	ts.Check(os.WriteFile(ts.MkAbs("signal.stderr"), []byte(stderr.String()), 0o600))
	return stdout.String(), stderr.String(), err
}

// scriptEnv is the script's environment, for a command started by hand.
func scriptEnv(ts *testscript.TestScript) []string {
	names := map[string]bool{}
	for _, kv := range os.Environ() {
		names[strings.SplitN(kv, "=", 2)[0]] = true
	}
	for _, n := range []string{"WORK", "HOME", "TMPDIR", "PATH", envStateHome, envPurchaseInterval, envAPIKey, envClientSecret,
		envBaseURL, envLiveBaseURL, envJournal, envNoColor, "TERM", "XDG_CONFIG_HOME", "TRAVELROAM_PROFILE"} {
		names[n] = true
	}
	var env []string
	for n := range names {
		if v := ts.Getenv(n); v != "" {
			env = append(env, fmt.Sprintf("%s=%s", n, v))
		}
	}
	return env
}

// cmdPGJournal (after [postgres], which needs TRAVELROAM_TEST_POSTGRES_URL)
// creates a schema of its own (dropped at the end) and sets
// PG_JOURNAL to a connection string that uses it.
func cmdPGJournal(ts *testscript.TestScript, neg bool, args []string) {
	dsn := os.Getenv("TRAVELROAM_TEST_POSTGRES_URL")
	if dsn == "" {
		ts.Fatalf("TRAVELROAM_TEST_POSTGRES_URL is not set: guard the script with [!postgres] skip")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	ts.Check(err)
	schema := fmt.Sprintf("travelroam_cli_test_%d", time.Now().UnixNano())
	_, err = pool.Exec(ctx, "CREATE SCHEMA "+schema)
	ts.Check(err)
	ts.Defer(func() {
		_, _ = pool.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		pool.Close()
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	ts.Setenv("PG_JOURNAL", dsn+sep+"search_path="+schema)
}

// scriptCondition is [postgres]: TRAVELROAM_TEST_POSTGRES_URL is set
// (eval "$(bash scripts/services.sh env)"). In CI (CI set) a missing
// server fails the script instead of skipping it.
func scriptCondition(cond string) (bool, error) {
	if cond == "postgres" {
		if os.Getenv("TRAVELROAM_TEST_POSTGRES_URL") == "" && os.Getenv("CI") != "" {
			return false, errors.New("CI: TRAVELROAM_TEST_POSTGRES_URL is not set: start PostgreSQL with scripts/services.sh")
		}
		return os.Getenv("TRAVELROAM_TEST_POSTGRES_URL") != "", nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}
