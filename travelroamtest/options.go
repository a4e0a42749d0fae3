package travelroamtest

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// Default credentials accepted by a [Server] unless [WithCredentials] sets
// others. Like Travel Roam's real ones they are 60 alphanumeric characters.
const (
	DefaultAPIKey       = "FAKEAPIKEYtravelroamtest0123456789abcdefghijklmnopqrstuvwxyz"
	DefaultClientSecret = "FAKESECRETtravelroamtest0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

// Defaults of a [Server].
const (
	// DefaultAssignmentDelay is how long after an order its installation
	// data stays "processing" on /getesimassignments.
	DefaultAssignmentDelay = 4 * time.Second
	// DefaultAssignmentRetryAfter is the Retry-After (seconds) sent with a
	// "processing" answer of /getesimassignments.
	DefaultAssignmentRetryAfter = 2
	// DefaultSandboxBalanceCents and DefaultLiveBalanceCents are the
	// starting wallet balances, in US cents (1000.00 and 500.00 USD).
	DefaultSandboxBalanceCents int64 = 100000
	DefaultLiveBalanceCents    int64 = 50000
	// DefaultSeed seeds the catalogue and every generated identifier.
	DefaultSeed uint64 = 1
	// MinPurchaseGap is the least time Travel Roam asks for between the end
	// of one purchase and the start of the next; closer purchases are
	// flagged in the ledger ([Request.TooSoon]).
	MinPurchaseGap = 5 * time.Second
)

// Environment is a Travel Roam environment. Both accept the same
// credentials; their wallets, eSIMs and orders are separate.
type Environment string

const (
	// Sandbox is the test environment (the default of a [Server]).
	Sandbox Environment = "sandbox"
	// Live is the production environment.
	Live Environment = "live"
)

// PendingStyle is how /getesimassignments says that an order's
// installation data is not ready yet (the contract does not know which the
// real server uses, so the SDK must handle each).
type PendingStyle int

const (
	// Pending503 answers 503 {"message":"Processing – please come back
	// later"} with Retry-After (the default).
	Pending503 PendingStyle = iota
	// PendingEmpty200 answers 200 with the assignment object whose
	// matchingId and smdpAddress are empty.
	PendingEmpty200
	// Pending404 answers 404 {"message":"Assignments not found"}.
	Pending404
)

// Option configures a [Server] in [NewServer]. An invalid value makes
// NewServer panic, as httptest.NewServer does when it cannot listen.
type Option func(*config)

type config struct {
	apiKey, clientSecret string
	accounts             map[string]string // extra API key → client secret
	env                  Environment
	seed                 uint64
	clock                func() time.Time
	assignmentDelay      time.Duration
	retryAfter           int
	pending              PendingStyle
	balances             map[Environment]int64
	callbackURL          string
	callbackKey          []byte
	callbackClient       *http.Client
	inMemory             bool
	listener             net.Listener
	authStatus           int
	iccidStatus          int
}

func defaultConfig() config {
	return config{
		apiKey:          DefaultAPIKey,
		clientSecret:    DefaultClientSecret,
		accounts:        map[string]string{},
		env:             Sandbox,
		seed:            DefaultSeed,
		clock:           time.Now,
		assignmentDelay: DefaultAssignmentDelay,
		retryAfter:      DefaultAssignmentRetryAfter,
		balances:        map[Environment]int64{Sandbox: DefaultSandboxBalanceCents, Live: DefaultLiveBalanceCents},
		authStatus:      http.StatusForbidden,
		iccidStatus:     http.StatusBadRequest,
	}
}

// WithCredentials sets the API key and client secret the server accepts
// (default [DefaultAPIKey] and [DefaultClientSecret]).
func WithCredentials(apiKey, clientSecret string) Option {
	return func(c *config) {
		mustf(apiKey != "" && clientSecret != "", "credentials must not be empty")
		c.apiKey, c.clientSecret = apiKey, clientSecret
	}
}

// WithAccount adds another reseller account with its own credentials,
// wallets and eSIMs, e.g. to check that one account cannot see another's
// eSIMs. Its wallets start with the same balances as the main account's.
func WithAccount(apiKey, clientSecret string) Option {
	return func(c *config) {
		mustf(apiKey != "" && clientSecret != "", "credentials must not be empty")
		c.accounts[apiKey] = clientSecret
	}
}

// WithEnvironment selects the environment that [Server.URL] serves
// (default [Sandbox]); [Server.EnvURL] gives the other one.
func WithEnvironment(env Environment) Option {
	return func(c *config) {
		mustf(env == Sandbox || env == Live, "unknown environment %q", env)
		c.env = env
	}
}

// WithSeed seeds the catalogue (which countries get which bundles, their
// prices) and every generated identifier (ICCIDs, matching IDs, order
// references), so two servers with the same seed and the same requests
// answer the same bytes. Default [DefaultSeed].
func WithSeed(seed uint64) Option {
	return func(c *config) { c.seed = seed }
}

// WithClock sets the clock used for every time decision: assignment
// readiness, timestamps, bundle start and end, lastSeen, the ledger.
// Default time.Now (which testing/synctest fakes inside a bubble).
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		mustf(now != nil, "clock must not be nil")
		c.clock = now
	}
}

