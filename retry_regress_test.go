package travelroam

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"
)

// rawServer answers the n-th request (from 0) with raws[min(n, len-1)],
// written byte for byte, then closes the connection: it can send what a
// well-behaved net/http server never would (a body cut short).
func rawServer(t *testing.T, raws ...string) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var n atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				i := int(n.Add(1)) - 1
				conn.Write([]byte(raws[min(i, len(raws)-1)]))
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "http://" + ln.Addr().String() + "/api", &n
}

const (
	rawGarbage200 = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\nConnection: close\r\n\r\nnot json"
	rawBroken500  = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"message\":"
	rawBroken401  = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"message\":\"bad key\""
	raw503        = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 21\r\nConnection: close\r\n\r\n{\"message\":\"maint.\"} "
)

func rawClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(testAPIKey, testSecret, append([]Option{WithBaseURL(url)}, opts...)...)
	require.NoError(t, err)
	c.jitter = func(time.Duration) time.Duration { return 0 }
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// TestReadNeverSucceedsWithAnEarlierAttemptsAnswer: an undecodable 200,
// then a 500 whose body breaks off, must not come back as (nil, nil).
func TestReadNeverSucceedsWithAnEarlierAttemptsAnswer(t *testing.T) {
	t.Parallel()
	url, n := rawServer(t, rawGarbage200, rawBroken500)
	c := rawClient(t, url, WithMaxRetries(1))
	org, err := c.Organisation(t.Context())
	require.Nil(t, org)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 500, ae.StatusCode)
	require.Equal(t, int32(2), n.Load())
}

// TestReadCancelKeepsTheLatestAnswer: an undecodable 200, then 503s, then
// the context ends during a backoff: the 503 is what the error shows.
func TestReadCancelKeepsTheLatestAnswer(t *testing.T) {
	t.Parallel()
	url, _ := rawServer(t, rawGarbage200, raw503)
	c := rawClient(t, url, WithMaxRetries(5))
	ctx, cancel := context.WithTimeout(t.Context(), 600*time.Millisecond)
	defer cancel()
	_, err := c.Organisation(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, ErrUnavailable)
}

// TestReadBrokenErrorBodyKeepsStatus: a 401 whose body breaks off is still
// a 401, answered at once, not a transport error retried four times.
func TestReadBrokenErrorBodyKeepsStatus(t *testing.T) {
	t.Parallel()
	url, n := rawServer(t, rawBroken401)
	c := rawClient(t, url)
	_, err := c.Organisation(t.Context())
	require.ErrorIs(t, err, ErrUnauthorized)
	require.Equal(t, int32(1), n.Load())
}

// TestReadUnsizedCapWhenDataComesWithEOF: a reader that hands back its
// last bytes together with io.EOF (as net/http's chunked reader does) is
// held to the cap too.
func TestReadUnsizedCapWhenDataComesWithEOF(t *testing.T) {
	t.Parallel()
	_, err := readUnsized(iotest.DataErrReader(strings.NewReader("12345678901")), 10)
	require.ErrorIs(t, err, ErrResponseTooLarge)
	b, err := readUnsized(iotest.DataErrReader(strings.NewReader("1234567890")), 10)
	require.NoError(t, err)
	require.Equal(t, "1234567890", string(b))
}
