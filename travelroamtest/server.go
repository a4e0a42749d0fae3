package travelroamtest

import (
	"crypto/subtle"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"time"
)

// maxRequestBody caps what the fake reads of a request body.
const maxRequestBody = 1 << 20

// Server is a running fake of the Travel Roam API. Create it with
// [NewServer] and Close it when done. All its methods are safe for
// concurrent use.
type Server struct {
	// URL is the API base URL of the server's environment, including the
	// real base path, e.g. "http://127.0.0.1:41234/api/whitelabel". Pass it
	// to travelroam.WithBaseURL.
	URL string
	// APIKey and ClientSecret are the credentials the server accepts.
	APIKey, ClientSecret string

	cfg          config
	origin       string // scheme://host
	routes       map[Route]routeSpec
	catalogue    []Bundle
	bundleByName map[string]*Bundle
	loopback     *httptest.Server
	mem          *memNetwork
	client       *http.Client
	callbacks    *http.Client
	closed       chan struct{} // closed by Close: stops slow answers
	closeOnce    sync.Once
	inflight     sync.WaitGroup

	// mu guards everything below. Handlers run with it held; it is never
	// held during network I/O.
	mu           sync.Mutex
	closing      bool
	ids          *ids
	accounts     map[string]*account // by API key
	esims        map[string]*esim    // by ICCID
	issued       map[string]bool     // every ICCID ever issued, revoked ones too
	handedOut    []string            // every eSIM's secrets, in order of issue (Secrets)
	orders       map[string]*order   // by reference
	faults       map[Route][]Fault
	requests     []Request
	orderLog     []Order
	callbackLog  []Callback
	lastPurchase int // index in requests of the latest purchase, or -1
	shuffler     *rand.Rand
	lastShuffle  []*Bundle
	window       time.Time // start of the rate limit window
	windowCount  int       // requests in it
}

// account is a reseller account: credentials and one wallet per
// environment, in cents.
type account struct {
	secret  string
	balance map[Environment]int64
}

// NewServer starts a fake Travel Roam API on a loopback httptest server
// (or on an in-memory network with [WithInMemoryNetwork]). Close it when
// done, e.g. with t.Cleanup(srv.Close).
func NewServer(opts ...Option) *Server {
	cfg := defaultConfig()
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	mustf(!cfg.inMemory || cfg.listener == nil, "WithListener and WithInMemoryNetwork exclude each other")
	s := &Server{
		APIKey: cfg.apiKey, ClientSecret: cfg.clientSecret,
		cfg: cfg, routes: routeTable(), catalogue: newCatalogue(cfg.seed),
		bundleByName: map[string]*Bundle{}, closed: make(chan struct{}),
		ids: newIDs(cfg.seed), accounts: map[string]*account{}, esims: map[string]*esim{}, issued: map[string]bool{},
		orders: map[string]*order{}, faults: map[Route][]Fault{}, lastPurchase: -1,
	}
	for i := range s.catalogue {
		s.bundleByName[s.catalogue[i].Name] = &s.catalogue[i]
	}
	s.addAccount(cfg.apiKey, cfg.clientSecret)
	for key, secret := range cfg.accounts {
		s.addAccount(key, secret)
	}
	s.callbacks = cfg.callbackClient
	if s.callbacks == nil {
		s.callbacks = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	}
	s.start()
	s.URL = s.origin + basePath
	return s
}

func (s *Server) addAccount(key, secret string) {
	s.accounts[key] = &account{secret: secret, balance: map[Environment]int64{
		Sandbox: s.cfg.balances[Sandbox], Live: s.cfg.balances[Live],
	}}
}

func (s *Server) start() {
	if s.cfg.inMemory {
		s.mem = newMemNetwork(s)
		s.origin, s.client = memOrigin, s.mem.client
		return
	}
	s.loopback = httptest.NewUnstartedServer(s)
	if s.cfg.listener != nil {
		_ = s.loopback.Listener.Close()
		s.loopback.Listener = s.cfg.listener
	}
	s.loopback.Start()
	s.origin, s.client = s.loopback.URL, s.loopback.Client()
}

