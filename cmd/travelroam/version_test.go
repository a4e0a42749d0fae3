package main

import (
	"bytes"
	"context"
	"runtime/debug"
	"testing"

	"github.com/roamkit/travelroam"
	"github.com/stretchr/testify/require"
)

// TestVersionPrintsBothVersions: `travelroam --version` names the command
// line's own version (its module's, as the go command recorded it) and the
// SDK's, read from travelroam.Version, the constant the User-Agent sends.
func TestVersionPrintsBothVersions(t *testing.T) {
	for _, arg := range []string{"version", "-version", "--version"} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), &sys{out: &out, err: &errOut, getenv: func(string) string { return "" }}, []string{arg})
		require.Equal(t, exitOK, code, errOut.String())
		require.Equal(t, "travelroam "+cliVersion()+" (travelroam-go "+travelroam.Version+")\n", out.String())
	}
}

// TestCLIVersion: the module version the go command stamps (v0.1.0 after
// `go install …/cmd/travelroam@v0.1.0`), "(devel)" for a build from a
// checkout or without build information.
func TestCLIVersion(t *testing.T) {
	require.Equal(t, "v0.1.0", moduleVersion(&debug.BuildInfo{Main: debug.Module{Path: "github.com/roamkit/travelroam/cmd/travelroam", Version: "v0.1.0"}}, true))
	require.Equal(t, "(devel)", moduleVersion(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true))
	require.Equal(t, "(devel)", moduleVersion(&debug.BuildInfo{}, true))
	require.Equal(t, "(devel)", moduleVersion(nil, false))
}
