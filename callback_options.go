package travelroam

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

type callbackConfig struct {
	maxBytes  int64
	tokenFrom func(*http.Request) string // nil: no token check
	tokens    [][sha256.Size]byte        // SHA-256 of each accepted token
	keys      [][]byte                   // signature keys; none: no signature check
	sigHeader string                     // "": defaultSignatureHeader
	deduper   Deduper                    // nil: no deduplication
	dedupeSet bool
	logger    *slog.Logger
	observer  *Observer // nil: none
}

// labelCallbackOptions names the callback receiver in option errors.
const labelCallbackOptions = "callback receiver"

func newCallbackConfig(opts []Option) (*callbackConfig, error) {
	c := &callbackConfig{maxBytes: defaultCallbackMaxBytes}
	cfg := config{callback: c}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if c.sigHeader == "" {
		c.sigHeader = defaultSignatureHeader
	}
	c.logger = cfg.logger
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if o := cfg.observer; o != nil && o.Callback != nil {
		c.observer = o
	}
	return c, nil
}

// callbackOption is an Option of a callback receiver only: given to
// NewClient, it is refused.
func callbackOption(name string, f func(*callbackConfig) error) Option {
	return func(c *config) error {
		if c.callback == nil {
			return invalid("NewClient", "option", "%s configures ParseCallback and NewCallbackHandler, not a Client", name)
		}
		return f(c.callback)
	}
}

// asValidation makes an option's complaint a *ValidationError naming the
// option, so that every bad option is one error type: "travelroam: <op>:
// invalid <option>: <reason>".
func asValidation(op, option string, err error) error {
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return err
	}
	return &ValidationError{Op: op, Field: option, Reason: strings.TrimPrefix(err.Error(), "travelroam: ")}
}

// clientOption is an Option of NewClient only: given to a callback
// receiver, it is refused.
func clientOption(name string, f func(*config) error) Option {
	return func(c *config) error {
		if c.callback != nil {
			return invalid(labelCallbackOptions, "option", "%s configures NewClient, not ParseCallback or NewCallbackHandler", name)
		}
		return asValidation("NewClient", name, f(c))
	}
}

// WithCallbackMaxBytes sets the largest body accepted (default 64 KiB,
// 65,536 bytes); larger ones get 413. n must be positive.
func WithCallbackMaxBytes(n int64) Option {
	return callbackOption("WithCallbackMaxBytes", func(c *callbackConfig) error {
		if n <= 0 {
			return fmt.Errorf("travelroam: callback body limit must be positive, got %d", n)
		}
		c.maxBytes = n
		return nil
	})
}

// WithCallbackQueryToken requires the query parameter param of the
// callback URL to equal one of tokens, e.g. register
// "https://shop.example/travelroam/callback?token=<secret>" with Travel
// Roam and pass WithCallbackQueryToken("token", secret). Give two tokens
// while you rotate. Each token must have at least 16 characters; use 32
// random ones (crypto/rand, base64 or hex). The comparison takes
// constant time and the token never appears in logs or errors, but URLs
// end up in proxy and access logs: prefer signatures when available.
func WithCallbackQueryToken(param string, tokens ...string) Option {
	return callbackOption("WithCallbackQueryToken", func(c *callbackConfig) error {
		if param == "" {
			return errors.New("travelroam: callback token parameter name must not be empty")
		}
		return c.setTokens(func(r *http.Request) string {
			if r.URL == nil {
				return ""
			}
			return r.URL.Query().Get(param)
		}, tokens, false)
	})
}

// WithCallbackPathToken requires the last segment of the request path to
// equal one of tokens, e.g. register
// "https://shop.example/travelroam/callback/<secret>" and route the
// "/travelroam/callback/" prefix to the handler. The rules of
// [WithCallbackQueryToken] apply; a token must not contain "/".
func WithCallbackPathToken(tokens ...string) Option {
	return callbackOption("WithCallbackPathToken", func(c *callbackConfig) error {
		return c.setTokens(lastPathSegment, tokens, true)
	})
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
// with one of keys, in the request header named header ("" means
// "X-Signature-SHA256"). The signature may be hex or base64 (standard or
// URL alphabet, padded or not), optionally prefixed "sha256="; values
// longer than 256 bytes are refused, and every key is tried in constant
// time. The option adds keys to those already configured: pass the
// current and the previous key while you rotate, then drop the old one.
// All keys are checked against one header: naming two different headers
// is an error. With eSIM Go style signing the key is your API key.
func WithCallbackSignature(header string, keys ...[]byte) Option {
	return callbackOption("WithCallbackSignature", func(c *callbackConfig) error {
		if header == "" {
			header = defaultSignatureHeader
		}
		if strings.ContainsAny(header, " \t\r\n:") {
			return errors.New("travelroam: callback signature header name is invalid")
		}
		if c.sigHeader != "" && !strings.EqualFold(c.sigHeader, header) {
			return errors.New("travelroam: callback signatures must all be in one header")
		}
		if len(keys) == 0 {
			return errors.New("travelroam: callback signature option needs at least one key")
		}
		for i, k := range keys {
			if len(k) == 0 {
				return fmt.Errorf("travelroam: callback signature key %d is empty", i+1)
			}
			c.keys = append(c.keys, append([]byte(nil), k...))
		}
		c.sigHeader = header
		return nil
	})
}

// WithCallbackDeduper sets the store that lets each event reach the
// callback function once (by default a [NewMemoryDeduper] of 10,000 keys
// kept 72 hours, private to the handler). nil turns deduplication off:
// every delivery then reaches the function. Several receivers (replicas)
// need one shared, durable Deduper (see the pgstore, redisstore and
// sqlitestore modules).
func WithCallbackDeduper(d Deduper) Option {
	return callbackOption("WithCallbackDeduper", func(c *callbackConfig) error {
		c.deduper, c.dedupeSet = d, true
		return nil
	})
}

// receiver names what an Option configures in its errors: NewClient, or
// the callback receiver.
func (c *config) receiver() string {
	if c.callback != nil {
		return labelCallbackOptions
	}
	return "NewClient"
}