// EnvURL returns the base URL that reaches env's wallet, eSIMs and orders
// whatever the server's own environment, e.g.
// "http://127.0.0.1:41234/live/api/whitelabel". The same credentials work
// for both, as at Travel Roam.
func (s *Server) EnvURL(env Environment) string {
	return s.origin + "/" + string(env) + basePath
}

// Client returns an HTTP client that reaches the server: the httptest
// client on loopback, or a client whose *http.Transport dials the
// in-memory network (so net/http's httptrace hooks fire). Pass it to
// travelroam.WithHTTPClient. Its idle connections are closed by Close.
func (s *Server) Client() *http.Client { return s.client }

// Close stops the server: slow answers in progress are cut short, every
// handler has returned and every connection is closed when it returns.
// It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		close(s.closed)
		if s.mem != nil {
			s.mem.close()
		} else {
			s.loopback.Close()
		}
		s.inflight.Wait()
		s.callbacks.CloseIdleConnections()
	})
}

func (s *Server) now() time.Time { return s.cfg.clock() }

// ServeHTTP serves one request: it records it in the ledger, applies the
// next injected fault of its route, and answers as the API would.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		writeReply(w, errorReply(http.StatusServiceUnavailable, "Server closed"))
		return
	}
	defer s.inflight.Done()
	env, route, under := splitPath(r.URL.Path, s.cfg.env)
	if _, known := s.routes[route]; !under || !known {
		route = ""
	}
	idx, fault, rate := s.begin(r, env, route)
	status := 0 // stays 0 if the handler aborts the connection
	defer func() { s.finish(idx, status) }()
	status = s.respond(w, r, exchange{idx: idx, env: env, route: route, fault: fault, rate: rate})
}

func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.inflight.Add(1)
	return true
}

// exchange is one request in flight.
type exchange struct {
	idx   int // in the ledger
	env   Environment
	route Route // "" for an unknown path
	fault Fault
	rate  rateDecision
}

// readBody reads the request body (at most maxRequestBody bytes). It
// returns a reply when the body cannot be read.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *reply) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err == nil {
		return body, nil
	}
	rp := errorReply(http.StatusRequestEntityTooLarge, "Request body too large")
	if _, tooLarge := err.(*http.MaxBytesError); !tooLarge {
		rp = errorReply(http.StatusBadRequest, "Request body could not be read")
	}
	return body, &rp
}

// handle answers a request as the API would: route, method, credentials,
// JSON body (on every method but GET), then the route's handler.
func (s *Server) handle(r *http.Request, ex exchange, body []byte) reply {
	spec, known := s.routes[ex.route]
	if !known {
		return errorReply(http.StatusNotFound, "Not found")
	}
	if !slices.Contains(spec.methods, r.Method) {
		rp := errorReply(http.StatusMethodNotAllowed, "Method not allowed")
		rp.header = http.Header{"Allow": spec.methods}
		return rp
	}
	key, authorised := s.authorise(r)
	if !authorised {
		return s.authFailure()
	}
	c := &call{r: r, env: ex.env, account: key, body: jsonBody{}}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		var bad *reply
		if c.body, bad = parseBody(body); bad != nil {
			return *bad
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return spec.handle(s, c)
}

// authorise checks both credentials; header names are case-insensitive
// (X-API-KEY = x-api-key, Clientsecret = clientSecret).
func (s *Server) authorise(r *http.Request) (string, bool) {
	key, secret := r.Header.Get("X-API-KEY"), r.Header.Get("Clientsecret")
	s.mu.Lock()
	acc, found := s.accounts[key]
	s.mu.Unlock()
	if key == "" || !found {
		return "", false
	}
	return key, subtle.ConstantTimeCompare([]byte(secret), []byte(acc.secret)) == 1
}

// writeReply writes rp (as JSON unless it is raw) and returns its status.
func writeReply(w http.ResponseWriter, rp reply) int {
	body := rp.encode()
	h := w.Header()
	for k, v := range rp.header {
		h[k] = v
	}
	h.Set("Content-Type", rp.mediaType())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rp.status)
	_, _ = w.Write(body)
	return rp.status
}
