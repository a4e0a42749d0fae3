package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/roamkit/travelroam"
)

// revokeJSON is the --json output of revoke.
type revokeJSON struct {
	Environment string `json:"environment"`
	ICCID       string `json:"iccid"`
	Revoked     bool   `json:"revoked"`
}

func runRevoke(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("revoke", true)
	yes := f.Bool("yes", false, "do not ask for confirmation (required when stdin is not a terminal)")
	dryRun := f.Bool("dry-run", false, "show the eSIM's state and bundles and the request that would be sent; send nothing")
	pos, err := f.parse(c, args, 1, 1)
	if err != nil {
		return err
	}
	iccid := pos[0]
	if len(iccid) < 4 {
		return usagef("revoke: \"%s\" is not an ICCID", safe(iccid))
	}
	if *dryRun {
		return c.dryRunRevoke(ctx, f, iccid)
	}
	if !*yes && !c.interactive() {
		return usagef("revoke: stdin is not a terminal, so nobody can confirm: add --yes to revoke eSIM %s", iccid)
	}
	cl, t, err := c.client(f.live)
	if err != nil {
		return err
	}
	// Look the eSIM up first: a typo fails here, and the person sees what
	// they are about to revoke.
	e, err := cl.ESIM(ctx, travelroam.ICCID(iccid))
	if err != nil {
		return canceled(ctx, err)
	}
	c.info("eSIM %s: profile %s, first installed %s (%s environment).", safe(iccid), safe(string(e.ProfileStatus)), formatTime(e.FirstInstalledAt), t.env)
	if !*yes {
		if err := c.confirmRevoke(ctx, iccid); err != nil {
			return err
		}
	}
	if err := cl.RevokeESIM(ctx, travelroam.ICCID(iccid)); err != nil {
		if errors.As(err, new(*travelroam.OutcomeUnknownError)) {
			return withHint(err, "The eSIM may or may not be revoked. Check with `travelroam esim %s%s` (a revoked eSIM is no longer found) before revoking again.", safe(iccid), liveFlag(t))
		}
		return canceled(ctx, err)
	}
	if f.json {
		return c.writeJSON(revokeJSON{Environment: string(t.env), ICCID: iccid, Revoked: true})
	}
	c.printf("Revoked eSIM %s.\n", safe(iccid))
	return nil
}

// confirmRevoke asks for the ICCID's last four digits; nil when typed.
func (c *cli) confirmRevoke(ctx context.Context, iccid string) error {
	c.emphasize("Revoking is irreversible: the eSIM and all its bundles are gone at once.")
	answer, err := c.prompt(ctx, "Type the last 4 digits of the ICCID to revoke it: ")
	if err != nil {
		return fmt.Errorf("revoke: nothing revoked: %w", err)
	}
	if answer != iccid[len(iccid)-4:] {
		return errors.New("revoke: the digits typed do not match: nothing revoked")
	}
	return nil
}
