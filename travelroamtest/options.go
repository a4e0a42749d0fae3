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
	paging               PagingStyle
	orderAnswer          OrderAnswer
	orderRefusal         bool
	assignmentsFormat    AssignmentsFormat
	callbackFormat       CallbackFormat
	rateLimit            int // requests per second; 0 for no limit
	orderInstallData     bool
	signatureEncoding    SignatureEncoding
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

// WithCallbackURL makes the test hooks POST callbacks to url: usage
// alerts from [Server.ConsumeData], and whatever [Server.SendCallback] and
// [Server.SendRawCallback] send.
func WithCallbackURL(url string) Option {
	return func(c *config) { c.callbackURL = url }
}

// WithCallbackSigningKey makes every callback carry X-Signature-SHA256:
// HMAC-SHA256(key, body) in hex, as eSIM Go's webhooks guide signs V3
// callbacks (with the account's API key), or base64 with
// [WithCallbackSignatureEncoding]. Without it callbacks are unsigned.
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

// PagingStyle is how /catalogue honours "page" (see [WithCataloguePaging]).
type PagingStyle int

const (
	// PagingNormal answers the page asked for (the default).
	PagingNormal PagingStyle = iota
	// PagingIgnored answers page 1 whatever "page" says, with the real
	// pageCount and rows: every page is the same, the symptom the changelog
	// reports ("identical results repeatedly").
	PagingIgnored
	// PagingShuffled also ignores "page", and answers page 1's rows in a
	// new order on every request (never the order of the previous one), so
	// that only the set of names shows the repetition.
	PagingShuffled
)

// WithCataloguePaging selects how /catalogue honours "page" (default
// [PagingNormal]); the other styles exist to test a client's detection of
// a server that ignores paging.
func WithCataloguePaging(p PagingStyle) Option {
	return func(c *config) {
		mustf(p >= PagingNormal && p <= PagingShuffled, "unknown paging style %d", p)
		c.paging = p
	}
}

// OrderAnswer is the shape of a successful /processorders answer (see
// [WithOrderAnswer]). Whatever the shape, the order is created and paid for.
type OrderAnswer int

const (
	// OrderAnswerCompleted is eSIM Go's transaction order with Travel Roam's
	// "unlimited": {"order":[…],"total":1.85,"currency":"USD",
	// "status":"completed",…,"orderReference":"<uuid>","assigned":true,
	// "unlimited":false} (the default).
	OrderAnswerCompleted OrderAnswer = iota
	// OrderAnswerStatusTrueData wraps it Laravel-style: {"status":true,
	// "message":"Order processed successfully","data":{…the order…}}.
	OrderAnswerStatusTrueData
	// OrderAnswerStringScalars sends booleans and numbers as strings:
	// "assigned":"1", "unlimited":"true"/"false", "quantity":"1", and
	// "total", "subTotal", "pricePerUnit" as decimal strings ("1.85"); and
	// "iccids" as the one ICCID string instead of a list.
	OrderAnswerStringScalars
	// OrderAnswerTotalObject sends "total" as an object:
	// {"amount":1.85,"currency":"USD"}.
	OrderAnswerTotalObject
	// OrderAnswerNumericReference makes the order reference 18 digits (more
	// than a float64 keeps exactly) sent as a JSON number; the ledger and
	// /getesimassignments use the same digits.
	OrderAnswerNumericReference
	// OrderAnswerNumericICCID sends the ICCIDs of "iccids" and "esims" as
	// JSON numbers.
	OrderAnswerNumericICCID
	// OrderAnswerResultWrapper wraps the order as {"success":true,
	// "result":{…the order…}}.
	OrderAnswerResultWrapper
	// OrderAnswerNoReference leaves "orderReference" out (a 2xx without any
	// reference); the order is still created, charged and in the ledger.
	OrderAnswerNoReference
	// OrderAnswerApplyReference answers a top-up the way eSIM Go answers
	// "apply a bundle": {"esims":[{"iccid":"…","status":"Bundle applied"}],
	// "applyReference":"<uuid>"}, without "orderReference"; the apply
	// reference is the order's reference in the ledger and for
	// /getesimassignments. A new eSIM is answered as with
	// [OrderAnswerCompleted].
	OrderAnswerApplyReference
)