// WithAssignmentDelay sets how long after an order /getesimassignments
// keeps answering "processing" (default [DefaultAssignmentDelay]; 0 makes
// assignments ready at once). New bundles stay in state "processing" for
// the same time.
func WithAssignmentDelay(d time.Duration) Option {
	return func(c *config) {
		mustf(d >= 0, "assignment delay must not be negative")
		c.assignmentDelay = d
	}
}

// WithAssignmentRetryAfter sets the Retry-After seconds of a "processing"
// answer (default [DefaultAssignmentRetryAfter]; 0 leaves the header out).
func WithAssignmentRetryAfter(seconds int) Option {
	return func(c *config) {
		mustf(seconds >= 0, "retry-after must not be negative")
		c.retryAfter = seconds
	}
}

// WithPendingStyle selects how /getesimassignments signals "not ready yet"
// (default [Pending503]).
func WithPendingStyle(p PendingStyle) Option {
	return func(c *config) {
		mustf(p >= Pending503 && p <= Pending404, "unknown pending style %d", p)
		c.pending = p
	}
}

// WithBalance sets the starting wallet balance of an environment, in
// cents of USD (defaults [DefaultSandboxBalanceCents] and
// [DefaultLiveBalanceCents]).
func WithBalance(env Environment, cents int64) Option {
	return func(c *config) {
		mustf(env == Sandbox || env == Live, "unknown environment %q", env)
		mustf(cents >= 0, "balance must not be negative")
		c.balances[env] = cents
	}
}

// WithCallbackURL makes the test hooks ([Server.ConsumeData]) POST usage
// callbacks to url.
func WithCallbackURL(url string) Option {
	return func(c *config) { c.callbackURL = url }
}

// WithCallbackSigningKey makes every callback carry X-Signature-SHA256:
// base64(HMAC-SHA256(key, body)), as eSIM Go's V3 callbacks do (they use
// the account's API key). Without it callbacks are unsigned.
func WithCallbackSigningKey(key string) Option {
	return func(c *config) { c.callbackKey = []byte(key) }
}

// WithCallbackClient sets the HTTP client callbacks are sent with, e.g.
// one whose transport reaches an in-memory receiver inside synctest. The
// default has a 10 s timeout and no keep-alive.
func WithCallbackClient(hc *http.Client) Option {
	return func(c *config) {
		mustf(hc != nil, "callback client must not be nil")
		c.callbackClient = hc
	}
}

// WithInMemoryNetwork serves over an in-memory net.Pipe network instead of
// a loopback socket, so that the server works inside a testing/synctest
// bubble (create and close it inside the bubble). Reach it only through
// [Server.Client]; [Server.URL] has a placeholder host.
func WithInMemoryNetwork() Option {
	return func(c *config) { c.inMemory = true }
}

// WithListener serves on l instead of a new loopback listener (the
// standalone binary uses it to listen on a chosen address). The server
// closes l.
func WithListener(l net.Listener) Option {
	return func(c *config) {
		mustf(l != nil, "listener must not be nil")
		c.listener = l
	}
}

// WithAuthFailureStatus sets the status of an authentication failure: 403
// (the default) or 401.
func WithAuthFailureStatus(status int) Option {
	return func(c *config) {
		mustf(status == http.StatusForbidden || status == http.StatusUnauthorized, "auth failure status must be 401 or 403")
		c.authStatus = status
	}
}

// WithICCIDNotFoundStatus sets the status of "ICCID not found" for an
// unknown, foreign or revoked ICCID: 400 (the default), 403 or 404.
func WithICCIDNotFoundStatus(status int) Option {
	return func(c *config) {
		ok := status == http.StatusBadRequest || status == http.StatusForbidden || status == http.StatusNotFound
		mustf(ok, "ICCID-not-found status must be 400, 403 or 404")
		c.iccidStatus = status
	}
}

func mustf(ok bool, format string, args ...any) {
	if !ok {
		panic("travelroamtest: " + fmt.Sprintf(format, args...))
	}
}
