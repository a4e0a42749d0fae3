package travelroam

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/roamkit/travelroam/internal/redact"
)

// Version is the SDK version sent in the User-Agent header.
const Version = "0.1.0"

// LiveURL is the base URL of Travel Roam's production environment, where
// purchases spend real money: pass it to [WithBaseURL] to leave the
// sandbox, which a [Client] talks to by default
// (https://sandbox.travelroam.com/api/whitelabel), a mistake there
// costing nothing. The same credentials serve both; their wallets are
// separate.
const LiveURL = "https://travelroam.com/api/whitelabel"

// sandboxURL is the base URL of Travel Roam's sandbox, the default.
const sandboxURL = "https://sandbox.travelroam.com/api/whitelabel"

// environmentOf names the environment of one of Travel Roam's base URLs
// (as accountScope spells it), as the purchase journal records it
// (PurchaseAttempt.Environment) and the account key starts: "sandbox" or
// "live", and "" for any other base URL.
func environmentOf(scope string) string {
	switch scope {
	case sandboxURL:
		return "sandbox"
	case LiveURL:
		return "live"
	}
	return ""
}

// Defaults.
const (
	defaultReadTimeout      = 30 * time.Second // per attempt of a read
	defaultWriteTimeout     = 90 * time.Second // per purchase or revoke: a timeout there is costly
	defaultMaxRetries       = 3                // 4 attempts in all
	maxMaxRetries           = 10
	minPurchaseInterval     = 5 * time.Second // the changelog asks for 5-10 s
	defaultPurchaseInterval = minPurchaseInterval
)

// Client talks to the Travel Roam reseller API. Create it with [NewClient].
// A Client is safe for concurrent use by multiple goroutines and should be
// reused: it holds the connection pool and paces purchases.
//
// Reads (catalogue, bundle, eSIM details, …) are retried on transient
// failures; purchases and revokes are never re-sent once their bytes may
// have reached the server.
type Client struct {
	// headers returns a fresh copy of the contract's headers, credentials
	// included. A func, because fmt prints a func as an address with every
	// verb: even printing a copied Client value (fmt.Sprintf("%v", *c))
	// cannot show the credentials.
	headers func() http.Header
	// scrub masks the credentials and other secrets in text from the
	// server (a func for the same reason as headers).
	scrub func(string) string

	baseURL   *url.URL
	userAgent string
	logger    *slog.Logger // never nil; discards by default

	readHTTP  *http.Client // per-attempt timeout for reads
	writeHTTP *http.Client // longer timeout for purchases and revokes
	reads     readers      // the retry loops of reads (read.go)
	budget    *retryBudget // retries of all reads draw on it

	purchaseInterval time.Duration
	// The purchase gate and journal (purchase.go, set by setPurchaseStores): the account key given
	// to both, the environment recorded ("sandbox", "live" or ""), the lease asked of the gate and
	// the deadline of a purchase's send, which ends before the lease.
	gate          PurchaseGate
	journal       PurchaseJournal
	ledger        PurchaseLedger // the journal, when it is also the gate: one transaction each side of the send
	account       string
	environment   string
	purchaseLease time.Duration
	purchaseSend  time.Duration

	// jitter returns a random duration in [0, d); tests replace it.
	jitter func(d time.Duration) time.Duration

	// routes holds every operation's route and URL (routes.go).
	routes map[Operation]resolvedRoute
	// reportAttempts is true when the reporting transport is installed
	// and reads a callInfo from each request's context.
	reportAttempts bool
	observer       *Observer // nil when unset
	// rules are the lenient rules the answers are decoded with, built
	// once (rules_decode.go).
	rules jsonv2.Options
}

// Option configures a [Client] in [NewClient], or a callback receiver in
// [ParseCallback] and [NewCallbackHandler]. [WithLogger] and
// [WithObserver] serve both; the WithCallback… options serve the
// receiver only, the others the Client only. An option given where it
// does not apply is refused with a [*ValidationError] (NewCallbackHandler
// panics with it).
type Option func(*config) error

type config struct {
	baseURL          string
	httpClient       *http.Client
	userAgent        string
	logger           *slog.Logger
	maxRetries       int
	purchaseInterval time.Duration
	routes           map[Operation]Route
	observer         *Observer
	gate             PurchaseGate
	journal          PurchaseJournal
	ledger           PurchaseLedger // set by WithPurchaseLedger, cleared by a later gate or journal
	// callback is set when the options configure a callback receiver
	// (callback_options.go) rather than a Client.
	callback *callbackConfig
}

