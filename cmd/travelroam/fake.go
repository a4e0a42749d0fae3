package main

import (
	"context"
	"fmt"

	"github.com/roamkit/travelroam/internal/fakeserver"
)

// fakeJSON is the --json output of fake, written once it listens.
type fakeJSON struct {
	Environment    string            `json:"environment"`
	BaseURL        string            `json:"baseURL"`
	SandboxBaseURL string            `json:"sandboxBaseURL"`
	LiveBaseURL    string            `json:"liveBaseURL"`
	AdminURL       string            `json:"adminURL"`
	Env            map[string]string `json:"env"`
}

func runFake(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("fake", false)
	cfg := fakeserver.DefaultConfig()
	cfg.RegisterFlags(f.FlagSet)
	usage := f.Usage
	f.Usage = func() {
		usage()
		fmt.Fprintf(f.Output(), "\n%s", fakeserver.AdminUsage)
	}
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	if err := cfg.Check(); err != nil {
		return usagef("fake: %v", err)
	}
	fk, err := fakeserver.Start(cfg)
	if err != nil {
		return fmt.Errorf("fake: %w", err)
	}
	defer fk.Close()
	// The fake's own test credentials are printed on purpose: rawOut is
	// not scrubbed.
	if f.json {
		out := fakeJSON{Environment: cfg.Env, BaseURL: fk.Server.URL, AdminURL: fk.AdminURL, Env: map[string]string{}}
		for _, kv := range fk.Environ() {
			out.Env[kv[0]] = kv[1]
		}
		out.SandboxBaseURL, out.LiveBaseURL = out.Env[envBaseURL], out.Env[envLiveBaseURL]
		if err := writeJSONTo(c.rawOut, out); err != nil {
			return err
		}
	} else {
		fk.WriteBanner(c.rawOut)
		fmt.Fprintln(c.rawOut, "Press Ctrl+C to stop.")
	}
	<-ctx.Done()
	c.info("Shutting down.")
	return nil
}
