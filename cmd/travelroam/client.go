package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/roamkit/travelroam"
)

// Environment variables read by the command line.
const (
	envAPIKey       = "TRAVELROAM_API_KEY"
	envClientSecret = "TRAVELROAM_CLIENT_SECRET"
	envBaseURL      = "TRAVELROAM_BASE_URL"
	envLiveBaseURL  = "TRAVELROAM_LIVE_BASE_URL"
	envNoColor      = "NO_COLOR"
	// envPurchaseInterval sets the SDK's purchase interval (default 5s;
	// the SDK refuses less against Travel Roam): for a fake in tests.
	envPurchaseInterval = "TRAVELROAM_PURCHASE_INTERVAL"
)

// sdkVersion is the SDK's version, the one its User-Agent sends: the
// command line prints it and never keeps a copy of its own.
const sdkVersion = travelroam.Version

// cliVersion is the command line's own version: its module's version as
// the go command recorded it in the binary (v0.1.0 after
// `go install github.com/roamkit/travelroam/cmd/travelroam@v0.1.0`), or
// "(devel)" for a build from a checkout.
func cliVersion() string {
	return moduleVersion(debug.ReadBuildInfo())
}

func moduleVersion(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil || info.Main.Version == "" {
		return "(devel)"
	}
	return info.Main.Version
}

// flags is a command's flag set with the flags most commands share.
type flags struct {
	*flag.FlagSet
	json bool
	live bool
}

// newFlags returns the flag set of cmd, with --json, and with --live when
// api is true (the command calls the API). -h prints the usage to stdout.
func (c *cli) newFlags(name string, api bool) *flags {
	var cmd command
	for _, x := range commands() {
		if x.name == name {
			cmd = x
		}
	}
	f := &flags{FlagSet: flag.NewFlagSet("travelroam "+name, flag.ContinueOnError)}
	f.SetOutput(c.err)
	f.BoolVar(&f.json, "json", false, "machine-readable output: one JSON value per line (see travelroam's package doc)")
	if api {
		f.BoolVar(&f.live, "live", false, "use the live environment (real money) instead of the sandbox")
	}
	f.Usage = func() {
		w := f.Output()
		fmt.Fprintf(w, "Usage: travelroam %s [flags] %s\n\n%s%s.\n\nFlags:\n", name, cmd.args,
			strings.ToUpper(cmd.summary[:1]), cmd.summary[1:])
		f.PrintDefaults()
	}
	return f
}

// parse parses args, allowing flags after the positional arguments
// ("buy NAME --yes"), and checks that there are between min and max
// positional arguments. -h prints the usage on stdout.
func (f *flags) parse(c *cli, args []string, minArgs, maxArgs int) ([]string, error) {
	if c.collect != nil { // completion: report the flags, run nothing
		c.collect(f.FlagSet)
		return nil, errCollected
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			f.SetOutput(c.out)
			f.Usage()
			return nil, flag.ErrHelp
		}
	}
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			return nil, &usageError{msg: err.Error(), printed: true}
		}
		rest := f.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) < minArgs || len(pos) > maxArgs {
		return nil, usagef("%s: wrong number of arguments: usage: %s %s (see -h)", f.Name(), f.Name(), usageArgs(f.Name()))
	}
	return pos, nil
}

func usageArgs(fullName string) string {
	for _, cmd := range commands() {
		if "travelroam "+cmd.name == fullName {
			return cmd.args
		}
	}
	return ""
}

// The environments a command talks to (target.env), as its output names
// them.
const (
	sandboxEnv = "sandbox"
	liveEnv    = "live"
)

// sandboxURL is Travel Roam's sandbox, the SDK's default base URL.
const sandboxURL = "https://sandbox.travelroam.com/api/whitelabel"

// target is the environment a command talks to.
type target struct {
	env     string // sandboxEnv or liveEnv
	baseURL string // as the Client reports it
}