// WithBaseURL sets the API base URL: [LiveURL] for Travel Roam's
// production environment (the default is its sandbox), or e.g. a proxy or
// a test server such as travelroamtest's. It must be an absolute http or
// https URL.
func WithBaseURL(rawURL string) Option {
	return clientOption("WithBaseURL", func(c *config) error {
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("travelroam: base URL must be an absolute http or https URL")
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return errors.New("travelroam: base URL must not carry user info, a query or a fragment")
		}
		c.baseURL = rawURL
		return nil
	})
}

// WithHTTPClient makes the Client send through a copy of hc (hc itself is
// never modified). When hc has no Timeout, the SDK's per-attempt timeouts
// apply (30 s for reads, 90 s for purchases); otherwise hc.Timeout does,
// per attempt. Whatever hc.CheckRedirect says, redirects are never
// followed: they would carry the credentials to another host.
//
// A transport that retries by itself (go-retryablehttp's StandardClient,
// a middleware that re-sends on a 5xx, one that adds an Idempotency-Key
// header that Travel Roam does not honour) can buy twice: the SDK cannot
// stop it from re-sending a purchase or a revoke, but it counts, through
// net/http/httptrace, how many times the request was written, and a call
// whose request went out more than once returns an
// [*OutcomeUnknownError], even when the last answer was a success. Leave
// retries to the SDK: reads are retried, purchases never once sent. A
// transport that sends other requests under the call's context (to fetch
// a token, say) is counted too, and makes every purchase unknown.
func WithHTTPClient(hc *http.Client) Option {
	return clientOption("WithHTTPClient", func(c *config) error {
		if hc == nil {
			return errors.New("travelroam: HTTP client must not be nil")
		}
		c.httpClient = hc
		return nil
	})
}

// WithUserAgent puts product (e.g. "myshop/1.2") in front of the SDK's own
// "travelroam-go/<version>" in the User-Agent header.
func WithUserAgent(product string) Option {
	return clientOption("WithUserAgent", func(c *config) error {
		if strings.ContainsAny(product, "\r\n") {
			return errors.New("travelroam: user agent must not contain line breaks")
		}
		c.userAgent = strings.TrimSpace(product)
		return nil
	})
}

// WithLogger makes the Client log each HTTP attempt at debug level: the
// method, the route, the status, the attempt and the duration. Credentials,
// request and response bodies, ICCIDs and activation codes are never
// logged. Without this option the Client logs nothing. Given to
// [NewCallbackHandler], it makes the handler log rejections, failures and
// duplicates (deliveries at debug level) with the status, the reason, the
// alert type and the ICCID's last four digits; never the body, a full
// ICCID, a token or a signature.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return invalid(c.receiver(), "WithLogger", "the logger must not be nil")
		}
		c.logger = l
		return nil
	}
}

// WithMaxRetries sets how many times a failed read is retried (default 3,
// so 4 attempts; 0 turns retries off; at most 10). Purchases and revokes
// are never retried once they may have been sent, whatever this says.
// Retries also draw on a budget shared by all reads of the Client (see
// [ErrRetryBudgetExhausted]), so that an outage cannot multiply traffic.
func WithMaxRetries(n int) Option {
	return clientOption("WithMaxRetries", func(c *config) error {
		if n < 0 || n > maxMaxRetries {
			return fmt.Errorf("travelroam: max retries must be between 0 and %d, got %d", maxMaxRetries, n)
		}
		c.maxRetries = n
		return nil
	})
}

// WithPurchaseInterval sets the least time between the end of one purchase
// and the start of the next through this Client (default 5 s, as Travel
// Roam asks). Values under 5 s are refused against a Travel Roam host and
// allowed against any other (a fake server in tests); 0 turns pacing off
// there.
func WithPurchaseInterval(d time.Duration) Option {
	return clientOption("WithPurchaseInterval", func(c *config) error {
		if d < 0 {
			return fmt.Errorf("travelroam: purchase interval must not be negative, got %s", d)
		}
		c.purchaseInterval = d
		return nil
	})
}

// WithPurchaseGate makes the Client pace its purchases through g instead
// of its own in-memory gate, e.g. a gate in PostgreSQL or Redis
// shared by every replica that buys with the same API key (packages
// pgstore, redisstore, sqlitestore). The Client asks g for the account
// named by [Client.AccountKey] (never the API key itself), with the
// interval of [WithPurchaseInterval] (a gate cannot shorten it) and a
// lease longer than any purchase can take. If g fails, the purchase is not
// sent and ProcessOrder returns an error matching [ErrNotSent].
func WithPurchaseGate(g PurchaseGate) Option {
	return clientOption("WithPurchaseGate", func(c *config) error {
		if g == nil {
			return errors.New("travelroam: purchase gate must not be nil")
		}
		c.gate, c.ledger = g, nil
		return nil
	})
}

