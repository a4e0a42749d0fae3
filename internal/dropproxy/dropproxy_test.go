package dropproxy

import (
	"bufio"
	"bytes"
	"net"
	"testing"
)

// echo starts a line echo server and returns its address.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadBytes('\n')
					if err != nil {
						return
					}
					if _, err := c.Write(line); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func contains(s string) Match { return func(b []byte) bool { return bytes.Contains(b, []byte(s)) } }

// roundTrip writes line and reads the answer on c.
func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, line string) (string, error) {
	t.Helper()
	if _, err := c.Write([]byte(line)); err != nil {
		return "", err
	}
	return r.ReadString('\n')
}

// TestDropsOneReplyAfterTheSequence: the answer to "commit" right after
// "claim" is lost once; "claim" followed by anything else, and everything
// after the drop, passes.
func TestDropsOneReplyAfterTheSequence(t *testing.T) {
	p, err := Start(echo(t), contains("claim"), contains("commit"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for round := range 2 {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		for _, line := range []string{"claim\n", "rollback\n", "commit\n", "claim\n"} {
			if got, err := roundTrip(t, c, r, line); err != nil || got != line {
				t.Fatalf("round %d: %q answered %q, %v", round, line, got, err)
			}
		}
		got, err := roundTrip(t, c, r, "commit\n")
		if round == 0 && err == nil {
			t.Fatalf("the answer to the COMMIT after a claim passed: %q", got)
		}
		if round == 1 && (err != nil || got != "commit\n") {
			t.Fatalf("a second drop: %q, %v", got, err)
		}
		select {
		case <-p.Dropped():
		default:
			t.Fatal("Dropped is not closed")
		}
		_ = c.Close()
	}
}