// client returns a Client for the environment chosen by live and the
// environment variables, with extra options (e.g. doctor's recorder).
func (c *cli) client(live bool, extra ...travelroam.Option) (*travelroam.Client, target, error) {
	live = live || c.profileLive
	key, secret := c.getenv(envAPIKey), c.getenv(envClientSecret)
	if key == "" || secret == "" {
		return nil, target{}, &credentialsError{err: fmt.Errorf("set %s and %s (for a local fake, run: travelroam fake)", envAPIKey, envClientSecret)}
	}
	t, err := c.target(live)
	if err != nil {
		return nil, target{}, err
	}
	opts := []travelroam.Option{
		travelroam.WithBaseURL(t.baseURL),
		travelroam.WithUserAgent("travelroam-cli/" + sdkVersion),
		travelroam.WithObserver(&travelroam.Observer{AttemptEnd: func(_ context.Context, e travelroam.AttemptInfo) {
			if e.Status != 0 {
				c.firstStatus.CompareAndSwap(0, int32(e.Status))
			}
		}}),
	}
	if c.httpClient != nil {
		opts = append(opts, travelroam.WithHTTPClient(c.httpClient))
	}
	if v := c.getenv(envPurchaseInterval); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, target{}, usagef("%s: %v", envPurchaseInterval, err)
		}
		opts = append(opts, travelroam.WithPurchaseInterval(d))
	}
	cl, err := travelroam.NewClient(key, secret, append(opts, extra...)...)
	if err != nil {
		// The SDK's option errors never hold the credentials.
		return nil, target{}, &usageError{msg: err.Error()}
	}
	t.baseURL = cl.BaseURL()
	return cl, t, nil
}

// target chooses the environment: the sandbox (TRAVELROAM_BASE_URL or
// Travel Roam's sandbox) unless live, then TRAVELROAM_LIVE_BASE_URL or
// Travel Roam's live API. A sandbox URL that is really Travel Roam's live
// host is refused without --live, and --live refuses to guess a live URL
// when only TRAVELROAM_BASE_URL (a fake or proxy) is set.
func (c *cli) target(live bool) (target, error) {
	if !live {
		raw := c.getenv(envBaseURL)
		if raw == "" {
			return target{env: sandboxEnv, baseURL: sandboxURL}, nil
		}
		u, err := checkURL(envBaseURL, raw)
		if err != nil {
			return target{}, err
		}
		if isLiveHost(u.Hostname()) {
			return target{}, usagef("%s points at Travel Roam's live environment (%s): add --live to use it (real money)", envBaseURL, u.Host)
		}
		return target{env: sandboxEnv, baseURL: raw}, nil
	}
	raw := c.getenv(envLiveBaseURL)
	if raw == "" {
		if sb := c.getenv(envBaseURL); sb != "" {
			return target{}, usagef("--live: %s is set (a fake or a proxy) but %s is not: set it too, or unset %s to use Travel Roam's live API", envBaseURL, envLiveBaseURL, envBaseURL)
		}
		return target{env: liveEnv, baseURL: travelroam.LiveURL}, nil
	}
	if _, err := checkURL(envLiveBaseURL, raw); err != nil {
		return target{}, err
	}
	return target{env: liveEnv, baseURL: raw}, nil
}

func checkURL(name, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("%s must be an absolute http or https URL", name)
	}
	return u, nil
}

// isLiveHost reports whether host is Travel Roam's live API (any
// travelroam.com host but the sandbox).
func isLiveHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "sandbox.travelroam.com" || strings.HasSuffix(host, ".sandbox.travelroam.com") {
		return false
	}
	return host == "travelroam.com" || strings.HasSuffix(host, ".travelroam.com")
}

// canceled turns an error caused by the user's Ctrl+C into a short one.
func canceled(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted: %w", err)
	}
	return err
}

// interactive reports whether prompts can be answered: stdin is a terminal.
func (c *cli) interactive() bool { return c.inTTY }

// fancy reports whether colour and the progress line may be written to
// stderr: it is a terminal, NO_COLOR is not set and TERM is not "dumb".
func (c *cli) fancy() bool {
	return c.errTTY && c.getenv(envNoColor) == "" && c.getenv("TERM") != "dumb"
}

// emphasize writes a line on stderr, in bold red when fancy. The text
// goes through safe: only the colour codes are the command line's own.
func (c *cli) emphasize(text string) {
	if !c.fancy() {
		fmt.Fprintln(c.err, safe(text))
		return
	}
	fmt.Fprintln(c.rawErr, "\x1b[1;31m"+safe(text)+"\x1b[0m")
}