// WithOrderAnswer selects the shape of successful purchase answers
// (default [OrderAnswerCompleted]); the others are odd but paid answers
// for testing a client's money path.
func WithOrderAnswer(a OrderAnswer) Option {
	return func(c *config) {
		mustf(a >= OrderAnswerCompleted && a <= OrderAnswerApplyReference, "unknown order answer %d", a)
		c.orderAnswer = a
	}
}

// WithOrderValidationFailure makes every well-formed purchase answer 422
// with a Laravel validation body, {"message":"The given data was
// invalid.","errors":{"bundleName":["The selected bundle name is
// invalid."]}}, as Travel Roam does for orders made with sandbox test
// credentials. No order is created and nothing is charged.
func WithOrderValidationFailure() Option {
	return func(c *config) { c.orderRefusal = true }
}

// AssignmentsFormat is the format of a ready /getesimassignments answer
// (see [WithAssignmentsFormat]).
type AssignmentsFormat int

const (
	// AssignmentsJSON answers the JSON assignment object (the default).
	AssignmentsJSON AssignmentsFormat = iota
	// AssignmentsCSV answers text/csv: the header row
	// "ICCID","Matching ID","RSP URL","Bundle" and one row per eSIM, every
	// field quoted, RSP URL being the SM-DP+ address.
	AssignmentsCSV
	// AssignmentsByAccept answers CSV unless the request's Accept header
	// names application/json, as eSIM Go does.
	AssignmentsByAccept
)

// WithAssignmentsFormat selects the format of /getesimassignments answers
// (default [AssignmentsJSON]). Errors and "processing" answers stay JSON.
func WithAssignmentsFormat(f AssignmentsFormat) Option {
	return func(c *config) {
		mustf(f >= AssignmentsJSON && f <= AssignmentsByAccept, "unknown assignments format %d", f)
		c.assignmentsFormat = f
	}
}

// CallbackFormat is the shape of the usage callbacks (see
// [WithCallbackFormat]).
type CallbackFormat int

const (
	// CallbackFormatV3 sends eSIM Go's V3 usage callback: bundle id,
	// reference, description, integer byte quantities, "unit":"BYTES",
	// "unlimited"; alert types FirstUse and Utilisation (the default).
	CallbackFormatV3 CallbackFormat = iota
	// CallbackFormatV2 sends the V2 shape: bundle name, callTypeGroup and
	// times, quantities in decimal megabytes with two decimals ("1000.00"),
	// no unit, no id, reference, description or unlimited; every alert,
	// the first use included, has alertType "Utilisation" (V2 has no
	// FirstUse).
	CallbackFormatV2
	// CallbackFormatV2Usage is CallbackFormatV2 with alertType "usage", as
	// the oldest V2 example has it.
	CallbackFormatV2Usage
)

// WithCallbackFormat selects the shape of usage callbacks (default
// [CallbackFormatV3]). The other notifications ([Server.SendCallback])
// have one shape each.
func WithCallbackFormat(f CallbackFormat) Option {
	return func(c *config) {
		mustf(f >= CallbackFormatV3 && f <= CallbackFormatV2Usage, "unknown callback format %d", f)
		c.callbackFormat = f
	}
}

// WithRateLimit limits the API to perSecond requests per second of the
// server's clock (fixed one-second windows shared by every caller, as eSIM
// Go limits one IP to 10). Every answer then carries X-Ratelimit-Limit,
// X-Ratelimit-Remaining, X-Ratelimit-Reset (the window's end, ISO-8601)
// and X-Ratelimit-Cost (1); a request over the limit is not handled and
// answers 429 {"message":"Rate limit exceeded"} with Retry-After: 1. See
// also [RateLimited] for a single 429.
func WithRateLimit(perSecond int) Option {
	return func(c *config) {
		mustf(perSecond >= 1, "rate limit must be at least 1 request per second")
		c.rateLimit = perSecond
	}
}

func mustf(ok bool, format string, args ...any) {
	if !ok {
		panic("travelroamtest: " + fmt.Sprintf(format, args...))
	}
}
