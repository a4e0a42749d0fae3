package main

import (
	"strings"

	"github.com/roamkit/travelroam"
)

// printESIMState puts a state other than Active (eSIM Go v2.5's
// Suspended, Deactivated or one the SDK does not know) on the first line,
// in capitals, so that it is not missed; Active or no state prints
// nothing.
func (c *cli) printESIMState(state travelroam.ESIMState) {
	if state == "" || state == "Active" {
		return
	}
	what := "not in service"
	switch state {
	case "Suspended":
		what = "no network service until it is unsuspended; its bundles are kept"
	case "Deactivated":
		what = "out of service for good"
	}
	c.printf("STATE:           %s (%s)\n", strings.ToUpper(string(state)), what)
}

// notActive is the state for esim --json: empty when Active (or not
// sent), so that only a state that needs attention shows.
func notActive(state travelroam.ESIMState) string {
	if state == "Active" {
		return ""
	}
	return string(state)
}
