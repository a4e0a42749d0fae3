package main

import (
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
	iccid := pos[0]
	cl, _, err := c.client(f.live)
	if err != nil {
		return err
	}
	e, err := cl.ESIM(ctx, iccid)
	if err != nil {
		return canceled(ctx, err)
	}
	applied, err := cl.AppliedBundles(ctx, iccid)
	if err != nil {
		return canceled(ctx, err)
	}
	loc, err := cl.Location(ctx, iccid)
	var apiErr *travelroam.APIError
	if err != nil {
		// An eSIM never seen on a network has no location: a 4xx, not a failure.
		if ctx.Err() != nil || !errors.As(err, &apiErr) || apiErr.StatusCode < 400 || apiErr.StatusCode >= 500 {
			return canceled(ctx, err)
		}
		loc = nil
	}
	now := time.Now()
	out := esimJSON{ICCID: e.ICCID, ProfileStatus: string(e.ProfileStatus), State: notActive(e.State), FirstInstalledAt: timeOrNil(e.FirstInstalledAt), Bundles: []esimBundleJSON{}}
	if out.ICCID == "" {
		out.ICCID = iccid
	}
	for _, b := range applied {
		for _, a := range b.Assignments {
			out.Bundles = append(out.Bundles, esimBundleJSON{
				Name: b.Name, Description: b.Description, State: string(a.BundleState), Ended: a.Ended(now), Data: a.IsData(),
				InitialBytes: a.InitialQuantity, RemainingBytes: a.RemainingQuantity, Unlimited: a.Unlimited,
				StartTime: timeOrNil(a.StartTime), EndTime: timeOrNil(a.EndTime), AssignedAt: timeOrNil(a.AssignedAt),
				AssignmentReference: a.AssignmentReference,
			})
		}
	}
	out.DataLeftBytes, out.UnlimitedData = travelroam.RemainingDataBytes(applied, now)
	if loc != nil {
		out.Location = &locationJSON{NetworkBrandName: loc.NetworkBrandName, NetworkName: loc.NetworkName,
			MobileNetworkCode: loc.MobileNetworkCode, Country: loc.Country, LastSeen: timeOrNil(loc.LastSeen)}
	}
	if *code || show.qr || show.qrPNG != "" {
		ac, err := e.ActivationCode()
		if err != nil {
			return fmt.Errorf("esim: no activation code: %w", err)
		}
		out.Installation = &esimCode{ICCID: out.ICCID, ProfileStatus: out.ProfileStatus, ActivationCode: ac.LPA(),
			SMDPAddress: ac.SMDPAddress, MatchingID: ac.MatchingID, AppleInstallURL: ac.AppleInstallURL()}
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
	c.printESIMState(e.State)
	fmt.Fprintf(c.out, "ICCID:           %s\n", out.ICCID)
	fmt.Fprintf(c.out, "Profile status:  %s\n", out.ProfileStatus)
	fmt.Fprintf(c.out, "First installed: %s\n", formatTime(e.FirstInstalledAt))
	switch {
	case out.UnlimitedData:
		fmt.Fprintf(c.out, "Data left:       unlimited (+ %s on limited bundles)\n", formatBytes(out.DataLeftBytes))
	default:
		fmt.Fprintf(c.out, "Data left:       %s\n", formatBytes(out.DataLeftBytes))
	}
	if len(out.Bundles) == 0 {
		fmt.Fprintln(c.out, "Bundles:         none")
	} else {
		fmt.Fprintln(c.out, "Bundles:")
		rows := make([][]string, 0, len(out.Bundles))
		for _, b := range out.Bundles {
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
		if err := c.aligned([]string{"  NAME", "STATE", "LEFT", "ENDS"}, rows); err != nil {
			return err
		}
	}
	if loc == nil {
		fmt.Fprintln(c.out, "Last location:   none (never seen on a network)")
	} else {
		fmt.Fprintf(c.out, "Last location:   %s (%s, %s), %s\n", loc.NetworkBrandName, loc.MobileNetworkCode, loc.Country, formatTime(loc.LastSeen))
	}
	if out.Installation != nil {
		return c.showCodes("", []esimCode{*out.Installation}, show, false)
	}
	return nil
}
