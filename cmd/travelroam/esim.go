package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/roamkit/travelroam"
)

// esimJSON is the --json output of esim.
type esimJSON struct {
	ICCID            string           `json:"iccid"`
	ProfileStatus    string           `json:"profileStatus"`
	FirstInstalledAt *time.Time       `json:"firstInstalledAt"`
	Bundles          []esimBundleJSON `json:"bundles"`
	DataLeftBytes    int64            `json:"dataLeftBytes"`
	UnlimitedData    bool             `json:"unlimitedData"`
	Location         *locationJSON    `json:"location"`
	Installation     *esimCode        `json:"installation,omitempty"`
	State            string           `json:"state,omitempty"` // eSIM Go v2.5: Suspended, Deactivated…; absent when Active or not sent
}

// esimBundleJSON is one bundle assignment of an eSIM.
type esimBundleJSON struct {
	Name                string     `json:"name"`
	Description         string     `json:"description"`
	State               string     `json:"state"`
	Ended               bool       `json:"ended"`
	Data                bool       `json:"data"`
	InitialBytes        int64      `json:"initialBytes"`
	RemainingBytes      int64      `json:"remainingBytes"`
	Unlimited           bool       `json:"unlimited"`
	StartTime           *time.Time `json:"startTime"`
	EndTime             *time.Time `json:"endTime"`
	AssignedAt          *time.Time `json:"assignedAt"`
	AssignmentReference string     `json:"assignmentReference"`
}

// locationJSON is the last network an eSIM was seen on.
type locationJSON struct {
	NetworkBrandName  string     `json:"networkBrandName"`
	NetworkName       string     `json:"networkName"`
	MobileNetworkCode string     `json:"mobileNetworkCode"`
	Country           string     `json:"country"`
	LastSeen          *time.Time `json:"lastSeen"`
}

func runESIM(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("esim", true)
	code := f.Bool("code", false, "also show the activation code and the iPhone link (secrets: show them only to the eSIM's owner)")
	var show showOptions
	show.register(f)
	pos, err := f.parse(c, args, 1, 1)
	if err != nil {
		return err
	}
	cl, _, err := c.client(f.live)
	if err != nil {
		return err
	}
	out, err := readESIM(ctx, cl, pos[0], *code || show.qr || show.qrPNG != "")
	if err != nil {
		return err
	}
	if f.json {
		if out.Installation != nil {
			codes := []esimCode{*out.Installation}
			if err := c.writeQRFiles(codes, show); err != nil {
				return err
			}
			out.Installation = &codes[0]
		}
		return c.writeJSON(out)
	}
	c.printESIM(out)
	if out.Installation != nil {
		return c.showCodes("", []esimCode{*out.Installation}, show, false)
	}
	return nil
}

// readESIM reads an eSIM's details, bundles and location (and, with
// withCode, its installation data).
func readESIM(ctx context.Context, cl *travelroam.Client, iccid string, withCode bool) (esimJSON, error) {
	e, err := cl.ESIM(ctx, travelroam.ICCID(iccid))
	if err != nil {
		return esimJSON{}, canceled(ctx, err)
	}
	applied, err := cl.AppliedBundles(ctx, travelroam.ICCID(iccid))
	if err != nil {
		return esimJSON{}, canceled(ctx, err)
	}
	loc, err := cl.Location(ctx, travelroam.ICCID(iccid))
	var apiErr *travelroam.APIError
	// An eSIM never seen on a network has no location: a 4xx, not a failure.
	if err != nil && (ctx.Err() != nil || !errors.As(err, &apiErr) || apiErr.StatusCode < 400 || apiErr.StatusCode >= 500) {
		return esimJSON{}, canceled(ctx, err)
	}
	now := time.Now()
	out := esimJSON{ICCID: cmp.Or(string(e.ICCID), iccid), ProfileStatus: string(e.ProfileStatus), State: notActive(e.State), FirstInstalledAt: timeOrNil(e.FirstInstalledAt),
		Bundles: bundleRows(applied, now)}
	out.DataLeftBytes, out.UnlimitedData = travelroam.RemainingDataBytes(applied, now)
	if err == nil && loc != nil {
		out.Location = &locationJSON{NetworkBrandName: loc.NetworkBrandName, NetworkName: loc.NetworkName,
			MobileNetworkCode: loc.MobileNetworkCode, Country: loc.Country, LastSeen: timeOrNil(loc.LastSeen)}
	}
	if withCode {
		ac, err := e.ActivationCode()
		if err != nil {
			return esimJSON{}, fmt.Errorf("esim: no activation code: %w", err)
		}
		out.Installation = &esimCode{ICCID: out.ICCID, ProfileStatus: out.ProfileStatus, ActivationCode: ac.LPA(),
			SMDPAddress: ac.SMDPAddress, MatchingID: ac.MatchingID.Reveal(), AppleInstallURL: ac.AppleInstallURL()}
	}
	return out, nil
}

