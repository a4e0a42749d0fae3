// Package fakeserver runs the travelroamtest fake of the Travel Roam API as
// a standalone server with an admin API that drives its test hooks. It is
// shared by "travelroam fake" and the deprecated cmd/travelroam-fake.
package fakeserver

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/roamkit/travelroam/travelroamtest"
)

// ErrUsage matches the errors of Run that come from bad flags or
// arguments (flag.ErrHelp is returned as is for -h).
var ErrUsage = errors.New("usage")

// Config holds the settings of a standalone fake.
type Config struct {
	// Addr is the address the API listens on, e.g. "127.0.0.1:8080".
	Addr string
	// AdminAddr is the address of the admin API; empty disables it.
	AdminAddr string
	// Env is the environment served at /api/whitelabel: "sandbox" or
	// "live" (the other is at /<env>/api/whitelabel).
	Env string
	// CallbackURL receives the usage callbacks; CallbackKey signs them.
	CallbackURL, CallbackKey string
	// APIKey and ClientSecret are the credentials the fake accepts.
	APIKey, ClientSecret string
	// Seed seeds the catalogue and the generated identifiers.
	Seed uint64
	// AssignmentDelay is how long installation data stays "processing".
	AssignmentDelay time.Duration
}

// DefaultConfig returns the settings used when no flag is given.
func DefaultConfig() Config {
	return Config{
		Addr: "127.0.0.1:8080", AdminAddr: "127.0.0.1:8081", Env: string(travelroamtest.Sandbox),
		APIKey: travelroamtest.DefaultAPIKey, ClientSecret: travelroamtest.DefaultClientSecret,
		Seed: travelroamtest.DefaultSeed, AssignmentDelay: travelroamtest.DefaultAssignmentDelay,
	}
}

// AdminUsage describes the admin API and its safety rules, for usage texts.
const AdminUsage = `The admin API (-admin-addr) drives the test hooks:
  POST /consume  {"iccid","bytes"}   use data (sends the usage callbacks to -callback-url)
  POST /install  {"iccid"}           mark the eSIM installed
  POST /location {"iccid","mobileNetworkCode","networkName","networkBrandName","country"}
  POST /expire   {"iccid"}           end the eSIM's bundles
  POST /ready    {"orderReference"?} make installation data ready (all orders without one)
  POST /balance  {"env","cents"}     set a wallet balance
  POST /balance-alert {"alertType"}  send a LowBalance or InsufficientBalance account notification
  POST /esim-state {"iccid","state"} set the eSIM's state: Active, Suspended or Deactivated
  GET  /orders                       the orders created so far
It only answers local clients that name it by its own address: a request whose
Host is not the listening address (or localhost/127.0.0.1/[::1] with its port)
is refused (403, against DNS rebinding), so is one with any other Origin header
(403, a web page), and a POST must have Content-Type: application/json (415).
`

// RegisterFlags defines the flags that set c on fs, with c's current
// values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on")
	fs.StringVar(&c.AdminAddr, "admin-addr", c.AdminAddr, "address of the admin API that drives the test hooks; empty to disable")
	fs.StringVar(&c.Env, "env", c.Env, "environment served at /api/whitelabel: sandbox or live (the other is at /<env>/api/whitelabel)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the catalogue and of generated identifiers")
	fs.DurationVar(&c.AssignmentDelay, "assignment-delay", c.AssignmentDelay, "how long installation data stays \"processing\" after an order")
	fs.StringVar(&c.CallbackURL, "callback-url", c.CallbackURL, "URL that usage callbacks are POSTed to")
	fs.StringVar(&c.CallbackKey, "callback-key", c.CallbackKey, "key that signs callbacks (X-Signature-SHA256); unsigned when empty")
	fs.StringVar(&c.APIKey, "api-key", c.APIKey, "API key the fake accepts (a test value, not a real key)")
	fs.StringVar(&c.ClientSecret, "client-secret", c.ClientSecret, "client secret the fake accepts (a test value)")
}

// Check reports a setting that cannot work.
func (c Config) Check() error {
	if c.Env != string(travelroamtest.Sandbox) && c.Env != string(travelroamtest.Live) {
		return fmt.Errorf("-env must be sandbox or live, got %q", c.Env)
	}
	if c.AssignmentDelay < 0 {
		return errors.New("-assignment-delay must not be negative")
	}
	if c.APIKey == "" || c.ClientSecret == "" {
		return errors.New("-api-key and -client-secret must not be empty")
	}
	return nil
}

// Fake is a running standalone fake.
type Fake struct {
	// Server is the fake API.
	Server *travelroamtest.Server
	// AdminURL is the admin API's URL, e.g. "http://127.0.0.1:8081"; empty
	// when it is disabled.
	AdminURL string

	env    string
	admin  *http.Server
	served chan struct{}
}

