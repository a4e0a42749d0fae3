package travelroam

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// CallbackOption configures [NewCallbackHandler] and [ParseCallback].
type CallbackOption func(*callbackConfig) error

type callbackConfig struct {
	maxBytes  int64
	tokenFrom func(*http.Request) string // nil: no token check
	tokens    [][sha256.Size]byte        // SHA-256 of each accepted token
	keys      [][]byte                   // signature keys; none: no signature check
	sigHeader string
	// sigHeaderSet: WithCallbackSignatureHeader was given (it needs keys).
	sigHeaderSet bool
	deduper      Deduper // nil: no deduplication
	dedupeSet    bool
	logger       *slog.Logger
	observer     *Observer // nil: none
}

func newCallbackConfig(opts []CallbackOption) (*callbackConfig, error) {
	c := &callbackConfig{
		maxBytes:  DefaultCallbackMaxBytes,
		sigHeader: DefaultSignatureHeader,
		logger:    slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if c.sigHeaderSet && len(c.keys) == 0 {
		// A header name without keys would leave the handler open while
		// its configuration reads as if signatures were checked.
		return nil, errors.New("travelroam: WithCallbackSignatureHeader needs WithCallbackSignature with at least one key")
	}
	return c, nil
}

// WithCallbackMaxBytes sets the largest body accepted (default 64 KiB);
// larger ones get 413. n must be positive.
func WithCallbackMaxBytes(n int64) CallbackOption {
	return func(c *callbackConfig) error {
		if n <= 0 {
			return fmt.Errorf("travelroam: callback body limit must be positive, got %d", n)
		}
		c.maxBytes = n
		return nil
	}
}

// WithCallbackQueryToken requires the query parameter param of the
// callback URL to equal one of tokens, e.g. register
// "https://shop.example/travelroam/callback?token=<secret>" with Travel
// Roam and pass WithCallbackQueryToken("token", secret). Give two tokens
// while you rotate. Each token must have at least 16 characters; use 32
// random ones (crypto/rand, base64 or hex). The comparison takes
// constant time and the token never appears in logs or errors, but URLs
// end up in proxy and access logs: prefer signatures when available.
func WithCallbackQueryToken(param string, tokens ...string) CallbackOption {
	return func(c *callbackConfig) error {
		if param == "" {
			return errors.New("travelroam: callback token parameter name must not be empty")
		}
		return c.setTokens(func(r *http.Request) string {
			if r.URL == nil {
				return ""
			}
			return r.URL.Query().Get(param)
		}, tokens, false)
	}
}

// WithCallbackPathToken requires the last segment of the request path to
// equal one of tokens, e.g. register
// "https://shop.example/travelroam/callback/<secret>" and route the
// "/travelroam/callback/" prefix to the handler. The rules of
// [WithCallbackQueryToken] apply; a token must not contain "/".
func WithCallbackPathToken(tokens ...string) CallbackOption {
	return func(c *callbackConfig) error {
		return c.setTokens(lastPathSegment, tokens, true)
	}
}

func lastPathSegment(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	p := strings.TrimRight(r.URL.Path, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}

func (c *callbackConfig) setTokens(from func(*http.Request) string, tokens []string, path bool) error {
	if c.tokenFrom != nil {
		return errors.New("travelroam: choose one callback token location, query or path")
	}
	if len(tokens) == 0 {
		return errors.New("travelroam: callback token option needs at least one token")
	}
	for i, t := range tokens {
		if len(t) < minCallbackToken {
			return fmt.Errorf("travelroam: callback token %d is shorter than %d characters", i+1, minCallbackToken)
		}
		if path && strings.Contains(t, "/") {
			return fmt.Errorf("travelroam: callback path token %d contains a slash", i+1)
		}
		c.tokens = append(c.tokens, sha256.Sum256([]byte(t)))
	}
	c.tokenFrom = from
	return nil
}

// WithCallbackSignature requires an HMAC-SHA256 of the raw body, made
// with one of keys, in the signature header ([DefaultSignatureHeader]
// unless [WithCallbackSignatureHeader] says otherwise), hex or base64. It
// adds keys to those already configured: pass the current and the
// previous key while you rotate, then drop the old one. With eSIM Go
// style signing the key is your API key.
func WithCallbackSignature(keys ...[]byte) CallbackOption {
	return func(c *callbackConfig) error {
		if len(keys) == 0 {
			return errors.New("travelroam: callback signature option needs at least one key")
		}
		for i, k := range keys {
			if len(k) == 0 {
				return fmt.Errorf("travelroam: callback signature key %d is empty", i+1)
			}
			c.keys = append(c.keys, append([]byte(nil), k...))
		}
		return nil
	}
}

// WithCallbackSignatureHeader changes the header carrying the signature
// (default [DefaultSignatureHeader]). It does not enable signature checks
// by itself: add [WithCallbackSignature].
func WithCallbackSignatureHeader(name string) CallbackOption {
	return func(c *callbackConfig) error {
		if name == "" || strings.ContainsAny(name, " \t\r\n:") {
			return errors.New("travelroam: callback signature header name is empty or invalid")
		}
		c.sigHeader, c.sigHeaderSet = name, true
		return nil
	}
}

// WithCallbackDeduper sets the store that lets each event reach the
// callback function once (by default a [NewMemoryDeduper] of 10,000 keys
// kept 72 hours, private to the handler). nil turns deduplication off:
// every delivery then reaches the function. Several receivers (replicas)
// need one shared, durable Deduper (see the pgstore, redisstore and
// sqlitestore modules).
func WithCallbackDeduper(d Deduper) CallbackOption {
	return func(c *callbackConfig) error {
		c.deduper, c.dedupeSet = d, true
		return nil
	}
}

// WithCallbackObserver makes the handler report each decision (delivered,
// duplicate, in flight, refused and why, failed) to o's Callback hook
// (see [Observer]). A nil o is ignored.
func WithCallbackObserver(o *Observer) CallbackOption {
	return func(c *callbackConfig) error {
		if o != nil && o.Callback != nil {
			c.observer = o
		}
		return nil
	}
}

// WithCallbackLogger makes the handler log rejections, failures and
// duplicates (and deliveries at debug level). Log lines carry the status,
// the reason, the alert type and the ICCID's last four digits; never the
// body, a full ICCID, a token or a signature. The default discards.
func WithCallbackLogger(l *slog.Logger) CallbackOption {
	return func(c *callbackConfig) error {
		if l == nil {
			return errors.New("travelroam: callback logger must not be nil")
		}
		c.logger = l
		return nil
	}
}
