// Package dropproxy is a TCP proxy for the store modules' tests that
// loses exactly one reply: it forwards every connection to a real server
// (PostgreSQL, Redis) and, once the client has sent the statements it
// watches for, lets the server answer the last of them and then closes the
// connection instead of passing the answer on. The client sees a dropped
// connection although its statement was carried out, as after a network
// cut, a PgBouncer restart or a failover. It is test support, not part of
// the SDK, and uses only the standard library so that the store modules
// can import it (their go.mod replaces the root module with ../).
package dropproxy

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
)

// Match tells whether one chunk that a client wrote (one read from its
// connection) is the statement watched for.
type Match func(chunk []byte) bool

// Proxy forwards connections from Addr to a target and drops one reply.
type Proxy struct {
	ln     net.Listener
	target string
	stages []Match

	taken   atomic.Bool   // a connection was chosen to lose its reply
	dropped chan struct{} // closed once the reply was dropped

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// Start listens on a loopback port and forwards each connection to target
// (host:port). The reply dropped is the server's answer to the chunk that
// matches the last of stages, on a connection whose consecutive chunks
// matched stages in order (any other chunk starts the sequence again): with
// stages (claim statement, COMMIT) the proxy loses the answer to the COMMIT
// that directly follows a claim. Only one reply is dropped in the Proxy's
// life; every other byte passes.
func Start(target string, stages ...Match) (*Proxy, error) {
	if len(stages) == 0 {
		return nil, errors.New("dropproxy: no statement to watch for")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, stages: stages, dropped: make(chan struct{}), conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's address (127.0.0.1:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Dropped is closed once the reply was dropped.
func (p *Proxy) Dropped() <-chan struct{} { return p.dropped }

// Close stops listening, closes every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns[c] = struct{}{}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.track(client)
		p.track(server)
		var armed atomic.Bool
		closeBoth := func() { _ = client.Close(); _ = server.Close() }
		p.wg.Add(2)
		go func() { // client → server: watch the statements
			defer p.wg.Done()
			defer closeBoth()
			stage := 0
			buf := make([]byte, 64<<10)
			for {
				n, err := client.Read(buf)
				if n > 0 {
					chunk := buf[:n]
					if !p.taken.Load() {
						if !p.stages[stage](chunk) {
							stage = 0
						}
						if p.stages[stage](chunk) {
							stage++
						}
						if stage == len(p.stages) {
							stage = 0
							if p.taken.CompareAndSwap(false, true) {
								armed.Store(true)
							}
						}
					}
					if _, werr := server.Write(chunk); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
		go func() { // server → client: drop the armed answer
			defer p.wg.Done()
			defer closeBoth()
			buf := make([]byte, 64<<10)
			for {
				n, err := server.Read(buf)
				if n > 0 && armed.Load() {
					// The server carried out the statement and
					// answered: the client never hears of it.
					close(p.dropped)
					return
				}
				if n > 0 {
					if _, werr := client.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}