// Start starts the fake described by c. Close it when done.
func Start(c Config) (*Fake, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return nil, err
	}
	opts := []travelroamtest.Option{
		travelroamtest.WithListener(l),
		travelroamtest.WithEnvironment(travelroamtest.Environment(c.Env)),
		travelroamtest.WithSeed(c.Seed),
		travelroamtest.WithAssignmentDelay(c.AssignmentDelay),
		travelroamtest.WithCredentials(c.APIKey, c.ClientSecret),
	}
	if c.CallbackURL != "" {
		opts = append(opts, travelroamtest.WithCallbackURL(c.CallbackURL))
	}
	if c.CallbackKey != "" {
		opts = append(opts, travelroamtest.WithCallbackSigningKey(c.CallbackKey))
	}
	f := &Fake{Server: travelroamtest.NewServer(opts...), env: c.Env}
	if c.AdminAddr == "" {
		return f, nil
	}
	al, err := net.Listen("tcp", c.AdminAddr)
	if err != nil {
		f.Server.Close()
		return nil, fmt.Errorf("admin API: %w", err)
	}
	addr := al.Addr().String()
	f.AdminURL = "http://" + addr
	f.admin = &http.Server{Handler: AdminHandler(f.Server, addr), ReadHeaderTimeout: 10 * time.Second}
	f.served = make(chan struct{})
	go func() {
		defer close(f.served)
		_ = f.admin.Serve(al)
	}()
	return f, nil
}

// Close stops the fake and its admin API; it returns when both stopped.
func (f *Fake) Close() {
	if f.admin != nil {
		_ = f.admin.Close()
		<-f.served
	}
	f.Server.Close()
}

// Environ returns the environment variables that point the travelroam
// command line at the fake, in the order to print them.
func (f *Fake) Environ() [][2]string {
	return [][2]string{
		{"TRAVELROAM_API_KEY", f.Server.APIKey},
		{"TRAVELROAM_CLIENT_SECRET", f.Server.ClientSecret},
		{"TRAVELROAM_BASE_URL", f.Server.EnvURL(travelroamtest.Sandbox)},
		{"TRAVELROAM_LIVE_BASE_URL", f.Server.EnvURL(travelroamtest.Live)},
	}
}

// WriteBanner prints where the fake listens, the environment variables
// that point the command line at it, and how to call it and its admin API.
func (f *Fake) WriteBanner(out io.Writer) {
	srv := f.Server
	fmt.Fprintf(out, "Travel Roam fake API (%s) is listening.\n\n", f.env)
	fmt.Fprintf(out, "  Base URL:         %s\n", srv.URL)
	fmt.Fprintf(out, "  Sandbox base URL: %s\n", srv.EnvURL(travelroamtest.Sandbox))
	fmt.Fprintf(out, "  Live base URL:    %s\n", srv.EnvURL(travelroamtest.Live))
	fmt.Fprintf(out, "  X-API-KEY:        %s\n", srv.APIKey)
	fmt.Fprintf(out, "  Clientsecret:     %s\n\n", srv.ClientSecret)
	fmt.Fprintf(out, "Point the travelroam command line at it (TRAVELROAM_LIVE_BASE_URL is used with --live):\n\n")
	for _, kv := range f.Environ() {
		fmt.Fprintf(out, "  export %s=%s\n", kv[0], kv[1])
	}
	fmt.Fprintf(out, "\nOr call it directly:\n  curl -s -X POST '%s/catalogue' \\\n", srv.URL)
	fmt.Fprintf(out, "    -H 'X-API-KEY: %s' \\\n    -H 'Clientsecret: %s' \\\n", srv.APIKey, srv.ClientSecret)
	fmt.Fprintf(out, "    -H 'Content-Type: application/json' -H 'Accept: application/json' \\\n")
	fmt.Fprintf(out, "    -d '{\"countries\":\"TR\",\"perPage\":5}'\n\n")
	if f.AdminURL != "" {
		fmt.Fprintf(out, "Admin API (test hooks, local clients only, JSON bodies): %s\n", f.AdminURL)
		fmt.Fprintf(out, "  curl -s -X POST %s/consume -H 'Content-Type: application/json' -d '{\"iccid\":\"<ICCID>\",\"bytes\":500000000}'\n\n", f.AdminURL)
	}
}

// Run parses args (the flags of Config), serves the fake until ctx is
// done, and prints its banner to out. name names the command in usage
// texts. Flag errors match ErrUsage; -h returns flag.ErrHelp.
func Run(ctx context.Context, name string, args []string, out, errOut io.Writer) error {
	c := DefaultConfig()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	c.RegisterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(errOut, "Usage: %s [flags]\n\nServes a fake Travel Roam API (catalogue, wallets, orders, eSIMs, callbacks) for trying\nthe SDK and the command line without credentials. Stop it with Ctrl+C.\n\nFlags:\n", name)
		fs.PrintDefaults()
		fmt.Fprintf(errOut, "\n%s", AdminUsage)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments: %v", ErrUsage, fs.Args())
	}
	if err := c.Check(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	f, err := Start(c)
	if err != nil {
		return err
	}
	defer f.Close()
	f.WriteBanner(out)
	fmt.Fprintln(out, "Press Ctrl+C to stop.")
	<-ctx.Done()
	fmt.Fprintln(out, "Shutting down.")
	return nil
}
