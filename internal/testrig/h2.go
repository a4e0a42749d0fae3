package testrig

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// H2Mode says what the hostile HTTP/2 server does with the first request
// it receives, after recording it as an order.
type H2Mode int

const (
	// H2Refuse answers the first request with RST_STREAM(REFUSED_STREAM):
	// "not processed", a lie, since the order was made.
	H2Refuse H2Mode = iota
	// H2GoAway answers the first request with a GOAWAY whose last stream
	// ID (0) does not cover it, then closes the connection.
	H2GoAway
)

// H2Server is a minimal HTTP/2 server speaking raw frames over TLS: it
// records every request with a body as an order, lies about the first
// one as its mode says, and answers the others 200 with an order. It
// exists because net/http's server cannot send REFUSED_STREAM or a
// GOAWAY that leaves a processed stream uncovered, which is what a buggy
// proxy does and what makes net/http's HTTP/2 client replay a request.
type H2Server struct {
	t      *testing.T
	mode   H2Mode
	ln     net.Listener
	pool   *x509.CertPool
	orders atomic.Int32
	wg     sync.WaitGroup
}

// NewH2Server starts a server that lies about its first request as mode
// says; it stops when the test ends.
func NewH2Server(t *testing.T, mode H2Mode) *H2Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.StartTLS() // only for its certificate
	cert := ts.TLS.Certificates[0]
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	ts.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})
	require.NoError(t, err)
	s := &H2Server{t: t, mode: mode, ln: ln, pool: pool}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// URL is the server's base URL.
func (s *H2Server) URL() string { return "https://" + s.ln.Addr().String() }

// Client returns an HTTP client that trusts the server and speaks HTTP/2.
func (s *H2Server) Client() *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: s.pool, ServerName: "example.com"},
		ForceAttemptHTTP2: true,
	}}
}

func (s *H2Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			s.serveConn(conn)
		}()
	}
}

const (
	h2FrameData      = 0x0
	h2FrameHeaders   = 0x1
	h2FrameRSTStream = 0x3
	h2FrameSettings  = 0x4
	h2FramePing      = 0x6
	h2FrameGoAway    = 0x7
	h2FlagEndStream  = 0x1
	h2FlagAck        = 0x1
	h2FlagEndHeaders = 0x4
	h2RefusedStream  = 0x7
)

func (s *H2Server) serveConn(conn net.Conn) {
	r := bufio.NewReader(conn)
	preface := make([]byte, len(http2Preface))
	if _, err := io.ReadFull(r, preface); err != nil || string(preface) != http2Preface {
		return
	}
	w := &h2Writer{conn: conn}
	w.frame(h2FrameSettings, 0, 0, nil)
	for {
		typ, flags, stream, payload, err := readH2Frame(r)
		if err != nil {
			return
		}
		switch {
		case typ == h2FrameSettings && flags&h2FlagAck == 0:
			w.frame(h2FrameSettings, h2FlagAck, 0, nil)
		case typ == h2FramePing && flags&h2FlagAck == 0:
			w.frame(h2FramePing, h2FlagAck, 0, payload)
		case (typ == h2FrameData || typ == h2FrameHeaders) && flags&h2FlagEndStream != 0:
			if typ == h2FrameData { // a request with a body: an order
				n := s.orders.Add(1)
				if !s.answer(w, stream, n) {
					return
				}
			}
		}
	}
}

// answer replies to the n-th order on stream; false means hang up.
func (s *H2Server) answer(w *h2Writer, stream uint32, n int32) bool {
	if n == 1 {
		switch s.mode {
		case H2Refuse:
			w.frame(h2FrameRSTStream, 0, stream, binary.BigEndian.AppendUint32(nil, h2RefusedStream))
			return true
		case H2GoAway:
			w.frame(h2FrameGoAway, 0, 0, binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 0), 0))
			return false
		}
	}
	// HPACK: ":status: 200" (static index 8), then content-type (static
	// name index 31) as a literal without indexing.
	hdr := append([]byte{0x88, 0x0f, 0x10, byte(len("application/json"))}, "application/json"...)
	w.frame(h2FrameHeaders, h2FlagEndHeaders, stream, hdr)
	body := fmt.Sprintf(`{"orderReference":"ref-%d","status":"completed","total":1.85,"currency":"USD"}`, n)
	w.frame(h2FrameData, h2FlagEndStream, stream, []byte(body))
	return true
}

const http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

type h2Writer struct {
	mu   sync.Mutex
	conn net.Conn
}

func (w *h2Writer) frame(typ, flags byte, stream uint32, payload []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	hdr := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), typ, flags}
	hdr = binary.BigEndian.AppendUint32(hdr, stream&0x7fffffff)
	_, _ = w.conn.Write(append(hdr, payload...))
}

func readH2Frame(r *bufio.Reader) (typ, flags byte, stream uint32, payload []byte, err error) {
	var hdr [9]byte
	if _, err = io.ReadFull(r, hdr[:]); err != nil {
		return
	}
	n := int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2])
	payload = make([]byte, n)
	if _, err = io.ReadFull(r, payload); err != nil {
		return
	}
	return hdr[3], hdr[4], binary.BigEndian.Uint32(hdr[5:]) & 0x7fffffff, payload, nil
}

// Orders is how many requests with a body (orders, revokes) the server
// received and carried out.
func (s *H2Server) Orders() int { return int(s.orders.Load()) }