// WithPurchaseJournal makes the Client record its purchases in j instead
// of its own in-memory journal, e.g. a journal in PostgreSQL or
// SQLite shared by every replica and kept across restarts (packages
// pgstore, sqlitestore). [Client.ProcessOrder] records each attempt in j
// before sending it and never sends a purchase whose [OrderRequest.Key] j
// already holds with an outcome that may have bought something. If j
// fails, the purchase is not sent and ProcessOrder returns an error
// matching [ErrNotSent].
func WithPurchaseJournal(j PurchaseJournal) Option {
	return clientOption("WithPurchaseJournal", func(c *config) error {
		if j == nil {
			return errors.New("travelroam: purchase journal must not be nil")
		}
		c.journal, c.ledger = j, nil
		return nil
	})
}

// WithPurchaseLedger makes the Client keep its purchase journal and its
// purchase gate in l, one store that keeps both (pgstore and sqlitestore:
// Store.Ledger): [Client.ProcessOrder] then records each attempt and
// claims the account's turn in one transaction before sending, and frees
// the turn and records the outcome in one transaction after (two commits
// per purchase, where a separate journal and gate make four). It is
// WithPurchaseJournal(l) and WithPurchaseGate(l) in one; giving the same
// value (of a comparable type, such as a pointer) to both does the same,
// and a later WithPurchaseGate or WithPurchaseJournal of another store
// keeps them apart. If l fails, the purchase is not sent and
// ProcessOrder returns an error matching [ErrNotSent].
func WithPurchaseLedger(l PurchaseLedger) Option {
	return clientOption("WithPurchaseLedger", func(c *config) error {
		if l == nil {
			return errors.New("travelroam: purchase ledger must not be nil")
		}
		c.gate, c.journal, c.ledger = l, l, l
		return nil
	})
}

// NewClient returns a Client for the given credentials, by default for
// Travel Roam's sandbox ([WithBaseURL] with [LiveURL] for production).
// Both credentials are required. Missing credentials and a bad option are
// a [*ValidationError] naming them.
func NewClient(apiKey, clientSecret string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(apiKey) == "" || strings.TrimSpace(clientSecret) == "" {
		return nil, invalid("NewClient", "credentials", "API key and client secret are both required")
	}
	if strings.ContainsAny(apiKey+clientSecret, "\r\n") {
		return nil, invalid("NewClient", "credentials", "they must not contain line breaks")
	}
	cfg := config{maxRetries: defaultMaxRetries, purchaseInterval: -1}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	raw := cfg.baseURL
	if raw == "" {
		raw = sandboxURL
	}
	base, _ := url.Parse(strings.TrimRight(raw, "/"))
	if base.Scheme != "https" && isTravelRoamHost(base.Hostname()) {
		return nil, invalid("NewClient", "WithBaseURL", "a Travel Roam base URL must use https: the credentials would travel in clear text")
	}
	if cfg.purchaseInterval < 0 {
		cfg.purchaseInterval = defaultPurchaseInterval
	} else if cfg.purchaseInterval < minPurchaseInterval && isTravelRoamHost(base.Hostname()) {
		return nil, invalid("NewClient", "WithPurchaseInterval", "%s is below the %s Travel Roam asks for", cfg.purchaseInterval, minPurchaseInterval)
	}

	c := &Client{
		baseURL:          base,
		userAgent:        userAgent(cfg.userAgent),
		logger:           cfg.logger,
		purchaseInterval: cfg.purchaseInterval,
		jitter:           randomJitter,
		budget:           newRetryBudget(),
		rules:            newDecodeRules(),
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	cfg.observer = cfg.observer.orNil()
	c.reportAttempts = cfg.logger != nil || cfg.observer != nil
	c.observer = cfg.observer
	// From here on the credentials are held as Secrets: they go only into
	// the request headers, the redactor and the account key's hash.
	key, secret := Secret(apiKey), Secret(clientSecret)
	header := contractHeader(key, secret, c.userAgent)
	c.headers = header.Clone
	c.scrub = redact.New(key.Reveal(), secret.Reveal())
	c.routes = resolveRoutes(base, cfg.routes)
	c.readHTTP, c.writeHTTP = httpClients(cfg.httpClient, cfg.logger, c.reportAttempts)
	c.reads = c.newReaders(cfg.maxRetries)
	c.setPurchaseStores(cfg, key)
	return c, nil
}

func userAgent(product string) string {
	ua := "travelroam-go/" + Version
	if product != "" {
		ua = product + " " + ua
	}
	return ua
}

func isTravelRoamHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "travelroam.com" || strings.HasSuffix(host, ".travelroam.com")
}

