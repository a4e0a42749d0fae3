package travelroamtest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
)

// memOrigin is the placeholder origin of an in-memory server: the host is
// never resolved, the transport dials the in-memory listener whatever the
// address.
const memOrigin = "http://travelroam.fake.test"

// memNetwork serves the fake on an http.Server whose listener hands out
// one end of a net.Pipe per dial. Nothing touches a socket, so it works
// inside a testing/synctest bubble.
type memNetwork struct {
	listener  *pipeListener
	server    *http.Server
	transport *http.Transport
	client    *http.Client
	served    chan struct{} // closed when Serve returned
}

func newMemNetwork(h http.Handler) *memNetwork {
	l := &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
	m := &memNetwork{
		listener: l,
		server:   &http.Server{Handler: h},
		served:   make(chan struct{}),
	}
	m.transport = &http.Transport{DialContext: l.dial, MaxIdleConnsPerHost: 16}
	m.client = &http.Client{Transport: m.transport}
	go func() {
		defer close(m.served)
		_ = m.server.Serve(l)
	}()
	return m
}

// close stops accepting, closes every connection, and waits for Serve to
// return; the client's idle connections are closed too.
func (m *memNetwork) close() {
	_ = m.server.Close()
	<-m.served
	m.transport.CloseIdleConnections()
}

// pipeListener is a net.Listener whose connections come from dial.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// Accept waits for the next dial.
func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and makes later dials fail.
func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr returns the listener's placeholder address.
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial connects to the listener, whatever network and address are asked.
func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		err := errors.New("connection refused: in-memory server closed")
		return nil, closeBoth(client, server, &net.OpError{Op: "dial", Net: "pipe", Err: err})
	case <-ctx.Done():
		return nil, closeBoth(client, server, ctx.Err())
	}
}

func closeBoth(a, b net.Conn, err error) error {
	_ = a.Close()
	_ = b.Close()
	return err
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "travelroam.fake.test:80" }
