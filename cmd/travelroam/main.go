package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/roamkit/travelroam"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &sys{
		in: os.Stdin, out: os.Stdout, err: os.Stderr,
		isTerminal: isCharDevice,
		getenv:     os.Getenv,
	}, os.Args[1:])
	stop()
	os.Exit(code)
}

// sys is what a run of the command line sees of the world: its streams,
// which of them are terminals, its environment and, in tests, the HTTP
// client that reaches a fake. Tests build one to drive the commands.
type sys struct {
	in  io.Reader
	out io.Writer
	err io.Writer
	// isTerminal reports whether in, out or err (the values above) is a
	// terminal.
	isTerminal func(stream any) bool
	// getenv reads an environment variable.
	getenv func(string) string
	// httpClient, when set, is passed to travelroam.WithHTTPClient (tests
	// use the fake's in-memory client); nil uses the SDK's default.
	httpClient *http.Client
}

// isCharDevice reports whether stream is an *os.File on a character
// device other than the null device (a terminal), without any dependency
// beyond os.
func isCharDevice(stream any) bool {
	f, ok := stream.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	// /dev/null is a character device too, but nobody types into it.
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(st, null)
}

// cli is one run: the streams with the credentials scrubbed from them,
// and the settings every command shares.
type cli struct {
	sys
	// rawOut is the unscrubbed stdout, for "fake", which prints the
	// fake's own test credentials.
	rawOut io.Writer
	// rawErr is stderr scrubbed but not filtered by safeWriter: only the
	// command line's own colour and progress line go there.
	rawErr io.Writer
	// inTTY, outTTY and errTTY say which streams are terminals.
	inTTY, outTTY, errTTY bool
	// collect, when set, receives each command's flag set from parse,
	// which then returns errCollected: completion lists the flags so.
	collect func(*flag.FlagSet)
	// profileLive is set by a profile whose environment is live: as
	// if every command had --live.
	profileLive bool
	// firstStatus is the HTTP status of the first answer the command's
	// Client received (0 before any), for exit code 4.
	firstStatus atomic.Int32
}

// command is one subcommand.
type command struct {
	name    string
	args    string // e.g. "BUNDLE [--iccid ICCID]"
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

// commands returns the subcommands in the order "help" lists them.
func commands() []command {
	return []command{
		{"balance", "", "show the wallet balance and currency", runBalance},
		{"catalogue", "(--countries GB,FR | --region Europe) [--all] [--sort price]", "list the bundles you can buy", runCatalogue},
		{"bundle", "NAME", "show one bundle", runBundle},
		{"buy", "BUNDLE [--iccid ICCID] [--key KEY] [--dry-run]", "buy a new eSIM (or top one up), then wait for its installation data", runBuy},
		{"wait", "REFERENCE", "wait for an order's installation data: activation code, iPhone link, QR code", runWait},
		{"esim", "ICCID", "show an eSIM: status, first installation, bundles with data left, last location", runESIM},
		{"revoke", "ICCID [--dry-run]", "revoke an eSIM (irreversible)", runRevoke},
		{"purchases", "[--recent] | resolve KEY (--bought REFERENCE | --not-bought)", "list unfinished purchases from the journal, or record what became of one", runPurchases},
		{"listen", "[--addr 127.0.0.1:8090] [--token T | --signing-key-env VAR]", "receive usage callbacks locally and print each event", runListen},
		{"fake", "[--addr 127.0.0.1:8080]", "serve a fake Travel Roam API and print the variables that point travelroam at it", runFake},
		{"completion", "bash|zsh|fish", "print a shell completion script (commands, flags, profile names)", runCompletion},
		{"doctor", "[--record DIR] [--iccid ICCID] [--order REFERENCE]", "check the credentials and every read route against what the SDK expects", runDoctor},
	}
}

// run runs the command line with args (without the program name) and
// returns the exit status.
func run(ctx context.Context, s *sys, args []string) int {
	terminal := func(stream any) bool { return s.isTerminal != nil && s.isTerminal(stream) }
	c := &cli{sys: *s, rawOut: s.out, inTTY: terminal(s.in), outTTY: terminal(s.out), errTTY: terminal(s.err)}
	name, args, err := takeProfileFlag(args)
	if err == nil {
		err = c.useProfile(name)
	}
	if err != nil {
		fmt.Fprintln(safeWriter{s.err}, "travelroam:", safe(err.Error()))
		return exitUsage
	}
	key, secret := c.getenv(envAPIKey), c.getenv(envClientSecret)
	c.out = safeWriter{newScrubber(s.out, key, secret)}
	c.rawErr = newScrubber(s.err, key, secret)
	c.err = safeWriter{c.rawErr}
	if len(args) == 0 {
		c.usage(c.err)
		return exitUsage
	}
	name = args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && name == "help" {
			return c.runCommand(ctx, args[1], []string{"-h"})
		}
		c.usage(c.out)
		return exitOK
	case "version", "-version", "--version":
		fmt.Fprintf(c.out, "travelroam %s (travelroam-go %s)\n", cliVersion(), sdkVersion)
		return exitOK
	}
	return c.runCommand(ctx, name, args[1:])
}