// printESIM writes an eSIM as text, one field a line.
func (c *cli) printESIM(out esimJSON) {
	c.printESIMState(travelroam.ESIMState(out.State))
	c.printf("ICCID:           %s\n", out.ICCID)
	c.printf("Profile status:  %s\n", out.ProfileStatus)
	first := time.Time{}
	if out.FirstInstalledAt != nil {
		first = *out.FirstInstalledAt
	}
	c.printf("First installed: %s\n", formatTime(first))
	if out.UnlimitedData {
		c.printf("Data left:       unlimited (+ %s on limited bundles)\n", formatBytes(out.DataLeftBytes))
	} else {
		c.printf("Data left:       %s\n", formatBytes(out.DataLeftBytes))
	}
	_ = c.printBundles(out.Bundles)
	if loc := out.Location; loc == nil {
		c.println("Last location:   none (never seen on a network)")
	} else {
		last := time.Time{}
		if loc.LastSeen != nil {
			last = *loc.LastSeen
		}
		c.printf("Last location:   %s (%s, %s), %s\n", loc.NetworkBrandName, loc.MobileNetworkCode, loc.Country, formatTime(last))
	}
}

// bundleRows lists every assignment of the applied bundles.
func bundleRows(applied []travelroam.AppliedBundle, now time.Time) []esimBundleJSON {
	out := []esimBundleJSON{}
	for _, b := range applied {
		for _, a := range b.Assignments {
			out = append(out, esimBundleJSON{
				Name: b.Name, Description: b.Description, State: string(a.BundleState), Ended: a.Ended(now), Data: a.IsData(),
				InitialBytes: a.InitialQuantity, RemainingBytes: a.RemainingQuantity, Unlimited: a.Unlimited,
				StartTime: timeOrNil(a.StartTime), EndTime: timeOrNil(a.EndTime), AssignedAt: timeOrNil(a.AssignedAt),
				AssignmentReference: a.AssignmentReference,
			})
		}
	}
	return out
}

// printBundles prints an eSIM's bundles as a table (cells through safe).
func (c *cli) printBundles(bundles []esimBundleJSON) error {
	if len(bundles) == 0 {
		c.println("Bundles:         none active (ended ones are not listed by Travel Roam)")
		return nil
	}
	c.println("Bundles:")
	rows := make([][]string, 0, len(bundles))
	for _, b := range bundles {
		left := formatBytes(b.RemainingBytes) + " of " + formatBytes(b.InitialBytes)
		if b.Unlimited {
			left = "unlimited"
		}
		ends := "-"
		if b.EndTime != nil {
			ends = formatTime(*b.EndTime)
		}
		rows = append(rows, []string{"  " + b.Name, b.State, left, ends})
	}
	return c.aligned([]string{"  NAME", "STATE", "LEFT", "ENDS"}, rows)
}
