package main

import (
	"bytes"
	"testing"

	"github.com/roamkit/travelroam"
	"github.com/stretchr/testify/require"
)

// TestESIMStateShownProminently: esim puts a state other than Active first,
// in capitals; Active and no state print nothing.
func TestESIMStateShownProminently(t *testing.T) {
	t.Parallel()
	for state, want := range map[travelroam.ESIMState]string{
		"":                          "",
		"Active":                    "",
		"Suspended":                 "STATE:           SUSPENDED (no network service until it is unsuspended; its bundles are kept)\n",
		"Deactivated":               "STATE:           DEACTIVATED (out of service for good)\n",
		travelroam.ESIMState("Odd"): "STATE:           ODD (not in service)\n",
	} {
		var out bytes.Buffer
		c := &cli{sys: sys{out: &out}}
		c.printESIMState(state)
		require.Equal(t, want, out.String(), state)
	}
}