func (c *cli) runCommand(ctx context.Context, name string, args []string) int {
	i := slices.IndexFunc(commands(), func(cmd command) bool { return cmd.name == name })
	if i < 0 {
		c.info("travelroam: unknown command \"%s\": see travelroam help", name)
		return exitUsage
	}
	err := commands()[i].run(ctx, c, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	err = c.classify(ctx, err)
	c.printError(err)
	return exitCode(err)
}

// classify marks err as an interruption (Ctrl+C: ctx is done) or as bad
// credentials (a 401 or 403 answer to the command's first request), so
// that exitCode gives 130 or 4. exitCode decides which wins (an order that
// exists, 6, wins over both).
func (c *cli) classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var apiErr *travelroam.APIError
	switch first := c.firstStatus.Load(); {
	case ctx.Err() != nil:
		return &interruptedError{err: err}
	case errors.As(err, &apiErr) && (apiErr.StatusCode == 401 || apiErr.StatusCode == 403) &&
		(first == 401 || first == 403):
		return &credentialsError{err: err}
	}
	return err
}

// printError prints err, and its hint if it has one, to stderr.
func (c *cli) printError(err error) {
	if err == nil {
		return
	}
	var u *usageError
	if errors.As(err, &u) && u.printed {
		return
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "travelroam") {
		msg = "travelroam: " + msg
	}
	fmt.Fprintln(c.err, safe(msg))
	var h *hintError
	if errors.As(err, &h) {
		c.emphasize(h.hint)
	}
	var exists *orderExistsError
	if errors.As(err, &exists) {
		c.emphasize(exists.hint())
	}
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprint(w, `travelroam: the Travel Roam eSIM reseller API from the command line.

Usage: travelroam <command> [flags] [arguments]

Commands:
`)
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprint(w, `  help       show this help, or a command's with "help COMMAND"

Every command takes -h (its flags), --json (machine-readable output, one JSON
value per line) and --profile NAME (an account of the config file). Commands
that call the API use the sandbox unless --live is given.

Environment:
  TRAVELROAM_API_KEY, TRAVELROAM_CLIENT_SECRET  the credentials (required; never printed)
  TRAVELROAM_BASE_URL       replaces the sandbox base URL (a fake or a proxy)
  TRAVELROAM_LIVE_BASE_URL  replaces the live base URL (used with --live)
  TRAVELROAM_JOURNAL        the purchase journal (default: journal.db in the state directory)
  TRAVELROAM_PROFILE        the profile of $XDG_CONFIG_HOME/travelroam/config.toml
  NO_COLOR, TERM=dumb       no colour and no progress line

Exit codes: 0 success, 1 error, 2 usage, 3 refused by the API (4xx), 4 bad or
missing credentials, 5 outcome unknown or purchase key already attempted (do
not retry: check first, as the message says), 6 the order exists and is paid
(do not buy again: travelroam wait REF), 7 unavailable or rate-limited (try
later), 8 balance --below: under the amount, 130 interrupted.

Try it without credentials: run "travelroam fake" in one terminal and copy the
export lines it prints into another.
`)
}