// BaseURL returns the base URL requests are sent to, e.g.
// "https://sandbox.travelroam.com/api/whitelabel".
func (c *Client) BaseURL() string { return c.baseURL.String() }

// String describes the client without its credentials.
func (c *Client) String() string {
	return "travelroam.Client{BaseURL: " + c.baseURL.String() + ", APIKey: [redacted], ClientSecret: [redacted]}"
}

// Format makes every fmt verb print [Client.String].
func (c *Client) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// CloseIdleConnections closes the idle connections of the Client's
// transport. Calls in flight are not affected.
func (c *Client) CloseIdleConnections() { c.readHTTP.CloseIdleConnections() }

// setPurchaseStores sets the purchase gate, the journal (the in-memory
// defaults unless cfg has others), the account key, the environment
// recorded and the lease and send deadline of a purchase. It runs at the
// end of NewClient, once the base URL is known.
func (c *Client) setPurchaseStores(cfg config, apiKey Secret) {
	c.gate, c.journal = cfg.gate, cfg.journal
	if c.gate == nil && c.journal == nil {
		l := newMemoryLedger()
		c.gate, c.journal = l, l
	}
	if c.gate == nil {
		c.gate = newMemoryGate()
	}
	if c.journal == nil {
		c.journal = newMemoryJournal()
	}
	c.ledger = cfg.ledger
	if l, ok := c.journal.(PurchaseLedger); ok && c.ledger == nil && sameStore(c.gate, l) {
		c.ledger = l
	}
	scope := accountScope(c.baseURL)
	if env := environmentOf(scope); env != "" {
		scope, c.environment = env, env
	}
	sum := sha256.Sum256([]byte(apiKey.Reveal()))
	c.account = scope + ":" + hex.EncodeToString(sum[:8])

	w := defaultWriteTimeout
	if cfg.httpClient != nil && cfg.httpClient.Timeout > 0 {
		w = cfg.httpClient.Timeout
	}
	margin := min(w, maxLeaseMargin)
	c.purchaseLease = w + margin
	c.purchaseSend = w + margin/2
}

// sameStore reports whether the gate g is the ledger l (the same value
// given to WithPurchaseGate and WithPurchaseJournal), without comparing
// values that are not comparable (that would panic): neither a type that
// is not, nor a comparable struct whose interface field holds a value
// that is not (reflect.Value.Comparable looks at the dynamic values).
func sameStore(g PurchaseGate, l PurchaseLedger) bool {
	t := reflect.TypeOf(g)
	return t == reflect.TypeOf(l) && reflect.ValueOf(g).Comparable() && any(g) == any(l)
}

// accountScope returns the base URL u as the account key names it, so
// that every spelling of one base URL names one account and matches its
// environment: the host in lower case without a trailing dot
// (travelroam.com.) or the scheme's default port (:443), the path cleaned
// and without a trailing slash, and no query or fragment (WithBaseURL
// refuses a non-empty one; an empty "?" or "#" is dropped).
func accountScope(u *url.URL) string {
	v := url.URL{Scheme: strings.ToLower(u.Scheme)}
	host, port := strings.TrimSuffix(strings.ToLower(u.Hostname()), "."), u.Port()
	if (v.Scheme == "https" && port == "443") || (v.Scheme == "http" && port == "80") {
		port = ""
	}
	switch {
	case port != "":
		v.Host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"): // IPv6
		v.Host = "[" + host + "]"
	default:
		v.Host = host
	}
	if u.Path != "" {
		v.Path = strings.TrimRight(path.Clean("/"+u.Path), "/")
	}
	return v.String()
}

// AccountKey returns the name of the Client's Travel Roam account in its
// [PurchaseGate] and [PurchaseJournal]: the environment ("sandbox" or
// "live"; the base URL for any other host, its host in lower case and
// without a trailing dot or a default port, the path without a trailing
// slash, no empty query or fragment), a colon and the first 16 hex digits
// of the SHA-256 of the API key, e.g. "sandbox:3f1c0e9a7b2d4c5e". Clients
// with the same API key and base URL share it, in every process, however
// the URL is spelled; a store never sees the API key itself. With the
// Key, it identifies a purchase attempt in the [PurchaseJournal].
func (c *Client) AccountKey() string { return c.account }
