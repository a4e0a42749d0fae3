package replicas

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary is also the replicas: started with the environment
// variable childEnv set to a childConfig in JSON, TestMain runs that role
// instead of the tests and exits. A child writes one JSON childEvent per
// line on stdout; its stderr is kept for the failure message.

const childEnv = "TRAVELROAM_REPLICA_CHILD"

func TestMain(m *testing.M) {
	if cfg := os.Getenv(childEnv); cfg != "" {
		os.Exit(runChild(cfg))
	}
	flag.Parse()
	code := m.Run()
	if code == 0 && *reportPath != "" {
		if err := writeReport(*reportPath); err != nil {
			fmt.Fprintln(os.Stderr, "replicas report:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// childConfig tells a child what to be.
type childConfig struct {
	Role string `json:"role"` // roleBuyer, roleRecover or roleReceiver

	// Stores: "postgres", "redis", "sqlite" or "memory" (the in-memory
	// default of the Client or the handler).
	Gate, Journal, Deduper string
	PostgresURL, RedisAddr string
	SQLitePath             string

	// Buyers: the fake, the pacing and the write timeout (the Client's
	// lease is derived from it), the bundle and the Keys to buy, in order.
	BaseURL, APIKey, Secret string
	Interval, WriteTimeout  time.Duration
	Bundle                  string
	Keys                    []string

	// Receivers: how long the callback function takes.
	Work time.Duration
}

const (
	roleBuyer    = "buyer"    // buys Keys one after another, then exits
	roleRecover  = "recover"  // lists the unfinished attempts, then buys Keys
	roleReceiver = "receiver" // serves callbacks until its stdin closes
)

// childEvent is one line of a child's output.
type childEvent struct {
	Kind string    `json:"kind"` // "result", "unfinished", "listening", "ran"
	At   time.Time `json:"at"`   // the child's clock

	Key       string `json:"key,omitempty"`
	Class     string `json:"class,omitempty"`   // of a ProcessOrder: ok, already_attempted, not_sent, refused, unknown, invalid, other
	Earlier   string `json:"earlier,omitempty"` // outcome of the earlier attempt, for already_attempted
	Reference string `json:"reference,omitempty"`
	Err       string `json:"err,omitempty"`
	Outcome   string `json:"outcome,omitempty"` // of an unfinished attempt
	Addr      string `json:"addr,omitempty"`    // of a receiver
	Event     string `json:"event,omitempty"`   // dedupe key of a callback that ran
}

// child is a running child process.
type child struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events chan childEvent // closed at the end of stdout
	stderr *bytes.Buffer

	mu  sync.Mutex
	all []childEvent
}

// startChild starts the test binary as a child with cfg.
func startChild(t *testing.T, name string, cfg childConfig) *child {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(b))
	c := &child{name: name, cmd: cmd, events: make(chan childEvent, 1024), stderr: new(bytes.Buffer)}
	cmd.Stderr = c.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	go func() {
		defer close(c.events)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev childEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				ev = childEvent{Kind: "garbage", Err: sc.Text()}
			}
			c.mu.Lock()
			c.all = append(c.all, ev)
			c.mu.Unlock()
			c.events <- ev
		}
	}()
	return c
}

// next waits for the child's next event of kind, for at most d.
func (c *child) next(t *testing.T, kind string, d time.Duration) childEvent {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatalf("%s ended before a %q event; stderr:\n%s", c.name, kind, c.stderr)
			}
			if ev.Kind == kind {
				return ev
			}
		case <-timer.C:
			t.Fatalf("%s: no %q event within %s (liveness guard); stderr:\n%s", c.name, kind, d, c.stderr)
		}
	}
}

// wait closes the child's stdin, waits for it to exit and returns all its
// events; the child must exit with status 0.
func (c *child) wait(t *testing.T) []childEvent {
	t.Helper()
	_ = c.stdin.Close()
	for range c.events { // drain, so that the scanner reaches EOF
	}
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("%s: %v; stderr:\n%s", c.name, err, c.stderr)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.all
}

// kill sends SIGKILL, checks that the child died of it and returns the
// time the signal was sent.
func (c *child) kill(t *testing.T) time.Time {
	t.Helper()
	at := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for range c.events {
	}
	err := c.cmd.Wait()
	ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("%s did not die of SIGKILL (%v): it finished its purchase before the kill; stderr:\n%s", c.name, err, c.stderr)
	}
	return at
}
